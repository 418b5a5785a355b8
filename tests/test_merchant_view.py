"""The merchant's view (issue 19.1): the product form's "Shopify" smart button, its
levels with the push's own breakdown, "Push now" for managers, the "Listed in
Shopify" filter, and company isolation of all of it."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .inventory_common import InventoryCommon

PUSH_CRON = "shopify_sync.ir_cron_shopify_push_inventory"
LISTED_TEMPLATE = [("product_variant_ids.shopify_mapping_ids.state", "=", "mapped")]
LISTED_VARIANT = [("shopify_mapping_ids.state", "=", "mapped")]


@tagged("post_install", "-at_install")
class TestMerchantView(InventoryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.p1 | cls.p2).product_tmpl_id.company_id = False  # shared products
        cls.p3 = cls._create_product("NOT-LISTED", company_id=False)
        cls.company_b = cls.env["res.company"].create({"name": "Merchant view B"})
        # Company B lists INV-1 in a store of its own (a draft store: never pushed).
        cls.store_b = cls._create_store(company_id=cls.company_b.id)
        location_b = cls.env["shopify.location"].create(
            {
                "store_id": cls.store_b.id,
                "shopify_gid": "gid://shopify/Location/990001",
                "name": "B shop",
            }
        )
        mapping_b = cls.env["shopify.product.mapping"].create(
            {
                "store_id": cls.store_b.id,
                "product_id": cls.p1.id,
                "sku": "INV-1",
                "state": "mapped",
                "variant_gid": "gid://shopify/ProductVariant/990001",
                "inventory_item_gid": "gid://shopify/InventoryItem/990001",
            }
        )
        cls.level_b = cls.Level.create(
            {
                "store_id": cls.store_b.id,
                "mapping_id": mapping_b.id,
                "shopify_location_id": location_b.id,
            }
        )
        cls.manager = cls._create_user("mv_manager", "stock.group_stock_manager")
        cls.stock_user = cls._create_user("mv_stock_user", "stock.group_stock_user")
        cls.salesman = cls._create_user("mv_salesman", "sales_team.group_sale_salesman")
        cls.manager_b = cls._create_user(
            "mv_manager_b", "stock.group_stock_manager", company=cls.company_b
        )

    def _levels_as(self, user, product):
        action = product.with_user(user).action_view_shopify_levels()
        self.assertEqual(action["res_model"], "shopify.inventory.level")
        return (
            self.env["shopify.inventory.level"].with_user(user).search(action["domain"])
        )

    # ------------------------------------------------------------ smart button
    def test_store_count_and_action_domain(self):
        template = self.p1.product_tmpl_id
        for record in (template, self.p1):
            self.assertEqual(record.with_user(self.manager).shopify_store_count, 3)
            self.assertEqual(record.with_user(self.manager_b).shopify_store_count, 1)
        self.assertEqual(self.p3.with_user(self.manager).shopify_store_count, 0)
        expected = self.Level.search(
            [("product_id", "=", self.p1.id), ("store_id", "in", self.ids(self.stores))]
        )
        self.assertEqual(len(expected), 4, "3 stores, the third with 2 locations")
        for record in (template, self.p1):
            self.assertEqual(self._levels_as(self.manager, record), expected)
            self.assertEqual(self._levels_as(self.manager_b, record), self.level_b)
        # A store whose mapping is not "mapped" any more does not list it.
        mapping = expected.filtered(lambda lv: lv.store_id == self.stores[1]).mapping_id
        mapping.state = "removed"
        self.p1.invalidate_recordset()
        template.invalidate_recordset()
        self.assertEqual(self.p1.with_user(self.manager).shopify_store_count, 2)
        self.assertEqual(template.with_user(self.manager).shopify_store_count, 2)

    @staticmethod
    def ids(records):
        return [r.id for r in records]

    def test_listed_filter_respects_companies(self):
        products = self.p1 | self.p2 | self.p3
        Product = self.env["product.product"]
        Template = self.env["product.template"]
        in_a = Product.with_user(self.manager).search(
            LISTED_VARIANT + [("id", "in", products.ids)]
        )
        self.assertEqual(in_a, self.p1 | self.p2)
        in_b = Product.with_user(self.manager_b).search(
            LISTED_VARIANT + [("id", "in", products.ids)]
        )
        self.assertEqual(in_b, self.p1, "company B lists INV-1 only")
        templates = products.product_tmpl_id
        self.assertEqual(
            Template.with_user(self.manager_b).search(
                LISTED_TEMPLATE + [("id", "in", templates.ids)]
            ),
            self.p1.product_tmpl_id,
        )
        self.assertEqual(
            Template.with_user(self.manager).search(
                LISTED_TEMPLATE + [("id", "in", templates.ids)]
            ),
            (self.p1 | self.p2).product_tmpl_id,
        )

    # ------------------------------------------------------------ breakdown
    def test_breakdown_is_what_the_push_publishes(self):
        self.stores[0].safety_buffer = 2
        self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Web"}).id,
                "warehouse_id": self.wh.id,
                "shopify_store_id": self.stores[1].id,
                "order_line": [
                    (0, 0, {"product_id": self.p1.id, "product_uom_qty": 3})
                ],
            }
        )
        self.Quant._update_available_quantity(self.p1, self.stock, 0.5)
        levels = self._levels(self.p1).filtered(lambda lv: lv.store_id != self.store_b)
        levels._shopify_mark_levels_dirty()
        # Read before the push: what the panel shows is what the push then sends.
        shown = {
            lv.id: (
                lv.shopify_free_qty,
                lv.shopify_demand_qty,
                lv.shopify_held_qty,
                lv.shopify_buffer,
                lv.shopify_publish_qty,
            )
            for lv in levels.with_user(self.manager)
        }
        self._push()
        levels.invalidate_recordset()
        by_place = {}
        for lv in levels:
            free, demand, held, buffer, publish = shown[lv.id]
            self.assertEqual(lv.last_published_qty, publish, lv.store_id.name)
            second = lv.stock_location_id == self.stock2
            self.assertEqual(
                self._shown(self.stores.index(lv.store_id), "INV-1", second), publish
            )
            by_place[(self.stores.index(lv.store_id), second)] = shown[lv.id]
        # Free 10.5 in WH, no delivery waiting; 3 held by the unconfirmed Shopify
        # order (any store's); store 0 keeps a buffer of 2; the second warehouse
        # has 3, none held.
        self.assertEqual(by_place[(0, False)], (10.5, 0.0, 3.0, 2, 5))
        self.assertEqual(by_place[(1, False)], (10.5, 0.0, 3.0, 0, 7))
        self.assertEqual(by_place[(2, False)], (10.5, 0.0, 3.0, 0, 7))
        self.assertEqual(by_place[(2, True)], (3.0, 0.0, 0.0, 0, 3))

    def test_variant_admin_link(self):
        level = self._levels(self.p1, self.stores[0])
        mapping = level.mapping_id
        self.assertEqual(
            level.shopify_variant_url,
            "https://%s/admin/products/%s/variants/%s"
            % (
                self.stores[0].shop_domain,
                mapping.product_gid.rsplit("/", 1)[-1],
                mapping.variant_gid.rsplit("/", 1)[-1],
            ),
        )

    # ------------------------------------------------------------ push now
    def test_breakdown_of_another_companys_level_is_refused(self):
        """The panel reads stock as superuser: only for levels the user may read."""
        level = self._levels(self.p1, self.stores[0])
        with self.assertRaises(AccessError):
            level.with_user(self.manager_b)._compute_shopify_breakdown()
        own = self.level_b.with_user(self.manager_b)
        own._compute_shopify_breakdown()
        self.assertEqual(own.shopify_buffer, self.store_b.safety_buffer)

    def test_push_now_is_for_managers_of_the_company(self):
        level = self._levels(self.p1, self.stores[0])
        self.assertFalse(level.dirty, "in sync after the class's first push")
        for user in (self.salesman, self.stock_user, self.manager_b):
            with self.assertRaises(AccessError, msg=user.login):
                level.with_user(user).action_shopify_push_now()
        level.invalidate_recordset()
        self.assertFalse(level.dirty)
        cron = self.env.ref(PUSH_CRON)
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        self.env.cr.precommit.data.pop("shopify_sync.push_triggered", None)
        level.write({"attempts": 3, "last_error": "boom"})
        result = level.with_user(self.manager).action_shopify_push_now()
        self.assertEqual(result["params"]["type"], "success")
        level.invalidate_recordset()
        self.assertTrue(level.dirty)
        self.assertEqual(level.attempts, 0, "the merchant asked: no backoff")
        self.assertEqual(
            Trigger.search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        # The push cron then sends it (and only what differs: nothing here).
        before = self._write_counts()
        self._push()
        level.invalidate_recordset()
        self.assertFalse(level.dirty)
        self.assertEqual(self._write_counts(), before)

    def test_push_now_says_when_a_level_waits_for_classification(self):
        level = self._levels(self.p1, self.stores[0])
        level.classification_needed = True
        result = level.with_user(self.manager).action_shopify_push_now()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("classified", result["params"]["message"])
