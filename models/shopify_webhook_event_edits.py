"""orders/edited and orders/risk_assessment_changed (issue 17.3 / 17.4).

Both bodies are hints, not orders: an edit's body lists line deltas only and a risk
body one assessment, so the order is read from Shopify and imported like any newer
version (`shopify.order.importer`): a confirmed order gets its edits applied
(shopify_order_edit.py), a held quotation is decided again with the fresh risk
(shopify_order_risk.py). A confirmed order Shopify rates high risk afterwards is
flagged, never unconfirmed. An order not imported yet is left to orders/create.
"""

from odoo import models

from ..lib import order_risk, payloads
from .shopify_order_importer import DRAFT_STATES


def _order_id(value):
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return payloads.make_gid("Order", value)
    return None


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_reimport_order(self, store, order_gid):
        importer = self.env["shopify.order.importer"]
        data = importer._shopify_fetch(store, order_gid)
        if not data:
            return "ignored"  # gone from Shopify
        _so, outcome = importer._shopify_import_payload(store, data)
        store._shopify_health_record(last_order_import_at=self.env.cr.now())
        return "ignored" if outcome == "stale" else None

    def _shopify_handle_orders_edited(self, event):
        store = event.store_id
        if not store.import_orders:
            return "ignored"
        edit = event._shopify_payload().get("order_edit") or {}
        order_gid = _order_id(edit.get("order_id"))
        if not order_gid:
            return "ignored"
        if not self.env["shopify.order.importer"]._shopify_find(store, order_gid):
            return "ignored"  # orders/create (or the reconcile) imports it whole
        return self._shopify_reimport_order(store, order_gid)

    def _shopify_handle_orders_risk_assessment_changed(self, event):
        store = event.store_id
        if not store.import_orders:
            return "ignored"
        payload = event._shopify_payload()
        order_gid = payload.get("admin_graphql_api_order_id")
        if not (
            isinstance(order_gid, str) and order_gid.startswith("gid://shopify/Order/")
        ):
            order_gid = _order_id(payload.get("order_id"))
        importer = self.env["shopify.order.importer"]
        so = importer._shopify_find(store, order_gid) if order_gid else None
        if not so or so.state == "cancel":
            return "ignored"
        if so.state in DRAFT_STATES:
            return self._shopify_reimport_order(store, order_gid)
        with store._shopify_client() as client:
            risk = order_risk.fetch(client, order_gid)
        if not risk:
            return "ignored"
        so.sudo().shopify_risk_level = (risk.level or "").lower() or False
        if risk.is_high and store.hold_risky_orders:
            importer._shopify_flag(
                so.sudo(),
                "Shopify rates this confirmed order high risk (%s): check it before "
                "shipping." % risk.describe(),
            )
        return None
