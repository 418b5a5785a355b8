"""lib.stock_ledger: f and r counted once per level even when timestamps tie (Shopify
and Odoo times have one-second precision)."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace as NS

from lib.stock import LevelRead, LevelSnapshot, classify_level_change
from lib.stock_activity import order_activity
from lib.stock_ledger import stock_events, unaccounted_activity

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
LOC1, LOC2 = "gid://shopify/Location/1", "gid://shopify/Location/2"
ITEM = "gid://shopify/InventoryItem/11"
HORIZON = T0 - timedelta(minutes=5)


def item_of_line(line):
    return ITEM if line.variant_gid == "v1" else None


def order(fulfillments=(), refunds=()):
    lines = (NS(line_id=1, variant_gid="v1"), NS(line_id=3, variant_gid=None))
    return NS(lines=lines, fulfillments=tuple(fulfillments), refunds=tuple(refunds))


def ful(fid, qty, at=T0, status="success", line=1, location=LOC1):
    return NS(
        fulfillment_id=fid,
        status=status,
        created_at=at,
        location_gid=location,
        lines=((line, qty),),
    )


def refund(rid, qty, restock_type="return", at=T0, location=LOC1):
    line = NS(
        refund_line_id=rid * 10,
        line_id=1,
        quantity=qty,
        restock_type=restock_type,
        restock=restock_type != "no_restock",
        location_gid=location,
    )
    return NS(refund_id=rid, created_at=at, lines=(line,))


def activity(events, accounted, snapshot_at=T0):
    return unaccounted_activity(
        events,
        ITEM,
        LOC1,
        horizon=HORIZON,
        accounted=accounted,
        snapshot_at=snapshot_at,
    )


def test_events_only_for_managed_lines_success_and_returns():
    events = stock_events(
        [
            order(
                fulfillments=[
                    ful(1, 2),
                    ful(2, 5, status="cancelled"),
                    ful(3, 4, line=3),  # custom line: no level
                ],
                refunds=[refund(7, 1), refund(8, 3, restock_type="cancel")],
            )
        ],
        item_of_line,
    )
    assert sorted((e.fulfilled, e.restocked) for e in events) == [(0, 1), (2, 0)]


def test_same_second_fulfilment_is_counted_exactly_once():
    """The snapshot was read at T0 (seconds); a fulfilment created in that same second
    after the read is invisible to a time window but not to the ledger."""
    events = stock_events([order(fulfillments=[ful(1, 2, at=T0)])], item_of_line)
    # time window (T0, T0]: the fulfilment is lost, it looks like an edit of -2
    window = order_activity(
        [order(fulfillments=[ful(1, 2, at=T0)])], T0, T0, item_of_line
    )
    assert window == {}
    snap = LevelSnapshot(available=5, on_hand=7, committed=2, as_of=T0)
    read = LevelRead(available=5, on_hand=5, committed=0, as_of=T0)
    assert classify_level_change(snap, read).manual_edit == -2  # the phantom edit
    # the ledger: the snapshot did not contain it -> f = 2, no edit
    act, contained = activity(events, accounted=frozenset())
    assert act.fulfilled == 2
    assert classify_level_change(snap, read, act).manual_edit == 0
    # the next classification with the new ledger counts nothing again
    again, _ = activity(events, accounted=contained)
    assert (again.fulfilled, again.restocked) == (0, 0)


def test_events_before_the_horizon_are_contained_and_pruned():
    old = T0 - timedelta(minutes=6)
    events = stock_events(
        [order(fulfillments=[ful(1, 2, at=old), ful(2, 1)])], item_of_line
    )
    act, contained = activity(events, accounted=frozenset())
    assert act.fulfilled == 1
    assert len(contained) == 1


def test_unknown_ledger_falls_back_to_time():
    events = stock_events(
        [
            order(
                fulfillments=[ful(1, 2, at=T0), ful(2, 3, at=T0 + timedelta(seconds=1))]
            )
        ],
        item_of_line,
    )
    act, contained = activity(events, accounted=None, snapshot_at=T0)
    assert act.fulfilled == 3
    assert len(contained) == 2


def test_other_levels_do_not_count():
    events = stock_events(
        [order(fulfillments=[ful(1, 2, location=LOC2)], refunds=[refund(3, 1)])],
        item_of_line,
    )
    act, contained = activity(events, accounted=frozenset())
    assert (act.fulfilled, act.restocked) == (0, 1)
    assert contained == {"R3:30:0"}
