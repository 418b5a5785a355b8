"""A shop's catalog: locations, products, variants and their inventory items, as the
merchant sets them up in the admin, and the products/* webhook bodies."""

from .ids import gid, now, parse_gid

INVENTORY_POLICIES = ("CONTINUE", "DENY")  # enum ProductVariantInventoryPolicy


def _policy(value):
    value = str(value).upper()
    if value not in INVENTORY_POLICIES:
        raise ValueError("inventory policy is CONTINUE or DENY, got %r" % value)
    return value


class Catalog:
    """The catalog half of `Shop` (state in `Shop.__init__`, under `shop.lock`)."""

    def add_location(self, name, active=True, ships_inventory=True):
        with self.lock:
            lid = self.new_id()
            self.locations[lid] = {
                "id": lid,
                "name": name,
                "active": active,
                "ships_inventory": ships_inventory,
                "created_at": now(),
            }
            if self.primary_location_id is None:
                self.primary_location_id = lid
        return gid("Location", lid)

    def set_primary_location(self, location):
        """The merchant picks another default location (None: the shop has none,
        as a shop whose primary concept no longer applies)."""
        with self.lock:
            self.primary_location_id = (
                parse_gid(location, "Location") if location else None
            )

    def add_product(self, title, variants=None, status="ACTIVE", vendor="Emulator"):
        with self.lock:
            pid = self.new_id()
            t = now()
            self.products[pid] = {
                "id": pid,
                "title": title,
                "status": status,
                "vendor": vendor,
                "handle": "-".join(title.lower().split()) + f"-{pid}",
                "created_at": t,
                "updated_at": t,
                "variant_ids": [],
            }
            for spec in variants or [{}]:
                self._new_variant(pid, spec)
            return self.product_dict(pid)

    def _new_variant(self, pid, spec):
        vid, iid, t = self.new_id(), self.new_id(), now()
        product = self.products[pid]
        self.variants[vid] = {
            "id": vid,
            "product_id": pid,
            "sku": spec.get("sku"),
            "title": spec.get("title", "Default Title"),
            "price": str(spec.get("price", "0.00")),
            "barcode": spec.get("barcode"),
            # ProductVariant.inventoryPolicy (see CheckoutRefused). The control API
            # keeps CONTINUE unless told: the scenarios written before it model
            # stores that keep selling (Shopify's own API default is DENY).
            "inventory_policy": _policy(spec.get("inventory_policy", "CONTINUE")),
            "item_id": iid,
            "created_at": t,
            "updated_at": t,
        }
        self.items[iid] = {
            "id": iid,
            "variant_id": vid,
            "tracked": spec.get("tracked", True),
            "created_at": t,
            "updated_at": t,
        }
        product["variant_ids"].append(vid)
        product["updated_at"] = t
        return vid

    def add_variant(self, product_gid, spec):
        pid = parse_gid(product_gid, "Product")
        with self.lock:
            vid = self._new_variant(pid, spec)
            self.emit("products/update", self.product_payload(pid))
            return self.variant_dict(vid)

    def update_variant(self, variant_gid, **changes):
        vid = parse_gid(variant_gid, "ProductVariant")
        with self.lock:
            var = self.variants[vid]
            for key in ("sku", "title", "price", "barcode"):
                if key in changes:
                    var[key] = changes[key]
            if "inventory_policy" in changes:
                var["inventory_policy"] = _policy(changes["inventory_policy"])
            if "tracked" in changes:
                self.items[var["item_id"]]["tracked"] = changes["tracked"]
            var["updated_at"] = self.products[var["product_id"]]["updated_at"] = now()
            self.emit("products/update", self.product_payload(var["product_id"]))
            return self.variant_dict(vid)

    def delete_product(self, product_gid):
        pid = parse_gid(product_gid, "Product")
        with self.lock:
            product = self.products.pop(pid)
            for vid in product["variant_ids"]:
                iid = self.variants.pop(vid)["item_id"]
                self.items.pop(iid, None)
                for key in [k for k in self.levels if k[0] == iid]:
                    del self.levels[key]
            self.emit("products/delete", {"id": pid})

    def variant_dict(self, vid):
        var = self.variants[vid]
        return {
            "id": gid("ProductVariant", vid),
            "sku": var["sku"],
            "title": var["title"],
            "price": var["price"],
            "inventory_item_id": gid("InventoryItem", var["item_id"]),
            "product_id": gid("Product", var["product_id"]),
            "tracked": self.items[var["item_id"]]["tracked"],
            "inventory_policy": var["inventory_policy"],
        }

    def product_dict(self, pid):
        product = self.products[pid]
        return {
            "id": gid("Product", pid),
            "title": product["title"],
            "variants": [self.variant_dict(v) for v in product["variant_ids"]],
        }

    def variant_by_sku(self, sku):
        for var in self.variants.values():
            if var["sku"] == sku:
                return var
        return None

    def product_payload(self, pid):
        product = self.products[pid]
        return {
            "id": pid,
            "admin_graphql_api_id": gid("Product", pid),
            "title": product["title"],
            "handle": product["handle"],
            "status": product["status"].lower(),
            "vendor": product["vendor"],
            "updated_at": self.rest_time(product["updated_at"]),
            "created_at": self.rest_time(product["created_at"]),
            "variants": [
                {
                    "id": v,
                    "admin_graphql_api_id": gid("ProductVariant", v),
                    "product_id": pid,
                    "sku": self.variants[v]["sku"],
                    "title": self.variants[v]["title"],
                    "price": self.variants[v]["price"],
                    "inventory_item_id": self.variants[v]["item_id"],
                    "inventory_management": "shopify"
                    if self.items[self.variants[v]["item_id"]]["tracked"]
                    else None,
                }
                for v in product["variant_ids"]
            ],
        }
