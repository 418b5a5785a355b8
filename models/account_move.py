"""account.move: a credit note keyed by the Shopify refund it credits, a fee entry by
the transaction it was charged on (each exactly once: models/shopify_keys.py)."""

from odoo import models

from .shopify_keys import company_field, gid_field, order_field, unique_per_company


class AccountMove(models.Model):
    _inherit = "account.move"

    # Names apart from account.payment's shopify_* fields: a payment _inherits its
    # move, and a field of the same name would be written on both.
    shopify_refund_gid = gid_field("Shopify Refund")
    shopify_fee_gid = gid_field("Shopify Fee of Transaction")
    shopify_refund_company_id = company_field()
    shopify_refund_order_id = order_field()

    _sql_constraints = [
        unique_per_company(
            "shopify_refund_unique",
            "shopify_refund_company_id",
            "shopify_refund_gid",
            "A Shopify refund is credited once per company.",
        ),
        unique_per_company(
            "shopify_fee_unique",
            "shopify_refund_company_id",
            "shopify_fee_gid",
            "A Shopify transaction's fees are booked once per company.",
        ),
    ]
