"""Every view and action of the merchant's view (issue 19) loads for the users who
see it, its domain evaluates, its numbers aggregate as the graphs show them, and a
user of another company sees none of it."""

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import ShopifyCommon

NEW_VIEWS = (
    "shopify_sync.shopify_inventory_level_view_tree_product",
    "shopify_sync.shopify_webhook_event_view_graph",
    "shopify_sync.shopify_webhook_event_view_pivot",
    "shopify_sync.shopify_sync_log_view_graph_push",
    "shopify_sync.shopify_sync_log_view_pivot_push",
    "shopify_sync.shopify_sync_log_view_graph_reconcile",
    "shopify_sync.shopify_sync_log_view_pivot_reconcile",
    "shopify_sync.sale_order_view_graph_shopify",
    "shopify_sync.sale_order_view_pivot_shopify",
    "shopify_sync.shopify_store_view_kanban_overview",
)
# Extensions of Odoo's views: (the view they extend, what they add).
EXTENSIONS = (
    ("product.product_template_form_view", "action_view_shopify_levels"),
    ("product.product_normal_form_view", "action_view_shopify_levels"),
    ("product.product_variant_easy_edit_view", "action_view_shopify_levels"),
    ("product.product_template_search_view", "filter_shopify_listed"),
    ("product.product_search_form_view", "filter_shopify_listed"),
)
ACTIONS = (
    "shopify_sync.shopify_inventory_level_product_action",
    "shopify_sync.shopify_overview_store_action",
    "shopify_sync.shopify_overview_order_action",
    "shopify_sync.shopify_overview_push_action",
    "shopify_sync.shopify_overview_reconcile_action",
    "shopify_sync.shopify_overview_webhook_action",
)


