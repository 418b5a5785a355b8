"""Allocation mode per warehouse (issue 18): the Shopify stores sharing its stock
stop sharing one pool when a product runs low there (lib/allocation.py)."""

from odoo import fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    shopify_allocation_mode = fields.Boolean(
        help="When a product's sellable quantity in this warehouse falls to the "
        "threshold or below, the Shopify stores sharing it stop showing the whole "
        "quantity: each shows a disjoint share (by its recent sales), so together "
        "they never offer more than Odoo has. Cost: a shopper may be refused in one "
        "store while another store still has units, until the shares are "
        "rebalanced.",
    )
    shopify_allocation_threshold = fields.Integer(
        string="Allocation Threshold",
        default=10,
        help="Units at or below which the stores get disjoint shares; above it "
        "every store shows the whole sellable quantity.",
    )

    _sql_constraints = [
        (
            "shopify_allocation_threshold_positive",
            "CHECK(shopify_allocation_threshold >= 0)",
            "The allocation threshold cannot be negative.",
        )
    ]

    def write(self, vals):
        res = super().write(vals)
        if {"shopify_allocation_mode", "shopify_allocation_threshold"} & set(vals):
            # Every level published from this warehouse's stock is pushed again.
            levels = (
                self.env["shopify.inventory.level"]
                .sudo()
                .search([("stock_location_id", "child_of", self.view_location_id.ids)])
            )
            levels._shopify_signal_dirty()
        return res
