"""orders/paid, orders/updated and refunds/create also settle the order's money: its
transactions and refunds are read from Shopify first (no API call under the order's
lock), the import runs, then `shopify.order.accounting` invoices, registers the
payments and credits the refunds. Registering is keyed by the transaction GID and
crediting by the refund GID, so a delivery applied twice registers nothing new.
In an inbox batch (shopify_webhook_event_batch.py) an order confirmed at the batch's
end is settled after that confirmation."""

from odoo import models

from ..lib import payloads


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_money_event(self, event, handler, refund=False):
        store = event.store_id
        if not store.import_orders:
            return handler(event)
        payload = event._shopify_payload()
        if refund:  # a refund names its order by the REST id (order_id)
            order_id = payload.get("order_id")
            order_gid = (
                (
                    str(order_id)
                    if str(order_id).startswith("gid://")
                    else payloads.make_gid("Order", order_id)
                )
                if order_id
                else None
            )
        else:
            order_gid = payload.get("admin_graphql_api_id") or (
                payloads.make_gid("Order", payload["id"]) if payload.get("id") else None
            )
        accounting = self.env["shopify.order.accounting"]
        money = accounting._shopify_money_fetch(store, order_gid)
        result = handler(event)
        so = self.env["shopify.order.importer"]._shopify_find(store, order_gid)
        later = self.env.context.get("shopify_confirm_later")
        if later is not None and later.holds(so):
            # In an inbox batch the order is confirmed at the batch's end: its money
            # after that (shopify_webhook_event_batch.py); a failure there runs the
            # batch's events again one by one.
            later.then.append(lambda: accounting._shopify_settle(so, money))
        else:
            accounting._shopify_settle(so, money)
        return result

    def _shopify_handle_orders_paid(self, event):
        return self._shopify_money_event(event, super()._shopify_handle_orders_paid)

    def _shopify_handle_orders_updated(self, event):
        return self._shopify_money_event(event, super()._shopify_handle_orders_updated)

    def _shopify_handle_refunds_create(self, event):
        return self._shopify_money_event(
            event, super()._shopify_handle_refunds_create, refund=True
        )
