"""Webhooks are hints, never authority (issue 14): the destructive topics act only
once the Admin API (the emulator) confirms them, whatever a signed body says."""

import json
import uuid

from odoo.tests import tagged

from .common import ShopifyCommon


@tagged("post_install", "-at_install")
class TestWebhookAuthority(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.store, cls.shop = cls._create_emulated_store(
            cls.emulator,
            "authority",
            state="connected",
            auth_method="legacy_token",
            legacy_access_token="shpat_authority",
            legacy_api_secret="authority-api-secret",
        )
        cls.shop.access_token = "shpat_authority"
        cls.shop.add_location("Main")
        cls._create_product("AUTH-1")
        cls.product = cls.shop.add_product("Kept", [{"sku": "AUTH-1"}])
        cls.store._shopify_fetch_locations()
        cls.store._shopify_match_products()

    def _process(self, topic, payload):
        event = self.env["shopify.webhook.event"]._shopify_store_delivery(
            self.store, topic, str(uuid.uuid4()), json.dumps(payload), payload
        )
        event._shopify_process_one()
        self.env.invalidate_all()
        self.assertFalse(event.last_error)
        return event

    def _warnings(self, topic):
        return (
            self.env["shopify.sync.log"]
            .sudo()
            .search(
                [
                    ("store_id", "=", self.store.id),
                    ("operation", "=", "webhook:%s" % topic),
                    ("state", "=", "warning"),
                ]
            )
            .mapped("message")
        )

    def _product_id(self):
        return int(self.product["id"].rsplit("/", 1)[1])

    def _mappings(self):
        return self.store.mapping_ids.filtered(lambda m: m.sku == "AUTH-1")

    def test_order_body_as_app_uninstalled_changes_nothing(self):
        order = {"id": 1, "line_items": [], "name": "#1"}
        event = self._process("app/uninstalled", order)
        self.assertEqual(event.state, "ignored")
        self.assertEqual(self.store.state, "connected")
        self.assertTrue(
            any(
                "not a app/uninstalled body" in m
                for m in self._warnings("app/uninstalled")
            )
        )

    def test_uninstall_not_confirmed_while_the_app_is_installed(self):
        shop_body = {"id": 1, "name": "x", "myshopify_domain": self.store.shop_domain}
        event = self._process("app/uninstalled", shop_body)
        self.assertEqual(event.state, "ignored")
        self.assertEqual(self.store.state, "connected")
        self.assertTrue(
            any("still accepts" in m for m in self._warnings("app/uninstalled"))
        )

    def test_uninstall_confirmed_by_the_api_disconnects(self):
        self.shop.uninstall()  # the token dies: Shopify answers 401
        self.addCleanup(setattr, self.shop, "access_token", "shpat_authority")
        shop_body = {"id": 1, "name": "x", "myshopify_domain": self.store.shop_domain}
        event = self._process("app/uninstalled", shop_body)
        self.assertEqual(event.state, "done")
        self.assertEqual(self.store.state, "disconnected")
        self.assertTrue(
            self.env["shopify.sync.log"]
            .sudo()
            .search_count(
                [("store_id", "=", self.store.id), ("operation", "like", "uninstall")]
            )
        )

    def test_product_delete_of_an_existing_product_keeps_its_mappings(self):
        self.assertEqual(set(self._mappings().mapped("state")), {"mapped"})
        event = self._process("products/delete", {"id": self._product_id()})
        self.assertEqual(event.state, "ignored")
        self.assertEqual(set(self._mappings().mapped("state")), {"mapped"})
        self.assertTrue(
            any("still has product" in m for m in self._warnings("products/delete"))
        )
        # A products/update body replayed as products/delete: refused by shape.
        update = self.shop.product_payload(self._product_id())
        event = self._process("products/delete", update)
        self.assertEqual(event.state, "ignored")
        self.assertEqual(set(self._mappings().mapped("state")), {"mapped"})
        # A products/update without variants while the product exists: kept.
        event = self._process("products/update", dict(update, variants=[]))
        self.assertEqual(event.state, "ignored")
        self.assertEqual(set(self._mappings().mapped("state")), {"mapped"})

    def test_product_delete_confirmed_by_the_api_removes(self):
        product = self.shop.add_product("Gone", [{"sku": "AUTH-2"}])
        self._create_product("AUTH-2")
        self.store._shopify_match_products()
        mapping = self.store.mapping_ids.filtered(lambda m: m.sku == "AUTH-2")
        self.assertEqual(mapping.state, "mapped")
        self.shop.delete_product(product["id"])
        pid = int(product["id"].rsplit("/", 1)[1])
        event = self._process("products/delete", {"id": pid})
        self.assertEqual(event.state, "done")
        self.assertEqual(mapping.state, "removed")
        self.assertEqual(set(self._mappings().mapped("state")), {"mapped"})
