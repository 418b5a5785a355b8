"""Allocation mode (issue 18): when a product runs low at an Odoo location that
several stores share, each store's level gets a disjoint share of what Odoo can
sell instead of the whole quantity, so no checkout anywhere sells a unit another
store also offers.

Active for a (product, location) when the location's warehouse has
`shopify_allocation_mode` and the sellable quantity S (the published quantity with
the largest safety buffer of the sharing stores) is at or below its
`shopify_allocation_threshold`. The members are the active levels of that product
and location of every connected store that pushes inventory. Each gets
`lib.allocation.shares` of S: the store's `allocation_minimum` first, the rest by
velocity = units of that product in the store's imported orders created in the
last `shopify_sync.allocation_velocity_minutes` (60) minutes.

What is sent is `lib.allocation.plan_rebalance`: decreases at once, increases
only from units no member may still offer (each member counted at the larger of
its snapshot and its unconfirmed write; a member never read allows none). An
accepted decrease marks the other members dirty, so the increases it made room
for go out in the next round, after it is confirmed.
"""

import datetime
from collections import defaultdict
from contextlib import contextmanager, nullcontext

from odoo import api, fields, models

from ..lib.allocation import Member, plan_rebalance, shares
from ..lib.stock import published_quantity
from ..lib.txn import release_session_lock, session_lock

