"""The stock model of stock_sim with allocation mode on (issue 18): every
warehouse's levels hold disjoint shares (lib.allocation, threshold above any
stock, so always allocated), under the same chaos (orders, edits, cancellations,
fulfilments, refunds, Odoo moves, webhooks duplicated / reordered / dropped,
THROTTLED, 5xx, timeouts, lost answers).

Checked at every push, independently of the connector's arithmetic: a decision
never makes the levels sharing a warehouse offer more units than Odoo can sell
there (Σ over the group of the larger of what a level may show — its snapshot or a
write in flight — and the new write ≤ sellable, unless the group was already above
it, e.g. after an Odoo delivery, and then it may only go down). At the end: Odoo's
stock and sale orders are true (I1, I2, I6) and each warehouse's levels together
show exactly what Odoo can sell there.
"""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stock_sim import STORES, Connector, World, check_invariants, random_ops
from test_stock_sim import SCENARIO

from lib.allocation import Member, plan_rebalance, shares
from lib.stock import published_quantity
from lib.stock_push import batch_writes, plan_push

BUFFER = max(buffer for _locs, _accept, buffer in STORES.values())


class AllocationConnector(Connector):
    """The connector with allocation on: what a dirty level is sent comes from
    lib.allocation.plan_rebalance over its warehouse's levels."""

    def group(self, level):
        warehouse = self.world.warehouse_of(level)
        return warehouse, tuple(self.world.levels_of(warehouse, level.item))

    def sellable(self, warehouse, sku):
        odoo = self.world.odoo
        return published_quantity(
            odoo.free(warehouse, sku),
            odoo.unreserved(warehouse, sku),
            odoo.held(warehouse, sku),
            BUFFER,
        )

    def offered(self, level):
        snap = self.snapshots.get(level)
        if snap is None:
            return None
        values = [snap.available]
        for batch in self.outbox:
            values += [i.quantity for i in batch.intents if i.level == level]
        return max(values)

    def velocity(self, store, sku):
        return sum(
            so.qty - so.cancelled
            for (name, _oid), so in self.world.odoo.sale_orders.items()
            if name == store and so.sku == sku
        )

    def _push(self):
        self.world.echo_in_push = False
        pending = self._pending_levels()
        unsure = self._absorb_order_effects(self.dirty - pending)
        candidates = sorted(self.dirty - pending - unsure)
        desired, groups = {}, {}
        for level in candidates:
            groups.setdefault(self.group(level), []).append(level)
        for (warehouse, members), levels in groups.items():
            sku = levels[0].item
            sellable = self.sellable(warehouse, sku)
            share = shares(
                sellable, [Member(m, self.velocity(m.store, sku)) for m in members]
            )
            offered = {m: self.offered(m) for m in members}
            known = [lv for lv in levels if offered[lv] is not None]
            plan = plan_rebalance(sellable, {lv: share[lv] for lv in known}, offered)
            for level in levels:
                if offered[level] is None:
                    desired[level] = share[level]  # plan_push reads it first
                else:
                    desired[level] = plan.send.get(level, max(offered[level], 0))
            self.world.check_group(warehouse, sku, members, offered, plan.send)
            self.world.held_back += bool(plan.held_back)
        plan = plan_push(desired, self.snapshots)
        self.to_read.update(plan.needs_read)
        self.dirty.difference_update(plan.in_sync)
        for intent in plan.writes:
            self.world.check_sellable(intent.level, intent.quantity)
        for batch in batch_writes(plan.writes, size=3):
            for intent in batch.intents:
                self.planned[batch.key, intent.level] = self.snapshots[
                    intent.level
                ].version
            self.outbox.append(batch)
            self._send(batch)

    def _accepted(self, batch, intent):
        super()._accepted(batch, intent)
        if intent.quantity < intent.change_from:
            # Units freed: the increases held back for them may go now.
            self.dirty.update(self.group(intent.level)[1])


class AllocationWorld(World):
    def __init__(self, seed=0, **options):
        self.group_checks = self.held_back = 0
        super().__init__(seed=seed, connector=AllocationConnector, **options)

    def group_sellable(self, warehouse, sku):
        """Odoo's sellable units in a warehouse, from the events (not the
        connector): on hand - open sale orders - the largest buffer."""
        open_qty = sum(
            so.open
            for so in self.odoo.sale_orders.values()
            if so.warehouse == warehouse and so.sku == sku
        )
        return max(0, self.odoo.on_hand[warehouse, sku] - open_qty - BUFFER)

    def check_group(self, warehouse, sku, members, offered, send):
        self.group_checks += 1
        # A level showing less than 0 offers no unit: it counts as 0.
        offered = {m: None if v is None else max(0, v) for m, v in offered.items()}
        if any(v is None for v in offered.values()):
            before = None
        else:
            before = sum(offered.values())
        after = sum(max(offered[m] or 0, send.get(m, offered[m] or 0)) for m in members)
        limit = self.group_sellable(warehouse, sku)
        grew = before is None or after > before
        if grew and after > limit:
            self.violations.append(
                "group %s/%s offered %s > sellable %s (before %s)"
                % (warehouse, sku, after, limit, before)
            )


