"""products/update and products/delete keep the SKU mappings (and so the inventory
levels) current: a new variant, a changed SKU, a removed variant or product."""

from odoo import models

from .shopify_store_inventory import variant_title


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
        else:
            self._shopify_remove_product_mappings(store, product_gid)
        self.env["shopify.inventory.level"].sudo()._shopify_sync_levels(store)
        return True

    def _shopify_handle_products_delete(self, event):
        payload = event._shopify_payload()
        product_gid = payload.get("admin_graphql_api_id") or _gid(
            "Product", payload.get("id")
        )
        if not product_gid:
            return "ignored"
        self._shopify_remove_product_mappings(event.store_id, product_gid)
        self.env["shopify.inventory.level"].sudo()._shopify_sync_levels(event.store_id)
        return True

    def _shopify_remove_product_mappings(self, store, product_gid):
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
        mappings.write({"state": "removed", "conflict_reason": False})
        return mappings
