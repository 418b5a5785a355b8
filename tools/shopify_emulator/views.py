"""Resolver objects: one class per GraphQL type, methods named like the fields.

graphql-core's default resolver reads an attribute of the source and calls it with the
field's arguments when it is callable, so each method below IS the resolver of its
field. This file holds what every view shares (`View`, relay `connection`, search
`filtered`) and the shop-level views; `catalog_views.py` (locations, inventory,
products), `order_views.py` (orders, their lines and refunds), `fulfillment_views.py`
and `nodes.py` (`node(id:)`) the others.
"""

from graphql import GraphQLError

from . import hard, search
from .ids import decode_cursor, encode_cursor, gid, iso, now

# shopify.dev "Paginating results with GraphQL": "You can retrieve up to a maximum of
# 250 resources." (a page of a connection; without `first` or `last` Shopify refuses it)
MAX_PAGE = 250
# `first` of a bulk query's top-level connection (graphql_api._BulkRoot): every record.
EVERY = object()


def connection(records, key, first, after, reverse=False, wrap=lambda r: r):
    """Relay connection over `records` ordered by `key(record)` (a JSON-able, unique
    tuple).
    """
    every = first is EVERY
    if not every and first is None:
        raise GraphQLError("you must provide one of first or last")
    if not every and (first < 0 or first > MAX_PAGE):
        raise GraphQLError(f"The first argument must be between 0 and {MAX_PAGE}.")
    ordered = sorted(records, key=key, reverse=bool(reverse))
    if every:
        first = len(ordered)
    start = 0
    if after:
        try:
            mark = decode_cursor(after)
        except ValueError:
            raise GraphQLError("Invalid cursor for current pagination sort.") from None
        mark = tuple(mark)
        start = len(ordered)
        for i, rec in enumerate(ordered):  # O(n) is fine at emulator sizes
            k = tuple(key(rec))
            if (k < mark) if reverse else (k > mark):
                start = i
                break
    page = ordered[start : start + first]
    edges = [{"cursor": encode_cursor(list(key(r))), "node": wrap(r)} for r in page]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": start + first < len(ordered),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _ts(dt):
    return dt.isoformat()


class View:
    TYPE = None

    def __init__(self, shop, rec):
        self.shop = shop
        self.rec = rec

    @property
    def _id(self):
        return self.rec["id"]

    def id(self, info):
        return gid(self.TYPE, self._id)

    def legacyResourceId(self, info):
        return str(self._id)

    def createdAt(self, info):
        return iso(self.rec["created_at"])

    def updatedAt(self, info):
        return iso(self.rec.get("updated_at") or self.rec["created_at"])


class ShopView(View):
    TYPE = "Shop"

    def __init__(self, shop):
        super().__init__(shop, {"id": shop.id})
        self.name = shop.name
        self.email = f"owner@{shop.domain}"
        self.myshopifyDomain = shop.domain
        self.currencyCode = shop.currency
        self.ianaTimezone = shop.timezone
        self.plan = {
            "displayName": shop.plan,
            "publicDisplayName": shop.plan,
            "partnerDevelopment": shop.plan == "Development",
            "shopifyPlus": shop.plan.startswith("Plus"),
        }

    def timezoneAbbreviation(self, info):
        # resolved only when asked: a zone lookup per `shop { id }` would cost
        return hard.abbreviation(self.shop.timezone, now())


class AppInstallationView(View):
    TYPE = "AppInstallation"

    def accessScopes(self, info):
        return [
            {"handle": s, "description": s.replace("_", " ")} for s in self.shop.scopes
        ]


def sub_connection(items):
    """Resolver of a nested connection over plain dicts that carry an `id`."""

    def resolve(info, first=None, after=None):
        return connection(items, lambda r: [r["id"]], first, after)

    return resolve


class WebhookView(View):
    TYPE = "WebhookSubscription"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.topic = rec["topic"]
        self.uri = rec["uri"]
        self.format = rec["format"]
        self.filter = rec.get("filter")
        self.includeFields = list(rec.get("include_fields") or [])


def filtered(records, query, fields_of):
    groups = search.parse(query)
    return (
        [r for r in records if search.matches(groups, fields_of(r))]
        if groups
        else list(records)
    )
