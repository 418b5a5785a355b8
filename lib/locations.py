"""Which Shopify location Fetch Locations maps to the store's warehouse by default.

Shopify's way to name the shop's primary location is the `location` query without an
id ("If no ID is provided, the primary location of the Shop is returned", QueryRoot
.location, Admin GraphQL 2026-10); `Location.isPrimary` is deprecated ("The concept of
a primary location is deprecated, shipsInventory can be used to get a fallback
location"). So: the primary location if it is active, else the first active location
that ships inventory, else the first active one; names in alphabetical order for the
fallbacks, so the choice does not depend on the order Shopify lists them.
"""

from __future__ import annotations

PRIMARY = "primary"
SHIPS_INVENTORY = "ships_inventory"
FIRST_ACTIVE = "first_active"


def default_location(rows, primary_gid):
    """(row, reason) for the location to pre-map among `rows` (dicts with gid, name,
    active, ships_inventory as lib.client.locations returns them), or (None, None)
    when no location is active. `reason` is PRIMARY, SHIPS_INVENTORY or
    FIRST_ACTIVE."""
    active = sorted(
        (r for r in rows if r.get("active", True)),
        key=lambda r: ((r.get("name") or "").casefold(), r["gid"]),
    )
    for row in active:
        if primary_gid and row["gid"] == primary_gid:
            return row, PRIMARY
    for row in active:
        if row.get("ships_inventory"):
            return row, SHIPS_INVENTORY
    if active:
        return active[0], FIRST_ACTIVE
    return None, None
