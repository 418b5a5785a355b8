"""The reads of `ShopifyClient` (lib/client.py): shop, locations, variants (paged,
or one bulk operation above `BULK_THRESHOLD`), inventory levels, orders, webhook
subscriptions, and the cursor paging they share.

A mixin with no HTTP of its own: every call goes through the client's `execute()`
(pacing, retries, typed errors), and a bulk result file through its `_iter_jsonl()`.
"""

import json
import logging
from datetime import timedelta, timezone

from . import order_read
from .errors import ShopifyBulkOperationError, raise_user_errors

# The client's logger: what it says is the client's, whichever file says it.
_logger = logging.getLogger(__package__ + ".client")

PAGE_SIZE = 250  # Shopify's maximum `first`
# InventoryItems per levels query: ~3 points each keeps a query far below the 1000 cap.
LEVELS_PER_QUERY = 100
# Above this many variants one bulk operation beats ~100+ paged calls (issue 5).
BULK_THRESHOLD = 25000
BULK_DONE = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
# Bulk queries take no `first`/`after`: Shopify walks the whole connection itself.
BULK_VARIANTS = """{
  productVariants(query: %s) {
    edges {
      node {
        id
        sku
        title
        inventoryItem { id tracked }
        product { id title }
      }
    }
  }
}"""