VELOCITY_MINUTES = 60
# Session advisory lock of allocation planning (0x5D10 / 0x5D11: stamps and batches'
# send locks).
ALLOCATION_LOCK_CLASS = 0x5D12
ALLOCATION_LOCK = "allocation planning"


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    @api.model
    def _shopify_allocation_warehouses(self, location_ids):
        """{location id: warehouse} of the locations whose warehouse is in
        allocation mode."""
        locations = self.env["stock.location"].sudo().browse(list(location_ids))
        return {
            loc.id: loc.warehouse_id
            for loc in locations
            if loc.warehouse_id.shopify_allocation_mode
        }

    @api.model
    def _shopify_allocation_planning(self):
        """Context manager around a push pass: while allocation mode is on anywhere,
        the planning lock is held."""
        warehouses = self.env["stock.warehouse"].sudo()
        if not warehouses.search_count([("shopify_allocation_mode", "=", True)]):
            return nullcontext()
        return _planning_lock(self.env.cr)

    @api.model
    def _shopify_allocation_members(self, product_ids, location_ids):
        """{(product, location): [row]} of every level sharing those pairs, row =
        (level id, store id, offered or None)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT lv.id, lv.store_id, lv.product_id, lv.stock_location_id,
                   lv.seen_at IS NOT NULL, COALESCE(lv.seen_available, 0),
                   lv.pending_batch_key IS NOT NULL, COALESCE(lv.pending_qty, 0)
              FROM shopify_inventory_level lv
              JOIN shopify_store s ON s.id = lv.store_id
              JOIN shopify_location sl ON sl.id = lv.shopify_location_id
             WHERE lv.active AND s.active AND s.state = 'connected'
               AND s.push_inventory AND sl.active
               AND lv.product_id IN %s AND lv.stock_location_id IN %s
             ORDER BY lv.id
            """,
            [tuple(product_ids), tuple(location_ids)],
        )
        members = defaultdict(list)
        for (
            lid,
            sid,
            pid,
            loc,
            seen,
            available,
            pending,
            pending_qty,
        ) in self.env.cr.fetchall():
            offered = None
            if seen:
                offered = max(available, pending_qty) if pending else available
            members[(pid, loc)].append((lid, sid, offered))
        return members

    @api.model
    def _shopify_allocation_velocity(self, store_ids, product_ids):
        """{(store id, product id): units in the store's imported orders (not
        cancelled) created in the last `shopify_sync.allocation_velocity_minutes`."""
        minutes = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("shopify_sync.allocation_velocity_minutes", VELOCITY_MINUTES)
        )
        since = fields.Datetime.now() - datetime.timedelta(minutes=max(minutes, 1))
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT so.shopify_store_id, sol.product_id, SUM(sol.product_uom_qty)
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
             WHERE so.shopify_store_id IN %s AND sol.product_id IN %s
               AND so.state != 'cancel' AND sol.create_date >= %s
             GROUP BY 1, 2
            """,
            [tuple(store_ids), tuple(product_ids), since],
        )
        return {
            (sid, pid): float(qty or 0.0) for sid, pid, qty in self.env.cr.fetchall()
        }

    @api.model
    def _shopify_allocation(self, store, levels, cache=None):
        """{level id: (target share, quantity to send now)} for those of `levels`
        whose (product, location) is allocated now; the others are absent (they
        publish the shared quantity as before)."""
        levels = levels.filtered(lambda lv: lv.product_id and lv.stock_location_id)
        warehouses = self._shopify_allocation_warehouses(
            set(levels.mapped("stock_location_id").ids)
        )
        levels = levels.filtered(lambda lv: lv.stock_location_id.id in warehouses)
        if not levels:
            return {}
        pairs = {(lv.product_id.id, lv.stock_location_id.id) for lv in levels}
        members = self._shopify_allocation_members(
            {p for p, _l in pairs}, {loc for _p, loc in pairs}
        )
        store_ids = {sid for rows in members.values() for _l, sid, _o in rows}
        stores = self.env["shopify.store"].sudo().browse(list(store_ids))
        buffers = {s.id: s.safety_buffer or 0 for s in stores}
        minimums = {s.id: s.allocation_minimum or 0 for s in stores}
        velocity = self._shopify_allocation_velocity(
            store_ids or {store.id}, {p for p, _l in pairs}
        )
        breakdown = self._shopify_published_breakdown(store, pairs, cache)
        result = {}
        for pair in pairs:
            rows = members.get(pair) or []
            parts = breakdown[pair]
            buffer = max([buffers.get(sid, 0) for _l, sid, _o in rows] or [0])
            sellable = published_quantity(parts.free, parts.demand, parts.held, buffer)
            if sellable > warehouses[pair[1]].shopify_allocation_threshold:
                continue
            share = shares(
                sellable,
                [
                    Member(lid, velocity.get((sid, pair[0]), 0.0), minimums.get(sid, 0))
                    for lid, sid, _o in rows
                ],
            )
            offered = {lid: o for lid, _sid, o in rows}
            mine = [
                lv.id
                for lv in levels
                if (lv.product_id.id, lv.stock_location_id.id) == pair
            ]
            plan = plan_rebalance(sellable, {lid: share[lid] for lid in mine}, offered)
            for lid in mine:
                now = offered.get(lid)
                # Kept as it is, but never below 0 (what a push may write).
                send = plan.send.get(lid, max(now, 0) if now is not None else 0)
                result[lid] = (share[lid], send)
        return result

    def _shopify_allocation_decreased(self):
        """These levels' decreases were accepted: at an allocated location, the
        other stores sharing it are pushed again (the increases held back for it
        may go now)."""
        decreased = self
        if decreased:
            allocated = self._shopify_allocation_warehouses(
                set(decreased.mapped("stock_location_id").ids)
            )
            decreased = decreased.filtered(
                lambda lv: lv.stock_location_id.id in allocated
            )
            for location in decreased.stock_location_id:
                at = decreased.filtered(
                    lambda lv, loc=location: lv.stock_location_id == loc
                )
                self._shopify_mark_dirty(at.product_id, location)

    def _compute_shopify_breakdown(self):
        """The product panel shows the share an allocated level publishes."""
        res = super()._compute_shopify_breakdown()
        for store in self.store_id:
            levels = self.filtered(lambda lv, s=store: lv.store_id == s)
            for lid, (target, _send) in self._shopify_allocation(store, levels).items():
                self.browse(lid).shopify_publish_qty = target
        return res


@contextmanager
def _planning_lock(cr):
    session_lock(cr, ALLOCATION_LOCK_CLASS, ALLOCATION_LOCK)
    try:
        yield
    finally:
        release_session_lock(cr, ALLOCATION_LOCK_CLASS, ALLOCATION_LOCK)
