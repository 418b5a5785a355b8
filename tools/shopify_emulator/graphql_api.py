"""Admin GraphQL endpoint: parse + validate (LRU-cached) against our SDL subset of
Shopify's
schema, charge the cost bucket, execute with graphql-core, refund the unused points, and
attach `extensions.cost` to every answer."""

from contextlib import nullcontext
from functools import lru_cache

from graphql import (
    GraphQLError,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from . import hard, idempotency
from .cost import MAX_QUERY_COST, CostCalculator
from .mutation_root import MutationRoot
from .query_root import QueryRoot
from .schema import REQUIRES_IDEMPOTENT, SCHEMA


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
        shop.stats["requested"] += requested
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


class Root(QueryRoot, MutationRoot):
    """Resolvers of QueryRoot and Mutation for one shop."""

    def __init__(self, shop):
        self._shop = shop  # not `self.shop`: that name is the `shop` field's resolver


__all__ = ["REQUIRES_IDEMPOTENT", "SCHEMA", "handle", "prepare"]
