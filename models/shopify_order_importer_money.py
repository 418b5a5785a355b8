"""The Retry button settles the order's money too (shopify.order.accounting)."""

from odoo import api, models


class ShopifyOrderImporter(models.AbstractModel):
    _inherit = "shopify.order.importer"

    @api.model
    def _shopify_reimport(self, so, **client_kwargs):
        # Transactions read before the import takes the order's lock.
        accounting = self.env["shopify.order.accounting"]
        store = so.shopify_store_id.sudo()
        money = accounting._shopify_money_fetch(
            store, so.shopify_order_gid, **client_kwargs
        )
        result = super()._shopify_reimport(so, **client_kwargs)
        accounting._shopify_settle(result[0], money)
        return result
