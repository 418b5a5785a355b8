"""Stock truth: what every store should show, and what a change seen at a store means.

Odoo is the single source of truth. Each Shopify level (store x inventory item x
location) shows the *published quantity* of its mapped Odoo location. Shopify changes a
level by itself for five reasons (orders, cancellations, fulfilments, refund restocks,
manual edits) plus our own writes. Only a manual edit may become an Odoo inventory
adjustment: every other cause is owned by the order import, which already moves Odoo
stock through the sale order. Telling them apart from `available` alone is impossible
(an order of 2 and an edit of -2 both lower it by 2); it is possible from `on_hand` and
`committed`:

=========================== ===== ===== =====
cause at one level           Δa    Δc    Δo
=========================== ===== ===== =====
order placed (q)             -q    +q     0
order cancelled, restock     +q    -q     0
fulfilled in Shopify (f)      0    -f    -f
refund restock (r)           +r     0    +r
manual edit / recount (d)    +d     0    +d
our own write a0 -> X       X-a0    0   X-a0
=========================== ===== ===== =====

so between a snapshot and a fresh read, with f and r the units fulfilled / restocked by
refund at that level in between and w our own net writes:
orders net of cancellations = Δc + f, manual edit d = Δo + f - r - w.

This module is pure (never imports odoo). `lib.stock_push` plans the writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

# Odoo quantities are floats: 2.9999999999999996 is float noise for 3, not 2. Rounding
# to 6 digits (finer than any Odoo UoM precision) removes the noise before the floor.
QUANTITY_DIGITS = 6


def published_quantity(
    free_qty: float, unreserved_demand: float, held_by_unconfirmed: float, buffer: int
) -> int:
    """The number a store may show for one SKU at one location: what Odoo can still
    promise there.

    published = floor(free - unreserved demand - held - buffer), at least 0, where

    free_qty: Odoo's free quantity at the mapped location (on hand - reserved).
    unreserved_demand: confirmed outgoing demand from that location that is not
    reserved yet (a confirmed delivery Odoo could not reserve in full still takes
    those units as soon as they arrive), see `unreserved_quantity`.
    held_by_unconfirmed: units of imported Shopify orders not confirmed yet (their sale
    order does not reserve yet, but the units are sold).
    buffer: the store's safety buffer.

    Floored, never rounded: 2.7 sellable units publish 2, because publishing 3 would let
    Shopify sell a unit Odoo does not have. Never negative: Shopify would read -1 as a
    debt. Raises ValueError for a negative buffer, demand or hold (a caller bug, not
    stock).
    """
    if buffer < 0:
        raise ValueError("safety buffer must be >= 0, got %r" % (buffer,))
    if held_by_unconfirmed < 0:
        raise ValueError("held quantity must be >= 0, got %r" % (held_by_unconfirmed,))
    if unreserved_demand < 0:
        raise ValueError("unreserved demand must be >= 0, got %r" % unreserved_demand)
    sellable = round(
        free_qty - unreserved_demand - held_by_unconfirmed - buffer, QUANTITY_DIGITS
    )
    return max(0, math.floor(sellable))


def unreserved_quantity(demand: float, reserved: float) -> float:
    """What one confirmed outgoing move still needs from free stock: its demand minus
    what is reserved for it, never negative (a move picked beyond its demand does not
    give units back to other orders)."""
    return max(0.0, round(demand - reserved, QUANTITY_DIGITS))


class LevelKey(NamedTuple):
    """One Shopify inventory level: what snapshots, writes and decisions are about."""

    store: Any  # the store id (or shop domain)
    item: str  # gid://shopify/InventoryItem/N
    location: str  # gid://shopify/Location/N


@dataclass(frozen=True)
class LevelRead:
    """A fresh read of a level.

    `as_of` is on the store's clock (comparable), so the order activity between two
    reads can be counted in the window (old.as_of, new.as_of].
    """

    available: int
    on_hand: int
    committed: int
    as_of: Any


@dataclass(frozen=True)
class LevelSnapshot:
    """What we last saw at a level, plus our writes that Shopify accepted since.

    available / on_hand / committed: the last read plus the effect of our accepted
    writes since (so our echo never looks like a change). as_of: time of the last
    *read*: order activity after it is not yet accounted. version: bumped on every
    advance; it is part of every write intent's idempotency key, so one intent is never
    confused with a later, identical-looking one. written / intent_key: the last
    quantity we wrote and its key.
    """

    available: int
    on_hand: int
    committed: int
    as_of: Any
    version: int = 0
    written: int | None = None
    intent_key: str | None = None


def snapshot_from_read(
    read: LevelRead, previous: LevelSnapshot | None = None
) -> LevelSnapshot:
    """The snapshot after a read has been classified (or the first read of a level)."""
    if previous is None:
        return LevelSnapshot(read.available, read.on_hand, read.committed, read.as_of)
    return replace(
        previous,
        available=read.available,
        on_hand=read.on_hand,
        committed=read.committed,
        as_of=read.as_of,
        version=previous.version + 1,
    )


def snapshot_after_write(
    snapshot: LevelSnapshot, quantity: int, change_from: int, intent_key: str
) -> LevelSnapshot:
    """The snapshot once Shopify accepted our compare-and-swap write.

    The swap succeeded, so `available` was change_from and is now quantity; on_hand
    moved by the same amount (Shopify keeps on_hand = available + committed + ...).
    `as_of` stays: any fulfilment since the last read is still to be counted by the
    next classification.
    """
    if change_from != snapshot.available:
        raise ValueError("write was not planned from this snapshot")
    delta = quantity - change_from
    return replace(
        snapshot,
        available=quantity,
        on_hand=snapshot.on_hand + delta,
        version=snapshot.version + 1,
        written=quantity,
        intent_key=intent_key,
    )


@dataclass(frozen=True)
class OrderActivity:
    """Order handling at one level inside the window (snapshot.as_of, read.as_of].

    fulfilled: units fulfilled at this location (f); restocked: units returned to stock
    at this location by refunds (r). Read from the store's orders updated since the
    snapshot.
    """

    fulfilled: int = 0
    restocked: int = 0


NO_ACTIVITY = OrderActivity()


@dataclass(frozen=True)
class LevelChange:
    """What a change at a level means, and what to do about it.

    orders: net units placed minus cancelled (Δc + f): the order import owns them.
    fulfilled / restocked: order handling owns them (delivery, return).
    own_writes: our echo (w), nothing to do.
    manual_edit: d, the merchant's edit or recount.
    other_states: units moved between available and Shopify's reserved / damaged / ...
    states (Δa - (Δo - Δc)); never an Odoo adjustment: Odoo's quantity is republished.
    adjust_odoo: the one Odoo inventory adjustment to make at the mapped location (d if
    the store accepts edits, else 0). republish: the level must get Odoo's quantity
    again. needs_order_import: orders were placed or cancelled: import the store's
    orders before pushing this level, so the published quantity already holds them.
    snapshot: the snapshot to store (the same object when the read was stale).
    """

    orders: int
    fulfilled: int
    restocked: int
    own_writes: int
    manual_edit: int
    other_states: int
    adjust_odoo: int
    republish: bool
    needs_order_import: bool
    snapshot: LevelSnapshot
    stale_read: bool = False


def classify_level_change(
    snapshot: LevelSnapshot,
    read: LevelRead,
    activity: OrderActivity = NO_ACTIVITY,
    *,
    own_writes: int = 0,
    accept_edits: bool = True,
) -> LevelChange:
    """Split the change from `snapshot` to `read` into its causes (module table).

    Idempotent by construction: the returned snapshot *is* the read, so the same read
    applied again (a duplicated webhook that triggered a second read, or a replay) finds
    no difference and an empty activity window: d is applied once. A read older than the
    snapshot (reordered) changes nothing. A webhook's `available` is never an input:
    webhooks only say "read this level again".

    own_writes: net units we wrote in between that are *not* already in the snapshot
    (0 when the caller advances snapshots with `snapshot_after_write`, as it should).
    """
    if read.as_of < snapshot.as_of or (
        read.as_of == snapshot.as_of
        and (read.available, read.on_hand, read.committed)
        == (snapshot.available, snapshot.on_hand, snapshot.committed)
    ):
        return LevelChange(0, 0, 0, 0, 0, 0, 0, False, False, snapshot, stale_read=True)
    d_a = read.available - snapshot.available
    d_c = read.committed - snapshot.committed
    d_o = read.on_hand - snapshot.on_hand
    f, r = activity.fulfilled, activity.restocked
    orders = d_c + f
    edit = d_o + f - r - own_writes
    other = d_a - (d_o - d_c)
    return LevelChange(
        orders=orders,
        fulfilled=f,
        restocked=r,
        own_writes=own_writes,
        manual_edit=edit,
        other_states=other,
        adjust_odoo=edit if accept_edits else 0,
        republish=(edit != 0 and not accept_edits) or other != 0,
        needs_order_import=orders != 0,
        snapshot=snapshot_from_read(read, snapshot),
    )
