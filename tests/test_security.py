from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ShopifyCommon

CREDENTIALS = (
    "client_id",
    "client_secret",
    "previous_client_secret",
    "access_token",
    "access_token_expires_at",
    "legacy_access_token",
    "legacy_api_secret",
)


@tagged("post_install", "-at_install")
class TestSecurity(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.store = cls._create_store(
            access_token="cached-token", legacy_api_secret="legacy-secret"
        )
        cls.stock_user = cls._create_user(
            "shopify_stock_user", "stock.group_stock_user"
        )
        cls.stock_manager = cls._create_user(
            "shopify_stock_manager", "stock.group_stock_manager"
        )

    def test_stock_user_reads_store_but_not_credentials(self):
        store = self.store.with_user(self.stock_user)
        self.assertTrue(self.stock_user.has_group("shopify_sync.group_shopify_user"))
        self.assertFalse(
            self.stock_user.has_group("shopify_sync.group_shopify_manager")
        )
        data = store.read(["name", "shop_domain", "state", "push_inventory"])[0]
        self.assertEqual(data["shop_domain"], self.store.shop_domain)
        for fname in CREDENTIALS:
            with self.assertRaises(AccessError, msg=fname):
                store.read([fname])
        with self.assertRaises(AccessError):
            store.search_read([], ["client_secret"])
        fields_seen = self.env["shopify.store"].with_user(self.stock_user).fields_get()
        self.assertFalse(set(CREDENTIALS) & set(fields_seen))
        arch = store.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("client_secret", arch)
        self.assertIn("shop_domain", arch)

    def test_stock_user_cannot_configure(self):
        store = self.store.with_user(self.stock_user)
        with self.assertRaises(AccessError):
            store.write({"safety_buffer": 5})
        with self.assertRaises(AccessError):
            self._create_store(env=self.env(user=self.stock_user))
        with self.assertRaises(AccessError):
            self.env["shopify.product.mapping"].with_user(self.stock_user).create(
                {"store_id": self.store.id, "variant_gid": "gid://x/1"}
            )

    def test_stock_manager_configures_and_reads_credentials(self):
        self.assertTrue(
            self.stock_manager.has_group("shopify_sync.group_shopify_manager")
        )
        store = self.store.with_user(self.stock_manager)
        store.write({"safety_buffer": 4, "client_secret": "new-secret"})
        self.assertEqual(
            store.read(["client_secret"])[0]["client_secret"], "new-secret"
        )
        self.assertEqual(store._shopify_webhook_secrets(), ["new-secret"])

    def test_multi_company_rules(self):
        other = self.env["res.company"].create({"name": "Shopify Other Co"})
        other_store = self._create_store(company_id=other.id)
        self.env["shopify.product.mapping"].create(
            {
                "store_id": other_store.id,
                "variant_gid": "gid://shopify/ProductVariant/9",
            }
        )
        self.env["shopify.sync.log"]._log(store=other_store, operation="other-op")
        self.env["shopify.sync.log"]._log(store=self.store, operation="own-op")

        user = self.stock_user
        Store = self.env["shopify.store"].with_user(user)
        self.assertIn(self.store, Store.search([]))
        self.assertNotIn(other_store, Store.search([]))
        with self.assertRaises(AccessError):
            other_store.with_user(user).read(["name"])
        self.assertFalse(
            self.env["shopify.product.mapping"]
            .with_user(user)
            .search([("store_id", "=", other_store.id)])
        )
        ops = (
            self.env["shopify.sync.log"].with_user(user).search([]).mapped("operation")
        )
        self.assertIn("own-op", ops)
        self.assertNotIn("other-op", ops)

        # Allowed in both companies and working in both: sees both.
        user.company_ids = [Command.link(other.id)]
        both = (
            self.env["shopify.store"]
            .with_user(user)
            .with_context(allowed_company_ids=[self.company.id, other.id])
        )
        self.assertIn(other_store, both.search([]))
