from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ShopifyCommon


@tagged("post_install", "-at_install")
class TestProductMapping(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Mapping = cls.env["shopify.product.mapping"]
        cls.Product = cls.env["product.product"].with_context(active_test=False)
        cls.store_a = cls._create_store(name="A")
        cls.store_b = cls._create_store(name="B")

    def _mappings(self, store):
        return {m.variant_gid.rsplit("/", 1)[1]: m for m in store.mapping_ids}

    def _count_sku(self, sku):
        return self.Product.search_count([("default_code", "=", sku)])

    def test_two_stores_with_the_same_sku_share_one_product(self):
        shirt = self._create_product("SHIRT-M")
        counts_a = self.Mapping._shopify_bind_variants(
            self.store_a, [self._variant(1, "SHIRT-M")]
        )
        counts_b = self.Mapping._shopify_bind_variants(
            self.store_b, [self._variant(901, " SHIRT-M ")]
        )
        self.assertEqual(counts_a["matched"], 1)
        self.assertEqual(counts_b["matched"], 1)
        map_a, map_b = self.store_a.mapping_ids, self.store_b.mapping_ids
        self.assertEqual(map_a.product_id, shirt)
        self.assertEqual(map_b.product_id, shirt)
        self.assertEqual((map_a.state, map_b.state), ("mapped", "mapped"))
        self.assertEqual(map_b.sku, "SHIRT-M")
        self.assertEqual(map_a.inventory_item_gid, "gid://shopify/InventoryItem/1")
        self.assertTrue(map_a.tracked)
        self.assertEqual(self._count_sku("SHIRT-M"), 1)

    def test_sku_conflicts_are_reported_and_never_duplicated(self):
        self._create_product("TWIN")
        self._create_product("TWIN", name="Twin again")
        self.store_a.unmatched_sku_policy = "create"
        before = self.Product.search_count([])
        counts = self.Mapping._shopify_bind_variants(
            self.store_a,
            [
                self._variant(1, ""),
                self._variant(2, "   "),
                self._variant(3, "DUP"),
                self._variant(4, "DUP"),
                self._variant(5, "TWIN"),
            ],
        )
        maps = self._mappings(self.store_a)
        self.assertEqual(counts["conflicts"], 5)
        self.assertEqual(counts["created"], 0)
        self.assertEqual(maps["1"].conflict_reason, "empty SKU")
        self.assertEqual(maps["2"].conflict_reason, "empty SKU")
        self.assertEqual(maps["3"].conflict_reason, "duplicate SKU in this store")
        self.assertEqual(maps["4"].conflict_reason, "duplicate SKU in this store")
        self.assertEqual(maps["5"].conflict_reason, "ambiguous: 2 products")
        for mapping in maps.values():
            self.assertEqual(mapping.state, "conflict")
            self.assertFalse(mapping.product_id)
        self.assertEqual(self.Product.search_count([]), before, "no product created")

    def test_create_policy_creates_exactly_one_storable_product(self):
        self.store_a.unmatched_sku_policy = "create"
        counts = self.Mapping._shopify_bind_variants(
            self.store_a, [self._variant(1, "NEW-1", title="Linen shirt - M")]
        )
        self.assertEqual((counts["created"], counts["matched"]), (1, 1))
        product = self.store_a.mapping_ids.product_id
        self.assertEqual(product.default_code, "NEW-1")
        self.assertEqual(product.name, "Linen shirt - M")
        self.assertEqual(product.detailed_type, "product")
        # Reading the catalogue again, or from another store, reuses it.
        again = self.Mapping._shopify_bind_variants(
            self.store_a, [self._variant(1, "NEW-1", title="Linen shirt - M")]
        )
        self.assertEqual((again["created"], again["matched"]), (0, 1))
        self.store_b.unmatched_sku_policy = "create"
        self.Mapping._shopify_bind_variants(self.store_b, [self._variant(7, "NEW-1")])
        self.assertEqual(self.store_b.mapping_ids.product_id, product)
        self.assertEqual(self._count_sku("NEW-1"), 1)

    def test_report_policy_leaves_unmatched_skus_unmapped(self):
        counts = self.Mapping._shopify_bind_variants(
            self.store_a, [self._variant(1, "NOBODY")]
        )
        self.assertEqual(counts["unmapped"], 1)
        self.assertEqual(self.store_a.mapping_ids.state, "unmapped")
        self.assertEqual(self._count_sku("NOBODY"), 0)
        # Once the product exists, the next reading binds it.
        product = self._create_product("NOBODY")
        self.Mapping._shopify_bind_variants(self.store_a, [self._variant(1, "NOBODY")])
        self.assertEqual(self.store_a.mapping_ids.product_id, product)
        self.assertEqual(len(self.store_a.mapping_ids), 1)

    def test_vanished_variants_are_removed(self):
        self._create_product("KEEP")
        self._create_product("GONE")
        self._create_product("SIBLING")
        self.Mapping._shopify_bind_variants(
            self.store_a,
            [
                self._variant(1, "KEEP", product=10),
                self._variant(2, "GONE", product=20),
                self._variant(3, "SIBLING", product=20),
            ],
        )
        # A partial reading of product 20 only removes its own missing variants.
        counts = self.Mapping._shopify_bind_variants(
            self.store_a, [self._variant(3, "SIBLING", product=20)], full_sync=False
        )
        maps = self._mappings(self.store_a)
        self.assertEqual(counts["removed"], 1)
        self.assertEqual(maps["2"].state, "removed")
        self.assertEqual(maps["1"].state, "mapped")
        counts = self.Mapping._shopify_bind_variants(
            self.store_a, [self._variant(3, "SIBLING", product=20)]
        )
        self.assertEqual(counts["removed"], 1)
        self.assertEqual(maps["1"].state, "removed")
        self.assertEqual(maps["3"].state, "mapped")

    def test_mapping_unique_per_store_and_variant(self):
        vals = {
            "store_id": self.store_a.id,
            "variant_gid": "gid://shopify/ProductVariant/1",
        }
        self.Mapping.create(dict(vals, sku="X"))
        self.Mapping.create(dict(vals, store_id=self.store_b.id, sku="X"))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.Mapping.create(dict(vals, sku="Y"))

    def test_other_company_and_archived_products_are_conflicts(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self._create_product("FOREIGN", company_id=other.id)
        self._create_product("OLD", active=False)
        self.store_a.unmatched_sku_policy = "create"
        counts = self.Mapping._shopify_bind_variants(
            self.store_a, [self._variant(1, "FOREIGN"), self._variant(2, "OLD")]
        )
        maps = self._mappings(self.store_a)
        self.assertEqual(counts["created"], 0)
        self.assertEqual(
            maps["1"].conflict_reason, "SKU belongs to a product of another company"
        )
        self.assertEqual(maps["2"].conflict_reason, "matching product is archived")
        self.assertEqual(self._count_sku("FOREIGN"), 1)
        self.assertEqual(self._count_sku("OLD"), 1)
