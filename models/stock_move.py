"""Confirmed demand and the published quantity.

Dirty marks for confirmed demand: a delivery confirmed without stock, cancelled,
or changed in quantity changes what Odoo can still promise (the unreserved demand of
the published quantity) without touching any quant, so the stock.quant hooks never
see it. Marked in the same transaction as the change, like those hooks.

One turn per product (issue 20.3): a move done (a delivery, a receipt, a store
edit's adjustment, a return) updates rows shared by every location of its product:
the FIFO layers it consumes (`stock_valuation_layer.remaining_qty`, per product and
company, not per quant) and the average cost. Two workers moving one product from
two warehouses at once lock different quants, so the quant lock (stock_quant.py)
does not order them, and the later one failed on Odoo's layer UPDATE with an ERROR
line. `_action_done` first takes the turn of each product (`shopify.sync.stamp`,
sorted, never waiting): the conflict surfaces there, silently, and is retried.

Re-reservation: Odoo's receipt flow reserves waiting deliveries when stock arrives
(stock.picking._action_done -> stock.move._trigger_assign); an inventory adjustment
does not. An accepted store edit that adds stock (an adjustment) does the same as a
receipt (`_shopify_reserve_waiting`).

Other orders' rows, written on their behalf: reserving a waiting delivery (a store
edit, a receipt, a refund's return: `_trigger_assign`) and taking units another
delivery had reserved (`stock.move.line._free_reservation`, stock_move_line.py)
rewrite moves and pickings of orders the worker is not importing, and Odoo's
recompute of what depends on them writes those orders' rows too (sale_order's
stored `delivery_status`, from `picking_ids.state`; the lines' `qty_delivered`,
from `move_ids.state` / `quantity`: written whenever the value was not in the
cache, even unchanged). The order's import turn and row locks did not cover such a
writer: an import of the order on another worker failed on Odoo's own UPDATE with
an ERROR line (`UPDATE sale_order SET delivery_status`, two servers, hard seed 5).
So every such writer first takes the orders' import turns and locks their sale
orders, pickings and moves (`_shopify_lock_for_assign`): the conflict surfaces
there, unlogged, and the caller's bounded retry redoes the work."""

from odoo import SUPERUSER_ID, api, fields, models

from ..lib.txn import lock_rows_within
from .stock_quant import PRELOCKED_KEY

# Under PostgreSQL's deadlock_timeout (1 s): in a lock cycle with a worker
# holding one of these rows, this lock gives way first, unlogged, before the
# deadlock detector could pick the other worker's logged statement.
ASSIGN_LOCK_TIMEOUT = "500ms"
LOCK_ORDERS = "SELECT id FROM sale_order WHERE id IN %s ORDER BY id FOR NO KEY UPDATE"
LOCK_PICKINGS = (
    "SELECT id FROM stock_picking WHERE id IN %s ORDER BY id FOR NO KEY UPDATE"
)
LOCK_MOVES = "SELECT id FROM stock_move WHERE id IN %s ORDER BY id FOR NO KEY UPDATE"
LOCK_MOVE_LINES = (
    "SELECT id FROM stock_move_line WHERE id IN %s ORDER BY id FOR NO KEY UPDATE"
)

# A change of these fields can change a move's unreserved demand at its source.
DEMAND_FIELDS = frozenset(
    {
        "state",
        "product_uom_qty",
        "product_qty",
        "product_uom",
        "product_id",
        "location_id",
        "location_dest_id",
        "procure_method",
    }
)


