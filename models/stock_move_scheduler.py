"""Odoo's reordering-rule trigger, asked once per confirmation instead of once per
move when no product has a rule (issue 20.1).

`stock.picking.action_confirm` calls `stock.move._trigger_scheduler`, which searches
the automatic reordering rule of each move's product one move at a time, each search
walking the location tree twice (`parent_of`): one of the dearest statements of an
order's confirmation (about a tenth of its SQL time, 5 per 5-line order), and most
shops have no automatic rule for most products. One search for the products of all
the moves first: the moves whose product has no automatic rule are left out, since
Odoo's own search could only find nothing for them; the others go through Odoo's
unchanged. Same records, same access rules and context (active rules only, like
Odoo's), so the replenishment it triggers is exactly Odoo's.
"""

from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _trigger_scheduler(self):
        if not self:
            return super()._trigger_scheduler()
        ruled = (
            self.env["stock.warehouse.orderpoint"]
            .search(
                [("product_id", "in", self.product_id.ids), ("trigger", "=", "auto")]
            )
            .product_id
        )
        moves = self.filtered(lambda move: move.product_id in ruled)
        if not moves:
            return None
        return super(StockMove, moves)._trigger_scheduler()
