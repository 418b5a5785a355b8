"""account.payment keyed by the Shopify transaction it registers (exactly once)."""

from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    shopify_transaction_gid = fields.Char(
        "Shopify Transaction", index=True, readonly=True, copy=False
    )
    shopify_company_id = fields.Many2one(
        "res.company", readonly=True, copy=False, index=True
    )
    shopify_gateway_id = fields.Many2one(
        "shopify.payment.gateway", readonly=True, copy=False, ondelete="restrict"
    )
    shopify_sale_order_id = fields.Many2one(
        "sale.order", readonly=True, copy=False, index=True, ondelete="set null"
    )

    _sql_constraints = [
        (
            "shopify_transaction_unique",
            "unique(shopify_company_id, shopify_transaction_gid)",
            "A Shopify transaction is registered once per company.",
        )
    ]
