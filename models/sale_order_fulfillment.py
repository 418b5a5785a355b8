"""The Shopify fulfilments of a sale order's deliveries, shown on the order."""

from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shopify_fulfillment_ids = fields.One2many(
        "shopify.fulfillment", "sale_order_id", string="Shopify Fulfilments"
    )
    shopify_fulfillment_attention = fields.Boolean(
        compute="_compute_shopify_fulfillment_attention",
        help="A delivery of this order could not be fulfilled in Shopify.",
    )

    @api.depends("shopify_fulfillment_ids.state")
    def _compute_shopify_fulfillment_attention(self):
        for order in self:
            order.shopify_fulfillment_attention = any(
                row.state in ("needs_attention", "failed")
                for row in order.sudo().shopify_fulfillment_ids
            )

    def action_shopify_retry_fulfillments(self):
        rows = self.shopify_fulfillment_ids.filtered(
            lambda r: r.state in ("needs_attention", "failed", "pending")
        )
        return rows.action_shopify_retry() if rows else True
