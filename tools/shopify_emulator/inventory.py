"""`inventorySetQuantities` with Shopify's 2026-04+ server-side rules: the @idempotent
key and
`changeFromQuantity` on every quantity are required (the schema cannot say so), a stale
changeFromQuantity fails the whole call (nothing applied), a repeated key replays the
first
result, and the same key with other parameters is refused."""

import json

from .ids import gid, now, parse_gid
from .stock_levels import level_quantities

MAX_QUANTITIES = 250
MAX_QUANTITY = 1_000_000_000
REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}


class TopLevelError(Exception):
    """An error Shopify reports in the top-level `errors` array (not a userError)."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def _err(code, field, message):
    return {"code": code, "field": field, "message": message}


def set_quantities(shop, data, key):
    """-> result dict {"group": group id or None, "userErrors": [...], "replayed":
    bool}.
    """
    if key is None:
        raise TopLevelError(
            "The @idempotent directive is required for this mutation.", "BAD_REQUEST"
        )
    if not key.strip():
        raise TopLevelError("The idempotency key cannot be empty.", "BAD_REQUEST")
    quantities = data["quantities"]
    if len(quantities) > MAX_QUANTITIES:
        raise TopLevelError(
            f"The input array size of {len(quantities)} is greater than the "
            "maximum allowed of "
            f"{MAX_QUANTITIES}.",
            "MAX_INPUT_SIZE_EXCEEDED",
        )
    fingerprint = json.dumps(data, sort_keys=True)
    with shop.lock:
        if key in shop.idempotency:
            first_fp, first = shop.idempotency[key]
            if first_fp != fingerprint:
                return {
                    "group": None,
                    "replayed": False,
                    "userErrors": [
                        _err(
                            "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                            None,
                            "The same idempotency key cannot be used with different "
                            "operation parameters.",
                        )
                    ],
                }
            return dict(first, replayed=True)
        result = _apply(shop, data)
        shop.idempotency[key] = (fingerprint, result)
        return dict(result, replayed=False)


def _apply(shop, data):
    name, errors, plan, seen = data["name"], [], [], set()
    if name not in ("available", "on_hand"):
        errors.append(
            _err(
                "INVALID_NAME",
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
            )
        )
    if data["reason"] not in REASONS:
        errors.append(
            _err(
                "INVALID_REASON",
                ["input", "reason"],
                "The specified reason is invalid.",
            )
        )
    for i, q in enumerate(data["quantities"]):
        path = ["input", "quantities", str(i)]
        if "changeFromQuantity" not in q:
            errors.append(
                _err(
                    None,
                    path + ["changeFromQuantity"],
                    "changeFromQuantity is required; pass null to skip the compare "
                    "check.",
                )
            )
            continue
        iid = parse_gid(q["inventoryItemId"], "InventoryItem")
        lid = parse_gid(q["locationId"], "Location")
        if iid not in shop.items:
            errors.append(
                _err(
                    "INVALID_INVENTORY_ITEM",
                    path + ["inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
            )
            continue
        if lid not in shop.locations or not shop.locations[lid]["active"]:
            errors.append(
                _err(
                    "INVALID_LOCATION",
                    path + ["locationId"],
                    "The specified location could not be found.",
                )
            )
            continue
        if (iid, lid) in seen:
            errors.append(
                _err(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    path,
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            )
            continue
        seen.add((iid, lid))
        level = shop.levels.get((iid, lid))
        if level is None or not level["active"]:
            # 2026-10 has no ITEM_NOT_STOCKED_AT_LOCATION code any more; the level must
            # be
            # activated (inventoryActivate) first.
            errors.append(
                _err(
                    "INVALID_LOCATION",
                    path + ["locationId"],
                    "The inventory item is not stocked at the location.",
                )
            )
            continue
        if q["quantity"] > MAX_QUANTITY:
            errors.append(
                _err(
                    "INVALID_QUANTITY_TOO_HIGH",
                    path + ["quantity"],
                    "The total quantity can't be higher than 1,000,000,000.",
                )
            )
            continue
        if q["quantity"] < -MAX_QUANTITY:
            errors.append(
                _err(
                    "INVALID_QUANTITY_TOO_LOW",
                    path + ["quantity"],
                    "The total quantity can't be lower than -1,000,000,000.",
                )
            )
            continue
        if name == "on_hand" and q["quantity"] < 0:
            errors.append(
                _err(
                    "INVALID_QUANTITY_NEGATIVE",
                    path + ["quantity"],
                    "The quantity can't be negative.",
                )
            )
            continue
        current = level_quantities(level["q"]).get(name, 0)
        if q["changeFromQuantity"] is not None and q["changeFromQuantity"] != current:
            errors.append(
                _err(
                    "CHANGE_FROM_QUANTITY_STALE",
                    path + ["changeFromQuantity"],
                    "The changeFromQuantity value does not match persisted value.",
                )
            )
            continue
        plan.append((iid, lid, level, q["quantity"] - current))
    if errors:
        return {"group": None, "userErrors": errors}  # atomic: nothing applied
    changes, t = [], now()
    for iid, lid, level, delta in plan:
        level["q"]["available"] += (
            delta  # setting on_hand also moves available by the delta
        )
        level["updated_at"] = t
        after = level_quantities(level["q"])
        for qname in ("available", "on_hand"):
            changes.append(
                {
                    "name": qname,
                    "delta": delta,
                    "quantityAfterChange": after[qname],
                    "item": iid,
                    "location": lid,
                    "ledgerDocumentUri": None,
                }
            )
    group_id = shop.new_id()
    shop.groups[group_id] = {
        "id": group_id,
        "created_at": t,
        "reason": data["reason"],
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "changes": changes,
    }
    for iid, lid, _level, delta in plan:
        if delta:
            shop.emit_level(iid, lid)
    return {"group": group_id, "userErrors": []}


def activate(shop, item_gid, loc_gid, available=None):
    """inventoryActivate: -> (level key or None, userErrors)."""
    iid = parse_gid(item_gid, "InventoryItem")
    lid = parse_gid(loc_gid, "Location")
    with shop.lock:
        if iid not in shop.items:
            return None, [
                {
                    "field": ["inventoryItemId"],
                    "message": "Inventory item does not exist",
                }
            ]
        if lid not in shop.locations:
            return None, [
                {"field": ["locationId"], "message": "Location does not exist"}
            ]
        existing = shop.levels.get((iid, lid))
        if existing and existing["active"] and available is not None:
            return (iid, lid), [
                {
                    "field": ["available"],
                    "message": "Not allowed to set available quantity when the item is "
                    "already "
                    "active at the location.",
                }
            ]
        shop.activate(
            iid, lid, available if not (existing and existing["active"]) else None
        )
        return (iid, lid), []


def group_gid(group_id):
    return gid("InventoryAdjustmentGroup", group_id)