def _utc_z(dt):
    """datetime (naive = UTC) -> '2026-01-02T03:04:05Z'."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return (
        dt.astimezone(timezone.utc)
        .replace(microsecond=0)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )


class ShopifyReads:
    """Read helpers over `self.execute()`; mixed into `ShopifyClient`."""

    def _paginate(self, name, root, variables=None, page_size=PAGE_SIZE):
        after = None
        while True:
            data = self.execute(
                name, {**(variables or {}), "first": page_size, "after": after}
            )
            conn = data[root]
            yield from conn["nodes"]
            info = conn["pageInfo"]
            if not info["hasNextPage"]:
                return
            after = info["endCursor"]

    # ------------------------------------------------------------------ reads
    def shop_info(self):
        data = self.execute("ShopInfo")
        shop = data["shop"]
        plan = shop.get("plan") or {}
        scopes = (data.get("currentAppInstallation") or {}).get("accessScopes") or []
        return {
            "gid": shop.get("id"),
            "name": shop["name"],
            "myshopify_domain": shop["myshopifyDomain"],
            "currency": shop["currencyCode"],
            "plan": plan.get("publicDisplayName"),
            "shopify_plus": plan.get("shopifyPlus"),
            "partner_development": plan.get("partnerDevelopment"),
            "scopes": sorted(s["handle"] for s in scopes),
        }

    def product_exists(self, product_gid):
        """False only when Shopify says the product is gone (`product` is null):
        a products/delete webhook is acted on after this confirms it."""
        data = self.execute("ProductExists", {"id": product_gid})
        return bool((data.get("product") or {}).get("id"))

    def locations(self):
        return [
            {
                "gid": n["id"],
                "name": n["name"],
                "active": n["isActive"],
                "fulfills_online_orders": n.get("fulfillsOnlineOrders"),
                "ships_inventory": n.get("shipsInventory"),
            }
            for n in self._paginate("Locations", "locations")
        ]

    def primary_location(self):
        """The gid of the shop's primary location, or None. `location` without an id
        "returns the primary location of the Shop" (QueryRoot.location); the
        deprecated `Location.isPrimary` is not used."""
        data = self.execute("PrimaryLocation")
        return (data.get("location") or {}).get("id")

    @staticmethod
    def _variant(node):
        item = node.get("inventoryItem") or {}
        product = node.get("product") or {}
        return {
            "product_gid": product.get("id"),
            "variant_gid": node["id"],
            "inventory_item_gid": item.get("id"),
            "sku": node.get("sku") or "",
            "tracked": bool(item.get("tracked")),
            "title": node.get("title"),
            "product_title": product.get("title"),
        }

    def iter_variants(self, query="sku:*", page_size=PAGE_SIZE):
        """Every variant matching `query` (default: all, empty SKUs included), paged."""
        for node in self._paginate(
            "ProductVariants", "productVariants", {"query": query}, page_size
        ):
            yield self._variant(node)

    def variants_count(self, query="sku:*", limit=None):
        """(count, exact) of the variants matching `query`. Shopify stops counting at
        `limit` (None = no limit) and then answers AT_LEAST, i.e. exact=False."""
        data = self.execute("ProductVariantsCount", {"query": query, "limit": limit})
        count = data["productVariantsCount"]
        return count["count"], count["precision"] == "EXACT"

    def iter_all_variants(
        self, query="sku:*", threshold=BULK_THRESHOLD, poll_interval=2.0, timeout=3600
    ):
        """Every variant, as `iter_variants` yields them: paged for a catalogue up to
        `threshold` variants, one bulk operation above it."""
        count, _ = self.variants_count(query, limit=threshold + 1)
        if count > threshold:
            _logger.info(
                "Shopify %s: more than %d variants, reading them in bulk",
                self.shop_domain,
                threshold,
            )
            yield from self.iter_variants_bulk(
                query, poll_interval=poll_interval, timeout=timeout
            )
        else:
            yield from self.iter_variants(query=query)

    def iter_variants_bulk(self, query="sku:*", poll_interval=2.0, timeout=3600):
        """Every variant matching `query`, read by one bulk operation (a JSONL file)."""
        # A JSON string literal is a valid GraphQL string literal.
        operation = self.run_bulk_query(
            BULK_VARIANTS % json.dumps(query),
            poll_interval=poll_interval,
            timeout=timeout,
        )
        for node in self._iter_jsonl(operation.get("url")):
            yield self._variant(node)

    def run_bulk_query(self, bulk_query, poll_interval=2.0, timeout=3600):
        """Start a bulk query and poll it until it ends; the COMPLETED operation
        {id, status, errorCode, objectCount, url}. `ShopifyBulkOperationError` when it
        fails or outlasts `timeout` seconds; `ShopifyUserError` when Shopify refuses
        it (e.g. OPERATION_IN_PROGRESS: one bulk query per app and shop at a time)."""
        payload = self.execute("BulkOperationRunQuery", {"query": bulk_query})[
            "bulkOperationRunQuery"
        ]
        raise_user_errors(payload)
        operation = payload["bulkOperation"]
        deadline = self._clock() + timeout
        while operation["status"] not in BULK_DONE:
            if self._clock() + poll_interval > deadline:
                raise ShopifyBulkOperationError(
                    f"bulk operation {operation['id']} still {operation['status']} "
                    f"after {timeout}s",
                    operation_gid=operation["id"],
                    bulk_status=operation["status"],
                )
            self._sleep(poll_interval)
            operation = self.execute("BulkOperation", {"id": operation["id"]})[
                "bulkOperation"
            ]
        if operation["status"] != "COMPLETED":
            raise ShopifyBulkOperationError(
                f"bulk operation {operation['id']} ended {operation['status']}"
                f" ({operation.get('errorCode') or 'no error code'})",
                operation_gid=operation["id"],
                bulk_status=operation["status"],
                error_code=operation.get("errorCode"),
            )
        return operation

    def inventory_levels(self, item_gids, location_gids):
        """{(item_gid, location_gid): {"available", "on_hand", "committed"}}.

        One query per location and per `LEVELS_PER_QUERY` items (`nodes(ids:)` with
        `inventoryLevel(locationId:)`). Pairs with no level (item not stocked there, or
        unknown item) are absent.
        """
        items = list(dict.fromkeys(item_gids))
        levels = {}
        for loc in dict.fromkeys(location_gids):
            for i in range(0, len(items), LEVELS_PER_QUERY):
                data = self.execute(
                    "InventoryLevelsAtLocation",
                    {"ids": items[i : i + LEVELS_PER_QUERY], "locationId": loc},
                )
                for node in data["nodes"]:
                    level = (node or {}).get("inventoryLevel")
                    if not level:
                        continue
                    q = {x["name"]: x["quantity"] for x in level["quantities"]}
                    levels[(node["id"], loc)] = {
                        "available": q.get("available"),
                        "on_hand": q.get("on_hand"),
                        "committed": q.get("committed"),
                    }
        return levels

    def iter_orders_updated_since(
        self, dt_utc, overlap=timedelta(minutes=5), page_size=100
    ):
        """Orders with `updated_at >= dt_utc - overlap`, oldest update first.

        Filters and sorts on the same field (UPDATED_AT) so paging cannot skip an order;
        the overlap absorbs clock skew and orders committed late on Shopify's side.
        """
        since = _utc_z(dt_utc - (overlap or timedelta(0)))
        yield from self._paginate(
            "OrdersUpdatedSince",
            "orders",
            {"query": f"updated_at:>='{since}'"},
            page_size,
        )

    def order_for_import(self, order_gid):
        """One full order (lines, shipping, taxes, refunds, fulfilments) in the REST
        shape `payloads.parse_order` reads, every page read (`order_read.py`); None
        when the order does not exist."""
        return order_read.read_order(self.execute, order_gid)

    def webhook_subscriptions(self):
        return [
            {
                "gid": n["id"],
                "topic": n["topic"],
                "uri": n.get("uri"),
                "format": n.get("format"),
                "filter": n.get("filter"),
                "include_fields": n.get("includeFields") or [],
            }
            for n in self._paginate("WebhookSubscriptions", "webhookSubscriptions")
        ]