@tagged("post_install", "-at_install")
class TestMerchantViews(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Overview B"})
        cls.store_a = cls._create_store(name="Overview A")
        cls.store_a2 = cls._create_store(name="Overview A2")
        cls.store_b = cls._create_store(name="Overview B", company_id=cls.company_b.id)
        groups = "stock.group_stock_manager,sales_team.group_sale_manager"
        cls.manager = cls._create_user("ov_manager", groups)
        cls.manager_b = cls._create_user("ov_manager_b", groups, company=cls.company_b)
        cls.salesman = cls._create_user("ov_salesman", "sales_team.group_sale_salesman")
        cls.stock_user = cls._create_user("ov_stock_user", "stock.group_stock_user")

    def test_every_new_view_loads(self):
        for xmlid in NEW_VIEWS:
            view = self.env.ref(xmlid)
            result = (
                self.env[view.model]
                .with_user(self.manager)
                .get_views([(view.id, view.type)])
            )
            self.assertIn(view.type, result["views"], xmlid)
            self.assertTrue(result["views"][view.type]["arch"], xmlid)
        kanban = self.env.ref("shopify_sync.shopify_store_view_kanban_overview")
        arch = self.env["shopify.store"].get_views([(kanban.id, "kanban")])["views"][
            "kanban"
        ]["arch"]
        self.assertIn("health_message", arch, "the card shows the verdict")

    def test_product_views_show_shopify_to_shopify_users_only(self):
        for xmlid, added in EXTENSIONS:
            view = self.env.ref(xmlid)
            Model = self.env[view.model]
            for user, shown in (
                (self.manager, True),
                (self.stock_user, True),
                (self.salesman, False),
            ):
                arch = Model.with_user(user).get_views([(view.id, view.type)])["views"][
                    view.type
                ]["arch"]
                self.assertEqual(added in arch, shown, "%s %s" % (xmlid, user.login))

    def test_actions_evaluate_and_their_views_load(self):
        for xmlid in ACTIONS:
            action = (
                self.env["ir.actions.act_window"]
                .with_user(self.manager)
                ._for_xml_id(xmlid)
            )
            Model = self.env[action["res_model"]].with_user(self.manager)
            domain = safe_eval(action.get("domain") or "[]", {"uid": self.manager.id})
            Model.search(domain)  # the domain is valid on its model
            views = [(vid or False, mode) for vid, mode in action["views"]]
            result = Model.get_views(views)
            for _vid, mode in views:
                self.assertIn(mode, result["views"], xmlid)

    def test_overview_menu(self):
        menus = self.env["ir.ui.menu"].with_user(self.manager).load_menus(False)
        overview = self.env.ref("shopify_sync.shopify_overview_menu")
        orders = self.env.ref("shopify_sync.shopify_overview_order_menu")
        self.assertIn(overview.id, menus)
        self.assertIn(orders.id, menus[overview.id]["children"])
        menus = self.env["ir.ui.menu"].with_user(self.stock_user).load_menus(False)
        self.assertIn(overview.id, menus)
        self.assertNotIn(orders.id, menus[overview.id]["children"], "no sales rights")

    def _log(self, store, operation, **vals):
        Log = self.env["shopify.sync.log"]
        return Log.browse(Log._log(store=store, operation=operation, **vals))

    def test_push_latency_is_averaged_and_company_bound(self):
        self._log(self.store_a, "inventory:push", duration_ms=100, item_count=2)
        self._log(self.store_a, "inventory:push", duration_ms=300, item_count=5)
        self._log(self.store_b, "inventory:push", duration_ms=900, item_count=1)
        self._log(self.store_a, "inventory:reconcile", item_count=4)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_overview_push_action"
        )
        domain = safe_eval(action["domain"])
        Log = self.env["shopify.sync.log"]
        # The graph's read: measures by their field's aggregate, per store and day.
        for user, expected in (
            (self.manager, {self.store_a.id: (2, 200, 7)}),
            (self.manager_b, {self.store_b.id: (1, 900, 1)}),
        ):
            groups = Log.with_user(user).read_group(
                domain,
                ["duration_ms", "item_count"],
                ["store_id", "create_date:day"],
                lazy=False,
            )
            got = {
                g["store_id"][0]: (g["__count"], g["duration_ms"], g["item_count"])
                for g in groups
                if g["store_id"][0] in (self.store_a.id, self.store_b.id)
            }
            self.assertEqual(got, expected, user.login)

    def test_orders_per_store_per_day_and_groupable_by_store(self):
        partner = self.env["res.partner"].create({"name": "Shopper"})
        SaleOrder = self.env["sale.order"]
        for store in (self.store_a, self.store_a, self.store_a2):
            SaleOrder.create({"partner_id": partner.id, "shopify_store_id": store.id})
        SaleOrder.create({"partner_id": partner.id})  # not from Shopify
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_overview_order_action"
        )
        groups = SaleOrder.with_user(self.manager).read_group(
            safe_eval(action["domain"]),
            ["amount_total"],
            ["shopify_store_id", "create_date:day"],
            lazy=False,
        )
        counts = {g["shopify_store_id"][0]: g["__count"] for g in groups}
        self.assertEqual(counts, {self.store_a.id: 2, self.store_a2.id: 1})
        search = self.env.ref("sale.view_sales_order_filter")
        arch = SaleOrder.with_user(self.manager).get_views([(search.id, "search")])[
            "views"
        ]["search"]["arch"]
        self.assertIn("groupby_shopify_store", arch)
        self.assertIn("shopify_store_id", arch)

    def test_overview_cards_are_company_bound(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_overview_store_action"
        )
        Store = self.env[action["res_model"]]
        seen_a = Store.with_user(self.manager).search(
            [("id", "in", (self.store_a | self.store_a2 | self.store_b).ids)]
        )
        self.assertEqual(seen_a, self.store_a | self.store_a2)
        cards = Store.with_user(self.manager_b).web_search_read(
            [("id", "in", (self.store_a | self.store_b).ids)],
            {"name": {}, "health_state": {}, "health_message": {}},
        )
        self.assertEqual([r["id"] for r in cards["records"]], [self.store_b.id])
        self.assertEqual(cards["records"][0]["health_state"], "warning")
        self.assertIn("Not connected yet", cards["records"][0]["health_message"])
