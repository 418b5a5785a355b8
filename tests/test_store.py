from datetime import timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..lib import API_VERSION
from .common import ShopifyCommon


@tagged("post_install", "-at_install")
class TestShopifyStore(ShopifyCommon):
    def test_shop_domain_is_normalised(self):
        shapes = {
            "acme": "acme.myshopify.com",
            "ACME-2.MyShopify.com/": "acme-2.myshopify.com",
            "https://acme-3.myshopify.com/admin": "acme-3.myshopify.com",
            "https://admin.shopify.com/store/acme-4/orders": "acme-4.myshopify.com",
        }
        for raw, expected in shapes.items():
            store = self._create_store(shop_domain=raw)
            self.assertEqual(store.shop_domain, expected)
        store.write({"shop_domain": " HTTPS://Acme-5.myshopify.com/ "})
        self.assertEqual(store.shop_domain, "acme-5.myshopify.com")

    def test_bad_domains_get_a_clear_error(self):
        cases = {
            "shop.example.com": "not a myshopify.com domain",
            "acme.myshopify.com.evil.com": "not a myshopify.com domain",
            "my shop": "spaces",
            "acme_shop": "not a valid shop name",
            "acme.myshopify.com:8443": "port",
        }
        for raw, fragment in cases.items():
            with self.assertRaisesRegex(ValidationError, fragment):
                self._create_store(shop_domain=raw)
        store = self._create_store()
        with self.assertRaisesRegex(ValidationError, "cannot be empty"):
            store.write({"shop_domain": ""})

    def test_shop_domain_unique_per_database(self):
        self._create_store(shop_domain="unique-shop")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            # Another spelling of the same shop is the same shop.
            self._create_store(shop_domain="https://UNIQUE-SHOP.myshopify.com/admin")

    def test_base_url_override_is_https_or_loopback_http(self):
        store = self._create_store()
        for url in (
            "http://127.0.0.1:8765/shops/x.myshopify.com",
            "http://localhost:9000",
            "http://[::1]:9000",
            "https://127.0.0.1:8443/shopify/",
        ):
            store.api_base_url_override = url
            self.assertEqual(store.api_base_url_override, url.rstrip("/"))
        for url, fragment in (
            ("http://example.com", "only allowed for 127.0.0.1"),
            ("http://192.168.1.10:8000", "only allowed for 127.0.0.1"),
            ("https://user:secret@example.com", "credentials"),
            ("https://127.0.0.1/?shop=x", "query"),
            ("https://169.254.169.254", "only allowed for 127.0.0.1"),
            ("https://10.0.0.1:8443", "only allowed for 127.0.0.1"),
            ("https://proxy.example.com/shopify/", "only allowed for 127.0.0.1"),
        ):
            with self.assertRaisesRegex(ValidationError, fragment):
                store.api_base_url_override = url
        with self.assertRaisesRegex(ValidationError, "only allowed for 127.0.0.1"):
            self._create_store(api_base_url_override="http://10.0.0.1")

    def test_defaults_and_policies(self):
        store = self._create_store()
        self.assertEqual(store.api_version, API_VERSION)
        self.assertEqual(store.api_version, "2026-10")
        self.assertEqual(store.state, "draft")
        self.assertEqual(store.auth_method, "client_credentials")
        self.assertEqual(store.order_confirm_policy, "paid_or_authorized")
        self.assertEqual(store.unmatched_sku_policy, "report")
        self.assertEqual(store.unknown_line_policy, "hold")
        self.assertTrue(store.import_orders and store.push_inventory)
        self.assertTrue(store.accept_store_edits)
        self.assertFalse(store.allow_tax_creation)
        self.assertEqual(store.company_id, self.env.company)

    def test_webhook_secrets_follow_auth_method_and_rotation(self):
        store = self._create_store(client_secret="current-secret")
        self.assertEqual(store._shopify_webhook_secrets(), ["current-secret"])
        store.write(
            {
                "previous_client_secret": "old-secret",
                "previous_secret_valid_until": fields.Datetime.now()
                + timedelta(hours=1),
            }
        )
        self.assertEqual(
            store._shopify_webhook_secrets(), ["current-secret", "old-secret"]
        )
        store.previous_secret_valid_until = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(store._shopify_webhook_secrets(), ["current-secret"])
        store.write(
            {"auth_method": "legacy_token", "legacy_api_secret": "legacy-secret"}
        )
        self.assertEqual(store._shopify_webhook_secrets(), ["legacy-secret"])
        store.legacy_api_secret = False
        self.assertEqual(store._shopify_webhook_secrets(), [])

    def test_copy_drops_credentials_and_chatter_never_shows_secrets(self):
        store = self._create_store(legacy_access_token="shpat_" + "a1" * 16)
        # Changes in the creating transaction are not tracked: "commit" it first
        # (pre-commit hooks are where tracking values are written).
        self.env.flush_all()
        self.env.cr.precommit.run()
        store.write(
            {
                "client_secret": "rotated-secret-value",
                "access_token": "cached-token-value",
                "safety_buffer": 2,
            }
        )
        self.env.flush_all()
        self.env.cr.precommit.run()
        copy = store.copy()
        self.assertNotEqual(copy.shop_domain, store.shop_domain)
        for fname in (
            "client_id",
            "client_secret",
            "access_token",
            "legacy_access_token",
        ):
            self.assertFalse(copy[fname], fname)
        tracked = self.env["mail.tracking.value"].search(
            [("mail_message_id", "in", store.message_ids.ids)]
        )
        self.assertTrue(tracked, "non-secret changes are tracked")
        values = " ".join(
            str(v)
            for t in tracked
            for v in (t.old_value_char, t.new_value_char, t.field_id.name)
        )
        self.assertIn("safety_buffer", values)
        for secret in ("rotated-secret-value", "cached-token-value", "shpat_"):
            self.assertNotIn(secret, values)
            self.assertNotIn(secret, " ".join(store.message_ids.mapped("body")))

    def test_store_form_saves(self):
        with Form(self.env["shopify.store"]) as form:
            form.name = "Form store"
            form.shop_domain = "https://Form-Store.myshopify.com/admin"
            form.client_id = "form-client"
            form.client_secret = "form-secret"
            form.safety_buffer = 3
            form.order_confirm_policy = "paid"
            form.unmatched_sku_policy = "create"
        store = form.record
        self.assertEqual(store.shop_domain, "form-store.myshopify.com")
        self.assertEqual(store.client_secret, "form-secret")
        self.assertEqual(store.safety_buffer, 3)
        self.assertEqual(store.order_confirm_policy, "paid")
        with Form(store) as form:
            form.auth_method = "legacy_token"
            form.legacy_access_token = "legacy-token"
            form.legacy_api_secret = "legacy-secret"
        self.assertEqual(store._shopify_webhook_secrets(), ["legacy-secret"])

    def test_locations_internal_only_and_unique(self):
        store = self._create_store()
        stock_loc = self.warehouse.lot_stock_id
        location = self.env["shopify.location"].create(
            {
                "store_id": store.id,
                "shopify_gid": "gid://shopify/Location/1",
                "name": "Main",
                "stock_location_id": stock_loc.id,
            }
        )
        self.assertEqual(store.warehouse_id, self.warehouse)
        customers = self.env.ref("stock.stock_location_customers")
        with self.assertRaisesRegex(ValidationError, "internal"):
            location.stock_location_id = customers
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env["shopify.location"].create(
                {
                    "store_id": store.id,
                    "shopify_gid": "gid://shopify/Location/1",
                    "name": "Twice",
                }
            )

    def test_neutralize_blanks_every_credential(self):
        store = self._create_store(
            legacy_access_token="legacy-token",
            legacy_api_secret="legacy-secret",
            previous_client_secret="old",
            access_token="cached",
            access_token_expires_at=fields.Datetime.now(),
        )
        self.env.flush_all()
        queries = list(get_neutralization_queries(["shopify_sync"]))
        self.assertTrue(queries)
        for query in queries:
            self.env.cr.execute(query)
        store.invalidate_recordset()
        self.assertEqual(store.state, "disconnected")
        self.assertFalse(store.push_inventory or store.import_orders)
        for fname in (
            "client_secret",
            "previous_client_secret",
            "access_token",
            "access_token_expires_at",
            "legacy_access_token",
            "legacy_api_secret",
        ):
            self.assertFalse(store[fname], fname)
        self.assertEqual(store.client_id, "client-id-%d" % self._store_seq)

    def test_client_factory_uses_store_settings_and_saves_new_tokens(self):
        from ..lib.auth import (
            ClientCredentialsAuth,
            StaticTokenAuth,
        )

        store = self._create_store(
            api_base_url_override="http://127.0.0.1:1/shops/x.myshopify.com"
        )
        client = store._shopify_client()
        self.assertIsInstance(client.auth, ClientCredentialsAuth)
        self.assertEqual(client.base_url, "http://127.0.0.1:1/shops/x.myshopify.com")
        self.assertIn(store.api_version, client.graphql_url)
        self.assertTrue(client.graphql_url.startswith(client.base_url))
        # The auth calls on_token after each renewal: the token lands on the store.
        expires = fields.Datetime.now().replace(microsecond=0) + timedelta(hours=24)
        client.auth._on_token("fresh-token", expires)
        self.assertEqual(store.access_token, "fresh-token")
        self.assertEqual(store.access_token_expires_at, expires)
        # A persisted token is reused by the next client, no renewal needed.
        again = store._shopify_client()
        with patch.object(type(again.auth), "_renew") as renew:
            token = again.auth.access_token(again.token_url, None, 5)
        self.assertEqual(token, "fresh-token")
        renew.assert_not_called()

        store.write({"auth_method": "legacy_token", "legacy_access_token": "legacy"})
        legacy = store._shopify_client()
        self.assertIsInstance(legacy.auth, StaticTokenAuth)
        self.assertEqual(legacy.auth.access_token(legacy.token_url, None, 5), "legacy")


