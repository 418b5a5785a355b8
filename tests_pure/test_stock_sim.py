"""The proof: thousands of random interleavings of orders, edits, fulfilments, refunds,
Odoo moves, webhook chaos and API faults across 4 stores (two sharing a warehouse with a
third, one with two locations, one refusing edits) end with I1-I6 holding.

The connector in stock_sim decides only through lib.stock / lib.stock_push; the checks
in check_invariants recompute the truth from the events, not from the connector.
"""

import random
from dataclasses import replace

import pytest
import stock_sim
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from stock_sim import World, check_invariants, random_ops, run_scenario

import lib.stock_push
from lib import order_effect
from lib.order_effect import advance_by_order
from lib.stock import NO_ACTIVITY, classify_level_change

store = st.integers(0, 3)
sku = st.integers(0, 1)
loc = st.integers(0, 1)
pick = st.integers(0, 60)
OP = st.one_of(
    st.tuples(st.just("order"), store, sku, loc, st.integers(1, 3)),
    st.tuples(st.just("orders_everywhere"), sku, st.integers(1, 2)),
    st.tuples(st.just("edit"), store, sku, loc, st.integers(-3, 4)),
    st.tuples(st.just("edits_everywhere"), sku, st.integers(-2, 3)),
    st.tuples(st.just("cancel"), pick),
    st.tuples(st.just("fulfil"), pick, st.integers(1, 3)),
    st.tuples(st.just("refund"), pick, st.integers(1, 2)),
    st.tuples(st.just("confirm"), pick),
    st.tuples(st.just("receipt"), loc, sku, st.integers(1, 5)),
    st.tuples(st.just("delivery"), loc, sku, st.integers(1, 4)),
    st.tuples(st.just("webhooks"), st.integers(1, 8)),
    st.tuples(st.just("step")),
    st.tuples(st.just("faults"), st.sampled_from((0.0, 0.2, 0.5))),
)
SCENARIO = st.lists(OP, min_size=20, max_size=80)
PROOF = settings(
    max_examples=2000,
    derandomize=True,  # CI runs the same 2000 interleavings every time
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_quiet_and_replay_safe(world):
    """I4: a further reconcile sends nothing. I5: replaying every webhook ever sent,
    twice, changes nothing in Odoo and sends nothing."""
    connector, odoo = world.connector, world.odoo
    calls, adjustments = connector.mutation_calls, len(odoo.adjustments)
    on_hand = dict(odoo.on_hand)
    levels = {
        k: list(v) for name, s in world.shops.items() for k, v in s.levels.items()
    }
    connector.reconcile()
    assert connector.mutation_calls == calls, "I4: a quiet reconcile wrote"
    assert len(odoo.adjustments) == adjustments, "I4: a quiet reconcile adjusted"
    for delivery in world.history * 2:
        connector.on_webhook(*delivery)
    connector.run_until_quiet()
    assert connector.mutation_calls == calls, "I5: replayed webhooks caused writes"
    assert odoo.on_hand == on_hand, "I5: replayed webhooks moved Odoo stock"
    after = {k: list(v) for name, s in world.shops.items() for k, v in s.levels.items()}
    assert after == levels
    assert check_invariants(world) == []


@PROOF
@given(ops=SCENARIO, seed=st.integers(0, 2**32 - 1))
def test_any_interleaving_ends_true_quiet_and_replay_safe(ops, seed):
    world = run_scenario(ops, seed=seed)
    assert check_invariants(world) == []
    assert_quiet_and_replay_safe(world)


@pytest.mark.parametrize("seed", range(300))
def test_seeded_random_scenarios(seed):
    """Reproducible by number: run_scenario(random_ops(Random(seed), 80), seed)."""
    world = run_scenario(random_ops(random.Random(seed), 80), seed=seed)
    assert check_invariants(world) == []
    assert_quiet_and_replay_safe(world)


def test_the_chaos_really_happens():
    """The seeded runs above do meet every fault they claim to survive."""
    chaos = {}
    late = 0
    for seed in range(300):
        world = run_scenario(random_ops(random.Random(seed), 80), seed=seed)
        for kind, n in world.chaos.items():
            chaos[kind] = chaos.get(kind, 0) + n
        late += world.late_overpublish
    for kind in ("throttled", "5xx", "timeout", "lost", "stale answer"):
        assert chaos.get(kind, 0) > 20, (kind, chaos)
    # issue 18.3: snapshots really follow imported orders in these runs
    assert chaos.get("order followed", 0) > 200, chaos
    assert chaos["webhook dropped"] > 100 and chaos["webhook duplicated"] > 100
    # Only a resend of a write whose answer was lost can land after Odoo's number
    # dropped (checked as a violation otherwise); it is rare and corrected by the push.
    assert late < 300


# -- the same harness convicts wrong strategies (so the proof can fail) ---------------


def one_order_scenario():
    return [("order", 0, 0, 0, 1), ("webhooks", 8), ("step",), ("webhooks", 8)]


def test_naive_connector_double_decrements_an_order():
    """Applying the webhook's `available` drop as an adjustment while the imported order
    also reserves the unit: the unit leaves Odoo twice (I1)."""
    ops = [("faults", 0.0), *one_order_scenario()]
    world = World(seed=1, naive=True)
    world.webhook_chaos = False
    for op in ops:
        world.apply(op)
    world.settle()
    problems = check_invariants(world)
    assert any(p.startswith("I1") for p in problems), problems
    truthful = World(seed=1)
    truthful.webhook_chaos = False
    for op in ops:
        truthful.apply(op)
    truthful.settle()
    assert check_invariants(truthful) == []


def test_naive_connector_fails_random_scenarios():
    failures = sum(
        bool(
            check_invariants(
                run_scenario(random_ops(random.Random(s), 80), seed=s, naive=True)
            )
        )
        for s in range(40)
    )
    assert failures >= 30


def test_ignoring_fulfilments_fails(monkeypatch):
    """Classifying without the order activity turns fulfilments into phantom edits."""

    def blind(snapshot, read, activity=NO_ACTIVITY, **kw):
        return classify_level_change(snapshot, read, NO_ACTIVITY, **kw)

    monkeypatch.setattr(stock_sim, "classify_level_change", blind)
    failures = sum(
        bool(check_invariants(run_scenario(random_ops(random.Random(s), 80), seed=s)))
        for s in range(40)
    )
    assert failures >= 10


def test_following_orders_into_on_hand_fails(monkeypatch):
    """The snapshot may follow an order only in available and committed: moving
    on_hand too (as if the order had left the store) makes every such order a
    phantom edit of +q at the next classification."""

    def wrong(snapshot, quantity, created_at, margin):
        step = advance_by_order(snapshot, quantity, created_at, margin)
        return step and replace(step, on_hand=step.on_hand - quantity)

    monkeypatch.setattr(order_effect, "advance_by_order", wrong)
    failures = sum(
        bool(check_invariants(run_scenario(random_ops(random.Random(s), 80), seed=s)))
        for s in range(40)
    )
    assert failures >= 10


def _fulfilled_in_the_second_of_the_first_read(forget_ledgers):
    """s1 sells one unit and ships it within the second of the initial read, then
    everything settles. `forget_ledgers`: the first snapshots carry no ledger, as an
    unbracketed first read (a plain read of the level, no order fetch) leaves them."""
    world = World(seed=3)
    world.webhook_chaos = False
    if forget_ledgers:
        world.connector.ledgers.clear()
    for op in [("order", 0, 0, 0, 1), ("fulfil", 0, 1), ("webhooks", 20), ("step",)]:
        world.apply(op)
    world.settle()
    return check_invariants(world)


def test_fulfilment_in_the_second_of_the_first_read_is_no_edit():
    assert _fulfilled_in_the_second_of_the_first_read(forget_ledgers=False) == []


def test_first_read_without_ledger_makes_a_phantom_edit():
    """Without the ledger the fulfilment can only be placed by time; in the read's own
    second it is taken as inside the read, and the unit that left on_hand becomes a
    manual edit of -1 on top of the shipment (I1/I2): every first read is bracketed."""
    problems = _fulfilled_in_the_second_of_the_first_read(forget_ledgers=True)
    assert any(p.startswith("I1/I2") for p in problems), problems


def test_keys_without_snapshot_version_fail(monkeypatch):
    """A key that ignores the snapshot version makes a later identical intent look like
    a replay: Shopify returns the old answer, the write never happens (I3 fails)."""
    real = lib.stock_push.intent_key
    monkeypatch.setattr(
        lib.stock_push, "intent_key", lambda lv, q, cf, version: real(lv, q, cf, 0)
    )
    ops = [
        ("edit", 0, 0, 0, -2),  # s1 6 -> 4: Odoo 6 -> 4, s2/s3 shrink, s2 5 -> 3
        ("webhooks", 50),
        ("step",),
        ("step",),
        ("edit", 1, 0, 0, 2),  # s2 3 -> 5 ...
        ("edit", 1, 0, 0, -2),  # ... and back: +2 -2 at the same level
        ("receipt", 0, 0, 2),  # Odoo 4 -> 6: s2 must go 3 -> 5 again
        ("step",),
        ("delivery", 0, 0, 2),  # Odoo 6 -> 4: s2 5 -> 3, the very first intent again
    ]
    failures = 0
    for seed in range(10):
        world = World(seed=seed)
        world.webhook_chaos = False
        for op in ops:
            world.apply(op)
        try:
            world.settle()
        except AssertionError:
            failures += 1
            continue
        failures += bool(check_invariants(world))
    assert failures >= 1


def test_hypothesis_search_itself_finds_the_naive_double_decrement():
    """The same generator that proves the real connector finds a counterexample for the
    naive one within a few hundred interleavings, and shrinks it to a single order."""
    example = find(
        SCENARIO,
        lambda ops: bool(check_invariants(run_scenario(ops, seed=0, naive=True))),
        settings=settings(database=None, derandomize=True, max_examples=500),
    )
    assert any(op[0] in ("order", "orders_everywhere") for op in example)
