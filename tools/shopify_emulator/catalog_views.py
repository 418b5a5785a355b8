"""GraphQL views of the catalog and its stock: locations, inventory items and levels,
variants, products and inventory adjustment groups."""

from graphql import GraphQLError

from .ids import iso, parse_gid
from .stock_levels import level_quantities
from .views import View, connection


class LocationView(View):
    TYPE = "Location"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.name = rec["name"]
        self.isActive = rec["active"]
        self.fulfillsOnlineOrders = True
        # "Legacy field indicating this location was designated for shipping."
        self.shipsInventory = rec.get("ships_inventory", True)

    def inventoryLevel(self, info, inventoryItemId, includeInactive=False):
        iid = parse_gid(inventoryItemId, "InventoryItem")
        return level_view(self.shop, iid, self._id, includeInactive)


def level_view(shop, iid, lid, include_inactive=False):
    level = shop.levels.get((iid, lid))
    if level is None or not (level["active"] or include_inactive):
        return None
    return LevelView(shop, iid, lid, level)


class LevelView:
    TYPE = "InventoryLevel"

    def __init__(self, shop, iid, lid, level):
        self.shop, self.iid, self.lid, self.rec = shop, iid, lid, level
        self.isActive = level["active"]
        self.canDeactivate = True

    def id(self, info):
        return f"gid://shopify/InventoryLevel/{self.lid}?inventory_item_id={self.iid}"

    def createdAt(self, info):
        return iso(self.rec["created_at"])

    def updatedAt(self, info):
        return iso(self.rec["updated_at"])

    def item(self, info):
        return ItemView(self.shop, self.shop.items[self.iid])

    def location(self, info):
        return LocationView(self.shop, self.shop.locations[self.lid])

    def quantities(self, info, names):
        q = level_quantities(self.rec["q"])
        out = []
        for name in names:
            if name not in q:
                raise GraphQLError(f"Invalid quantity name: {name}")
            out.append(
                {
                    "id": f"gid://shopify/InventoryQuantity/{self.lid}?inventory_item_id="
                    f"{self.iid}&name={name}",
                    "name": name,
                    "quantity": q[name],
                    "updatedAt": iso(self.rec["updated_at"]),
                }
            )
        return out


class ItemView(View):
    TYPE = "InventoryItem"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.tracked = rec["tracked"]

    def sku(self, info):
        return self.shop.variants[self.rec["variant_id"]]["sku"]

    def variant(self, info):
        return VariantView(self.shop, self.shop.variants[self.rec["variant_id"]])

    def inventoryLevel(self, info, locationId, includeInactive=False):
        return level_view(
            self.shop, self._id, parse_gid(locationId, "Location"), includeInactive
        )

    def inventoryLevels(self, info, first=None, after=None):
        lids = [
            lid
            for lid in self.shop.locations
            if (self._id, lid) in self.shop.levels
            and self.shop.levels[(self._id, lid)]["active"]
        ]
        return connection(
            lids,
            lambda lid: [lid],
            first,
            after,
            wrap=lambda lid: LevelView(
                self.shop, self._id, lid, self.shop.levels[(self._id, lid)]
            ),
        )


class VariantView(View):
    TYPE = "ProductVariant"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.sku = rec["sku"]
        self.title = rec["title"]
        self.price = rec["price"]
        self.barcode = rec["barcode"]

    def displayName(self, info):
        product = self.shop.products[self.rec["product_id"]]
        return f"{product['title']} - {self.rec['title']}"

    def inventoryItem(self, info):
        return ItemView(self.shop, self.shop.items[self.rec["item_id"]])

    def product(self, info):
        return ProductView(self.shop, self.shop.products[self.rec["product_id"]])

    def inventoryQuantity(self, info):
        iid = self.rec["item_id"]
        return sum(
            lv["q"]["available"]
            for (i, _l), lv in self.shop.levels.items()
            if i == iid and lv["active"]
        )


class ProductView(View):
    TYPE = "Product"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.title = rec["title"]
        self.handle = rec["handle"]
        self.status = rec["status"]
        self.vendor = rec["vendor"]

    def tracksInventory(self, info):
        return any(
            self.shop.items[self.shop.variants[v]["item_id"]]["tracked"]
            for v in self.rec["variant_ids"]
        )

    def totalInventory(self, info):
        return sum(
            VariantView(self.shop, self.shop.variants[v]).inventoryQuantity(info)
            for v in self.rec["variant_ids"]
        )

    def variants(self, info, first=None, after=None):
        recs = [self.shop.variants[v] for v in self.rec["variant_ids"]]
        return connection(
            recs,
            lambda r: [r["id"]],
            first,
            after,
            wrap=lambda r: VariantView(self.shop, r),
        )


class AdjustmentGroupView(View):
    TYPE = "InventoryAdjustmentGroup"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.reason = rec["reason"]
        self.referenceDocumentUri = rec["referenceDocumentUri"]

    def changes(
        self, info, inventoryItemIds=None, locationIds=None, quantityNames=None
    ):
        items = {parse_gid(i, "InventoryItem") for i in inventoryItemIds or []}
        locs = {parse_gid(i, "Location") for i in locationIds or []}
        out = []
        for ch in self.rec["changes"]:
            if (items and ch["item"] not in items) or (
                locs and ch["location"] not in locs
            ):
                continue
            if quantityNames and ch["name"] not in quantityNames:
                continue
            out.append(
                dict(
                    ch,
                    item=ItemView(self.shop, self.shop.items[ch["item"]])
                    if ch["item"] in self.shop.items
                    else None,
                    location=LocationView(
                        self.shop, self.shop.locations[ch["location"]]
                    ),
                )
            )
        return out
