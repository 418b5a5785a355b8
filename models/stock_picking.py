"""Deliveries of imported Shopify orders become Shopify fulfilments.

`_action_done` writes the outbox row in the validating transaction (a rollback drops
both); the send cron talks to Shopify after commit. Tracking: our plain fields, or the
carrier's (`carrier_tracking_ref`, `carrier_id`, `carrier_tracking_url` of
`stock_delivery`) when that module is installed and ours are empty. A tracking change
on a done delivery updates the Shopify fulfilment (fulfillmentTrackingInfoUpdate).
"""

from odoo import api, fields, models

from ..lib import fulfillment_plan

TRACKING_FIELDS = frozenset(
    {
        "shopify_tracking_number",
        "shopify_tracking_company",
        "shopify_tracking_url",
        "carrier_tracking_ref",
        "carrier_id",
    }
)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    shopify_tracking_number = fields.Char(
        string="Tracking Number",
        copy=False,
        help="Sent to Shopify with the fulfilment.",
    )
    shopify_tracking_company = fields.Char(
        string="Carrier",
        copy=False,
        help="Carrier name as Shopify knows it (e.g. 'UPS', 'DHL Express'): Shopify "
        "then builds the tracking link itself.",
    )
    shopify_tracking_url = fields.Char(string="Tracking URL", copy=False)
    shopify_fulfillment_ids = fields.One2many(
        "shopify.fulfillment", "picking_id", string="Shopify Fulfilment", readonly=True
    )
    shopify_fulfillment_state = fields.Char(compute="_compute_shopify_fulfillment")
    shopify_is_shopify_delivery = fields.Boolean(compute="_compute_shopify_fulfillment")

    @api.depends("shopify_fulfillment_ids.state", "sale_id.shopify_store_id")
    def _compute_shopify_fulfillment(self):
        labels = dict(self.env["shopify.fulfillment"]._fields["state"].selection)
        for picking in self:
            row = picking.sudo().shopify_fulfillment_ids[:1]
            picking.shopify_fulfillment_state = labels.get(row.state) if row else False
            picking.shopify_is_shopify_delivery = bool(
                picking.sale_id.shopify_store_id
                and picking.picking_type_code == "outgoing"
            )

    def _action_done(self):
        res = super()._action_done()
        if not self.env.context.get("shopify_no_fulfillment"):
            self.env["shopify.fulfillment"]._shopify_enqueue(
                self.filtered(
                    lambda p: p.state == "done" and p.picking_type_code == "outgoing"
                )
            )
        return res

    def write(self, vals):
        res = super().write(vals)
        if TRACKING_FIELDS & set(vals):
            done = self.filtered(lambda p: p.state == "done")
            if done:
                self.env["shopify.fulfillment"]._shopify_tracking_changed(done)
        return res

    def _shopify_tracking_input(self):
        """FulfillmentTrackingInput for this delivery, or None (no number)."""
        self.ensure_one()
        number = self.shopify_tracking_number
        company = self.shopify_tracking_company
        url = self.shopify_tracking_url
        if not number and "carrier_tracking_ref" in self._fields:
            number = self.carrier_tracking_ref
            url = url or self.carrier_tracking_url
        if not company and "carrier_id" in self._fields and self.carrier_id:
            company = self.carrier_id.name
        return fulfillment_plan.tracking_input(number, company, url)

    def action_shopify_retry_fulfillment(self):
        return self.shopify_fulfillment_ids.action_shopify_retry()
