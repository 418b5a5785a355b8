"""What the sale order shows of its Shopify money: gateways, registered payments and
refunds, and the credit notes of its Shopify refunds."""

from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shopify_gateway_names = fields.Char(
        "Shopify Gateways",
        readonly=True,
        copy=False,
        help="Payment gateways of the order's Shopify payments.",
    )
    shopify_payment_ids = fields.One2many(
        "account.payment", "shopify_sale_order_id", string="Shopify Payments"
    )
    shopify_credit_note_ids = fields.One2many(
        "account.move", "shopify_refund_order_id", string="Shopify Credit Notes"
    )
    shopify_credit_note_count = fields.Integer(
        "Shopify Refunds Credited", compute="_compute_shopify_credit_note_count"
    )

    def _compute_shopify_credit_note_count(self):
        for so in self:
            so.shopify_credit_note_count = len(
                so.shopify_credit_note_ids.filtered(lambda m: m.state == "posted")
            )
