"""Resolvers of QueryRoot: the shop's records, filtered (`query:`), sorted
(`sortKey`, `reverse`) and paginated like Shopify's."""

from graphql import GraphQLError

from . import (
    bulk,
    catalog_views,
    fulfillment_views,
    nodes,
    order_views,
    search,
    views,
    webhook_subscriptions,
)
from .ids import parse_gid

# sortKey -> the record column it orders by (then the id); others: by id
VARIANT_SORT = {
    "SKU": "sku",
    "TITLE": "title",
    "UPDATED_AT": "updated_at",
    "CREATED_AT": "created_at",
}
PRODUCT_SORT = {
    "TITLE": "title",
    "UPDATED_AT": "updated_at",
    "CREATED_AT": "created_at",
    "VENDOR": "vendor",
}
ORDER_SORT = {
    "UPDATED_AT": "updated_at",
    "CREATED_AT": "created_at",
    "PROCESSED_AT": "created_at",
    "ORDER_NUMBER": "number",
}


class QueryRoot:
    """The query half of `graphql_api.Root` (`self._shop`: the shop)."""

    def shop(self, info):
        return views.ShopView(self._shop)

    def currentAppInstallation(self, info):
        return views.AppInstallationView(self._shop, {"id": self._shop.id})

    def node(self, info, id):
        return nodes.node_by_gid(self._shop, id)

    def nodes(self, info, ids):
        if len(ids) > 250:
            raise GraphQLError("The maximum number of ids is 250.")
        return [nodes.node_by_gid(self._shop, i) for i in ids]

    def locations(
        self, info, first=None, after=None, query=None, includeInactive=False
    ):
        shop = self._shop
        recs = [r for r in shop.locations.values() if r["active"] or includeInactive]
        recs = views.filtered(recs, query, lambda r: {"name": r["name"], "id": r["id"]})
        return _page(shop, recs, first, after, catalog_views.LocationView)

    def location(self, info, id=None):
        # "If no ID is provided, the primary location of the Shop is returned."
        # (QueryRoot.location, Admin GraphQL 2026-10 schema description)
        shop = self._shop
        lid = parse_gid(id, "Location") if id else shop.primary_location_id
        rec = shop.locations.get(lid)
        return catalog_views.LocationView(shop, rec) if rec else None

    def productVariants(
        self, info, first=None, after=None, query=None, sortKey="ID", reverse=False
    ):
        shop = self._shop
        recs = self._variants_matching(query)
        return _page(
            shop,
            recs,
            first,
            after,
            catalog_views.VariantView,
            (sortKey, VARIANT_SORT, reverse),
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
        groups = search.parse(query)
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
        return catalog_views.VariantView(self._shop, rec) if rec else None

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
        return _page(
            shop,
            recs,
            first,
            after,
            catalog_views.ProductView,
            (sortKey, PRODUCT_SORT, reverse),
        )

    def product(self, info, id):
        rec = self._shop.products.get(parse_gid(id, "Product"))
        return catalog_views.ProductView(self._shop, rec) if rec else None

    def inventoryItem(self, info, id):
        rec = self._shop.items.get(parse_gid(id, "InventoryItem"))
        return catalog_views.ItemView(self._shop, rec) if rec else None

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
        return _page(shop, recs, first, after, catalog_views.ItemView)

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
        return _page(
            shop,
            recs,
            first,
            after,
            order_views.OrderView,
            (sortKey, ORDER_SORT, reverse),
        )

    def order(self, info, id):
        rec = self._shop.orders.get(parse_gid(id, "Order"))
        return order_views.OrderView(self._shop, rec) if rec else None

    def refund(self, info, id):
        return order_views.refund_by_gid(self._shop, id)

    def fulfillment(self, info, id):
        return fulfillment_views.fulfillment_by_gid(self._shop, id)

    def webhookSubscriptions(self, info, first=None, after=None, topics=None):
        shop = self._shop
        recs = [
            r
            for r in webhook_subscriptions.visible(shop)
            if not topics or r["topic"] in topics
        ]
        return _page(shop, recs, first, after, views.WebhookView)

    def webhookSubscription(self, info, id):
        rec = webhook_subscriptions.find(self._shop, id)
        return views.WebhookView(self._shop, rec) if rec else None


def _page(shop, recs, first, after, view, sort=None):
    """A connection over `recs` as `view`s, by id or by `sort` = (sortKey, its
    columns, reverse)."""
    if sort is None:
        return views.connection(
            recs, lambda r: [r["id"]], first, after, wrap=lambda r: view(shop, r)
        )
    sort_key, columns, reverse = sort
    return views.connection(
        recs,
        _sort_key(sort_key, columns),
        first,
        after,
        reverse,
        wrap=lambda r: view(shop, r),
    )


def _sort_key(sort_key, columns):
    column = columns.get(sort_key or "ID")
    if column is None:
        return lambda r: [r["id"]]
    return lambda r: [_sortable(r.get(column)), r["id"]]


def _sortable(value):
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else value