class StockMove(models.Model):
    _inherit = "stock.move"

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves.filtered(lambda m: m.state != "draft")._shopify_mark_demand_dirty()
        return moves

    def write(self, vals):
        if not DEMAND_FIELDS & set(vals):
            return super().write(vals)
        before = self._shopify_demand_sources()
        res = super().write(vals)
        self._shopify_mark_demand_dirty(before)
        return res

    def _trigger_assign(self):
        # Odoo reserves other orders' waiting moves after incoming ones are done
        # (a receipt, a return): they are locked first, like ours.
        moves = self.with_context(shopify_lock_assign=True)
        return super(StockMove, moves)._trigger_assign()

    def _action_assign(self, force_qty=False):
        moves = self
        if self.env.context.get("shopify_lock_assign"):
            self._shopify_lock_for_assign()
            moves = self.with_context(shopify_lock_assign=False)
        cache = self.env.cr.cache
        if PRELOCKED_KEY in cache:  # nested: the outer reservation's locks
            return super(StockMove, moves)._action_assign(force_qty=force_qty)
        # The quants Odoo reads to reserve from, locked at once (stock_quant.py);
        # row locks last until the transaction ends or a savepoint around this
        # call rolls back, which ends this call too.
        cache[PRELOCKED_KEY] = set()
        try:
            return super(StockMove, moves)._action_assign(force_qty=force_qty)
        finally:
            cache.pop(PRELOCKED_KEY, None)

    def _action_done(self, cancel_backorder=False):
        self._shopify_product_turns()
        return super()._action_done(cancel_backorder=cancel_backorder)

    def _shopify_product_turns(self):
        """The turn of every stored product these moves move (see the module
        docstring), before any of Odoo's statements for them."""
        products = self.product_id.filtered(lambda p: p.type == "product")
        self.env["shopify.sync.stamp"]._shopify_turns(
            "stock:product:%s" % pid for pid in products.ids
        )

    def _shopify_demand_sources(self):
        return {(m.product_id, m.location_id) for m in self}

    def _shopify_mark_demand_dirty(self, extra=()):
        """Mark the levels of the moves' products at their source locations (before
        and after the change) dirty: one insert for the whole recordset."""
        pairs = self._shopify_demand_sources() | set(extra)
        internal = [(p, loc) for p, loc in pairs if p and loc.usage == "internal"]
        if not internal:
            return
        products = self.env["product.product"].union(*(p for p, _loc in internal))
        locations = self.env["stock.location"].union(*(loc for _p, loc in internal))
        self.env["shopify.inventory.level"].sudo()._shopify_mark_dirty(
            products, locations
        )

    @api.model
    def _shopify_reserve_waiting(self, product, location):
        """Reserve the confirmed make-to-stock moves of `product` that can take from
        `location` (their source is it or a parent of it), most urgent first: the
        rule and order of Odoo's `_trigger_assign`, which matches the exact location
        only. Honours `stock.picking_no_auto_reserve` and reservation dates like it.
        Returns the moves tried."""
        Move = self.env["stock.move"].with_user(SUPERUSER_ID)
        if Move.env["ir.config_parameter"].get_param("stock.picking_no_auto_reserve"):
            return Move
        moves = Move.search(
            [
                ("product_id", "=", product.id),
                ("state", "in", ("confirmed", "partially_available")),
                ("procure_method", "=", "make_to_stock"),
                ("location_id", "parent_of", location.id),
                "|",
                ("reservation_date", "<=", fields.Date.today()),
                ("picking_type_id.reservation_method", "=", "at_confirm"),
            ],
            order="priority desc, date asc, id asc",
        )
        moves._shopify_lock_for_assign()
        moves._action_assign()
        return moves

    def _shopify_lock_for_assign(self, lines=None):
        """Lock what reserving (or unreserving) these moves rewrites besides
        quants, for moves of orders this worker may not be importing: the import
        turns of their Shopify orders, then their sale orders, pickings, the moves
        themselves (`state`, `quantity`) and the move `lines` given, table by
        table in id order, unlogged (see the module docstring).

        Another worker changing one of those orders at the same time (an order
        edit or cancellation on the inbox's thread while a store edit reserves on
        the push's) meets it here: a turn or row it holds past
        ASSIGN_LOCK_TIMEOUT raises LockNotAvailable, a row or turn it committed
        after our snapshot SerializationFailure, both retried by the caller like
        the quant lock's (stock_quant.py); and after we commit, its import finds
        the turn stamped (busy) instead of overwriting our rows with a stale
        snapshot."""
        if not self:
            return
        # Superuser only to find which rows to lock (ids and import keys, neither
        # shown nor written): the caller is already changing these moves in Odoo's
        # own flow, whose access checks ran; a warehouse user may not read sales.
        moves = self.sudo()
        orders = moves.picking_id.sale_id | moves.sale_line_id.order_id
        # The key of the importer's turn (shopify.order.importer._shopify_lock).
        turns = [
            (so.shopify_store_id.id, so.shopify_order_gid)
            for so in orders
            if so.shopify_store_id and so.shopify_order_gid
        ]
        self.env["shopify.sync.stamp"]._shopify_lock_within(turns, ASSIGN_LOCK_TIMEOUT)
        cr = self.env.cr
        for query, ids in (
            (LOCK_ORDERS, orders.ids),
            (LOCK_PICKINGS, moves.picking_id.ids),
            (LOCK_MOVES, moves.ids),
            (LOCK_MOVE_LINES, lines.ids if lines else []),
        ):
            if ids:
                lock_rows_within(cr, ASSIGN_LOCK_TIMEOUT, query, [tuple(ids)])
