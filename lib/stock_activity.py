"""Order activity per level: the f and r that explain a change of on_hand.

`lib.stock.classify_level_change` needs, for one level and one time window, the units
fulfilled there (f: committed and on_hand drop) and the units a refund put back into
stock there (r: available and on_hand rise). Both come from the store's orders updated
since the snapshot (`ShopifyClient.iter_orders_updated_since`, parsed by lib.payloads).

Counted:
- fulfilments with status "success" created inside the window, at their location;
- refund lines that restock a *returned* unit (restock_type "return", or the legacy
  flag), created inside the window, at their restock location.
Not counted: a refund line with restock_type "cancel" puts back an unfulfilled unit:
that is a cancellation (committed -> available), already visible in Δc.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .stock import OrderActivity

RETURN_RESTOCK_TYPES = ("return", "legacy_restock")


def _inside(moment, since, until):
    return moment is not None and since < moment <= until


def order_activity(
    orders: Iterable,
    since,
    until,
    item_of_line: Callable[[object], str | None],
) -> dict[tuple[str, str], OrderActivity]:
    """{(inventory_item_gid, location_gid): OrderActivity} inside (since, until].

    orders: lib.order_model.Order objects (only lines, fulfillments and refunds are
    read). item_of_line(line) -> the inventory item gid of an order line, or None when
    the line is not a mapped, tracked variant (it then moves no managed level).
    """
    fulfilled: dict[tuple[str, str], int] = {}
    restocked: dict[tuple[str, str], int] = {}
    for order in orders:
        lines = {line.line_id: line for line in order.lines}
        for fulfillment in order.fulfillments:
            if fulfillment.status != "success":
                continue
            if not _inside(fulfillment.created_at, since, until):
                continue
            for line_id, quantity in fulfillment.lines:
                _add(
                    fulfilled,
                    lines,
                    line_id,
                    fulfillment.location_gid,
                    quantity,
                    item_of_line,
                )
        for refund in order.refunds:
            if not _inside(refund.created_at, since, until):
                continue
            for rl in refund.lines:
                if rl.restock and rl.restock_type in RETURN_RESTOCK_TYPES + (None,):
                    _add(
                        restocked,
                        lines,
                        rl.line_id,
                        rl.location_gid,
                        rl.quantity,
                        item_of_line,
                    )
    return {
        key: OrderActivity(fulfilled.get(key, 0), restocked.get(key, 0))
        for key in fulfilled.keys() | restocked.keys()
    }


def _add(totals, lines, line_id, location_gid, quantity, item_of_line):
    line = lines.get(line_id)
    item = item_of_line(line) if line is not None else None
    if item is None or location_gid is None:
        return
    totals[item, location_gid] = totals.get((item, location_gid), 0) + quantity
