"""What the sale order shows of its Shopify money: gateways and registered payments."""

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
