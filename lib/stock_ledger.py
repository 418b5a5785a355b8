"""Which fulfilments and refund restocks a level's snapshot already contains.

`lib.stock_activity.order_activity` counts f and r inside a time window (since, until].
Shopify's timestamps have one-second precision and so do Odoo's datetimes: a
fulfilment created in the very second of a snapshot read may or may not be inside that
read, and guessing wrong turns it into a phantom manual edit of -f (or +f). So the
connector keeps, per level, the ids of the stock events (fulfilment lines, return
restock lines) its snapshot already contains, and counts only the others:

- every event older than the horizon (snapshot time minus an overlap that absorbs clock
  skew) is inside the snapshot and never fetched again;
- an event id in `accounted` is inside the snapshot;
- any other event is new: it is counted once, and its id goes into the new snapshot's
  `accounted` set -- provided the orders were fetched *between two identical reads of
  the level* (the caller's bracket), so that the read contains exactly the events the
  fetch returned.

The first read of a level is bracketed too, and its `accounted` is every event the
fetch returned there (`accounted=()`): a fulfilment in the very second of an
unbracketed first read could only be guessed inside or outside it, and a wrong guess is
a phantom manual edit of -f. `accounted` None (a snapshot of unknown contents) falls
back to splitting the events by time, the best that can be known then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from .stock import OrderActivity
from .stock_activity import RETURN_RESTOCK_TYPES


@dataclass(frozen=True)
class StockEvent:
    """One fulfilment line or return-restock line at one level."""

    event_id: str
    item: str
    location: str
    fulfilled: int
    restocked: int
    at: datetime


def stock_events(
    orders: Iterable, item_of_line: Callable[[object], str | None]
) -> list[StockEvent]:
    """Fulfilment lines (status success) and return-restock refund lines of parsed
    orders (lib.order_model.Order) at managed items (`item_of_line` -> item gid or
    None). Cancellation-type restocks are not events: they show in Δcommitted."""
    events = []
    for order in orders:
        lines = {line.line_id: line for line in order.lines}
        for ful in order.fulfillments:
            if ful.status != "success" or ful.created_at is None:
                continue
            for index, (line_id, quantity) in enumerate(ful.lines):
                item = _item(lines, line_id, item_of_line)
                if item and ful.location_gid and quantity:
                    events.append(
                        StockEvent(
                            "F%s:%s:%s" % (ful.fulfillment_id, line_id, index),
                            item,
                            ful.location_gid,
                            quantity,
                            0,
                            ful.created_at,
                        )
                    )
        for refund in order.refunds:
            if refund.created_at is None:
                continue
            for index, rl in enumerate(refund.lines):
                if not rl.restock or rl.restock_type not in RETURN_RESTOCK_TYPES + (
                    None,
                ):
                    continue
                item = _item(lines, rl.line_id, item_of_line)
                if item and rl.location_gid and rl.quantity:
                    events.append(
                        StockEvent(
                            "R%s:%s:%s" % (refund.refund_id, rl.refund_line_id, index),
                            item,
                            rl.location_gid,
                            0,
                            rl.quantity,
                            refund.created_at,
                        )
                    )
    return events


def _item(lines, line_id, item_of_line):
    line = lines.get(line_id)
    return item_of_line(line) if line is not None else None


def unaccounted_activity(
    events: Iterable[StockEvent],
    item: str,
    location: str,
    *,
    horizon: datetime,
    accounted: Iterable[str] | None,
    snapshot_at: datetime | None = None,
) -> tuple[OrderActivity, frozenset[str]]:
    """(f and r not yet in the snapshot, ids the next snapshot contains).

    horizon: events before it are inside the snapshot (snapshot time - overlap).
    accounted: ids the snapshot contains, or None when unknown (first read): events up
    to `snapshot_at` (inclusive, the read came after them in that second, most likely)
    then count as contained.
    """
    known = None if accounted is None else frozenset(accounted)
    fulfilled = restocked = 0
    now_contained = set()
    for event in events:
        if event.item != item or event.location != location or event.at < horizon:
            continue
        now_contained.add(event.event_id)
        if known is not None:
            contained = event.event_id in known
        else:
            contained = snapshot_at is not None and event.at <= snapshot_at
        if not contained:
            fulfilled += event.fulfilled
            restocked += event.restocked
    return OrderActivity(fulfilled, restocked), frozenset(now_contained)
