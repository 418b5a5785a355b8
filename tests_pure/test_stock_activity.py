"""lib.stock_activity: f and r per level from parsed orders, inside a time window."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace as NS

from lib.stock import LevelRead, LevelSnapshot, OrderActivity, classify_level_change
from lib.stock_activity import order_activity

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
LOC1, LOC2 = "gid://shopify/Location/1", "gid://shopify/Location/2"
ITEM = {"v1": "gid://shopify/InventoryItem/11", "v2": "gid://shopify/InventoryItem/22"}


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def item_of_line(line):
    return ITEM.get(line.variant_gid)


def order(fulfillments=(), refunds=()):
    lines = (
        NS(line_id=1, variant_gid="v1"),
        NS(line_id=2, variant_gid="v2"),
        NS(line_id=3, variant_gid=None),  # custom line: no level
    )
    return NS(lines=lines, fulfillments=tuple(fulfillments), refunds=tuple(refunds))


def fulfillment(minutes, lines, location=LOC1, status="success"):
    return NS(status=status, created_at=at(minutes), location_gid=location, lines=lines)


def refund(minutes, *lines):
    return NS(created_at=at(minutes), lines=lines)


def rline(line_id, qty, restock_type="return", location=LOC1, restock=True):
    return NS(
        line_id=line_id,
        quantity=qty,
        restock_type=restock_type,
        location_gid=location,
        restock=restock,
    )


def test_fulfilments_and_returns_per_level_inside_the_window():
    orders = [
        order(
            fulfillments=[
                fulfillment(5, ((1, 2), (2, 1))),
                fulfillment(6, ((1, 1),), location=LOC2),
                fulfillment(7, ((1, 5),), status="cancelled"),  # not a movement
                fulfillment(-1, ((1, 9),)),  # before the snapshot: already seen
                fulfillment(11, ((1, 9),)),  # after the read: not in it yet
                fulfillment(8, ((3, 4),)),  # custom line
            ],
            refunds=[
                refund(9, rline(1, 1), rline(2, 1, restock_type="cancel")),
                refund(10, rline(2, 1, restock=False, restock_type="no_restock")),
            ],
        ),
        order(fulfillments=[fulfillment(10, ((2, 3),))]),
    ]
    got = order_activity(orders, at(0), at(10), item_of_line)
    assert got == {
        (ITEM["v1"], LOC1): OrderActivity(fulfilled=2, restocked=1),
        (ITEM["v2"], LOC1): OrderActivity(fulfilled=4, restocked=0),
        (ITEM["v1"], LOC2): OrderActivity(fulfilled=1, restocked=0),
    }


def test_window_is_open_at_since_and_closed_at_until():
    orders = [
        order(fulfillments=[fulfillment(0, ((1, 1),)), fulfillment(3, ((1, 2),))])
    ]
    assert order_activity(orders, at(0), at(3), item_of_line) == {
        (ITEM["v1"], LOC1): OrderActivity(fulfilled=2)
    }
    assert order_activity(orders, at(3), at(9), item_of_line) == {}


def test_activity_explains_a_fulfilment_so_no_adjustment():
    """End to end with the classifier: 2 fulfilled at LOC1 between snapshot and read."""
    orders = [order(fulfillments=[fulfillment(5, ((1, 2),))])]
    activity = order_activity(orders, at(0), at(10), item_of_line)[ITEM["v1"], LOC1]
    snap = LevelSnapshot(available=3, on_hand=5, committed=2, as_of=at(0))
    read = LevelRead(available=3, on_hand=3, committed=0, as_of=at(10))
    change = classify_level_change(snap, read, activity)
    assert change.manual_edit == 0 and change.adjust_odoo == 0
