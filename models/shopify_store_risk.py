"""The store's fraud-risk policy (issue 17.4, applied in shopify_order_risk.py)."""

from odoo import fields, models


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    hold_risky_orders = fields.Boolean(
        string="Hold High-Risk Orders",
        default=True,
        tracking=True,
        help="Orders Shopify's fraud analysis rates high risk stay quotations (their "
        "units stay reserved) with the reason, until a later verdict clears them or "
        "you confirm them.",
    )
