"""The merchant's view of a level (product form's Shopify panel): how its published
quantity is computed, the variant in the store's admin, and "Push now".

The breakdown comes from `_shopify_published_breakdown`, the very method the push
uses to compute what it sends: the panel shows the push's numbers, not a copy of
its formula."""

from collections import defaultdict

from odoo import _, fields, models


def _legacy_id(gid):
    """`gid://shopify/ProductVariant/12` -> "12" ("" for an empty gid)."""
    return (gid or "").rsplit("/", 1)[-1].split("?", 1)[0]


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    shopify_free_qty = fields.Float(
        string="Free in Odoo",
        compute="_compute_shopify_breakdown",
        digits="Product Unit of Measure",
        help="On hand minus reserved in the mapped Odoo location and its children.",
    )
    shopify_demand_qty = fields.Float(
        string="Owed to Deliveries",
        compute="_compute_shopify_breakdown",
        digits="Product Unit of Measure",
        help="Confirmed deliveries from this location that Odoo could not reserve "
        "yet: they take the next units, so the stores are not offered them.",
    )
    shopify_held_qty = fields.Float(
        string="Held by Shopify Orders",
        compute="_compute_shopify_breakdown",
        digits="Product Unit of Measure",
        help="Units of imported Shopify orders not confirmed yet: sold, but their "
        "sale order does not reserve stock yet.",
    )
    shopify_buffer = fields.Integer(
        string="Safety Buffer",
        compute="_compute_shopify_breakdown",
        help="The store's safety buffer, kept back from every level.",
    )
    shopify_publish_qty = fields.Integer(
        string="To Publish",
        compute="_compute_shopify_breakdown",
        help="What the push publishes now: free - owed to deliveries - held - "
        "buffer, never below 0.",
    )
    shopify_variant_url = fields.Char(
        string="Variant in Shopify", compute="_compute_shopify_variant_url"
    )

    def _compute_shopify_breakdown(self):
        # The terms are read as superuser (quants, moves and held quotations of the
        # level's company): only for levels the calling user may read.
        if not self.env.su:
            self.check_access_rights("read")
            self.check_access_rule("read")
        by_store = defaultdict(lambda: self.browse())
        for level in self:
            by_store[level.store_id] |= level
        cache = {}  # (product, location) -> terms, shared like the push's run
        for store, levels in by_store.items():
            pairs = {
                (lv.product_id.id, lv.stock_location_id.id)
                for lv in levels
                if lv.product_id and lv.stock_location_id
            }
            breakdown = (
                self._shopify_published_breakdown(store, pairs, cache) if pairs else {}
            )
            for lv in levels:
                parts = breakdown.get((lv.product_id.id, lv.stock_location_id.id))
                lv.shopify_free_qty = parts.free if parts else 0.0
                lv.shopify_demand_qty = parts.demand if parts else 0.0
                lv.shopify_held_qty = parts.held if parts else 0.0
                lv.shopify_buffer = parts.buffer if parts else store.safety_buffer
                lv.shopify_publish_qty = parts.published if parts else 0

    def _compute_shopify_variant_url(self):
        for level in self:
            mapping = level.mapping_id
            product_id = _legacy_id(mapping.product_gid)
            variant_id = _legacy_id(mapping.variant_gid)
            if level.store_id.shop_domain and product_id and variant_id:
                level.shopify_variant_url = (
                    "https://%s/admin/products/%s/variants/%s"
                    % (level.store_id.shop_domain, product_id, variant_id)
                )
            else:
                level.shopify_variant_url = False

    def action_shopify_push_now(self):
        """Mark these levels dirty (backoff reset) and wake the push cron.

        Managers only: the user's write access to every level (rights and the
        company rule) is checked first; the marking itself needs no superuser."""
        self.check_access_rights("write")
        self.check_access_rule("write")
        levels = self.filtered("active")
        levels._shopify_mark_levels_dirty(reset_backoff=True)
        waiting = levels.filtered("classification_needed")
        message = _(
            "%(count)s level(s) queued: the push sends them in a moment.",
            count=len(levels) - len(waiting),
        )
        if waiting:
            message += " " + _(
                "%(count)s level(s) wait for their Shopify change to be classified "
                "and are not overwritten until then.",
                count=len(waiting),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Shopify push"),
                "message": message,
                "type": "warning" if waiting else "success",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