@tagged("post_install", "-at_install")
class TestShopifyStoreEmulated(ShopifyCommon):
    """The client factory against the emulator on 127.0.0.1 (real HTTP)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()

    def test_client_credentials_token_is_fetched_and_cached_on_the_store(self):
        store, shop = self._create_emulated_store(self.emulator, "emulated-a")
        self.assertFalse(store.access_token)
        info = store._shopify_client().shop_info()
        self.assertEqual(info["myshopify_domain"], "emulated-a.myshopify.com")
        token = store.access_token
        self.assertTrue(token, "the obtained token is saved on the store")
        self.assertGreater(store.access_token_expires_at, fields.Datetime.now())
        # The next client reuses the cached token instead of asking for a new one.
        client = store._shopify_client()
        client.shop_info()
        self.assertEqual(client.auth.renewals, 0)
        self.assertEqual(store.access_token, token)

    def test_wrong_secret_is_refused_by_the_shop(self):
        from ..lib.errors import ShopifyAuthError

        store, shop = self._create_emulated_store(self.emulator, "emulated-b")
        store.client_secret = "not-the-secret"
        with self.assertRaises(ShopifyAuthError) as info:
            store._shopify_client().shop_info()
        self.assertNotIn("not-the-secret", str(info.exception))
        self.assertFalse(store.access_token)
