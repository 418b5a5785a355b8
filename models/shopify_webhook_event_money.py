"""orders/paid and orders/updated also settle the order's money: its transactions are
read from Shopify first (no API call under the order's lock), the import runs, then
`shopify.order.accounting` invoices and registers the payments. Registering is keyed
by the transaction GID, so a delivery applied twice registers nothing new."""

from odoo import models

from ..lib import payloads


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_money_event(self, event, handler):
        store = event.store_id
        if not store.import_orders:
            return handler(event)
        payload = event._shopify_payload()
        order_gid = payload.get("admin_graphql_api_id") or (
            payloads.make_gid("Order", payload["id"]) if payload.get("id") else None
        )
        accounting = self.env["shopify.order.accounting"]
        money = accounting._shopify_money_fetch(store, order_gid)
        result = handler(event)
        so = self.env["shopify.order.importer"]._shopify_find(store, order_gid)
        accounting._shopify_settle(so, money)
        return result

    def _shopify_handle_orders_paid(self, event):
        return self._shopify_money_event(event, super()._shopify_handle_orders_paid)

    def _shopify_handle_orders_updated(self, event):
        return self._shopify_money_event(event, super()._shopify_handle_orders_updated)
