"""Browser tours in headless Chromium against the emulator running in this process:
the guided setup from the store form, then mappings, logs, webhook events, Health;
the merchant's view (product form's Shopify panel, Overview)."""

from odoo.tests import HttpCase, tagged

from ..lib.webhook_topics import TOPICS
from ..tools.shopify_emulator import Emulator

DOMAIN = "tour-shop.myshopify.com"
SECRET = "csecret-tour-shop"  # typed by the tour (static/src/js/tours)
SKUS = ("TOUR-1", "TOUR-2", "TOUR-3")


@tagged("post_install", "-at_install", "shopify_tour")
class TestShopifyTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = Emulator().start()
        cls.addClassCleanup(cls.emulator.stop)

    def setUp(self):
        super().setUp()
        # The emulator outlives a test's rollback: a fresh shop per test.
        self.emulator.shops.pop(DOMAIN, None)
        shop = self.emulator.add_shop(
            DOMAIN, client_id="cid-tour-shop", client_secret=SECRET, name="Tour"
        )
        main = shop.add_location("Main warehouse")
        back = shop.add_location("Back room")
        for sku in (*SKUS, "GAMMA-UNKNOWN"):
            product = shop.add_product(
                "Tour %s" % sku, variants=[{"sku": sku, "price": "10.00"}]
            )
            item = product["variants"][0]["inventory_item_id"]
            shop.set_level(item, main, available=3)
            shop.set_level(item, back, available=1)
        self.shop = shop
        self.warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        self.back_warehouse = self.env["stock.warehouse"].create(
            {"name": "Tour back room", "code": "TBR"}
        )
        self.products = self.env["product.product"].create(
            [
                {
                    "name": "Tour %s" % sku,
                    "default_code": sku,
                    "detailed_type": "product",
                }
                for sku in SKUS
            ]
        )
        for n, product in enumerate(self.products, start=1):
            self.env["stock.quant"]._update_available_quantity(
                product, self.warehouse.lot_stock_id, 10 * n
            )
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )
        self.store = self.env["shopify.store"].create(
            {
                "name": "Tour store",
                "shop_domain": DOMAIN,
                "client_id": "cid-tour-shop",
                "client_secret": "a-wrong-secret",
                "api_base_url_override": shop.base_url,
            }
        )

    def _form_url(self):
        action = self.env.ref("shopify_sync.shopify_store_action")
        menu = self.env.ref("stock.menu_stock_root")
        return "/web#id=%d&model=shopify.store&view_type=form&action=%d&menu_id=%d" % (
            self.store.id,
            action.id,
            menu.id,
        )

    def _available(self, sku, location_gid):
        item = self.shop.variant_by_sku(sku)["item_id"]
        return self.shop.level("gid://shopify/InventoryItem/%d" % item, location_gid)[
            "available"
        ]

    def test_guided_setup(self):
        self.start_tour(self._form_url(), "shopify_sync_guided_setup", login="admin")
        store = self.store
        store.invalidate_recordset()
        self.assertEqual(store.state, "connected")
        self.assertEqual(store.shop_name, "Tour")
        locations = store.location_ids.sorted("id")
        self.assertEqual(
            locations.mapped("stock_location_id"),
            self.warehouse.lot_stock_id + self.back_warehouse.lot_stock_id,
        )
        mappings = store.mapping_ids
        self.assertEqual(
            sorted(mappings.filtered(lambda m: m.state == "mapped").mapped("sku")),
            list(SKUS),
        )
        self.assertEqual(
            mappings.filtered(lambda m: m.state != "mapped").sku, "GAMMA-UNKNOWN"
        )
        ours = [
            s
            for s in self.shop.subscriptions.values()
            if s["uri"] == self.base_url() + "/shopify/webhook/%d" % store.id
        ]
        self.assertEqual(len(ours), len(TOPICS), "every topic subscribed once")
        # The first push published Odoo's stock: 10, 20, 30 in WH/Stock, 0 in the
        # back room (nothing there in Odoo).
        main_gid, back_gid = locations.mapped("shopify_gid")
        for n, sku in enumerate(SKUS, start=1):
            self.assertEqual(self._available(sku, main_gid), 10 * n)
            self.assertEqual(self._available(sku, back_gid), 0)

    def test_open_records(self):
        store = self.store.sudo()
        store.client_secret = SECRET
        self.assertTrue(store._shopify_test_connection()["ok"])
        store._shopify_fetch_locations()
        store._shopify_match_products()
        self.assertFalse(store._shopify_check_webhooks())
        # A merchant edits a level in the shop's admin: Shopify sends a webhook to
        # the test server, which stores it.
        main_gid = store.location_ids.sorted("id")[0].shopify_gid
        item = self.shop.variant_by_sku("TOUR-1")["item_id"]
        self.shop.manual_edit("gid://shopify/InventoryItem/%d" % item, main_gid, 7)
        self.assertTrue(self.emulator.flush_webhooks(timeout=20))
        events = self.env["shopify.webhook.event"].search([("store_id", "=", store.id)])
        self.assertEqual(events.mapped("topic"), ["inventory_levels/update"])
        self.start_tour(self._form_url(), "shopify_sync_open_records", login="admin")

    def test_merchant_view(self):
        store = self.store.sudo()
        store.client_secret = SECRET
        self.assertTrue(store._shopify_test_connection()["ok"])
        store._shopify_fetch_locations()  # Main warehouse -> WH/Stock
        store._shopify_match_products()
        self.env["shopify.sync.log"]._log(
            store=store, operation="inventory:push", duration_ms=120, item_count=1
        )
        level = self.env["shopify.inventory.level"].search(
            [("store_id", "=", store.id), ("product_id", "=", self.products[0].id)]
        )
        self.assertEqual(len(level), 1, "one mapped location")
        level.write({"dirty": False})  # as if pushed
        template = self.products[0].product_tmpl_id
        menu = self.env.ref("stock.menu_stock_root")
        url = "/web#id=%d&model=product.template&view_type=form&menu_id=%d" % (
            template.id,
            menu.id,
        )
        self.start_tour(url, "shopify_sync_merchant_view", login="admin")
        level.invalidate_recordset()
        self.assertTrue(level.dirty, "Push now marked it")
