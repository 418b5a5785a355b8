"""Plan the writes that make every store show Odoo's published quantity.

Rules, each for a reason:
- one write per level however many Odoo changes marked it dirty (coalesce: last wins);
- no write when the snapshot already shows the value (a quiet system sends nothing, and
  our own echo never triggers a write);
- every write is a compare-and-swap from the snapshot's `available`: if anything
happened
  at the level since we looked, Shopify answers CHANGE_FROM_QUANTITY_STALE instead of
  silently overwriting an order or a merchant's edit we have not classified yet;
- no write without a snapshot: read the level first (we cannot compare-and-swap blind);
- the idempotency key belongs to the intent (level, target, change_from, snapshot
version),
  not to the HTTP attempt: a retry after a timeout reuses it and Shopify returns the
  first result instead of applying twice. The snapshot version keeps a *later*
  identical-looking intent (5 -> 3 again after the level went back to 5) from being
  swallowed as a replay;
- at most 250 quantities per inventorySetQuantities call, one store per call; the call's
  key is derived from its intents, so resending the same batch reuses it.

A `WriteBatch` is what crosses into the client: `ShopifyClient.set_inventory(batch)`
sends it as one call with its own key and answers a `WriteAnswer` (or raises
`ShopifyStaleQuantityError` naming the batch's stale levels).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .stock import LevelKey, LevelSnapshot

MAX_QUANTITIES_PER_CALL = 250
_KEY_NAMESPACE = uuid.UUID("5b0c61f2-7d1c-4a53-9e55-3c8f0e6a2b71")


def intent_key(level: LevelKey, quantity: int, change_from: int, version: int) -> str:
    """Deterministic UUID of one write intent: same intent, same key, on every retry."""
    name = "|".join(map(str, (*level, quantity, change_from, version)))
    return str(uuid.uuid5(_KEY_NAMESPACE, name))


@dataclass(frozen=True)
class WriteIntent:
    """Set `level` to `quantity` if it still shows `change_from`."""

    level: LevelKey
    quantity: int
    change_from: int
    key: str

    def as_input(self) -> dict:
        """The InventoryQuantityInput of inventorySetQuantities (name "available")."""
        return {
            "inventoryItemId": self.level.item,
            "locationId": self.level.location,
            "quantity": self.quantity,
            "changeFromQuantity": self.change_from,
        }


@dataclass(frozen=True)
class PushPlan:
    writes: tuple[WriteIntent, ...]
    in_sync: tuple[LevelKey, ...]  # the store already shows the value: nothing to send
    needs_read: tuple[LevelKey, ...]  # no snapshot yet: read before writing


def plan_push(
    desired: Mapping[LevelKey, int], snapshots: Mapping[LevelKey, LevelSnapshot]
) -> PushPlan:
    """Decide, per level, write / skip / read-first. Levels are sorted for stable
    batches."""
    writes, in_sync, needs_read = [], [], []
    for level in sorted(desired):
        quantity = desired[level]
        if quantity < 0:
            raise ValueError("published quantity is never negative: %r" % (quantity,))
        snap = snapshots.get(level)
        if snap is None:
            needs_read.append(level)
        elif snap.available == quantity:
            in_sync.append(level)
        else:
            key = intent_key(level, quantity, snap.available, snap.version)
            writes.append(WriteIntent(level, quantity, snap.available, key))
    return PushPlan(tuple(writes), tuple(in_sync), tuple(needs_read))


@dataclass(frozen=True)
class WriteBatch:
    """One inventorySetQuantities call: one store, <= 250 intents, one idempotency
    key."""

    store: object
    intents: tuple[WriteIntent, ...]
    key: str

    def __post_init__(self):
        # One call: Shopify refuses more than 250 quantities, or one level twice
        # (NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR); a caller bug, not stock.
        if len(self.intents) > MAX_QUANTITIES_PER_CALL:
            raise ValueError(f"a batch holds at most {MAX_QUANTITIES_PER_CALL} writes")
        levels = {intent.level for intent in self.intents}
        if len(levels) != len(self.intents):
            raise ValueError("a batch writes each level once")
        if any(level.store != self.store for level in levels):
            raise ValueError("a batch writes the levels of its own store only")

    def inputs(self) -> list[dict]:
        """The GraphQL `quantities` input of inventorySetQuantities."""
        return [intent.as_input() for intent in self.intents]


@dataclass(frozen=True)
class WriteAnswer:
    """Shopify accepted a batch (its first answer, or the replay of its key).

    group: the InventoryAdjustmentGroup's gid (None when Shopify made no group);
    available / on_hand: {LevelKey: quantityAfterChange} as the answer reports them
    (a level Shopify did not list is absent)."""

    key: str
    group: str | None
    available: Mapping[LevelKey, int]
    on_hand: Mapping[LevelKey, int]


def batch_key(intents: Iterable[WriteIntent]) -> str:
    """The call's key: derived from its intents' keys, so the same batch -> the same
    key."""
    return str(uuid.uuid5(_KEY_NAMESPACE, ",".join(sorted(i.key for i in intents))))


def batch_writes(
    writes: Iterable[WriteIntent], size: int = MAX_QUANTITIES_PER_CALL
) -> list[WriteBatch]:
    """Group intents per store into calls of at most `size` quantities."""
    if not 1 <= size <= MAX_QUANTITIES_PER_CALL:
        raise ValueError("batch size must be 1..%d" % MAX_QUANTITIES_PER_CALL)
    per_store: dict[object, list[WriteIntent]] = {}
    for intent in writes:
        per_store.setdefault(intent.level.store, []).append(intent)
    batches = []
    for store, intents in per_store.items():
        for start in range(0, len(intents), size):
            chunk = tuple(intents[start : start + size])
            batches.append(WriteBatch(store, chunk, batch_key(chunk)))
    return batches
