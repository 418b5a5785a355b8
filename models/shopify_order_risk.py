"""The risk hold (issue 17.4): an order Shopify rates high risk stays a quotation.

Before an import that may confirm an order (no sale order yet, or still a quotation)
of a store with `hold_risky_orders`, its `risk` summary is read (`lib.order_risk`,
`OrderRisk`) — outside the order's lock, like the money read. When the most severe
assessment is HIGH the order is not confirmed: it is flagged with the reason and
`shopify_risk_held`, and its units stay held like any unconfirmed imported order. A
later verdict (orders/risk_assessment_changed, the reconcile, Retry import) imports
the order again: no longer high, it is confirmed per the store's policy. Confirm by
hand releases the hold (sale_order_risk.py). A draft or disconnected store is never
called: its orders are decided without a risk read.
"""

from odoo import api, models

from ..lib import order_risk, payloads
from ..lib.order_values import PayloadError
from .sale_order_risk import RISK_REASON_PREFIX
from .shopify_order_importer import DRAFT_STATES


def payload_order_gid(payload):
    if not isinstance(payload, dict):
        return None
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid.startswith("gid://shopify/Order/"):
        return gid
    value = payload.get("id")
    if isinstance(value, str) and value.startswith("gid://shopify/Order/"):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return payloads.make_gid("Order", value)
    return None


class ShopifyOrderImporter(models.AbstractModel):
    _inherit = "shopify.order.importer"

    @api.model
    def _shopify_import_payload(self, store, payload, refund=None):
        risk = self._shopify_risk_prefetch(store, payload)
        importer = self
        if risk is not None:
            importer = self.with_context(shopify_order_risk=risk)
        return super(ShopifyOrderImporter, importer)._shopify_import_payload(
            store, payload, refund=refund
        )

    @api.model
    def _shopify_risk_prefetch(self, store, payload):
        """(order GID, Risk or None) read from Shopify, or None when not read."""
        store = store.sudo()
        if not store.hold_risky_orders or store.state not in ("connected", "error"):
            return None
        gid = payload_order_gid(payload)
        if not gid or payload.get("cancelled_at"):
            return None
        so = self._shopify_find(store, gid)
        if so and so.state not in DRAFT_STATES:
            return None  # confirmed: the hold no longer applies
        with store._shopify_client() as client:
            try:
                return gid, order_risk.fetch(client, gid)
            except PayloadError:
                return gid, None  # an answer we cannot read: decided without it

    @api.model
    def _shopify_should_confirm(self, so, store, order):
        confirm = super()._shopify_should_confirm(so, store, order)
        read = self.env.context.get("shopify_order_risk")
        if not read or read[0] != order.gid:
            # No fresh verdict (store not called): a held order stays held.
            if so.shopify_risk_held:
                self._shopify_flag(so, self._shopify_risk_reason(None))
                return False
            return confirm
        risk = read[1]
        level = (risk.level or "").lower() if risk else ""
        vals = {"shopify_risk_level": level or False, "shopify_risk_held": False}
        if risk and risk.is_high and store.hold_risky_orders:
            vals["shopify_risk_held"] = True
            so.write(vals)
            self._shopify_flag(so, self._shopify_risk_reason(risk))
            self.env["shopify.sync.log"]._log(
                store=store,
                direction="inbound",
                operation="order:risk",
                state="warning",
                message="%s held: %s" % (order.name, risk.describe()),
                res_model="sale.order",
                res_id=so.id,
                facts={"order": order.name, "sale_order": so.name},
            )
            return False
        if so.shopify_risk_held:
            self.env["shopify.sync.log"]._log(
                store=store,
                direction="inbound",
                operation="order:risk",
                message="%s released: %s"
                % (order.name, risk.describe() if risk else "no assessment"),
                res_model="sale.order",
                res_id=so.id,
                facts={"order": order.name, "sale_order": so.name},
            )
        so.write(vals)
        return confirm

    @api.model
    def _shopify_risk_reason(self, risk):
        text = risk.describe() if risk else "Shopify rates this order high risk"
        return (
            "%s %s. Its units stay reserved; confirm it yourself if you trust it, or "
            "cancel it." % (RISK_REASON_PREFIX, text)
        )
