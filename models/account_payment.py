"""account.payment keyed by the Shopify transaction it registers (exactly once:
models/shopify_keys.py)."""

from odoo import fields, models

from .shopify_keys import company_field, gid_field, order_field, unique_per_company


class AccountPayment(models.Model):
    _inherit = "account.payment"

    shopify_transaction_gid = gid_field("Shopify Transaction")
    shopify_company_id = company_field()
    shopify_gateway_id = fields.Many2one(
        "shopify.payment.gateway", readonly=True, copy=False, ondelete="restrict"
    )
    shopify_sale_order_id = order_field()

    _sql_constraints = [
        unique_per_company(
            "shopify_transaction_unique",
            "shopify_company_id",
            "shopify_transaction_gid",
            "A Shopify transaction is registered once per company.",
        )
    ]
