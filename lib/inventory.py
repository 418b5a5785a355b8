"""Shopify's rules for the inventory writes of `ShopifyClient` (`client_writes.py`).

The quantities themselves are a `lib.stock_push.WriteBatch`: one call, its own
idempotency key (derived from its intents, so resending the batch sends the same key).
Here:
- `activation_key()` derives the `@idempotent` key of `inventoryActivate` (required as
  of 2026-04) from (shop, item, location), so a retry sends the same key;
- `quantity_index()` reads which quantity of the call a user error's `field` names;
- `stale_levels()` maps the CHANGE_FROM_QUANTITY_STALE user errors of one call back to
  the levels of the batch sent.
"""

import hashlib
import json
import uuid

STALE_CODE = "CHANGE_FROM_QUANTITY_STALE"
CONCURRENT_CODE = "IDEMPOTENCY_CONCURRENT_REQUEST"


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


def quantity_index(field, size):
    """["input", "quantities", "3", "changeFromQuantity"] -> 3: the quantity a user
    error names, or None when it names none of the `size` quantities sent."""
    field = [str(f) for f in field or ()]
    for i, part in enumerate(field[:-1]):
        if part == "quantities" and field[i + 1].isdigit():
            index = int(field[i + 1])
            return index if index < size else None
    return None


def stale_levels(user_errors, batch):
    """The levels of `batch` (a WriteBatch) named by the call's stale user errors,
    in the order Shopify names them.

    When a stale error names no quantity we cannot tell which rows were stale: every
    level of the batch is reported (the caller re-reads them; nothing was written).
    """
    levels = []
    for err in user_errors:
        if err.get("code") != STALE_CODE:
            continue
        index = quantity_index(err.get("field"), len(batch.intents))
        if index is None:
            return [intent.level for intent in batch.intents]
        level = batch.intents[index].level
        if level not in levels:
            levels.append(level)
    return levels
