"""Fulfilment settings of a store: push Odoo deliveries as Shopify fulfilments."""

from odoo import fields, models


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    push_fulfillments = fields.Boolean(
        string="Fulfil in Shopify",
        default=True,
        tracking=True,
        help="With 'Odoo ships': a validated delivery of an imported order creates "
        "the matching fulfilment in Shopify (quantities delivered, tracking).",
    )
    fulfillment_notify_customer = fields.Boolean(
        string="Notify Customer",
        default=True,
        tracking=True,
        help="Shopify e-mails the customer the shipping confirmation (and tracking "
        "updates) of fulfilments created from Odoo deliveries.",
    )
    fulfillment_ids = fields.One2many("shopify.fulfillment", "store_id")
    fulfillment_attention_count = fields.Integer(
        compute="_compute_fulfillment_attention_count"
    )

    def _compute_fulfillment_attention_count(self):
        groups = self.env["shopify.fulfillment"]._read_group(
            [
                ("store_id", "in", self.ids),
                ("state", "in", ("needs_attention", "failed")),
            ],
            ["store_id"],
            ["__count"],
        )
        counts = {store.id: count for store, count in groups}
        for store in self:
            store.fulfillment_attention_count = counts.get(store.id, 0)

    def action_view_fulfillments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_fulfillment_action"
        )
        action["domain"] = [("store_id", "=", self.id)]
        return action
