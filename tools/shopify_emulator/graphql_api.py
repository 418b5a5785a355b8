"""Admin GraphQL endpoint: parse + validate (LRU-cached) against our SDL subset of
Shopify's
schema, charge the cost bucket, execute with graphql-core, refund the unused points, and
attach `extensions.cost` to every answer."""

from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path

from graphql import (
    GraphQLError,
    build_schema,
    execute,
    get_directive_values,
    get_named_type,
    get_operation_ast,
    parse,
    validate,
)

from . import bulk, hard, idempotency, inventory, views, webhook_subscriptions
from . import fulfillment as fulfillment_api
from .cost import MAX_QUERY_COST, CostCalculator
from .ids import gid, parse_gid

SCHEMA = build_schema((Path(__file__).with_name("schema.graphql")).read_text())
SCHEMA.get_type("Node").resolve_type = lambda obj, info, t: (
    obj["_type"] if isinstance(obj, dict) else obj.TYPE
)
SCHEMA.get_type("DisplayableError").resolve_type = lambda obj, info, t: "UserError"
IDEMPOTENT = SCHEMA.get_directive("idempotent")
# Derived from the Mutation descriptions of schema.graphql, never typed by hand.
REQUIRES_IDEMPOTENT = idempotency.required_mutations(SCHEMA)


