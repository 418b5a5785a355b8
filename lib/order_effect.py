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
- `absorb_orders`: the orders of a level in turn; those the snapshot *may* contain
  (created within the margin of its read) are returned as uncertain, never dropped:
  the store did sell them, and a snapshot left above what the store shows makes the
  push find the level "in sync" when its new target equals the old count (allocation
  mode: the inflated count then holds every other store's increase back, so units
  stay unsold). The push reads such a level before planning, and
  `explained_by_orders` says whether that read is the snapshot moved by some of
  those orders only (then it becomes the snapshot at once, one call instead of a
  stale compare-and-swap and a full classification).

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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .stock import LevelRead, LevelSnapshot

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


@dataclass(frozen=True)
class Absorbed:
    """`snapshot` after the orders it certainly does not contain; `uncertain`: the
    units of each order it may already contain (empty: nothing left to check)."""

    snapshot: LevelSnapshot | None
    uncertain: tuple[int, ...] = ()


def absorb_orders(
    snapshot: LevelSnapshot | None,
    orders: Iterable[tuple[int, datetime | None]],
    margin: timedelta = DEFAULT_MARGIN,
    read_at: datetime | None = None,
) -> Absorbed:
    """`orders`: (units, created_at) of the level's new orders, oldest first. Each
    certain one advances the snapshot (`advance_by_order`); one the snapshot may
    contain (or without a creation time) is uncertain. `read_at`: the time of a
    later read that the snapshot's quantities follow (`snapshot_from_explained_read`)
    when it is after `as_of`: an order created before it may be inside too. No
    snapshot: nothing to advance or check (the level is read first anyway)."""
    if snapshot is None:
        return Absorbed(None)
    probe_at = snapshot.as_of
    if read_at is not None and read_at > probe_at:
        probe_at = read_at
    uncertain = []
    for quantity, created_at in orders:
        if quantity <= 0:
            continue
        if created_at is None or may_contain(probe_at, created_at, margin):
            uncertain.append(quantity)
            continue
        snapshot = advance_by_order(snapshot, quantity, created_at, margin)
    return Absorbed(snapshot, tuple(uncertain))


MAX_UNCERTAIN = 24  # orders per level checked against a read (subset sums)


def explained_by_orders(
    snapshot: LevelSnapshot, read: LevelRead, uncertain: Sequence[int]
) -> bool:
    """True when `read` is `snapshot` moved only by the own effect (available -q,
    committed +q) of some of the `uncertain` orders: those the snapshot did not
    contain yet (none: it had them all). On hand unchanged, available + committed
    unchanged, and available lower by the units of some of them.

    The orders are known and imported; at the time of the read Shopify has
    committed all of them, so the read contains every one, and the snapshot taking
    it counts each exactly once. Anything else (a manual edit, a fulfilment, an
    order not imported yet) is not explained: the level goes through the usual
    classification."""
    if len(uncertain) > MAX_UNCERTAIN:
        return False
    if read.on_hand != snapshot.on_hand:
        return False
    if read.available + read.committed != snapshot.available + snapshot.committed:
        return False
    missing = snapshot.available - read.available
    if missing < 0:
        return False
    sums = {0}
    for quantity in uncertain:
        sums |= {s + quantity for s in sums if s + quantity <= missing}
    return missing in sums


def snapshot_from_explained_read(
    snapshot: LevelSnapshot, read: LevelRead
) -> LevelSnapshot:
    """The snapshot after a read `explained_by_orders`: its quantities and a new
    version; our last write and its key stay, and so does `as_of`, like after the
    orders' own steps: the next classification still counts every fulfilment and
    restock since the last full read (a fulfilment cancelled out in on hand by an
    edit of the same units looks like orders here, and is then found as an edit).
    The read's time is kept by the caller as the level's `read_at` for
    `absorb_orders`: the orders created before it may be inside the quantities."""
    return replace(
        snapshot,
        available=read.available,
        committed=read.committed,
        on_hand=read.on_hand,
        version=snapshot.version + 1,
    )
