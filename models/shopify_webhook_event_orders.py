"""Order webhooks -> `shopify.order.importer`.

Whatever topic arrives first creates the sale order (orders/updated, orders/paid or
orders/cancelled before orders/create included); later deliveries update it, older ones
are ignored. A body announcing additional fees it does not list (REST has their total
only) is replaced by the order read through GraphQL. Handlers are idempotent: the same
delivery applied twice changes nothing the second time. Raising (PayloadError,
ShopifyOrderBusy, API errors) makes the inbox retry the event with backoff.
"""

from odoo import models

from ..lib import order_content


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_import_order_event(self, event):
        store = event.store_id
        if not store.import_orders:
            return "ignored"
        importer = self.env["shopify.order.importer"]
        payload = event._shopify_payload()
        gid = payload.get("admin_graphql_api_id")
        if not order_content.fees_itemized(payload) and isinstance(gid, str):
            # The REST body has the fees' total only: their lines and taxes are read
            # through GraphQL (before the import takes the order's lock).
            payload = importer._shopify_fetch(store, gid) or payload
        _so, outcome = importer._shopify_import_payload(store, payload)
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
