"""A shop's inventory levels: the quantities of one item at one location, their
derived on_hand, the merchant's admin edits, and the inventory_levels/update body."""

from .ids import now, parse_gid

QUANTITY_NAMES = (
    "available",
    "committed",
    "reserved",
    "incoming",
    "damaged",
    "quality_control",
    "safety_stock",
)
UNAVAILABLE = ("reserved", "damaged", "quality_control", "safety_stock")


def level_quantities(q):
    """All quantity names of one level, with Shopify's derived on_hand and
    unavailable."""
    out = dict(q)
    out["unavailable"] = sum(q[n] for n in UNAVAILABLE)
    out["on_hand"] = q["available"] + q["committed"] + out["unavailable"]
    return out


class StockLevels:
    """The inventory-level half of `Shop` (state `shop.levels`, under `shop.lock`)."""

    def _ids(self, item_gid, loc_gid):
        iid = (
            parse_gid(item_gid, "InventoryItem")
            if isinstance(item_gid, str)
            else item_gid
        )
        lid = parse_gid(loc_gid, "Location") if isinstance(loc_gid, str) else loc_gid
        if iid not in self.items:
            raise KeyError(f"unknown inventory item {item_gid}")
        if lid not in self.locations:
            raise KeyError(f"unknown location {loc_gid}")
        return iid, lid

    def activate(self, iid, lid, available=None):
        level = self.levels.get((iid, lid))
        t = now()
        if level is None:
            level = {
                "q": dict.fromkeys(QUANTITY_NAMES, 0),
                "active": True,
                "created_at": t,
                "updated_at": t,
            }
            self.levels[(iid, lid)] = level
        level["active"] = True
        if available is not None:
            level["q"]["available"] = available
            level["updated_at"] = t
        return level

    def set_level(self, item_gid, loc_gid, available=0, emit=False, **others):
        """Admin set-up: activate the level and set quantities (no webhook unless
        emit)."""
        with self.lock:
            iid, lid = self._ids(item_gid, loc_gid)
            level = self.activate(iid, lid, available)
            for name, value in others.items():
                if name not in QUANTITY_NAMES:
                    raise ValueError(f"unknown quantity name {name}")
                level["q"][name] = value
            if emit:
                self.emit_level(iid, lid)
            return level_quantities(level["q"])

    def level(self, item_gid, loc_gid):
        with self.lock:
            iid, lid = self._ids(item_gid, loc_gid)
            level = self.levels.get((iid, lid))
            if level is None or not level["active"]:
                return None
            return level_quantities(level["q"])

    def manual_edit(self, item_gid, loc_gid, available):
        """The merchant types a new "Available" in the admin: available and on_hand move
        together.
        """
        with self.lock:
            iid, lid = self._ids(item_gid, loc_gid)
            level = self.activate(iid, lid)
            level["q"]["available"] = available
            level["updated_at"] = now()
            self.emit_level(iid, lid)
            return level_quantities(level["q"])

    def _move(self, iid, lid, **deltas):
        level = self.activate(iid, lid)
        for name, delta in deltas.items():
            level["q"][name] += delta
        level["updated_at"] = now()

    def emit_level(self, iid, lid):
        level = self.levels[(iid, lid)]
        self.emit(
            "inventory_levels/update",
            {
                "inventory_item_id": iid,
                "location_id": lid,
                "available": level["q"]["available"],
                "updated_at": self.rest_time(level["updated_at"]),
                "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{lid}?inventory_item_id={iid}",
            },
        )
