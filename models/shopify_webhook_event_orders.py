"""Order webhooks -> `shopify.order.importer`.

Whatever topic arrives first creates the sale order (orders/updated, orders/paid or
orders/cancelled before orders/create included); later deliveries update it, older
ones are ignored. Handlers are idempotent: the same delivery applied twice changes
nothing the second time. Raising (PayloadError, ShopifyOrderBusy, API errors) makes
the inbox retry the event with backoff.
"""

from odoo import models


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_import_order_event(self, event):
        store = event.store_id
        if not store.import_orders:
            return "ignored"
        _so, outcome = self.env["shopify.order.importer"]._shopify_import_payload(
            store, event._shopify_payload()
        )
        store._shopify_health_record(last_order_import_at=self.env.cr.now())
        return "ignored" if outcome == "stale" else None

    def _shopify_handle_orders_create(self, event):
        return self._shopify_import_order_event(event)

    def _shopify_handle_orders_updated(self, event):
        return self._shopify_import_order_event(event)

    def _shopify_handle_orders_paid(self, event):
        return self._shopify_import_order_event(event)

    def _shopify_handle_orders_cancelled(self, event):
        return self._shopify_import_order_event(event)

    def _shopify_handle_refunds_create(self, event):
        store = event.store_id
        if not store.import_orders:
            return "ignored"
        _so, outcome = self.env["shopify.order.importer"]._shopify_import_refund(
            store, event._shopify_payload()
        )
        return "ignored" if outcome == "ignored" else None
