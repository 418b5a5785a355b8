"""What a newly imported order did to its store's levels, so the snapshot can follow.

When a shopper orders q units, Shopify moves them at the level where the order is
committed: available -q, committed +q, on hand unchanged (lib.stock, first row of the
table). The import knows the order, so the level's snapshot can take that step itself
instead of waiting for the next compare-and-swap to fail and paying a read, a fetch of
the store's recent orders and a second read to learn what it already knows.

The step is taken only when it is certain, otherwise the level keeps the usual path
(stale compare-and-swap, read, classification):

- `order_effects`: a plain new order (not cancelled, no refund, no fulfilment, no
  edited line) gives {inventory item: units}; anything else gives nothing;
- `advance_by_order`: only a snapshot *read before the order was created* may take it
  (`as_of + margin <= created_at`, the margin covering the one-second precision of both
  clocks and their skew): a snapshot read later already contains the order.

Why it cannot weaken the stock truth: a manual edit is d = Δon_hand + f - r
(lib.stock), and the step never touches on_hand; the ledger of fulfilments and
restocks (lib.stock_ledger) is not touched either. So whatever happens next, every
edit is still counted exactly once. If the step was wrong after all (the order was
committed at another location, or the read contained it), the next compare-and-swap
from the advanced `available` is stale and the level is read and classified as
before: the orders then show as Δcommitted (owned by the import, which is
idempotent), never as an edit.

Pure (never imports odoo).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from .stock import LevelSnapshot

# Both clocks have one-second precision (Odoo's `seen_at`, Shopify's `createdAt`) and
# may disagree a little: a snapshot read less than this before the order was created
# might already contain it.
DEFAULT_MARGIN = timedelta(seconds=3)


def order_effects(order, item_of_variant: Callable[[str], str | None]) -> dict:
    """{item: units committed} of a plain new order (lib.order_model Order), or {}
    when the order is not one (cancelled, refunded, fulfilled, edited) or sells no
    managed item. `item_of_variant(variant gid)` -> the item (its gid, or the key of
    its level at the order's location) or None when not managed."""
    if order.is_cancelled or order.refunds or order.fulfillments:
        return {}
    effects: dict[str, int] = {}
    for line in order.lines:
        if not line.variant_gid:
            continue
        if line.current_quantity is not None and line.current_quantity != line.quantity:
            return {}  # edited since it was placed: its effect is not the line's
        if line.fulfillable_quantity is not None and (
            line.fulfillable_quantity != line.quantity
        ):
            return {}
        item = item_of_variant(line.variant_gid)
        if item and line.quantity > 0:
            effects[item] = effects.get(item, 0) + line.quantity
    return effects


def may_contain(snapshot_at: datetime, created_at: datetime, margin: timedelta) -> bool:
    """True when a level read at `snapshot_at` may already show an order created at
    `created_at` (same timezone convention for both)."""
    return created_at < snapshot_at + margin


def advance_by_order(
    snapshot: LevelSnapshot | None,
    quantity: int,
    created_at: datetime | None,
    margin: timedelta = DEFAULT_MARGIN,
) -> LevelSnapshot | None:
    """The snapshot after the order's own effect (available -q, committed +q), or
    None when it must not be taken: no snapshot (the level is read first anyway), no
    creation time, a non-positive quantity, or a snapshot that may contain the order.

    `as_of` stays the time of the last read, like after our own writes, so the next
    classification still counts every fulfilment and restock since that read; the
    version moves, so a write planned from the advanced snapshot has a new intent key.
    """
    if snapshot is None or created_at is None or quantity <= 0:
        return None
    if may_contain(snapshot.as_of, created_at, margin):
        return None
    return replace(
        snapshot,
        available=snapshot.available - quantity,
        committed=snapshot.committed + quantity,
        version=snapshot.version + 1,
    )
