"""A deterministic model of several Shopify stores and one Odoo, with chaos, driven by
the real decision functions of lib.stock / lib.stock_push.

Nothing here talks HTTP: Shopify levels follow the quantity rules of
docs/stock-truth-notes (orders a->c, fulfilments leave c and o, refunds restock a and o,
manual edits move a and o), the API can throttle, fail, time out or apply a write and
lose the answer, webhooks are duplicated, reordered, delayed or dropped. Timestamps
are coarse (several events share one, as with one-second datetimes), so, like the Odoo
glue, the connector reads every level in a bracket (read, fetch stock events, read
again) and keeps per level the ids of the events its snapshot contains
(lib.stock_ledger) -- the first read included. The connector in the middle decides
only through published_quantity, plan_push / batch_writes, unaccounted_activity and
classify_level_change; the order import is abstract (one SO per order id, brought to
the order's current state). `check_invariants` states I1-I6 independently of the
connector's own arithmetic.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from lib.order_effect import (
    absorb_orders,
    explained_by_orders,
    snapshot_from_explained_read,
)
from lib.stock import (
    LevelKey,
    LevelRead,
    classify_level_change,
    published_quantity,
    snapshot_from_read,
    unreserved_quantity,
)
from lib.stock_ledger import StockEvent, unaccounted_activity
from lib.stock_outcome import ADVANCE, settle_accepted_write
from lib.stock_push import batch_writes, plan_push

SKUS = ("SKU-A", "SKU-B")
# store -> (its locations mapped to Odoo warehouses, accepts edits, buffer)
STORES = {
    "s1": ({"L1": "W1"}, True, 0),
    "s2": ({"L1": "W1"}, True, 1),  # shares W1 with s1 and s3
    "s3": ({"L1": "W1", "L2": "W2"}, True, 0),  # two locations
    "s4": ({"L1": "W2"}, False, 0),  # refuses store edits: Odoo's number wins
}
WAREHOUSES = ("W1", "W2")
# W1 reserves deliveries as soon as stock allows (at confirmation, and again when stock
# arrives); W2's delivery type reserves manually (Odoo's reservation_method "manual"):
# its confirmed deliveries keep waiting, unreserved, while the stock stays free.
AUTO_RESERVE = {"W1": True, "W2": False}
INITIAL_ON_HAND = 6
BATCH_SIZE = 3  # small, so batching is exercised on 10 levels
# Timestamps are coarser than events, as Shopify's and Odoo's one-second datetimes are:
# several events and reads share one timestamp, so a time window alone cannot say
# whether a fulfilment is inside a read of the same second (lib.stock_ledger).
TICKS_PER_STAMP = 4
OVERLAP = 3  # stamps; ACTIVITY_OVERLAP of the Odoo glue
# lib.order_effect's margin: one clock here, so one stamp (the second's precision).
ORDER_EFFECT_MARGIN = 1


def stamp(clock):
    return clock // TICKS_PER_STAMP


class Retryable(Exception):
    """THROTTLED / 5xx / timeout. `maybe_applied`: the outcome of a write is unknown."""

    def __init__(self, kind, maybe_applied):
        super().__init__(kind)
        self.maybe_applied = maybe_applied


@dataclass
class ShopOrder:
    id: str
    sku: str
    location: str
    qty: int
    fulfilled: int = 0
    cancelled: int = 0
    restocked: int = 0
    updated_at: int = 0
    created_at: int = 0  # stamp

    @property
    def open(self):
        return self.qty - self.fulfilled - self.cancelled


class Shop:
    """One Shopify store: levels (a, c, o), orders, activity log, idempotency memory."""

    def __init__(self, world, name, locations, accept_edits, buffer):
        self.world, self.name = world, name
        self.locations, self.accept_edits, self.buffer = locations, accept_edits, buffer
        self.levels = {}
        self.orders = {}
        self.activity = []  # (tick, sku, location, fulfilled, restocked)
        self.results = {}  # idempotency key -> first result
        self.edits = []  # (sku, location, d) applied by the merchant

    def _changed(self, sku, location, order=None):
        t = self.world.tick()
        a = self.levels[sku, location][0]
        self.world.emit(self.name, "inventory_levels/update", (sku, location, a))
        if order is not None:
            order.updated_at = t
            self.world.emit(self.name, "orders/updated", order.id)
        return t

    # -- customers and merchant -------------------------------------------------------
    def place_order(self, sku, location, qty):
        level = self.levels[sku, location]
        if level[0] < qty:  # the store does not oversell
            return None
        level[0] -= qty
        level[1] += qty
        order = ShopOrder(
            "%s-%d" % (self.name, len(self.orders) + 1), sku, location, qty
        )
        self.orders[order.id] = order
        order.created_at = stamp(self._changed(sku, location, order))
        return order

    def cancel(self, order):
        qty = order.open
        if qty <= 0:
            return
        level = self.levels[order.sku, order.location]
        level[0] += qty
        level[1] -= qty
        order.cancelled += qty
        self._changed(order.sku, order.location, order)

    def fulfil(self, order, qty):
        qty = min(qty, order.open)
        if qty <= 0:
            return
        level = self.levels[order.sku, order.location]
        level[1] -= qty
        level[2] -= qty
        order.fulfilled += qty
        t = self._changed(order.sku, order.location, order)
        self.activity.append((t, order.sku, order.location, qty, 0))

    def refund_restock(self, order, qty):
        qty = min(qty, order.fulfilled - order.restocked)
        if qty <= 0:
            return
        level = self.levels[order.sku, order.location]
        level[0] += qty
        level[2] += qty
        order.restocked += qty
        t = self._changed(order.sku, order.location, order)
        self.activity.append((t, order.sku, order.location, 0, qty))

    def manual_edit(self, sku, location, delta):
        level = self.levels[sku, location]
        delta = max(delta, -level[0])  # the admin does not go below 0 available
        if delta == 0:
            return
        level[0] += delta
        level[2] += delta
        self.edits.append((sku, location, delta))
        self._changed(sku, location)

    # -- Admin API
    def read_level(self, sku, location):
        self.world.fault(write=False)
        a, c, o = self.levels[sku, location]
        return LevelRead(a, o, c, stamp(self.world.clock))

    def events_since(self, since):
        """Fulfilments and refund restocks of the orders updated since the stamp
        `since` (inclusive: one-second timestamps), as lib.stock_ledger events."""
        self.world.fault(write=False)
        return [
            StockEvent("%s-E%d" % (self.name, t), s, loc, fq, rq, stamp(t))
            for t, s, loc, fq, rq in self.activity
            if stamp(t) >= since
        ]

    def orders_updated_since(self, since):
        self.world.fault(write=False)
        return [o for o in self.orders.values() if stamp(o.updated_at) >= since]

    def set_quantities(self, quantities, key):
        """inventorySetQuantities(name: available) with changeFromQuantity and
        @idempotent."""
        kind = self.world.fault(write=True)  # may raise before applying
        if key in self.results:
            result = self.results[key]
        else:
            stale = [
                (q["inventoryItemId"], q["locationId"])
                for q in quantities
                if self.levels[q["inventoryItemId"], q["locationId"]][0]
                != q["changeFromQuantity"]
            ]
            if not stale:  # all or nothing
                for q in quantities:
                    level = self.levels[q["inventoryItemId"], q["locationId"]]
                    delta = q["quantity"] - level[0]
                    level[0] += delta
                    level[2] += delta
                    self.world.applied_write(
                        LevelKey(self.name, q["inventoryItemId"], q["locationId"]),
                        q["quantity"],
                    )
                for q in quantities:
                    self._changed(q["inventoryItemId"], q["locationId"])
            result = ("stale", stale) if stale else ("ok", [])
            self.results[key] = result
            self.world.mutations_applied += 1
            if not stale:
                self.world.before_answer(self.name)
        if kind == "lost":
            raise Retryable("timeout after apply", maybe_applied=True)
        return result


@dataclass
class SaleOrder:
    store: str
    order_id: str
    warehouse: str
    sku: str
    qty: int
    fulfilled: int = 0
    cancelled: int = 0
    restocked: int = 0
    confirmed: bool = False
    reserved: int = 0  # units of on hand set aside for this confirmed SO

    @property
    def open(self):
        return self.qty - self.fulfilled - self.cancelled


class Odoo:
    """On hand per (warehouse, sku); sale orders hold (draft) or reserve (confirmed).

    A confirmed SO reserves what on hand allows, oldest first; what it could not
    reserve waits and is reserved when stock arrives (receipt, accepted store edit),
    as Odoo's action_assign does. Stock leaving below the reservations unreserves
    the newest first. At a warehouse that reserves manually (AUTO_RESERVE) nothing
    is reserved."""

    def __init__(self, world):
        self.world = world
        self.on_hand = {(w, s): INITIAL_ON_HAND for w in WAREHOUSES for s in SKUS}
        self.sale_orders = {}
        self.created_sale_orders = 0
        self.adjustments = []  # (warehouse, sku, d)
        self.receipts = dict.fromkeys(self.on_hand, 0)
        self.deliveries = dict.fromkeys(self.on_hand, 0)

    def _sos(self, warehouse, sku):
        for so in self.sale_orders.values():
            if so.warehouse == warehouse and so.sku == sku:
                yield so

    def free(self, warehouse, sku):
        """On hand minus reservations (Odoo's free_qty)."""
        reserved = sum(so.reserved for so in self._sos(warehouse, sku) if so.confirmed)
        return self.on_hand[warehouse, sku] - reserved

    def unreserved(self, warehouse, sku):
        """Confirmed demand still waiting for stock."""
        return sum(
            unreserved_quantity(so.open, so.reserved)
            for so in self._sos(warehouse, sku)
            if so.confirmed
        )

    def held(self, warehouse, sku):
        return sum(so.open for so in self._sos(warehouse, sku) if not so.confirmed)

    def _reserve(self, warehouse, sku):
        confirmed = [so for so in self._sos(warehouse, sku) if so.confirmed]
        if not AUTO_RESERVE[warehouse]:
            for so in confirmed:
                so.reserved = 0
            return
        for so in confirmed:
            so.reserved = max(0, min(so.reserved, so.open))
        excess = sum(so.reserved for so in confirmed) - max(
            0, self.on_hand[warehouse, sku]
        )
        for so in reversed(confirmed):
            give_back = min(max(0, excess), so.reserved)
            so.reserved -= give_back
            excess -= give_back
        for so in confirmed:
            take = min(so.open - so.reserved, max(0, self.free(warehouse, sku)))
            so.reserved += max(0, take)

    def _moved(self, warehouse, sku):
        self._reserve(warehouse, sku)
        self.world.connector.on_odoo_change(warehouse, sku)

    def receive(self, warehouse, sku, qty):
        self.on_hand[warehouse, sku] += qty
        self.receipts[warehouse, sku] += qty
        self._moved(warehouse, sku)

    def deliver(self, warehouse, sku, qty):
        promised = self.unreserved(warehouse, sku) + self.held(warehouse, sku)
        qty = min(qty, max(0, self.free(warehouse, sku) - promised))
        if qty > 0:
            self.on_hand[warehouse, sku] -= qty
            self.deliveries[warehouse, sku] += qty
            self._moved(warehouse, sku)

    def adjust(self, warehouse, sku, delta):
        self.on_hand[warehouse, sku] += delta
        self.adjustments.append((warehouse, sku, delta))
        self._moved(warehouse, sku)

    def confirm(self, so):
        if not so.confirmed:
            so.confirmed = True
            self._moved(so.warehouse, so.sku)

    def import_order(self, store, order, warehouse):
        """The abstract order import: one SO per order id, brought to the order's
        state."""
        so = self.sale_orders.get((store, order.id))
        if so is None:
            so = SaleOrder(store, order.id, warehouse, order.sku, order.qty)
            self.sale_orders[store, order.id] = so
            self.created_sale_orders += 1
        self.on_hand[warehouse, order.sku] -= order.fulfilled - so.fulfilled  # delivery
        self.on_hand[warehouse, order.sku] += order.restocked - so.restocked  # return
        so.fulfilled, so.cancelled = order.fulfilled, order.cancelled
        so.restocked = order.restocked
        self._moved(warehouse, order.sku)


class Connector:
    """The connector's stock loop; decisions come only from lib.stock /
    lib.stock_push."""

    def __init__(self, world, naive=False):
        self.world, self.naive = world, naive
        self.snapshots = {}
        self.ledgers = {}  # level -> ids of the stock events its snapshot contains
        self.dirty = set()
        self.to_read = set()
        self.outbox = []  # batches whose outcome is unknown: resent with the same key
        self.uncertain = (
            set()
        )  # keys of batches an attempt of which may have been applied
        self.orders_to_import = set()  # (store, order id)
        self.import_since = {}  # store -> clock of the last full order poll
        self.mutation_calls = 0
        self.resending = False
        self.planned = {}  # (batch key, level) -> snapshot version it was planned from
        # issue 18.3: a new order's effect at its level (one-location stores), applied
        # to the snapshot by the next push or classification (lib.order_effect)
        self.follow_orders = True
        self.check_uncertain_orders = True  # False: issue 18's old rule (dropped)
        self.order_effects = {}  # level -> [(qty, created stamp)]
        self.orders_read_at = {}  # level -> stamp of the read its quantities follow

    # -- triggers
    def on_odoo_change(self, warehouse, sku):
        self.dirty.update(self.world.levels_of(warehouse, sku))

    def on_webhook(self, store, topic, payload):
        if topic == "orders/updated":
            self.orders_to_import.add((store, payload))
            return
        sku, location, available = payload
        level = LevelKey(store, sku, location)
        if self.naive:
            self._naive_apply(level, available)
        else:
            self.to_read.add(level)  # the payload's number is never used

    def _naive_apply(self, level, available):
        """What other connectors do: apply the drop of `available` to Odoo stock."""
        if level in self._pending_levels():
            return  # (even the naive connector waits for its own write's answer)
        snap = self.snapshots[level]
        delta = available - snap.available
        if delta and self.world.shops[level.store].accept_edits:
            self.world.odoo.adjust(self.world.warehouse_of(level), level.item, delta)
        self.snapshots[level] = snapshot_from_read(
            LevelRead(available, snap.on_hand, snap.committed, snap.as_of), snap
        )
        self.dirty.add(level)

    # -- work
    def published(self, level):
        warehouse = self.world.warehouse_of(level)
        odoo = self.world.odoo
        return published_quantity(
            odoo.free(warehouse, level.item),
            odoo.unreserved(warehouse, level.item),
            odoo.held(warehouse, level.item),
            self.world.shops[level.store].buffer,
        )

    def step(self):
        self._import_orders()
        self._resolve_outbox()
        self._read_levels()
        self._import_orders()
        self._push()

    def busy(self):
        return bool(self.dirty or self.to_read or self.outbox or self.orders_to_import)

    def run_until_quiet(self, rounds=60):
        for _ in range(rounds):
            if not self.busy():
                return
            self.step()
        raise AssertionError("connector did not settle: %r" % (self.world.summary(),))

    def reconcile(self):
        """Poll every store's orders and read every mapped level, then settle."""
        for name, shop in self.world.shops.items():
            self.orders_to_import.update((name, oid) for oid in shop.orders)
        self.to_read.update(self.world.all_levels())
        self.run_until_quiet()

    def _import_orders(self):
        for store, order_id in sorted(self.orders_to_import):
            shop = self.world.shops[store]
            try:
                self.world.fault(write=False)
            except Retryable:
                continue
            order = shop.orders[order_id]
            warehouse = shop.locations[order.location]
            new = (store, order_id) not in self.world.odoo.sale_orders
            self.world.odoo.import_order(store, order, warehouse)
            self.orders_to_import.discard((store, order_id))
            plain = not (order.fulfilled or order.cancelled or order.restocked)
            if self.follow_orders and new and plain and len(shop.locations) == 1:
                level = LevelKey(store, order.sku, order.location)
                self.order_effects.setdefault(level, []).append(
                    (order.qty, order.created_at)
                )
            elif self.follow_orders and new and plain and self.check_uncertain_orders:
                # Several locations: where the units left is unknown, so every
                # level of the item there may have moved (uncertain: no time).
                for location in shop.locations:
                    level = LevelKey(store, order.sku, location)
                    self.order_effects.setdefault(level, []).append((order.qty, None))

    def _absorb_order_effects(self, levels):
        """Apply recorded order effects to these levels' snapshots (not to levels with
        a write of ours pending: they keep them until it is settled). A level with
        orders its snapshot may already contain is read at once: a read explained by
        them becomes the snapshot, any other waits for a classification (the level
        is in `to_read`). Returns the levels left to classify: never planned from
        their old count (lib.order_effect)."""
        pending = self._pending_levels()
        unsure = set()
        for level in sorted(levels):
            if level in pending or level not in self.order_effects:
                continue
            snap = self.snapshots.get(level)
            got = absorb_orders(
                snap,
                self.order_effects.pop(level),
                ORDER_EFFECT_MARGIN,
                read_at=self.orders_read_at.get(level),
            )
            if got.snapshot is not snap:
                self.world.chaos["order followed"] += 1
                self.snapshots[level] = snap = got.snapshot
            if not got.uncertain:
                continue
            if not self.check_uncertain_orders:
                continue  # the old rule: dropped (the lost-units gap, issue 18)
            self.world.chaos["order uncertain"] += 1
            try:
                read = self.world.shops[level.store].read_level(
                    level.item, level.location
                )
            except Retryable:
                read = None
            if read is not None and explained_by_orders(snap, read, got.uncertain):
                self.world.chaos["order explained by a read"] += 1
                self.snapshots[level] = snapshot_from_explained_read(snap, read)
                self.orders_read_at[level] = read.as_of
                continue
            self.to_read.add(level)
            unsure.add(level)
        return unsure

    def _pending_levels(self):
        return {i.level for batch in self.outbox for i in batch.intents}

    def _resolve_outbox(self):
        self.resending = True
        for batch in list(self.outbox):
            self._send(batch)
        self.resending = False

    def _send(self, batch):
        shop = self.world.shops[batch.store]
        self.mutation_calls += 1
        try:
            status, _stale = shop.set_quantities(batch.inputs(), batch.key)
        except Retryable as exc:
            if exc.maybe_applied:
                self.uncertain.add(batch.key)  # resend as is until Shopify answers
            elif batch.key not in self.uncertain:
                self.outbox.remove(batch)  # surely never applied: replan later
            return
        self.uncertain.discard(batch.key)
        if batch in self.outbox:
            self.outbox.remove(batch)
        if status == "ok":
            for intent in batch.intents:
                self._accepted(batch, intent)
        else:  # stale: something happened there; classify before writing again
            self.world.chaos["stale answer"] += 1
            self.to_read.update(i.level for i in batch.intents)

    def _accepted(self, batch, intent):
        """lib.stock_outcome rule 1: advance only the snapshot the write was planned
        from; a snapshot that moved meanwhile is read again, unclassified."""
        outcome = settle_accepted_write(
            self.snapshots.get(intent.level),
            intent.quantity,
            intent.change_from,
            intent.key,
            planned_version=self.planned.pop((batch.key, intent.level), None),
            still_pending=True,  # one connector: the outbox is the pending record
        )
        if outcome.action == ADVANCE:
            self.snapshots[intent.level] = outcome.snapshot
        else:
            self.world.chaos["rebased"] += 1
            self.snapshots.pop(intent.level, None)
            self.ledgers.pop(intent.level, None)
            self.to_read.add(intent.level)

    def _classifiable(self, level):
        """lib.stock_outcome rule 2: never a level with a write of ours pending
        (the glue's LevelClassifier.refresh); without a snapshot, a first read."""
        snapshot = self.snapshots.get(level)
        return snapshot is not None and level not in self._pending_levels()

    def bracketed_read(self, level, since):
        """Read, fetch the store's stock events since `since`, read again: only
        when both reads agree are the fetched events exactly those the read
        contains. Returns (read, events) or None (read again later)."""
        shop = self.world.shops[level.store]
        read = shop.read_level(level.item, level.location)
        events = shop.events_since(since)
        again = shop.read_level(level.item, level.location)
        if (read.available, read.on_hand, read.committed) != (
            again.available,
            again.on_hand,
            again.committed,
        ):
            return None
        return again, events

    def first_read(self, level):
        """A level's first snapshot, with its ledger (every event it contains):
        without one, a fulfilment in the same second as the read could only be
        guessed inside or outside it."""
        got = self.bracketed_read(level, stamp(self.world.clock) - OVERLAP)
        if got is None:
            return False
        read, events = got
        _act, contained = unaccounted_activity(
            events,
            level.item,
            level.location,
            horizon=read.as_of - OVERLAP,
            accounted=(),
        )
        self.snapshots[level] = snapshot_from_read(read)
        self.ledgers[level] = contained
        return True

    def _read_levels(self):
        self._absorb_order_effects(self.to_read)
        pending = self._pending_levels()
        for level in sorted(self.to_read):
            shop = self.world.shops[level.store]
            snap = self.snapshots.get(level)
            if snap is not None and not self._classifiable(level):
                continue
            if snap is None and level in pending:
                continue
            try:
                if snap is None:
                    if self.first_read(level):
                        self.to_read.discard(level)
                        self.dirty.add(level)
                    continue
                got = self.bracketed_read(level, snap.as_of - OVERLAP)
            except Retryable:
                continue
            if got is None:
                continue
            read, events = got
            self.to_read.discard(level)
            self.dirty.add(level)
            if self.naive:
                self._naive_apply(level, read.available)
                self.snapshots[level] = snapshot_from_read(read, self.snapshots[level])
            else:
                self._apply_change(level, snap, read, events, shop)

    def _apply_change(self, level, snap, read, events, shop):
        accounted = self.ledgers.get(level)
        activity, contained = unaccounted_activity(
            events,
            level.item,
            level.location,
            horizon=snap.as_of - OVERLAP,
            accounted=accounted,
            snapshot_at=snap.as_of,
        )
        change = classify_level_change(
            snap, read, activity, accept_edits=shop.accept_edits
        )
        if change.stale_read:
            if accounted is None:
                self.ledgers[level] = contained
            return
        self.snapshots[level] = change.snapshot
        self.ledgers[level] = contained
        if change.needs_order_import:
            try:
                orders = shop.orders_updated_since(snap.as_of)
            except Retryable:  # the reconcile's poll will find them
                orders = list(shop.orders.values())
            self.orders_to_import.update((level.store, o.id) for o in orders)
        if change.adjust_odoo:
            self.world.odoo.adjust(
                self.world.warehouse_of(level), level.item, change.adjust_odoo
            )

    def _push(self):
        self.world.echo_in_push = False
        pending = self._pending_levels()
        unsure = self._absorb_order_effects(self.dirty - pending)
        desired = {lv: self.published(lv) for lv in self.dirty - pending - unsure}
        plan = plan_push(desired, self.snapshots)
        self.to_read.update(plan.needs_read)
        self.dirty.difference_update(plan.in_sync)
        for intent in plan.writes:
            self.world.check_sellable(intent.level, intent.quantity)
        for batch in batch_writes(plan.writes, size=BATCH_SIZE):
            for intent in batch.intents:
                self.planned[batch.key, intent.level] = self.snapshots[
                    intent.level
                ].version
            self.outbox.append(batch)
            self._send(batch)


class World:
    """Clock, stores, Odoo, connector, the webhook channel and the fault injector."""

    def __init__(self, seed=0, naive=False, connector=None, early_echo=0.0):
        self.rng = random.Random(seed)
        # Probability that a write's inventory_levels/update webhooks are delivered
        # and the connector reads the levels before the write's HTTP answer
        # (webhooks are asynchronous: Shopify may deliver them first).
        self.early_echo = early_echo
        self.echo_in_push = False  # another worker classified during this push
        self.clock = 0
        self.fault_rate = 0.0
        self.webhook_chaos = True
        self.queue, self.history = [], []
        self.violations = []
        self.mutations_applied = 0
        self.applied_writes = 0
        self.late_overpublish = 0
        self.chaos = Counter()  # what went wrong on purpose, to show it was exercised
        self.odoo = Odoo(self)
        self.connector = (connector or Connector)(self, naive=naive)
        self.shops = {}
        for name, (locations, accept, buffer) in STORES.items():
            shop = Shop(self, name, locations, accept, buffer)
            for sku in SKUS:
                for loc in locations:
                    qty = max(0, INITIAL_ON_HAND - buffer)
                    shop.levels[sku, loc] = [qty, 0, qty]
            self.shops[name] = shop
        self.initial_on_hand = dict(self.odoo.on_hand)
        for level in self.all_levels():  # initial sync: read every level once
            assert self.connector.first_read(level)

    # -- plumbing
    def tick(self):
        self.clock += 1
        return self.clock

    def emit(self, store, topic, payload):
        delivery = (store, topic, payload)
        self.queue.append(delivery)
        self.history.append(delivery)

    def fault(self, write):
        if self.fault_rate and self.rng.random() < self.fault_rate:
            kind = self.rng.choice(
                ("throttled", "5xx", "timeout", "lost")
                if write
                else ("throttled", "5xx", "timeout")
            )
            self.chaos[kind] += 1
            if kind == "lost":
                return kind  # the write is applied, then the answer is lost
            raise Retryable(kind, maybe_applied=write and kind != "throttled")
        return None

    def all_levels(self):
        return [
            LevelKey(name, sku, loc)
            for name, shop in self.shops.items()
            for sku in SKUS
            for loc in shop.locations
        ]

    def levels_of(self, warehouse, sku):
        return [
            LevelKey(name, sku, loc)
            for name, shop in self.shops.items()
            for loc, wh in shop.locations.items()
            if wh == warehouse
        ]

    def warehouse_of(self, level):
        return self.shops[level.store].locations[level.location]

    def sellable(self, level):
        """Odoo's sellable units for a level, computed independently of the
        connector."""
        warehouse = self.warehouse_of(level)
        open_qty = sum(
            so.open
            for so in self.odoo.sale_orders.values()
            if so.warehouse == warehouse and so.sku == level.item
        )
        sellable = self.odoo.on_hand[warehouse, level.item] - open_qty
        return max(0, sellable - self.shops[level.store].buffer)

    def check_sellable(self, level, quantity):
        if quantity > self.sellable(level):
            self.violations.append(
                "published %d > sellable %d at %r"
                % (quantity, self.sellable(level), level)
            )

    def applied_write(self, level, quantity):
        """Shopify applied one of our quantities. A retry of a write whose answer was
        lost can land after Odoo's number dropped: counted, not a decision of ours."""
        self.applied_writes += 1
        if quantity > self.sellable(level):
            # Odoo's number may drop under a push in flight: a resend, or a level
            # classified by another worker while the push's batches go out.
            if not (self.connector.resending or self.echo_in_push):
                self.violations.append(
                    "applied %d > sellable at %r" % (quantity, level)
                )
            self.late_overpublish += 1

    def summary(self):
        c = self.connector
        return {
            "dirty": len(c.dirty),
            "to_read": len(c.to_read),
            "outbox": len(c.outbox),
        }

    # -- chaos
    def before_answer(self, store):
        """Shopify applied a write of `store` and has not answered yet."""
        if not self.early_echo or self.rng.random() >= self.early_echo:
            return
        self.chaos["echo before answer"] += 1
        self.echo_in_push = True
        mine = [d for d in self.queue if d[0] == store]
        for delivery in mine:
            self.queue.remove(delivery)
            self.connector.on_webhook(*delivery)
        self.connector._read_levels()

    def deliver_webhooks(self, count):
        """Deliver up to `count` webhooks: any order, some twice, some never."""
        for _ in range(count):
            if not self.queue:
                return
            delivery = self.queue.pop(self.rng.randrange(len(self.queue)))
            roll = self.rng.random() if self.webhook_chaos else 1.0
            if roll < 0.15:
                self.chaos["webhook dropped"] += 1
                continue
            self.connector.on_webhook(*delivery)
            if roll < 0.35:
                self.chaos["webhook duplicated"] += 1
                self.queue.append(delivery)  # delivered again later

    def all_orders(self):
        return [o for shop in self.shops.values() for o in shop.orders.values()]

    def apply(self, op):
        """One scenario event (see tests_pure/test_stock_sim.py for the generator)."""
        kind, args = op[0], op[1:]
        stores = sorted(self.shops)
        if kind == "order":
            shop = self.shops[stores[args[0] % len(stores)]]
            locs = sorted(shop.locations)
            shop.place_order(
                SKUS[args[1] % len(SKUS)], locs[args[2] % len(locs)], args[3]
            )
        elif kind == "orders_everywhere":
            for name in stores:
                shop = self.shops[name]
                shop.place_order(
                    SKUS[args[0] % len(SKUS)], sorted(shop.locations)[0], args[1]
                )
        elif kind == "edit":
            shop = self.shops[stores[args[0] % len(stores)]]
            locs = sorted(shop.locations)
            shop.manual_edit(
                SKUS[args[1] % len(SKUS)], locs[args[2] % len(locs)], args[3]
            )
        elif kind == "edits_everywhere":
            for name in stores:
                shop = self.shops[name]
                shop.manual_edit(
                    SKUS[args[0] % len(SKUS)], sorted(shop.locations)[0], args[1]
                )
        elif kind in ("cancel", "fulfil", "refund", "confirm"):
            orders = self.all_orders()
            if not orders:
                return
            order = orders[args[0] % len(orders)]
            shop = self.shops[order.id.split("-")[0]]
            if kind == "cancel":
                shop.cancel(order)
            elif kind == "fulfil":
                shop.fulfil(order, args[1])
            elif kind == "refund":
                shop.refund_restock(order, args[1])
            else:
                so = self.odoo.sale_orders.get((shop.name, order.id))
                if so is not None:
                    self.odoo.confirm(so)
        elif kind == "receipt":
            self.odoo.receive(
                WAREHOUSES[args[0] % 2], SKUS[args[1] % len(SKUS)], args[2]
            )
        elif kind == "delivery":
            self.odoo.deliver(
                WAREHOUSES[args[0] % 2], SKUS[args[1] % len(SKUS)], args[2]
            )
        elif kind == "webhooks":
            self.deliver_webhooks(args[0])
        elif kind == "step":
            self.connector.step()
        elif kind == "read":  # a webhook worker or reconcile reads between pushes
            self.connector._read_levels()
        elif kind == "faults":
            self.fault_rate = args[0]
        else:
            raise ValueError("unknown op %r" % (op,))

    def settle(self):
        """Activity stops: faults end, pending webhooks arrive (chaotically),
        reconcile."""
        self.fault_rate = 0.0
        self.deliver_webhooks(len(self.queue) * 2)
        self.connector.run_until_quiet()
        self.connector.reconcile()


def check_invariants(world):
    """I1, I2, I3, I6 and 'never above sellable' after settle(); returns violations."""
    problems = list(world.violations)
    odoo = world.odoo
    expected = {}
    for key, start in world.initial_on_hand.items():
        expected[key] = start + odoo.receipts[key] - odoo.deliveries[key]
    for name, shop in world.shops.items():
        for order in shop.orders.values():
            warehouse = shop.locations[order.location]
            expected[warehouse, order.sku] += order.restocked - order.fulfilled
            so = odoo.sale_orders.get((name, order.id))
            if so is None or (so.qty, so.fulfilled, so.cancelled, so.restocked) != (
                order.qty,
                order.fulfilled,
                order.cancelled,
                order.restocked,
            ):
                problems.append("I6/I1: order %s not mirrored by one SO" % order.id)
        if shop.accept_edits:
            for sku, location, delta in shop.edits:
                expected[shop.locations[location], sku] += delta
    if odoo.created_sale_orders != len(world.all_orders()):
        problems.append(
            "I6: %d SOs for %d orders"
            % (odoo.created_sale_orders, len(world.all_orders()))
        )
    for key, qty in expected.items():
        if odoo.on_hand[key] != qty:
            problems.append(
                "I1/I2: Odoo on hand %r is %d, expected %d"
                % (key, odoo.on_hand[key], qty)
            )
    for level in world.all_levels():
        shown = world.shops[level.store].levels[level.item, level.location][0]
        if shown != world.sellable(level):
            problems.append(
                "I3: %r shows %d, Odoo publishes %d"
                % (level, shown, world.sellable(level))
            )
    return problems


def run_scenario(ops, seed=0, naive=False, **world_options):
    """Run events, settle, and return the world (inspect with check_invariants)."""
    world = World(seed=seed, naive=naive, **world_options)
    for op in ops:
        world.apply(op)
    world.settle()
    return world


def random_ops(rng, count):
    """A seeded random scenario (for reproducible runs by seed number)."""
    ops = []
    for _ in range(count):
        kind = rng.choice(
            (
                "order",
                "order",
                "orders_everywhere",
                "edit",
                "edits_everywhere",
                "cancel",
                "fulfil",
                "refund",
                "confirm",
                "receipt",
                "delivery",
                "webhooks",
                "webhooks",
                "step",
                "step",
                "faults",
            )
        )
        if kind == "order":
            ops.append(
                (
                    kind,
                    rng.randrange(4),
                    rng.randrange(2),
                    rng.randrange(2),
                    rng.randint(1, 3),
                )
            )
        elif kind == "orders_everywhere":
            ops.append((kind, rng.randrange(2), rng.randint(1, 2)))
        elif kind == "edit":
            ops.append(
                (
                    kind,
                    rng.randrange(4),
                    rng.randrange(2),
                    rng.randrange(2),
                    rng.randint(-3, 4),
                )
            )
        elif kind == "edits_everywhere":
            ops.append((kind, rng.randrange(2), rng.randint(-2, 3)))
        elif kind in ("cancel", "confirm"):
            ops.append((kind, rng.randrange(50)))
        elif kind in ("fulfil", "refund"):
            ops.append((kind, rng.randrange(50), rng.randint(1, 3)))
        elif kind in ("receipt", "delivery"):
            ops.append((kind, rng.randrange(2), rng.randrange(2), rng.randint(1, 5)))
        elif kind == "webhooks":
            ops.append((kind, rng.randint(1, 8)))
        elif kind == "step":
            ops.append((kind,))
        else:
            ops.append((kind, rng.choice((0.0, 0.2, 0.5))))
    return ops
