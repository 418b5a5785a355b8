"""Bulk operations (`bulkOperationRunQuery`): Shopify runs a query without paging and
leaves the result as a JSONL file, one object per line, at a URL that needs no token.

Here the operation runs when it is polled: the first poll sees RUNNING, the next one
executes the query with the real resolvers (every page of the top-level connection)
and sees COMPLETED, with the file served by the emulator at `/_bulk/<id>.jsonl`.
Gap: nested connections (Shopify's `__parentId` lines) are not emulated; a query that
has one ends FAILED.
"""

import json

from graphql import GraphQLError, get_named_type, parse, validate
from graphql.language import FieldNode, OperationDefinitionNode

from .ids import gid, iso, now, parse_gid

PAGE = 250


def _ops(shop):
    # Kept on the shop object so each shop has its own operations and fault switch.
    return shop.__dict__.setdefault("bulk_operations", {})


def fail_next(shop, error_code="INTERNAL_SERVER_ERROR"):
    """Test hook: the next bulk operation of `shop` ends FAILED with `error_code`."""
    shop.__dict__["bulk_fail_next"] = error_code


def _invalid(message):
    return {
        "bulkOperation": None,
        "userErrors": [{"field": ["query"], "message": message, "code": "INVALID"}],
    }


def run_query(shop, schema, query):
    """`bulkOperationRunQuery`: check the query, record the operation as CREATED."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return _invalid(f"Invalid bulk query: {exc.message}")
    errors = validate(schema, document)
    if errors:
        return _invalid(f"Invalid bulk query: {errors[0].message}")
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1 or ops[0].operation.value != "query":
        return _invalid("Bulk queries must contain exactly one query operation.")
    roots = [s for s in ops[0].selection_set.selections if isinstance(s, FieldNode)]
    root_type = schema.query_type.fields[roots[0].name.value].type if roots else None
    if len(roots) != 1 or not get_named_type(root_type).name.endswith("Connection"):
        return _invalid("Bulk queries require a connection field at the top level.")
    if any(op["status"] in ("CREATED", "RUNNING") for op in _ops(shop).values()):
        return {
            "bulkOperation": None,
            "userErrors": [
                {
                    "field": None,
                    "message": "A bulk query operation for this app and shop is "
                    "already in progress.",
                    "code": "OPERATION_IN_PROGRESS",
                }
            ],
        }
    op = {
        "id": shop.new_id(),
        "query": query,
        "status": "CREATED",
        "error_code": None,
        "created_at": now(),
        "completed_at": None,
        "lines": None,
        "fail": shop.__dict__.pop("bulk_fail_next", None),
    }
    _ops(shop)[op["id"]] = op
    return {"bulkOperation": view(shop, op), "userErrors": []}


def poll(shop, run, bulk_gid):
    """`bulkOperation(id:)`: advance CREATED -> RUNNING -> COMPLETED/FAILED."""
    op = _ops(shop).get(parse_gid(bulk_gid, "BulkOperation"))
    if op is None:
        return None
    if op["status"] == "CREATED":
        op["status"] = "RUNNING"
    elif op["status"] == "RUNNING":
        lines = None if op["fail"] else run(op["query"])
        if lines is None:
            op["status"], op["error_code"] = (
                "FAILED",
                op["fail"] or "INTERNAL_SERVER_ERROR",
            )
        else:
            op["status"], op["lines"] = "COMPLETED", lines
        op["completed_at"] = now()
    return view(shop, op)


def jsonl(shop, op_id):
    """The result file of a COMPLETED operation as bytes, or None."""
    op = _ops(shop).get(op_id)
    if op is None or op["status"] != "COMPLETED":
        return None
    return "".join(json.dumps(line) + "\n" for line in op["lines"]).encode()


def view(shop, op):
    data = jsonl(shop, op["id"])
    count = len(op["lines"] or [])
    return {
        "id": gid("BulkOperation", op["id"]),
        "type": "QUERY",
        "status": op["status"],
        "errorCode": op["error_code"],
        "query": op["query"],
        # UnsignedInt64 travels as a string, like on Shopify.
        "objectCount": str(count),
        "rootObjectCount": str(count),
        "fileSize": str(len(data)) if data else None,
        # Shopify gives no file for an empty result.
        "url": f"{shop.emulator.url}/_bulk/{op['id']}.jsonl" if count else None,
        "partialDataUrl": None,
        "createdAt": iso(op["created_at"]),
        "completedAt": iso(op["completed_at"]) if op["completed_at"] else None,
    }


def all_pages(resolve, info, args):
    """Call a connection resolver page after page (a bulk query has no `first`)."""
    nodes, after = [], None
    while True:
        page = resolve(info, **dict(args, first=PAGE, after=after))
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    edges = [{"cursor": None, "node": n} for n in nodes]
    info_ = {"hasNextPage": False, "hasPreviousPage": False}
    return {"edges": edges, "nodes": nodes, "pageInfo": info_}


def find(emulator, op_id):
    for shop in emulator.shops.values():
        if op_id in _ops(shop):
            return shop
    return None
