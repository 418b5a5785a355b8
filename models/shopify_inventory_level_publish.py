"""The published quantity: what Odoo can still promise at a level's location.

published = free - unreserved confirmed demand - held - safety buffer, floored at 0
(lib.stock.published_quantity), per (product, mapped Odoo location), where

- free: on hand minus reserved of the internal quants in the location and its
  children (Odoo's free_qty);
- unreserved confirmed demand: confirmed outgoing moves taking from that stock
  (make-to-stock, source inside the location, destination outside it) minus what is
  reserved for them: a delivery Odoo could not reserve still takes the next units;
- held: imported Shopify orders not confirmed yet (no move reserves for them yet).

Every term changes through stock.quant (free) or stock.move (demand), whose hooks
mark the affected levels dirty (models/stock_quant.py, models/stock_move.py).
"""

from collections import defaultdict, namedtuple

from odoo import api, models

from ..lib.stock import published_quantity, unreserved_quantity

# The published quantity and the terms it is computed from.
Breakdown = namedtuple("Breakdown", "free demand held buffer published")

# Confirmed moves still waiting for (part of) their stock.
OPEN_MOVE_STATES = ("waiting", "confirmed", "partially_available")


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    @api.model
    def _shopify_published_breakdown(self, store, pairs, cache=None):
        """{(product id, location id): Breakdown} for `store`: the push's inputs and
        its result (the product form's Shopify panel shows them).

        All terms in the product's UoM, computed once per (product, location) per
        `cache` (the push's run shares one over its stores)."""
        cache = {} if cache is None else cache
        # Read key by key into a dict of this call: the stores pushed side by side
        # share `cache`, and another one may clear it meanwhile.
        terms = {pair: cache.get(pair) for pair in pairs}
        missing = defaultdict(set)
        for (product_id, location_id), known in terms.items():
            if known is None:
                missing[location_id].add(product_id)
        for location_id, product_ids in missing.items():
            free = self._shopify_free_quantities(product_ids, location_id)
            demand = self._shopify_unreserved_demand(product_ids, location_id)
            held = self._shopify_held_quantities(product_ids, location_id)
            for product_id in product_ids:
                pair = (product_id, location_id)
                terms[pair] = cache[pair] = (
                    free.get(product_id, 0.0),
                    demand.get(product_id, 0.0),
                    held.get(product_id, 0.0),
                )
        buffer = store.safety_buffer or 0
        breakdown = {}
        for pair in pairs:
            free, demand, held = terms[pair]
            demand, held = max(demand, 0.0), max(held, 0.0)
            breakdown[pair] = Breakdown(
                free,
                demand,
                held,
                buffer,
                published_quantity(free, demand, held, buffer),
            )
        return breakdown

    @api.model
    def _shopify_free_quantities(self, product_ids, location_id):
        Quant = self.env["stock.quant"].sudo()
        groups = Quant._read_group(
            [
                ("product_id", "in", list(product_ids)),
                ("location_id", "child_of", location_id),
                ("location_id.usage", "=", "internal"),
            ],
            ["product_id"],
            ["quantity:sum", "reserved_quantity:sum"],
        )
        return {
            product.id: (quantity or 0.0) - (reserved or 0.0)
            for product, quantity, reserved in groups
        }

    @api.model
    def _shopify_unreserved_demand(self, product_ids, location_id):
        """{product id: units of confirmed outgoing moves from this location (or a
        child) not reserved yet}. Make-to-stock only: a make-to-order move (the ship
        step of a two-step delivery, a purchase-to-order delivery) is fed by the move
        before it, whose own demand or reservation already counts."""
        moves = (
            self.env["stock.move"]
            .sudo()
            .search(
                [
                    ("product_id", "in", list(product_ids)),
                    ("state", "in", OPEN_MOVE_STATES),
                    ("procure_method", "=", "make_to_stock"),
                    ("location_id", "child_of", location_id),
                    ("location_id.usage", "=", "internal"),
                    "!",
                    ("location_dest_id", "child_of", location_id),
                ]
            )
        )
        demand = defaultdict(float)
        for move in moves:
            reserved = move.product_uom._compute_quantity(
                move.quantity, move.product_id.uom_id, round=False
            )
            product_id = move.product_id.id
            demand[product_id] += unreserved_quantity(move.product_qty, reserved)
        return demand

    @api.model
    def _shopify_held_quantities(self, product_ids, location_id):
        """Units of imported Shopify orders not confirmed yet (draft / sent) whose
        warehouse's stock location is this location, a child or a parent of it.
        Empty until sale.order has `shopify_store_id` (order import, issue 6)."""
        SaleOrder = self.env["sale.order"]
        if "shopify_store_id" not in SaleOrder._fields:
            return {}
        location = self.env["stock.location"].sudo().browse(location_id)
        path = location.parent_path or ""
        warehouses = (
            self.env["stock.warehouse"]
            .sudo()
            .search([("lot_stock_id", "!=", False)])
            .filtered(
                lambda w: (
                    w.lot_stock_id.parent_path
                    and (
                        w.lot_stock_id.parent_path.startswith(path)
                        or path.startswith(w.lot_stock_id.parent_path)
                    )
                )
            )
        )
        if not warehouses:
            return {}
        groups = (
            self.env["sale.order.line"]
            .sudo()
            ._read_group(
                [
                    ("order_id.shopify_store_id", "!=", False),
                    ("order_id.state", "in", ("draft", "sent")),
                    ("order_id.warehouse_id", "in", warehouses.ids),
                    ("product_id", "in", list(product_ids)),
                ],
                ["product_id", "product_uom"],
                ["product_uom_qty:sum"],
            )
        )
        held = defaultdict(float)
        for product, uom, qty in groups:
            if uom and uom != product.uom_id:
                qty = uom._compute_quantity(qty or 0.0, product.uom_id, round=False)
            held[product.id] += qty or 0.0
        return held
