"""Fetch locations from the emulator: the shop's primary location mapped by default
(not the first by name), unmapped locations never written, vanished locations
archived."""

from odoo.tests import tagged

from .common import ShopifyCommon
from .inventory_common import CLIENT_OPTIONS


@tagged("post_install", "-at_install")
class TestLocations(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.store, cls.shop = cls._create_emulated_store(
            cls.emulator, "locations-0", state="connected"
        )
        cls.main = cls.shop.add_location("Main")
        cls.popup = cls.shop.add_location("Pop-up")
        cls.product = cls._create_product("LOC-1")
        cls.item = cls.shop.add_product("Loc", [{"sku": "LOC-1"}])["variants"][0][
            "inventory_item_id"
        ]
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.warehouse.lot_stock_id, 6
        )

    def _locations(self):
        return (
            self.env["shopify.location"]
            .with_context(active_test=False)
            .search([("store_id", "=", self.store.id)], order="id")
        )

    def test_fetch_maps_primary_location_only_and_never_writes_unmapped(self):
        counts = self.store._shopify_fetch_locations()
        self.assertEqual(counts["created"], 2)
        main, popup = self._locations()
        self.assertEqual(main.stock_location_id, self.warehouse.lot_stock_id)
        self.assertFalse(popup.stock_location_id, "other locations stay unmapped")
        self.assertEqual(self.store.location_count, 2)
        self.assertEqual(self.store.mapped_location_count, 1)
        self.store._shopify_match_products()
        levels = self.env["shopify.inventory.level"].search(
            [("store_id", "=", self.store.id)]
        )
        self.assertEqual(levels.shopify_location_id, main)
        self.env["shopify.inventory.level"].with_context(
            shopify_client_options=CLIENT_OPTIONS
        )._cron_push_inventory()
        self.assertEqual(self.shop.level(self.item, self.main)["available"], 6)
        self.assertIsNone(self.shop.level(self.item, self.popup), "never written")
        activations = [
            m for m in self.shop.mutations if m["name"] == "inventoryActivate"
        ]
        self.assertEqual(len(activations), 1, "activated at the mapped location only")
        # Fetching again keeps the mapping and adds nothing.
        again = self.store._shopify_fetch_locations()
        self.assertEqual((again["created"], again["updated"]), (0, 0))
        self.assertEqual(main.stock_location_id, self.warehouse.lot_stock_id)

    def test_vanished_location_archived_and_its_levels_too(self):
        self.store._shopify_fetch_locations()
        self.store._shopify_match_products()
        main, _popup = self._locations()
        level = self.env["shopify.inventory.level"].search(
            [("store_id", "=", self.store.id)]
        )
        self.assertTrue(level.active)
        lid = int(self.main.rsplit("/", 1)[1])
        saved = self.shop.locations.pop(lid)
        try:
            counts = self.store._shopify_fetch_locations()
        finally:
            self.shop.locations[lid] = saved
        self.assertEqual(counts["archived"], 1)
        self.assertFalse(main.active)
        self.assertFalse(level.active, "levels at an archived location are not pushed")

    def test_a_store_with_a_mapped_location_gets_no_default(self):
        self.store._shopify_fetch_locations()
        main, popup = self._locations()
        main.stock_location_id = False
        popup.stock_location_id = self.warehouse.lot_stock_id
        self.store._shopify_fetch_locations()
        self.assertFalse(main.stock_location_id)

    def _store_with(self, handle, names):
        store, shop = self._create_emulated_store(
            self.emulator, handle, state="connected"
        )
        gids = {
            name: shop.add_location(name, ships_inventory=ships)
            for name, ships in names
        }
        return store, shop, gids

    def _mapped(self, store):
        return (
            self.env["shopify.location"]
            .search([("store_id", "=", store.id), ("stock_location_id", "!=", False)])
            .mapped("name")
        )

    def test_primary_location_not_first_by_name_is_the_default(self):
        store, shop, gids = self._store_with(
            "locations-primary",
            [("Warehouse", True), ("Annex", True), ("Backroom", True)],
        )
        shop.set_primary_location(gids["Backroom"])  # neither first added nor by name
        counts = store._shopify_fetch_locations()
        self.assertEqual(self._mapped(store), ["Backroom"])
        self.assertIn("Backroom (the shop's primary location)", counts["default_note"])
        log = self.env["shopify.sync.log"].search(
            [("store_id", "=", store.id), ("operation", "=", "locations:fetch")],
            order="id desc",
            limit=1,
        )
        self.assertIn("Backroom", log.message)
        self.assertIn(self.warehouse.lot_stock_id.display_name, log.message)

    def test_without_primary_the_first_location_shipping_inventory(self):
        store, shop, _gids = self._store_with(
            "locations-fallback",
            [("Alpha pickup", False), ("Zulu", True), ("Dock", True)],
        )
        shop.set_primary_location(None)  # Shopify answers `location` with null
        counts = store._shopify_fetch_locations()
        self.assertEqual(self._mapped(store), ["Dock"])
        self.assertIn("the first that ships inventory", counts["default_note"])
