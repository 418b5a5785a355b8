"""The risk hold (issue 17.4): an order Shopify rates high risk stays a quotation.

Before an import that may confirm an order (no sale order yet, or still a quotation)
of a store with `hold_risky_orders`, its `risk` summary is read (`lib.order_risk`,
`OrderRisk`) — outside the order's lock, like the money read. When the most severe
assessment is HIGH the order is not confirmed: it is flagged with the reason and
`shopify_risk_held`, and its units stay held like any unconfirmed imported order. A
later verdict (orders/risk_assessment_changed, the reconcile, Retry import) imports
the order again: no longer high, it is confirmed per the store's policy. Confirm by
hand releases the hold (sale_order_risk.py). A draft or disconnected store is never
called: its orders are decided without a risk read. When the read fails (Shopify not
answering, the store paused) the import still needs no API: the order is held as
"risk not known yet", and the order reconcile asks again for every held order of the
store (`_shopify_recheck_held_orders`).
"""

from odoo import api, models

from ..lib import order_risk, payloads
from ..lib.errors import ShopifyError
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


UNKNOWN = "unknown"  # the risk read failed: hashable, as context values must be


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
        status = payload.get("financial_status")
        status = status.lower() if isinstance(status, str) else None
        if not (so and so.shopify_risk_held) and not payloads.should_confirm(
            store.order_confirm_policy, status
        ):
            return None  # not confirmed now anyway: read when it would be
        try:
            with store._shopify_client() as client:
                return gid, order_risk.fetch(client, gid)
        except PayloadError:
            return gid, None  # an answer we cannot read: decided without it
        except ShopifyError:
            return gid, UNKNOWN  # no verdict now: held, asked again later

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
        if risk == UNKNOWN and store.hold_risky_orders:
            so.write({"shopify_risk_held": True})
            self._shopify_flag(so, self._shopify_risk_reason(UNKNOWN))
            return False
        risk = None if risk == UNKNOWN else risk
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
        if risk == UNKNOWN:
            return (
                "%s Shopify's fraud analysis could not be read yet; Odoo asks again "
                "at the next order import. Its units stay reserved."
                % RISK_REASON_PREFIX
            )
        text = risk.describe() if risk else "Shopify rates this order high risk"
        return (
            "%s %s. Its units stay reserved; confirm it yourself if you trust it, or "
            "cancel it." % (RISK_REASON_PREFIX, text)
        )


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    def _shopify_reconcile_orders(self, since=None):
        stats = super()._shopify_reconcile_orders(since=since)
        self._shopify_recheck_held_orders()
        return stats

    def _shopify_recheck_held_orders(self, limit=50):
        """Read the order (and its risk) again for this store's held quotations: a
        verdict that changed without a webhook Odoo received, or a risk read that
        failed, is decided here. One order's failure never blocks the others."""
        self.ensure_one()
        held = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("shopify_store_id", "=", self.id),
                    ("shopify_risk_held", "=", True),
                    ("state", "in", DRAFT_STATES),
                ],
                order="id",
                limit=limit,
            )
        )
        importer = self.env["shopify.order.importer"]
        for so in held:
            try:
                with self.env.cr.savepoint():
                    data = importer._shopify_fetch(self, so.shopify_order_gid)
                    if data:
                        importer._shopify_import_payload(self, data)
            except (ShopifyError, PayloadError):
                continue  # asked again at the next run