def run(ops, seed):
    world = AllocationWorld(seed=seed)
    for op in ops:
        world.apply(op)
    world.settle()
    return world


def final_problems(world):
    """I1, I2, I6 of check_invariants (I3 compares each level with the whole
    sellable quantity: replaced by Σ of each warehouse's levels = sellable)."""
    problems = [p for p in check_invariants(world) if not p.startswith("I3")]
    for warehouse in ("W1", "W2"):
        for sku in ("SKU-A", "SKU-B"):
            levels = world.levels_of(warehouse, sku)
            shown = [
                world.shops[lv.store].levels[lv.item, lv.location][0] for lv in levels
            ]
            if min(shown) < 0 or sum(shown) != world.group_sellable(warehouse, sku):
                problems.append(
                    "%s/%s shows %s, Odoo can sell %s"
                    % (warehouse, sku, shown, world.group_sellable(warehouse, sku))
                )
    return problems


@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ops=SCENARIO, seed=st.integers(0, 2**32 - 1))
def test_allocation_never_offers_a_unit_twice_under_chaos(ops, seed):
    world = run(ops, seed)
    assert final_problems(world) == []


@pytest.mark.parametrize("seed", range(100))
def test_seeded_allocation_scenarios(seed):
    world = run(random_ops(random.Random(seed), 80), seed)
    assert world.group_checks > 0
    assert final_problems(world) == []


def test_the_chaos_and_the_rebalances_really_happen():
    chaos, held_back, checks = {}, 0, 0
    for seed in range(100):
        world = run(random_ops(random.Random(seed), 80), seed)
        for kind, n in world.chaos.items():
            chaos[kind] = chaos.get(kind, 0) + n
        held_back += world.held_back
        checks += world.group_checks
    for kind in ("throttled", "5xx", "timeout", "lost", "stale answer"):
        assert chaos.get(kind, 0) > 5, (kind, chaos)
    assert held_back > 20, "increases did wait for decreases"
    assert checks > 1000


def _flash_sale(seed, check_uncertain_orders=True):
    """Shoppers buy 1-2 units of SKU-A in random stores; the orders' webhooks reach
    the connector, the levels' inventory_levels/update do not (late), and no
    reconcile runs: only the order effects tell the connector what the stores
    sold. Returns the units Odoo can sell that no store offers."""
    rng = random.Random(seed)
    world = AllocationWorld(seed=seed)
    world.webhook_chaos = False
    world.connector.check_uncertain_orders = check_uncertain_orders

    def orders_arrive():
        for delivery in [d for d in world.queue if d[1] == "orders/updated"]:
            world.queue.remove(delivery)
            world.connector.on_webhook(*delivery)

    for _n in range(40):
        world.apply(("order", rng.randrange(3), 0, 0, rng.choice((1, 2))))
        if rng.random() < 0.5:
            orders_arrive()
            world.connector.step()
    orders_arrive()
    world.connector.run_until_quiet()
    stranded = 0
    for warehouse in ("W1", "W2"):
        levels = world.levels_of(warehouse, "SKU-A")
        shown = sum(
            max(0, world.shops[lv.store].levels[lv.item, lv.location][0])
            for lv in levels
        )
        stranded += max(0, world.group_sellable(warehouse, "SKU-A") - shown)
    world.settle()
    assert final_problems(world) == []
    return stranded


def test_no_unit_is_left_unoffered_after_a_flash_sale():
    """Issue 18, flash sale seed 4 (units never sold): a level whose store sold
    since its snapshot (an order within the margin of the read, or in a store
    with several locations) is read before a write is planned from it, so its
    old count is never taken for 'in sync' and never holds the others back."""
    assert [s for s in range(200) if _flash_sale(s)] == []


def test_dropping_uncertain_orders_leaves_units_unoffered():
    """The old rule (an order the snapshot may contain was dropped, a store with
    several locations recorded nothing): some sales end with units that Odoo
    can sell and no store offers, until a reconcile."""
    assert [s for s in range(200) if _flash_sale(s, False)]