@lru_cache(maxsize=1024)
def prepare(query):
    """-> (document, [error dicts]) for a query string; cached because clients resend
    the same
    few documents thousands of times."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, [exc.formatted]
    errors = validate(SCHEMA, document)
    return document, [e.formatted for e in errors]


def cost_extension(shop, requested, actual):
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": shop.bucket.status(),
        }
    }


def handle(shop, body):
    """One GraphQL request for `shop` -> JSON-able answer (always HTTP 200, like
    Shopify).
    """
    query = body.get("query") if isinstance(body, dict) else None
    if not isinstance(query, str):
        return {
            "errors": [{"message": "No query string was present"}],
            "extensions": cost_extension(shop, 0, 0),
        }
    document, errors = prepare(query)
    if errors:
        return {"errors": errors, "extensions": cost_extension(shop, 0, 0)}
    variables = body.get("variables") or {}
    op = get_operation_ast(document, body.get("operationName"))
    if op is None:
        return {
            "errors": [{"message": "An operation name is required"}],
            "extensions": cost_extension(shop, 0, 0),
        }
    fragments = {
        d.name.value: d
        for d in document.definitions
        if hasattr(d, "type_condition") and d.kind == "fragment_definition"
    }
    missing = idempotency.missing_keys(op, variables, REQUIRES_IDEMPOTENT)
    if missing:
        # Refused before anything runs (and nothing is charged): every field null.
        data = {
            (sel.alias or sel.name).value: None
            for sel in op.selection_set.selections
            if hasattr(sel, "name")
        }
        return {
            "errors": missing,
            "data": data,
            "extensions": cost_extension(shop, 0, 0),
        }
    calc = CostCalculator(SCHEMA, fragments, variables)
    try:
        requested = calc.operation(op)
    except (GraphQLError, TypeError, ValueError):
        requested = 1
    if requested > MAX_QUERY_COST:
        return {
            "errors": [
                {
                    "message": f"Query cost is {requested}, which exceeds the single "
                    f"query max cost limit ({MAX_QUERY_COST}).",
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": requested,
                        "maxCost": MAX_QUERY_COST,
                    },
                }
            ],
            "extensions": cost_extension(shop, requested, 0),
        }
    ok, _ = shop.bucket.try_take(requested)
    if not ok:
        return throttled(shop, requested)
    is_mutation = op.operation.value == "mutation"
    # Hard mode collects the webhooks this request emits, to deliver them before the
    # answer; the simple mode leaves them to the dispatcher's own schedule and faults.
    capture = shop.emulator.dispatcher.capture() if shop.hard else nullcontext([])
    with capture as emitted, shop.lock:
        result = execute(
            SCHEMA,
            document,
            root_value=Root(shop),
            variable_values=variables,
            operation_name=body.get("operationName"),
        )
        answer = {}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        answer["data"] = result.data
        try:
            actual = calc.operation(op, result.data) if result.data is not None else 0
        except (GraphQLError, TypeError, ValueError, AttributeError):
            actual = requested
        actual = min(actual, requested)
        if shop.hard and is_mutation:
            actual = hard.actual_mutation_cost(requested)
        shop.bucket.give_back(requested - actual)
        shop.stats["calls"] += 1
        shop.stats["points"] += actual
    if shop.hard and emitted:
        # A real shop's webhook for our own write may arrive before its answer.
        shop.emulator.dispatcher.wait_delivered(emitted, hard.WEBHOOK_WAIT_SECONDS)
    answer["extensions"] = cost_extension(shop, requested, actual)
    return answer


def throttled(shop, requested):
    with shop.lock:
        shop.stats["throttled"] += 1
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": cost_extension(shop, requested, None),
    }


def _idempotency_key(info):
    values = get_directive_values(IDEMPOTENT, info.field_nodes[0], info.variable_values)
    return values["key"] if values else None


class Root:
    """Resolvers of QueryRoot and Mutation for one shop."""

    def __init__(self, shop):
        self._shop = shop  # not `self.shop`: that name is the `shop` field's resolver

    # -- queries
    # --------------------------------------------------------------------------
    def shop(self, info):
        return views.ShopView(self._shop)

    def currentAppInstallation(self, info):
        return views.AppInstallationView(self._shop, {"id": self._shop.id})

    def node(self, info, id):
        return views.node_by_gid(self._shop, id)

    def nodes(self, info, ids):
        if len(ids) > 250:
            raise GraphQLError("The maximum number of ids is 250.")
        return [views.node_by_gid(self._shop, i) for i in ids]

    def locations(
        self, info, first=None, after=None, query=None, includeInactive=False
    ):
        shop = self._shop
        recs = [r for r in shop.locations.values() if r["active"] or includeInactive]
        recs = views.filtered(recs, query, lambda r: {"name": r["name"], "id": r["id"]})
        return views.connection(
            recs,
            lambda r: [r["id"]],
            first,
            after,
            wrap=lambda r: views.LocationView(shop, r),
        )

    def location(self, info, id=None):
        # "If no ID is provided, the primary location of the Shop is returned."
        # (QueryRoot.location, Admin GraphQL 2026-10 schema description)
        shop = self._shop
        lid = parse_gid(id, "Location") if id else shop.primary_location_id
        rec = shop.locations.get(lid)
        return views.LocationView(shop, rec) if rec else None

    def productVariants(
        self, info, first=None, after=None, query=None, sortKey="ID", reverse=False
    ):
        shop = self._shop
        recs = self._variants_matching(query)
        key = _sort_key(
            sortKey,
            {
                "SKU": "sku",
                "TITLE": "title",
                "UPDATED_AT": "updated_at",
                "CREATED_AT": "created_at",
            },
        )
        return views.connection(
            recs, key, first, after, reverse, wrap=lambda r: views.VariantView(shop, r)
        )

    def productVariantsCount(self, info, query=None, limit=None):
        # Shopify stops counting at `limit` and then says AT_LEAST.
        count = len(self._variants_matching(query))
        if limit is not None and count > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": count, "precision": "EXACT"}

    def bulkOperation(self, info, id):
        return bulk.poll(self._shop, id)

    def _variants_matching(self, query):
        shop = self._shop
        recs = self._variant_candidates(query)
        recs = views.filtered(
            recs,
            query,
            lambda r: {
                "sku": r["sku"],
                "id": r["id"],
                "title": r["title"],
                "barcode": r["barcode"],
                "product_id": r["product_id"],
                "updated_at": r["updated_at"],
                "created_at": r["created_at"],
                "product_status": lambda: shop.products[r["product_id"]]["status"],
            },
        )
        return recs

    def _variant_candidates(self, query):
        """Use the SKU index for plain `sku:X (OR sku:Y)*` lookups: O(matches), not
        O(catalog).
        """
        shop = self._shop
        groups = views.search.parse(query)
        if groups and all(
            len(g) == 1
            and g[0][1] == "sku"
            and g[0][2] == "="
            and not g[0][0]
            and "*" not in g[0][3]
            for g in groups
        ):
            index = {}
            for var in shop.variants.values():
                index.setdefault((var["sku"] or "").lower(), []).append(var)
            return [v for g in groups for v in index.get(g[0][3].lower(), [])]
        return list(shop.variants.values())

    def productVariant(self, info, id):
        rec = self._shop.variants.get(parse_gid(id, "ProductVariant"))
        return views.VariantView(self._shop, rec) if rec else None

    def products(
        self, info, first=None, after=None, query=None, sortKey="ID", reverse=False
    ):
        shop = self._shop
        recs = views.filtered(
            shop.products.values(),
            query,
            lambda r: {
                "title": r["title"],
                "id": r["id"],
                "status": r["status"],
                "vendor": r["vendor"],
                "updated_at": r["updated_at"],
                "created_at": r["created_at"],
                "sku": lambda: " ".join(
                    shop.variants[v]["sku"] or "" for v in r["variant_ids"]
                ),
            },
        )
        key = _sort_key(
            sortKey,
            {
                "TITLE": "title",
                "UPDATED_AT": "updated_at",
                "CREATED_AT": "created_at",
                "VENDOR": "vendor",
            },
        )
        return views.connection(
            recs, key, first, after, reverse, wrap=lambda r: views.ProductView(shop, r)
        )

    def product(self, info, id):
        rec = self._shop.products.get(parse_gid(id, "Product"))
        return views.ProductView(self._shop, rec) if rec else None

    def inventoryItem(self, info, id):
        rec = self._shop.items.get(parse_gid(id, "InventoryItem"))
        return views.ItemView(self._shop, rec) if rec else None

    def inventoryItems(self, info, first=None, after=None, query=None):
        shop = self._shop
        recs = views.filtered(
            shop.items.values(),
            query,
            lambda r: {
                "id": r["id"],
                "sku": shop.variants[r["variant_id"]]["sku"],
                "updated_at": r["updated_at"],
                "created_at": r["created_at"],
            },
        )
        return views.connection(
            recs,
            lambda r: [r["id"]],
            first,
            after,
            wrap=lambda r: views.ItemView(shop, r),
        )

    def orders(
        self,
        info,
        first=None,
        after=None,
        query=None,
        sortKey="PROCESSED_AT",
        reverse=False,
    ):
        shop = self._shop
        recs = views.filtered(
            shop.orders.values(),
            query,
            lambda r: {
                "updated_at": r["updated_at"],
                "created_at": r["created_at"],
                "processed_at": r["created_at"],
                "id": r["id"],
                "name": r["name"],
                "financial_status": r["financial_status"],
                "email": r["email"],
                "status": "cancelled" if r["cancelled_at"] else "open",
            },
        )
        key = _sort_key(
            sortKey,
            {
                "UPDATED_AT": "updated_at",
                "CREATED_AT": "created_at",
                "PROCESSED_AT": "created_at",
                "ORDER_NUMBER": "number",
            },
        )
        return views.connection(
            recs, key, first, after, reverse, wrap=lambda r: views.OrderView(shop, r)
        )

    def order(self, info, id):
        rec = self._shop.orders.get(parse_gid(id, "Order"))
        return views.OrderView(self._shop, rec) if rec else None

    def refund(self, info, id):
        return views.refund_by_gid(self._shop, id)

    def fulfillment(self, info, id):
        return fulfillment_api.fulfillment_by_gid(self._shop, id)

    def webhookSubscriptions(self, info, first=None, after=None, topics=None):
        shop = self._shop
        recs = [
            r
            for r in webhook_subscriptions.visible(shop)
            if not topics or r["topic"] in topics
        ]
        return views.connection(
            recs,
            lambda r: [r["id"]],
            first,
            after,
            wrap=lambda r: views.WebhookView(shop, r),
        )

    def webhookSubscription(self, info, id):
        rec = webhook_subscriptions.find(self._shop, id)
        return views.WebhookView(self._shop, rec) if rec else None

    # -- mutations
    # ------------------------------------------------------------------------
    def bulkOperationRunQuery(self, info, query, groupObjects):
        shop = self._shop
        result = bulk.run_query(shop, SCHEMA, query, lambda q: _bulk_chunks(shop, q))
        shop.log_mutation(
            "bulkOperationRunQuery",
            {"query": query},
            None,
            {"userErrors": result["userErrors"]},
        )
        return result

    def webhookSubscriptionCreate(self, info, topic, webhookSubscription):
        shop = self._shop
        rec, errors = webhook_subscriptions.create(shop, topic, webhookSubscription)
        shop.log_mutation(
            "webhookSubscriptionCreate",
            {"topic": topic, "webhookSubscription": webhookSubscription},
            None,
            {"userErrors": errors},
        )
        view = views.WebhookView(shop, rec) if rec else None
        return {"webhookSubscription": view, "userErrors": errors}

    def webhookSubscriptionUpdate(self, info, id, webhookSubscription):
        shop = self._shop
        rec, errors = webhook_subscriptions.update(shop, id, webhookSubscription)
        shop.log_mutation(
            "webhookSubscriptionUpdate",
            {"id": id, "webhookSubscription": webhookSubscription},
            None,
            {"userErrors": errors},
        )
        view = views.WebhookView(shop, rec) if rec else None
        return {"webhookSubscription": view, "userErrors": errors}

    def webhookSubscriptionDelete(self, info, id):
        shop = self._shop
        errors = webhook_subscriptions.delete(shop, id)
        result = {
            "deletedWebhookSubscriptionId": None if errors else id,
            "userErrors": errors,
        }
        shop.log_mutation("webhookSubscriptionDelete", {"id": id}, None, result)
        return result

    def inventorySetQuantities(self, info, input):
        shop = self._shop
        key = _idempotency_key(info)
        try:
            result = inventory.set_quantities(shop, input, key)
        except inventory.TopLevelError as exc:
            shop.log_mutation(
                "inventorySetQuantities", {"input": input}, key, {"error": exc.code}
            )
            raise GraphQLError(str(exc), extensions={"code": exc.code}) from None
        shop.log_mutation(
            "inventorySetQuantities",
            {"input": input},
            key,
            {
                "group": inventory.group_gid(result["group"])
                if result["group"]
                else None,
                "userErrors": result["userErrors"],
                "replayed": result["replayed"],
            },
        )
        group = shop.groups.get(result["group"]) if result["group"] else None
        return {
            "inventoryAdjustmentGroup": views.AdjustmentGroupView(shop, group)
            if group
            else None,
            "userErrors": result["userErrors"],
        }

    def inventoryActivate(self, info, inventoryItemId, locationId, available=None):
        shop = self._shop
        key = _idempotency_key(info)
        params = {
            "inventoryItemId": inventoryItemId,
            "locationId": locationId,
            "available": available,
        }
        outcome, result = idempotency.replay(
            shop,
            "inventoryActivate",
            key,
            params,
            lambda: inventory.activate(shop, inventoryItemId, locationId, available),
        )
        if outcome == "mismatch":
            lv_key, errors = (
                None,
                [{"field": None, "message": idempotency.MISMATCH_MESSAGE}],
            )
        else:
            lv_key, errors = result
        shop.log_mutation(
            "inventoryActivate",
            params,
            key,
            {"userErrors": errors, "replayed": outcome == "replayed"},
        )
        level = views.level_view(shop, *lv_key) if lv_key and not errors else None
        return {"inventoryLevel": level, "userErrors": errors}

    def fulfillmentCreate(self, info, fulfillment, message=None):
        return fulfillment_api.create_mutation(self._shop, fulfillment, message)

    def fulfillmentTrackingInfoUpdate(
        self, info, fulfillmentId, trackingInfoInput, notifyCustomer=None
    ):
        return fulfillment_api.tracking_mutation(
            self._shop, fulfillmentId, trackingInfoInput, notifyCustomer
        )

    def fulfillmentCancel(self, info, id):
        return fulfillment_api.cancel_mutation(self._shop, id)


def _bulk_chunks(shop, query):
    """The rows of a bulk query's top-level connection, `bulk.PAGE` at a time: each
    chunk is one execution of the query under the shop lock (the worker lets go of it
    in between). The connection itself is filtered and ordered once, on the first
    chunk. Raises bulk.BulkFailed when the query has errors (e.g. a nested connection
    without `first`)."""
    document = parse(query)
    state = {"start": 0, "total": None}
    while True:
        with shop.lock:
            result = execute(SCHEMA, document, root_value=_BulkRoot(Root(shop), state))
        if result.errors or not result.data:
            raise bulk.BulkFailed()
        conn = next(iter(result.data.values()))
        if "edges" in conn:
            yield [edge["node"] for edge in conn["edges"]]
        else:
            yield conn.get("nodes") or []
        state["start"] += bulk.PAGE
        if state["total"] is None or state["start"] >= state["total"]:
            return


class _BulkRoot:
    """Root resolvers for one chunk of a bulk query: a top-level connection without
    `first` is read whole once (kept in `state`) and served `bulk.PAGE` objects per
    execution; any other field resolves as usual."""

    def __init__(self, root, state):
        self._root = root
        self._state = state

    def __getattr__(self, name):
        resolve = getattr(self._root, name)
        state = self._state

        def chunk(info, **args):
            named = get_named_type(info.return_type).name
            if args.get("first") is not None or not named.endswith("Connection"):
                return resolve(info, **args)
            if "edges" not in state:
                whole = resolve(info, **dict(args, first=views.EVERY))
                state["edges"], state["total"] = whole["edges"], len(whole["edges"])
            start = state["start"]
            edges = state["edges"][start : start + bulk.PAGE]
            return {
                "edges": edges,
                "nodes": [edge["node"] for edge in edges],
                "pageInfo": {
                    "hasNextPage": start + bulk.PAGE < state["total"],
                    "hasPreviousPage": start > 0,
                    "startCursor": edges[0]["cursor"] if edges else None,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
            }

        return chunk


def _sort_key(sort_key, columns):
    column = columns.get(sort_key or "ID")
    if column is None:
        return lambda r: [r["id"]]
    return lambda r: [_sortable(r.get(column)), r["id"]]


def _sortable(value):
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else value


__all__ = ["SCHEMA", "handle", "prepare", "gid"]
