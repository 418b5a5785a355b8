"""products/update and products/delete keep the SKU mappings (and so the inventory
levels) current: a new variant, a changed SKU, a removed variant or product.

A webhook is a hint, never authority, to remove: a product's mappings are marked
removed only once the Admin API answers that the product is gone (a signed
products/update body replayed as products/delete, or a forged empty variant list,
changes nothing while the product exists)."""

import logging

from odoo import models

from ..lib import webhook_checks
from .shopify_store_inventory import variant_title

_logger = logging.getLogger(__name__)


def _gid(kind, value):
    if value in (None, False, ""):
        return False
    value = str(value)
    return (
        value if value.startswith("gid://") else "gid://shopify/%s/%s" % (kind, value)
    )


def variants_from_product_payload(payload):
    """REST product payload -> variant dicts of `_shopify_bind_variants`."""
    product_gid = payload.get("admin_graphql_api_id") or _gid(
        "Product", payload.get("id")
    )
    variants = []
    for v in payload.get("variants") or []:
        management = v.get("inventory_management", "shopify")
        variants.append(
            {
                "product_gid": product_gid,
                "variant_gid": v.get("admin_graphql_api_id")
                or _gid("ProductVariant", v.get("id")),
                "inventory_item_gid": _gid("InventoryItem", v.get("inventory_item_id")),
                "sku": v.get("sku") or "",
                # REST says "shopify" when Shopify tracks the variant's stock.
                "tracked": management == "shopify",
                "title": variant_title(payload.get("title"), v.get("title")),
            }
        )
    return product_gid, variants


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_handle_products_update(self, event):
        product_gid, variants = variants_from_product_payload(event._shopify_payload())
        if not product_gid:
            return "ignored"
        store = event.store_id
        Mapping = self.env["shopify.product.mapping"].sudo()
        if variants:
            Mapping._shopify_bind_variants(store, variants, full_sync=False)
        elif not self._shopify_remove_product_mappings(event, product_gid):
            return "ignored"
        self.env["shopify.inventory.level"].sudo()._shopify_sync_levels(store)
        return True

    def _shopify_handle_products_delete(self, event):
        payload = event._shopify_payload()
        problem = webhook_checks.shape_problem("products/delete", payload)
        if problem:
            event._shopify_log_ignored(problem)
            return "ignored"
        product_gid = payload.get("admin_graphql_api_id") or _gid(
            "Product", payload.get("id")
        )
        if not product_gid or not self._shopify_remove_product_mappings(
            event, product_gid
        ):
            return "ignored"
        self.env["shopify.inventory.level"].sudo()._shopify_sync_levels(event.store_id)
        return True

    def _shopify_remove_product_mappings(self, event, product_gid):
        """Mark the product's live mappings removed once the API confirms the
        product is gone. False when it still exists (nothing changed)."""
        store = event.store_id
        mappings = (
            self.env["shopify.product.mapping"]
            .sudo()
            .search(
                [
                    ("store_id", "=", store.id),
                    ("product_gid", "=", product_gid),
                    ("state", "!=", "removed"),
                ]
            )
        )
        if not mappings:
            return True  # nothing to remove: no need to ask Shopify
        if not self._shopify_product_gone(event, product_gid):
            return False
        mappings.write({"state": "removed", "conflict_reason": False})
        return True

    def _shopify_product_gone(self, event, product_gid):
        """True once the Admin API confirms the product no longer exists.

        API errors propagate: the inbox retries the event later (the handler's
        client options, from the cron's context: no retry inside the run)."""
        with event.store_id.sudo()._shopify_client() as client:
            exists = client.product_exists(product_gid)
        if exists:
            event._shopify_log_ignored(
                "Shopify still has product %s: its mappings are kept" % product_gid
            )
        return not exists
