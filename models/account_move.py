"""account.move: a credit note keyed by the Shopify refund it credits, a fee entry by
the transaction it was charged on (each exactly once)."""

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    shopify_refund_gid = fields.Char(
        "Shopify Refund", index=True, readonly=True, copy=False
    )
    shopify_fee_gid = fields.Char(
        "Shopify Fee of Transaction", index=True, readonly=True, copy=False
    )
    shopify_refund_company_id = fields.Many2one(
        "res.company", readonly=True, copy=False, index=True
    )
    shopify_refund_order_id = fields.Many2one(
        "sale.order", readonly=True, copy=False, index=True, ondelete="set null"
    )

    # Names apart from account.payment's shopify_* fields: a payment _inherits its
    # move, and a field of the same name would be written on both.

    _sql_constraints = [
        (
            "shopify_refund_unique",
            "unique(shopify_refund_company_id, shopify_refund_gid)",
            "A Shopify refund is credited once per company.",
        ),
        (
            "shopify_fee_unique",
            "unique(shopify_refund_company_id, shopify_fee_gid)",
            "A Shopify transaction's fees are booked once per company.",
        ),
    ]
