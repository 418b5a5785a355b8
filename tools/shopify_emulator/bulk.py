"""Bulk operations (`bulkOperationRunQuery`): Shopify runs a query without paging in
the background and leaves the result as a JSONL file, one object per line, at a URL
that needs no token.

The mutation only records the operation (CREATED) and starts a worker thread; the
worker moves it to RUNNING, reads the top-level connection `PAGE` objects at a time
(each chunk under the shop lock, released in between so the shop keeps answering, and
`objectCount` grows as it goes), then ends COMPLETED with the file served by the
emulator at `/_bulk/<id>.jsonl`, or FAILED. `bulkOperation(id:)` only reports.
Gap: nested connections (Shopify's `__parentId` lines) are not emulated; a query that
has one ends FAILED.
"""

import json
import logging
import threading

from graphql import GraphQLError, get_named_type, parse, validate
from graphql.language import FieldNode, OperationDefinitionNode

from .ids import gid, iso, now, parse_gid

_logger = logging.getLogger(__name__)
PAGE = 250
# A held operation (test hook `hold`) starts anyway after this many seconds.
HOLD_SECONDS = 60


class BulkFailed(Exception):
    """The worker's query could not run: the operation ends FAILED with `code`."""

    def __init__(self, code="INTERNAL_SERVER_ERROR"):
        super().__init__(code)
        self.code = code


def _ops(shop):
    # Kept on the shop object so each shop has its own operations and fault switch.
    return shop.__dict__.setdefault("bulk_operations", {})


def fail_next(shop, error_code="INTERNAL_SERVER_ERROR"):
    """Test hook: the next bulk operation of `shop` ends FAILED with `error_code`."""
    shop.__dict__["bulk_fail_next"] = error_code


def hold(shop):
    """Test hook: the next bulk operation of `shop` stays CREATED until the returned
    event is set (or HOLD_SECONDS pass)."""
    gate = threading.Event()
    shop.__dict__["bulk_hold_next"] = gate
    return gate


def _invalid(message):
    return {
        "bulkOperation": None,
        "userErrors": [{"field": ["query"], "message": message, "code": "INVALID"}],
    }


def run_query(shop, schema, query, chunks):
    """`bulkOperationRunQuery`: check the query, record the operation as CREATED and
    start its worker. `chunks(query)` yields the result rows, a list per chunk, and
    raises BulkFailed when the query cannot run. Called under the shop lock."""
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
        "object_count": 0,
        "data": None,
        "fail": shop.__dict__.pop("bulk_fail_next", None),
    }
    _ops(shop)[op["id"]] = op
    gate = shop.__dict__.pop("bulk_hold_next", None)
    # The worker needs the shop lock for each step: it starts once this request's
    # answer (CREATED) is built and the lock released.
    threading.Thread(
        target=_work,
        args=(shop, op, chunks, gate),
        name="shopify-emulator-bulk-%d" % op["id"],
        daemon=True,
    ).start()
    return {"bulkOperation": view(shop, op), "userErrors": []}


def _work(shop, op, chunks, gate):
    """The background run: CREATED -> RUNNING -> COMPLETED / FAILED."""
    if gate is not None:
        gate.wait(HOLD_SECONDS)
    with shop.lock:
        op["status"] = "RUNNING"
    parts, code = [], None
    try:
        if op["fail"]:
            raise BulkFailed(op["fail"])
        for rows in chunks(op["query"]):
            # Serialised outside the lock: the rows are this worker's own.
            parts.append("".join(json.dumps(row) + "\n" for row in rows).encode())
            with shop.lock:
                op["object_count"] += len(rows)
    except BulkFailed as exc:
        code = exc.code
    except Exception:  # an emulator bug must end the operation, not hang the client
        _logger.exception("bulk operation %s", op["id"])
        code = "INTERNAL_SERVER_ERROR"
    data = b"".join(parts)
    with shop.lock:
        if code:
            op["status"], op["error_code"] = "FAILED", code
        else:
            # Schema, completedAt: "When the bulk operation was successfully completed."
            op["status"], op["data"], op["completed_at"] = "COMPLETED", data, now()


def poll(shop, bulk_gid):
    """`bulkOperation(id:)`: the operation as it is now (the worker moves it on)."""
    op = _ops(shop).get(parse_gid(bulk_gid, "BulkOperation"))
    return view(shop, op) if op is not None else None


def jsonl(shop, op_id):
    """The result file of a COMPLETED operation as bytes, or None."""
    op = _ops(shop).get(op_id)
    if op is None or op["status"] != "COMPLETED":
        return None
    return op["data"]


def view(shop, op):
    data = op["data"] if op["status"] == "COMPLETED" else None
    count = op["object_count"]
    return {
        "id": gid("BulkOperation", op["id"]),
        "type": "QUERY",
        "status": op["status"],
        "errorCode": op["error_code"],
        "query": op["query"],
        # UnsignedInt64 travels as a string, like on Shopify. A running count.
        "objectCount": str(count),
        "rootObjectCount": str(count),
        "fileSize": str(len(data)) if data else None,
        # Shopify gives no file for an empty result, and none before COMPLETED.
        "url": f"{shop.emulator.url}/_bulk/{op['id']}.jsonl" if data else None,
        "partialDataUrl": None,
        "createdAt": iso(op["created_at"]),
        "completedAt": iso(op["completed_at"]) if op["completed_at"] else None,
    }


def find(emulator, op_id):
    for shop in emulator.shops.values():
        if op_id in _ops(shop):
            return shop
    return None
