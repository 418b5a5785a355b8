"""Fixture of the inventory tests: 3 emulated stores sharing one Odoo warehouse, the
third with a second Shopify location mapped to a second warehouse; two SKUs.

Odoo rolls every test back to the class state; the emulator's shops are put back to
the state they had then (levels, idempotency keys, mutation log), so both sides start
each test in sync."""

import copy

from .common import ShopifyCommon

# Fast client for tests: short timeouts, tiny backoff, small retry budget.
CLIENT_OPTIONS = {
    "timeout": (2, 1.0),
    "max_retry_seconds": 4,
    "backoff_base": 0.01,
    "backoff_cap": 0.05,
}


class InventoryCommon(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.emulator.timeout_hold = (
            1.5  # a "timeout" fault outlasts the 1 s read timeout
        )
        cls.Level = cls.env["shopify.inventory.level"]
        cls.wh = cls.warehouse
        cls.wh2 = cls.env["stock.warehouse"].create(
            {"name": "Second warehouse", "code": "WH2", "company_id": cls.company.id}
        )
        cls.stock = cls.wh.lot_stock_id
        cls.stock2 = cls.wh2.lot_stock_id
        cls.p1 = cls._create_product("INV-1", "Inventory product 1")
        cls.p2 = cls._create_product("INV-2", "Inventory product 2")
        cls.stores, cls.shops, cls.loc1 = [], [], []
        for n in range(3):
            store, shop = cls._create_emulated_store(
                cls.emulator,
                "inv-%s-%d" % (cls.__name__.lower()[:12], n),
                state="connected",
            )
            cls.loc1.append(shop.add_location("Main %d" % n))
            for sku in ("INV-1", "INV-2"):
                shop.add_product("Product %s" % sku, [{"sku": sku}])
            cls.stores.append(store)
            cls.shops.append(shop)
        cls.loc2 = cls.shops[2].add_location("Second")
        # Store 0: levels do not exist yet in Shopify (activated by the push);
        # stores 1 and 2: stocked with a stale 0.
        for shop in cls.shops[1:]:
            for item in cls._items(shop):
                shop.set_level(item, cls.loc1[cls.shops.index(shop)], available=0)
        for store in cls.stores:
            store._shopify_fetch_locations()  # first location -> main warehouse
            store._shopify_match_products()
        second = cls.env["shopify.location"].search(
            [("store_id", "=", cls.stores[2].id), ("shopify_gid", "=", cls.loc2)]
        )
        second.stock_location_id = cls.stock2
        cls.Quant = cls.env["stock.quant"]
        cls.Quant._update_available_quantity(cls.p1, cls.stock, 10)
        cls.Quant._update_available_quantity(cls.p2, cls.stock, 4)
        cls.Quant._update_available_quantity(cls.p1, cls.stock2, 3)
        cls.initial_push = cls.Level.with_context(
            shopify_client_options=CLIENT_OPTIONS
        )._cron_push_inventory()
        cls._emulator_state = [cls._shop_state(shop) for shop in cls.shops]

    @staticmethod
    def _shop_state(shop):
        with shop.lock:
            return copy.deepcopy((shop.levels, shop.idempotency, shop.mutations))

    def setUp(self):
        super().setUp()
        for shop, state in zip(self.shops, self._emulator_state, strict=True):
            levels, idempotency, mutations = copy.deepcopy(state)
            with shop.lock:
                shop.levels, shop.idempotency = levels, idempotency
                shop.mutations[:] = mutations
                shop.faults.clear()

    @staticmethod
    def _items(shop):
        return ["gid://shopify/InventoryItem/%s" % iid for iid in sorted(shop.items)]

    @staticmethod
    def _item(shop, sku):
        var = shop.variant_by_sku(sku)
        return "gid://shopify/InventoryItem/%s" % var["item_id"]

    def _push(self, **context):
        return self.Level.with_context(
            shopify_client_options=CLIENT_OPTIONS, **context
        )._cron_push_inventory()

    def _shown(self, shop_index, sku, second=False):
        shop = self.shops[shop_index]
        location = self.loc2 if second else self.loc1[shop_index]
        level = shop.level(self._item(shop, sku), location)
        return level and level["available"]

    def _shown_everywhere(self, sku):
        return [self._shown(n, sku) for n in range(3)]

    @staticmethod
    def _writes(shop):
        return [m for m in shop.mutations if m["name"] == "inventorySetQuantities"]

    def _write_counts(self):
        return [len(self._writes(shop)) for shop in self.shops]

    def _dirty(self, levels):
        """Levels dirty once the pending stock-change marks are absorbed."""
        self.Level._shopify_absorb_marks()
        return levels.filtered("dirty")

    def _levels(self, product=None, store=None):
        domain = []
        if product:
            domain.append(("product_id", "=", product.id))
        if store:
            domain.append(("store_id", "=", store.id))
        return self.Level.search(domain)
