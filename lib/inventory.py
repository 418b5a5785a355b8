"""Inventory writes: batches for `inventorySetQuantities`, idempotency keys, stale.

Pure helpers used by `ShopifyClient.set_inventory`:
- `batches()` cuts the quantities into groups of at most 250 (Shopify's limit per call);
- `idempotency_key()` derives the `@idempotent(key:)` value from the *intent* (shop,
  quantity name, reason, and each item/location/target/changeFrom), so retrying the same
  intent -- after a timeout, a lost answer, a crash -- sends the same key and Shopify
  replays its first answer instead of writing twice;
- `activation_key()` does the same for `inventoryActivate` (its key is required too,
  as of 2026-04) from (shop, item, location);
- `stale_pairs()` maps the `field` paths of CHANGE_FROM_QUANTITY_STALE user errors back
  to the (inventory item, location) pairs that were sent.
"""

import hashlib
import json
import uuid

MAX_QUANTITIES_PER_CALL = 250
STALE_CODE = "CHANGE_FROM_QUANTITY_STALE"
CONCURRENT_CODE = "IDEMPOTENCY_CONCURRENT_REQUEST"
_KEYS = ("inventory_item_id", "location_id", "quantity", "change_from")


def normalize_quantity(q):
    """Validate one quantity; `change_from` must be present (None = explicit null)."""
    missing = [k for k in _KEYS if k not in q]
    if missing:
        raise ValueError(f"quantity is missing {', '.join(missing)}")
    change_from = q["change_from"]
    return {
        "inventory_item_id": str(q["inventory_item_id"]),
        "location_id": str(q["location_id"]),
        "quantity": int(q["quantity"]),
        "change_from": None if change_from is None else int(change_from),
    }


def batches(quantities, size=MAX_QUANTITIES_PER_CALL):
    """Normalised quantities in groups of at most `size`, in the order given.

    The same (item, location) twice is refused: Shopify rejects it inside one call and
    across calls the later write would silently win.
    """
    if not 0 < size <= MAX_QUANTITIES_PER_CALL:
        raise ValueError(f"batch size must be 1..{MAX_QUANTITIES_PER_CALL}")
    rows = [normalize_quantity(q) for q in quantities]
    seen = set()
    for row in rows:
        pair = (row["inventory_item_id"], row["location_id"])
        if pair in seen:
            raise ValueError(f"duplicate quantity for {pair[0]} @ {pair[1]}")
        seen.add(pair)
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def to_input(batch):
    """Batch rows -> `[InventoryQuantityInput!]` (changeFromQuantity always sent)."""
    return [
        {
            "inventoryItemId": r["inventory_item_id"],
            "locationId": r["location_id"],
            "quantity": r["quantity"],
            "changeFromQuantity": r["change_from"],
        }
        for r in batch
    ]


def idempotency_key(shop, batch, *, name="available", reason="correction", salt=None):
    """A UUID derived from the intent: same intent -> same key, any change -> new key.

    Order inside the batch does not matter. `salt` separates two *different* intents
    that happen to look identical (A->B, B->A, A->B again within Shopify's key
    retention): pass something that identifies the intent, e.g. a change sequence.
    """
    canonical = json.dumps(
        {
            "shop": str(shop).lower(),
            "name": name,
            "reason": reason,
            "salt": salt,
            "quantities": sorted(
                [
                    r["inventory_item_id"],
                    r["location_id"],
                    r["quantity"],
                    r["change_from"],
                ]
                for r in batch
            ),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


def activation_key(shop, inventory_item_id, location_id, *, salt=None):
    """The `@idempotent` key of "stock this item at this location" in this shop.

    The same intent always gives the same key, so a retry after a timeout or a crash
    is replayed by Shopify instead of run twice. `salt` tells apart a later, new
    activation of the same pair (e.g. after the merchant deactivated it) while
    Shopify still remembers the first key.
    """
    canonical = json.dumps(
        {
            "op": "inventoryActivate",
            "shop": str(shop).lower(),
            "item": str(inventory_item_id),
            "location": str(location_id),
            "salt": salt,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


def _index_from_field(field):
    """["input", "quantities", "3", "changeFromQuantity"] -> 3 (None if absent)."""
    if not field:
        return None
    field = [str(f) for f in field]
    for i, part in enumerate(field[:-1]):
        if part == "quantities" and field[i + 1].isdigit():
            return int(field[i + 1])
    return None


def stale_pairs(user_errors, batch):
    """(item, location) pairs named by the stale user errors of one batch.

    When Shopify names no index we cannot tell which rows were stale: every pair of
    the batch is reported (the caller re-reads them; nothing in the batch was written).
    """
    pairs = []
    for err in user_errors:
        if err.get("code") != STALE_CODE:
            continue
        idx = _index_from_field(err.get("field"))
        if idx is None or idx >= len(batch):
            return [(r["inventory_item_id"], r["location_id"]) for r in batch]
        pair = (batch[idx]["inventory_item_id"], batch[idx]["location_id"])
        if pair not in pairs:
            pairs.append(pair)
    return pairs
