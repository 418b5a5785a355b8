"""Fraud risk of an imported order (issue 17.4): what Shopify's risk analysis said,
and whether the order is held as a quotation because of it.

A held order keeps its units (an unconfirmed imported order is held in the published
quantities, `shopify_inventory_level_publish.py`). Confirming it is the merchant's
decision: pressing Confirm releases the hold and its attention reason.
"""

from odoo import fields, models

RISK_REASON_PREFIX = "Held for fraud risk:"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shopify_risk_level = fields.Selection(
        [
            ("high", "High"),
            ("medium", "Medium"),
            ("low", "Low"),
            ("none", "None"),
            ("pending", "Pending"),
        ],
        string="Shopify Fraud Risk",
        readonly=True,
        copy=False,
        help="The most severe of the order's risk assessments in Shopify, as last "
        "read.",
    )
    shopify_risk_held = fields.Boolean(
        string="Held for Fraud Risk",
        readonly=True,
        copy=False,
        index=True,
        help="Shopify rates this order high risk: it stays a quotation holding its "
        "units until a later verdict clears it or you confirm it.",
    )

    def action_confirm(self):
        held = self.filtered("shopify_risk_held")
        result = super().action_confirm()
        for order in held.filtered(lambda so: so.state == "sale"):
            kept = [
                r
                for r in (order.shopify_attention_reason or "").split("\n")
                if r and not r.startswith(RISK_REASON_PREFIX)
            ]
            order.sudo().write(
                {
                    "shopify_risk_held": False,
                    "shopify_needs_attention": bool(kept),
                    "shopify_attention_reason": "\n".join(kept) or False,
                }
            )
        return result
