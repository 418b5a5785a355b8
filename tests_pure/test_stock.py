"""Hand-computed cases for lib.stock: published quantity and change classification."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.stock import (
    LevelRead,
    LevelSnapshot,
    OrderActivity,
    classify_level_change,
    published_quantity,
    snapshot_after_write,
    snapshot_from_read,
    unreserved_quantity,
)

# -- published quantity ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("free", "held", "buffer", "expected"),
    [
        (10, 0, 0, 10),
        (10, 2, 1, 7),  # held by an unconfirmed order, then the buffer
        (2.7, 0, 0, 2),  # floor, never round up: 3 would oversell
        (5.5, 0.5, 0, 5),
        (3 * 0.1 * 10, 0, 0, 3),  # 3.0000000000000004: noise, not a 4th unit
        (2.9999999999999996, 0, 0, 3),  # noise below 3 is still 3
        (2.99, 0, 0, 2),  # a real 2.99 is 2
        (1, 3, 0, 0),  # floored at 0: never negative
        (-4, 0, 0, 0),  # Odoo oversold: publish 0
        (4, 0, 4, 0),
        (4, 0, 5, 0),
    ],
)
def test_published_quantity_cases(free, held, buffer, expected):
    assert published_quantity(free, 0, held, buffer) == expected


@pytest.mark.parametrize(
    ("free", "unreserved", "held", "buffer", "expected"),
    [
        # issue 20: on hand 13, reserved 5 (free 8), deliveries of 14 of which 9 could
        # not be reserved: Odoo is one unit short, every store shows 0 (not 8/8/7).
        (8, 9, 0, 0, 0),
        (8, 9, 0, 1, 0),
        (13, 9, 0, 1, 3),  # after a receipt of 5: 18 on hand, demand 14, buffer 1
        (10, 3, 2, 1, 4),  # all four terms
        (10, 2.5, 0, 0, 7),  # a half unit still owed takes a whole unit
    ],
)
def test_published_quantity_subtracts_unreserved_demand(
    free, unreserved, held, buffer, expected
):
    assert published_quantity(free, unreserved, held, buffer) == expected


@pytest.mark.parametrize(
    ("unreserved", "held", "buffer"), [(0, -1, 0), (0, 0, -1), (-1, 0, 0)]
)
def test_published_quantity_rejects_negative_terms(unreserved, held, buffer):
    with pytest.raises(ValueError):
        published_quantity(10, unreserved, held, buffer)


@settings(max_examples=300, derandomize=True, database=None)
@given(
    free=st.floats(-1e6, 1e6, allow_nan=False),
    unreserved=st.floats(0, 1e6),
    held=st.floats(0, 1e6),
    buffer=st.integers(0, 100),
)
def test_published_quantity_never_above_sellable_and_maximal(
    free, unreserved, held, buffer
):
    q = published_quantity(free, unreserved, held, buffer)
    sellable = free - unreserved - held - buffer
    assert isinstance(q, int)
    assert q >= 0
    assert q <= sellable + 1e-6 or q == 0  # never above what Odoo can sell
    assert q <= max(free, 0) + 1e-6  # never above the free stock
    assert q + 1 > sellable - 1e-6  # and no unit withheld beyond the floor
    assert q == max(0, math.floor(round(sellable, 6)))


@settings(max_examples=200, derandomize=True, database=None)
@given(
    on_hand=st.integers(0, 1000),
    demands=st.lists(st.integers(0, 50), max_size=8),
    buffer=st.integers(0, 10),
    data=st.data(),
)
def test_published_is_on_hand_minus_all_demand_however_it_is_reserved(
    on_hand, demands, buffer, data
):
    """Where only deliveries reserve, free - unreserved = on hand - total demand: the
    published number does not depend on which deliveries got the stock."""
    left, reserved = on_hand, []
    for demand in demands:
        r = data.draw(st.integers(0, min(demand, left)))
        reserved.append(r)
        left -= r
    free = on_hand - sum(reserved)
    unreserved = sum(
        unreserved_quantity(d, r) for d, r in zip(demands, reserved, strict=True)
    )
    expected = max(0, on_hand - sum(demands) - buffer)
    assert published_quantity(free, unreserved, 0, buffer) == expected


@pytest.mark.parametrize(
    ("demand", "reserved", "expected"),
    [(5, 0, 5), (5, 2, 3), (5, 5, 0), (5, 7, 0), (0.3 * 3, 0.9, 0), (2.5, 1, 1.5)],
)
def test_unreserved_quantity(demand, reserved, expected):
    assert unreserved_quantity(demand, reserved) == pytest.approx(expected)


# -- snapshots ------------------------------------------------------------------------


def snap(a, c, o, as_of=1, version=0):
    return LevelSnapshot(
        available=a, on_hand=o, committed=c, as_of=as_of, version=version
    )


def read(a, c, o, as_of=2):
    return LevelRead(available=a, on_hand=o, committed=c, as_of=as_of)


def test_snapshot_after_write_moves_available_and_on_hand_together():
    s = snapshot_after_write(snap(5, 2, 7), quantity=3, change_from=5, intent_key="k")
    assert (s.available, s.committed, s.on_hand) == (3, 2, 5)
    assert s.written == 3 and s.intent_key == "k" and s.version == 1
    assert s.as_of == 1  # activity since the last read is still to be counted


def test_snapshot_after_write_refuses_a_write_planned_elsewhere():
    with pytest.raises(ValueError):
        snapshot_after_write(snap(5, 0, 5), quantity=3, change_from=4, intent_key="k")


def test_snapshot_from_read_bumps_version_and_keeps_last_write():
    first = snapshot_from_read(read(5, 0, 5, as_of=1))
    assert first.version == 0
    written = snapshot_after_write(first, 3, 5, "k")
    again = snapshot_from_read(read(3, 0, 3, as_of=9), written)
    assert again.version == 2 and again.as_of == 9 and again.written == 3


# -- classification (hand-computed from the table in lib/stock.py) -------------------


def test_our_echo_is_nothing():
    s = snapshot_after_write(snap(5, 0, 5), 3, 5, "k")  # (a, c, o) = (3, 0, 3)
    ch = classify_level_change(s, read(3, 0, 3))
    assert (ch.orders, ch.manual_edit, ch.adjust_odoo, ch.republish) == (0, 0, 0, False)


def test_order_is_owned_by_the_order_import_not_an_adjustment():
    ch = classify_level_change(snap(5, 0, 5), read(3, 2, 5))
    assert ch.orders == 2 and ch.manual_edit == 0 and ch.adjust_odoo == 0
    assert ch.needs_order_import


def test_manual_decrement_is_an_adjustment():
    ch = classify_level_change(snap(5, 0, 5), read(3, 0, 3))
    assert ch.orders == 0 and ch.manual_edit == -2 and ch.adjust_odoo == -2
    assert not ch.needs_order_import


def test_same_available_drop_two_meanings():
    """An order of 2 and an edit of -2 leave the same `available`; c and o differ."""
    order = classify_level_change(snap(5, 0, 5), read(3, 2, 5))
    edit = classify_level_change(snap(5, 0, 5), read(3, 0, 3))
    assert order.snapshot.available == edit.snapshot.available == 3
    assert (order.adjust_odoo, edit.adjust_odoo) == (0, -2)


def test_fulfilment_needs_the_order_activity_to_be_explained():
    before = snap(3, 2, 5)
    after = read(3, 0, 3)
    ch = classify_level_change(before, after, OrderActivity(fulfilled=2))
    assert ch.orders == 0 and ch.manual_edit == 0 and ch.fulfilled == 2
    blind = classify_level_change(before, after)  # without f it looks like an edit
    assert blind.manual_edit == -2


def test_refund_restock_is_order_handling():
    ch = classify_level_change(snap(3, 0, 3), read(4, 0, 4), OrderActivity(restocked=1))
    assert ch.manual_edit == 0 and ch.restocked == 1 and ch.orders == 0


def test_cancellation_with_restock_is_order_handling():
    ch = classify_level_change(snap(3, 2, 5), read(5, 0, 5))
    assert ch.orders == -2 and ch.manual_edit == 0 and ch.needs_order_import


def test_everything_at_once():
    # (5,0,5) order 1 (4,1,5) fulfil 1 (4,0,4) refund 1 (5,0,5) edit +3 (8,0,8)
    ch = classify_level_change(
        snap(5, 0, 5), read(8, 0, 8), OrderActivity(fulfilled=1, restocked=1)
    )
    assert (ch.orders, ch.manual_edit, ch.adjust_odoo) == (1, 3, 3)


def test_own_writes_not_in_the_snapshot_are_subtracted():
    # we wrote 5 -> 3 without advancing the snapshot, then the merchant added 1
    ch = classify_level_change(snap(5, 0, 5), read(4, 0, 4), own_writes=-2)
    assert ch.manual_edit == 1


def test_store_refusing_edits_republishes_instead_of_adjusting():
    ch = classify_level_change(snap(5, 0, 5), read(3, 0, 3), accept_edits=False)
    assert ch.manual_edit == -2 and ch.adjust_odoo == 0 and ch.republish


def test_units_moved_to_unavailable_states_are_not_an_edit():
    ch = classify_level_change(snap(5, 0, 5), read(3, 0, 5))  # 2 moved to "damaged"
    assert ch.manual_edit == 0 and ch.other_states == -2 and ch.republish


def test_duplicate_read_applies_the_edit_once():
    s0 = snap(5, 0, 5, as_of=1)
    fresh = read(3, 0, 3, as_of=7)
    first = classify_level_change(s0, fresh)
    second = classify_level_change(first.snapshot, fresh)
    assert first.adjust_odoo == -2
    assert second.adjust_odoo == 0 and second.stale_read
    assert second.snapshot is first.snapshot


def test_older_read_arriving_late_changes_nothing():
    current = snap(3, 0, 3, as_of=10)
    late = classify_level_change(current, read(5, 0, 5, as_of=4))
    assert late.stale_read and late.adjust_odoo == 0 and late.snapshot is current


def test_second_read_after_more_activity_counts_only_the_new_part():
    s0 = snap(5, 0, 5, as_of=1)
    first = classify_level_change(s0, read(3, 0, 3, as_of=5))  # edit -2
    later = classify_level_change(first.snapshot, read(4, 0, 4, as_of=8))  # edit +1
    assert (first.adjust_odoo, later.adjust_odoo) == (-2, 1)
    assert later.snapshot.version == 2


@settings(max_examples=400, derandomize=True, database=None)
@given(
    start=st.tuples(st.integers(0, 50), st.integers(0, 20)),
    orders=st.integers(0, 10),
    cancels=st.integers(0, 10),
    fulfil=st.integers(0, 10),
    refund=st.integers(0, 10),
    edit=st.integers(-20, 20),
)
def test_classification_recovers_each_cause_from_aggregate_totals(
    start, orders, cancels, fulfil, refund, edit
):
    """Apply the causes with the table's rules; the decision gets d and orders back."""
    a, c = start
    o = a + c
    cancels = min(cancels, c + orders)
    fulfil = min(fulfil, c + orders - cancels)
    refund = min(refund, fulfil)
    a2 = a - orders + cancels + refund + edit
    c2 = c + orders - cancels - fulfil
    o2 = o - fulfil + refund + edit
    ch = classify_level_change(
        snap(a, c, o), read(a2, c2, o2), OrderActivity(fulfil, refund)
    )
    assert ch.manual_edit == edit
    assert ch.orders == orders - cancels
    assert ch.other_states == 0
    assert ch.adjust_odoo == edit
