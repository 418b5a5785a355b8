"""Match products by SKU against the emulator (real paging through the client), and
the products/update / products/delete webhooks keeping mappings and levels current."""

import json
import uuid

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from .common import ShopifyCommon


@tagged("post_install", "-at_install")
class TestProductMatching(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.Product = cls.env["product.product"].with_context(active_test=False)
        cls.stores, cls.shops = [], []
        for n in range(3):
            store, shop = cls._create_emulated_store(
                cls.emulator, "match-%d" % n, state="connected"
            )
            shop.add_location("Main")
            cls.stores.append(store)
            cls.shops.append(shop)
        cls.shared = cls._create_product("MATCH-SHARED")
        cls._create_product("MATCH-AMBIG")
        cls._create_product("MATCH-AMBIG", name="Second product with the same code")
        for shop in cls.shops:
            shop.add_product("Shared", [{"sku": "MATCH-SHARED"}])
            shop.add_product("Ambiguous", [{"sku": "MATCH-AMBIG"}])
            shop.add_product("Created", [{"sku": "MATCH-NEW", "title": "Large"}])
        # Store 0 has an empty SKU and a SKU used twice.
        cls.shops[0].add_product("No SKU", [{"sku": ""}])
        cls.shops[0].add_product(
            "Twice", [{"sku": "MATCH-TWICE"}, {"sku": "MATCH-TWICE"}]
        )
        cls.shops[2].add_product("Only here", [{"sku": "MATCH-ONLY2"}])
        cls.stores[0].unmatched_sku_policy = "create"
        cls.stores[1].unmatched_sku_policy = "create"
        for store in cls.stores:
            store._shopify_fetch_locations()

    def _count(self, sku):
        return self.Product.search_count([("default_code", "=", sku)])

    def _mapping(self, store, sku):
        return store.mapping_ids.filtered(lambda m: m.sku == sku)

    def test_match_across_stores_one_product_per_sku(self):
        results = [store._shopify_match_products() for store in self.stores]
        self.assertEqual(results[0]["created"], 1)
        self.assertEqual(results[1]["created"], 0, "created once, then bound")
        self.assertEqual(results[2]["created"], 0)
        self.assertEqual(results[2]["unmapped"], 1, "store 2 only reports its own")
        self.assertEqual(self._count("MATCH-ONLY2"), 0)
        self.assertEqual(self._mapping(self.stores[2], "MATCH-ONLY2").state, "unmapped")
        self.assertEqual(self._count("MATCH-NEW"), 1, "no duplicate product")
        self.assertEqual(self._count("MATCH-SHARED"), 1)
        new = self.Product.search([("default_code", "=", "MATCH-NEW")])
        self.assertEqual(new.name, "Created - Large")
        self.assertEqual(new.detailed_type, "product")
        for store in self.stores:
            self.assertEqual(self._mapping(store, "MATCH-NEW").product_id, new)
        for store in self.stores:
            shared = self._mapping(store, "MATCH-SHARED")
            self.assertEqual((shared.state, shared.product_id), ("mapped", self.shared))
            ambiguous = self._mapping(store, "MATCH-AMBIG")
            self.assertEqual(ambiguous.state, "conflict")
            self.assertIn("ambiguous", ambiguous.conflict_reason)
        self.assertEqual(results[0]["conflicts"], 4, "ambiguous, empty, 2 x twice")
        reasons = set(self.stores[0].mapping_ids.mapped("conflict_reason"))
        self.assertIn("empty SKU", reasons)
        self.assertIn("duplicate SKU in this store", reasons)
        self.assertEqual(self.stores[0].mapping_conflict_count, 4)
        log = self.env["shopify.sync.log"].search(
            [("store_id", "=", self.stores[0].id), ("operation", "=", "products:match")]
        )
        self.assertEqual(log.state, "warning")
        self.assertIn("4 conflicts", log.message)
        # Levels exist for mapped SKUs only, at the mapped location.
        levels = self.env["shopify.inventory.level"].search(
            [("store_id", "=", self.stores[0].id)]
        )
        self.assertEqual(sorted(levels.mapped("sku")), ["MATCH-NEW", "MATCH-SHARED"])

    def test_matching_twice_changes_nothing(self):
        self.stores[1]._shopify_match_products()
        before = self.stores[1].mapping_ids.read(["product_id", "state", "sku"])
        again = self.stores[1]._shopify_match_products()
        self.assertEqual(
            self.stores[1].mapping_ids.read(["product_id", "state", "sku"]), before
        )
        self.assertEqual(again["created"], 0)

    def test_cron_matches_every_connected_store(self):
        self.stores[2].state = "error"
        self.env["shopify.store"]._cron_match_products()
        self.assertTrue(self.stores[0].mapping_ids)
        self.assertTrue(self.stores[1].mapping_ids)
        self.assertFalse(self.stores[2].mapping_ids)

    def _deliver(self, store, topic, payload):
        event = self.env["shopify.webhook.event"]._shopify_store_delivery(
            store,
            topic,
            "wh-%s-%s" % (topic, id(payload)),
            json.dumps(payload),
            payload,
        )
        event._shopify_process_one()
        self.assertEqual(event.state, "done", event.last_error)
        return event

    def test_products_webhooks_keep_mappings_current(self):
        store, shop = self.stores[1], self.shops[1]
        store._shopify_match_products()
        self.assertFalse(self._mapping(store, "MATCH-LATE"))
        late = self._create_product("MATCH-LATE")
        product = shop.add_product("Late", [{"sku": "MATCH-OTHER"}])
        # SKU changed in Shopify to one Odoo knows: rebound.
        shop.update_variant(product["variants"][0]["id"], sku="MATCH-LATE")
        payload = shop.product_payload(int(product["id"].rsplit("/", 1)[1]))
        self._deliver(store, "products/update", payload)
        mapping = self._mapping(store, "MATCH-LATE")
        self.assertEqual((mapping.state, mapping.product_id), ("mapped", late))
        level = self.env["shopify.inventory.level"].search(
            [("mapping_id", "=", mapping.id)]
        )
        self.assertTrue(level.active and level.dirty, "a new level, pushed next run")
        # A new variant of the same product.
        second = self._create_product("MATCH-LATE-2")
        shop.add_variant(product["id"], {"sku": "MATCH-LATE-2", "title": "XL"})
        payload = shop.product_payload(int(product["id"].rsplit("/", 1)[1]))
        self._deliver(store, "products/update", payload)
        self.assertEqual(self._mapping(store, "MATCH-LATE-2").product_id, second)
        # Product deleted: mappings removed, levels archived.
        shop.delete_product(product["id"])
        self._deliver(
            store, "products/delete", {"id": int(product["id"].rsplit("/", 1)[1])}
        )
        self.assertEqual(
            set(self._mapping(store, "MATCH-LATE").mapped("state")), {"removed"}
        )
        self.assertFalse(level.active)


@tagged("post_install", "-at_install")
class TestMatchingConcurrency(TransactionCase):
    """Real cursors, committed: a binder whose snapshot is older than another
    binder's committed mappings of the same store."""

    def test_binding_from_a_stale_snapshot_is_a_conflict_not_a_duplicate(self):
        tag = uuid.uuid4().hex[:8]
        variants = [
            {
                "product_gid": "gid://shopify/Product/%s1" % tag,
                "variant_gid": "gid://shopify/ProductVariant/%s1" % tag,
                "inventory_item_gid": "gid://shopify/InventoryItem/%s1" % tag,
                "sku": "STALE-%s" % tag,
                "tracked": True,
                "title": "Stale",
            }
        ]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store_id = (
                env["shopify.store"]
                .create(
                    {"name": "Stale " + tag, "shop_domain": "st-%s.myshopify.com" % tag}
                )
                .id
            )
        Mapping = "shopify.product.mapping"
        try:
            with self.registry.cursor() as old:
                old_env = api.Environment(old, SUPERUSER_ID, {})
                old.execute("SELECT 1")  # this worker's snapshot starts here
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    counts = env[Mapping]._shopify_bind_variants(
                        env["shopify.store"].browse(store_id), variants
                    )
                    self.assertEqual(counts["unmapped"], 1)
                with (
                    self.assertNoLogs("odoo.sql_db", level="ERROR"),
                    self.assertRaises(pg_errors.SerializationFailure),
                ):
                    old_env[Mapping]._shopify_bind_variants(
                        old_env["shopify.store"].browse(store_id), variants
                    )
                old.rollback()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env[Mapping]._shopify_bind_variants(
                    env["shopify.store"].browse(store_id), variants
                )
                self.assertEqual(
                    env[Mapping].search_count([("store_id", "=", store_id)]), 1
                )
        finally:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env[Mapping].search([("store_id", "=", store_id)]).unlink()
                env["shopify.store"].browse(store_id).unlink()
