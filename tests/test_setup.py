"""Test connection outcomes (real HTTP to the emulator) and the store health rules."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib.scopes import REQUIRED_SCOPES, missing_scopes
from ..lib.webhook_topics import TOPICS
from ..tools.shopify_emulator.ids import next_id
from .common import ShopifyCommon

BASE_URL = "https://odoo.example.com"


@tagged("post_install", "-at_install")
class TestTestConnection(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", BASE_URL)
        # A merchant waits at most a few seconds; the tests do not wait at all
        # (and the client then logs no retry warning).
        patcher = patch.object(
            type(cls.env["shopify.store"]), "_shopify_test_retry_seconds", 0
        )
        patcher.start()
        cls.addClassCleanup(patcher.stop)

    def _store(self, **shop_kwargs):
        handle = "setup-%s" % next_id()
        return self._create_emulated_store(self.emulator, handle, **shop_kwargs)

    def _logs(self, store):
        return self.env["shopify.sync.log"].search(
            [("store_id", "=", store.id), ("operation", "=", "test_connection")]
        )

    def test_connected_shows_shop_plan_and_scopes(self):
        store, shop = self._store()
        result = store._shopify_test_connection()
        self.assertTrue(result["ok"], result["message"])
        self.assertEqual(store.state, "connected")
        self.assertFalse(store.last_error)
        self.assertEqual(store.shop_name, shop.name)
        self.assertEqual(store.shop_plan, "Basic")
        self.assertEqual(store.shop_currency, "EUR")
        self.assertIn("write_inventory", store.granted_scopes)
        self.assertFalse(store.missing_scopes)
        self.assertIn(shop.name, result["message"])
        self.assertIn("plan Basic", result["message"])
        # The token came from the emulator's client-credentials endpoint.
        self.assertTrue(store.sudo().access_token)
        # The bucket Shopify reported is recorded (health: throttle seen).
        self.assertEqual(store.throttle_maximum, 2000)
        self.assertGreater(store.throttle_available, 0)
        self.assertEqual(self._logs(store).state, "success")

    def test_the_shops_currency_is_activated(self):
        """Orders are written in the shop's currency: active from the connection on,
        so the first order's invoice is not refused as in an inactive currency."""
        store, shop = self._store()
        currency = self.env.ref("base.CHF")
        currency.active = False
        shop.currency = "CHF"
        result = store._shopify_test_connection()
        self.assertTrue(result["ok"], result["message"])
        self.assertEqual(store.shop_currency, "CHF")
        currency.invalidate_recordset()
        self.assertTrue(currency.active)

    def test_missing_scopes_are_named(self):
        store, _shop = self._store()
        _shop.scopes = ["read_products", "read_inventory", "read_locations"]
        result = store._shopify_test_connection()
        self.assertFalse(result["ok"])
        self.assertEqual(result["kind"], "missing_scopes")
        self.assertEqual(store.state, "error")
        missing = (
            "write_inventory, read_orders, write_merchant_managed_fulfillment_orders"
        )
        self.assertEqual(store.missing_scopes, missing)
        self.assertIn(missing, store.last_error)
        self.assertIn("Dev Dashboard", store.last_error)
        self.assertEqual(store.health_state, "error")
        self.assertEqual(self._logs(store).state, "error")

    def test_write_scope_implies_read_scope(self):
        granted = [
            "write_products",
            "write_inventory",
            "read_locations",
            "read_orders",
            "write_merchant_managed_fulfillment_orders",
        ]
        self.assertEqual(missing_scopes(granted), [])
        self.assertEqual(missing_scopes([]), list(REQUIRED_SCOPES))

    def test_wrong_client_secret(self):
        store, _shop = self._store(client_secret="not-the-secret")
        result = store._shopify_test_connection()
        self.assertEqual(result["kind"], "credentials")
        self.assertEqual(store.state, "error")
        self.assertIn("refused the client ID / client secret", store.last_error)
        # The log keeps the technical detail, never the secret.
        log = self._logs(store)
        self.assertIn("HTTP", log.message)
        self.assertNotIn("not-the-secret", log.message)

    def test_wrong_legacy_token(self):
        store, _shop = self._store(
            auth_method="legacy_token",
            legacy_access_token="shpat_wrong",
            legacy_api_secret="whatever",
        )
        result = store._shopify_test_connection()
        self.assertEqual(result["kind"], "credentials")
        self.assertIn("Admin API access token", store.last_error)

    def test_unknown_shop(self):
        # A well-formed domain the (emulated) Shopify does not know.
        store = self._create_store(
            shop_domain="nobody-here",
            api_base_url_override="%s/shops/nobody-here.myshopify.com"
            % self.emulator.url,
        )
        result = store._shopify_test_connection()
        self.assertEqual(result["kind"], "unknown_shop")
        self.assertIn(
            "does not know the shop nobody-here.myshopify.com", result["message"]
        )
        self.assertIn("Settings › Domains", result["message"])

    def test_network_failure(self):
        # A loopback port nobody listens on: connection refused at once.
        port = self._closed_port()
        store = self._create_store(
            api_base_url_override="http://127.0.0.1:%d/shops/x.myshopify.com" % port
        )
        result = store._shopify_test_connection()
        self.assertEqual(result["kind"], "network")
        self.assertIn("could not reach", store.last_error)

    def test_throttled(self):
        store, shop = self._store()
        shop.inject("throttled", count=100)
        result = store._shopify_test_connection()
        self.assertEqual(result["kind"], "throttled")
        self.assertIn("try again in a minute", result["message"])
        self.assertEqual(store.state, "error")

    def test_missing_credentials(self):
        store = self._create_store(client_secret=False)
        result = store._shopify_test_connection()
        self.assertEqual(result["kind"], "credentials_missing")
        self.assertIn("client ID and client secret", result["message"])

    def test_button_returns_a_notification(self):
        store, _shop = self._store()
        action = store.action_test_connection()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")

    def test_lost_subscriptions_are_found_and_repaired(self):
        store, shop = self._store()
        store._shopify_test_connection()
        self.assertFalse(store._shopify_check_webhooks())
        self.assertTrue(store.webhook_registered_at)
        self.assertEqual(store.webhook_lost_count, 0)
        self.assertEqual(store.health_state, "ok", store.health_message)
        # Shopify deletes subscriptions after 8 failed deliveries in a row.
        lost = list(shop.subscriptions)[:3]
        for sid in lost:
            del shop.subscriptions[sid]
        self.assertFalse(store._shopify_check_webhooks())
        self.assertEqual(store.webhook_lost_count, 3)
        self.assertEqual(store.health_state, "error")
        self.assertIn("deleted 3 of our webhook subscriptions", store.health_message)
        self.assertIn(BASE_URL + "/shopify/webhook/%d" % store.id, store.health_message)
        self.assertEqual(len(shop.subscriptions), len(TOPICS), "re-created")

    @staticmethod
    def _closed_port():
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestStoreHealth(ShopifyCommon):
    def setUp(self):
        super().setUp()
        self.now = fields.Datetime.now()
        self.store = self._create_store(
            state="connected", webhook_registered_at=self.now - timedelta(hours=2)
        )

    def _event(self, state, age_minutes=0):
        event = self.env["shopify.webhook.event"].create(
            {
                "store_id": self.store.id,
                "topic": "orders/create",
                "webhook_id": "wh-%s" % next_id(),
                "payload": "{}",
                "state": state,
            }
        )
        if age_minutes:
            self.env.cr.execute(
                "UPDATE shopify_webhook_event SET create_date = %s WHERE id = %s",
                (self.now - timedelta(minutes=age_minutes), event.id),
            )
        self.store.invalidate_recordset()
        return event

    def test_healthy_store(self):
        self.store._shopify_health_record(
            "set", last_webhook_at=self.now - timedelta(minutes=5)
        )
        self.assertEqual(self.store.health_state, "ok")
        self.assertEqual(self.store.health_message, "Everything looks fine.")

    def test_draft_store_is_a_warning(self):
        store = self._create_store()
        self.assertEqual(store.health_state, "warning")
        self.assertIn("Not connected yet", store.health_message)

    def test_error_state_is_an_error(self):
        self.store.write({"state": "error", "last_error": "Shopify refused it."})
        self.assertEqual(self.store.health_state, "error")
        self.assertIn("Shopify refused it.", self.store.health_message)

    def test_webhook_silence_while_orders_expected(self):
        self.store._shopify_health_record(
            "set", last_webhook_at=self.now - timedelta(hours=30)
        )
        self.assertEqual(self.store.health_state, "warning")
        self.assertIn("No webhook received for 30 hours", self.store.health_message)
        # Not importing orders: silence is expected.
        self.store.import_orders = False
        self.assertEqual(self.store.health_state, "ok")

    def test_never_received_after_registration(self):
        self.store.webhook_registered_at = self.now - timedelta(hours=48)
        self.assertEqual(self.store.health_state, "warning")
        self.assertIn("since they were registered", self.store.health_message)
        # The silence threshold is configurable.
        self.env["ir.config_parameter"].sudo().set_param(
            "shopify_sync.health_webhook_silence_hours", "72"
        )
        self.store.invalidate_recordset()
        self.assertEqual(self.store.health_state, "ok")

    def test_consecutive_errors(self):
        self.store._shopify_health_record("set", consecutive_errors=2)
        self.assertEqual(self.store.health_state, "warning")
        self.assertIn("2 call(s) to Shopify failed in a row", self.store.health_message)
        self.store._shopify_health_record("set", consecutive_errors=6)
        self.assertEqual(self.store.health_state, "error")

    def test_failed_events(self):
        self._event("failed")
        self.assertEqual(self.store.health_state, "warning")
        self.assertIn("1 webhook event(s) failed", self.store.health_message)

    def test_pending_events_late(self):
        self._event("pending")
        self.assertEqual(self.store.health_state, "ok", "just arrived: not late")
        self._event("pending", age_minutes=40)
        self.assertEqual(self.store.health_state, "warning")
        self.assertIn("2 webhook event(s) wait since", self.store.health_message)
        self.assertIn("processing cron", self.store.health_message)

    def test_missing_scopes_recorded(self):
        self.store.missing_scopes = "read_orders"
        self.assertEqual(self.store.health_state, "error")
        self.assertIn("read_orders", self.store.health_message)

    def test_health_overview_action(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_store_health_action"
        )
        self.assertEqual(action["res_model"], "shopify.store")
        view = self.env.ref("shopify_sync.shopify_store_view_tree_health")
        self.assertIn("health_state", view.arch)


@tagged("post_install", "-at_install")
class TestSetupWizard(ShopifyCommon):
    """The wizard's failure paths (the happy path runs in the browser tour)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()

    def _wizard(self, store):
        action = store.action_open_setup_wizard()
        self.assertEqual(action["target"], "new")
        return self.env["shopify.setup.wizard"].browse(action["res_id"])

    def test_wrong_secret_then_right_one(self):
        handle = "wizard-%s" % next_id()
        store, shop = self._create_emulated_store(
            self.emulator, handle, client_secret="typo"
        )
        shop.add_location("Main warehouse")
        wizard = self._wizard(store)
        self.assertEqual(wizard.shop_domain, store.shop_domain)
        wizard.action_test_connection()
        self.assertEqual(wizard.step, "credentials", "stays on the failed step")
        self.assertFalse(wizard.step_ok)
        self.assertIn("refused the client ID / client secret", wizard.message)
        wizard.client_secret = shop.client_secret
        wizard.action_test_connection()
        self.assertEqual(wizard.step, "locations")
        self.assertTrue(wizard.step_ok)
        self.assertFalse(wizard.client_secret, "the typed secret is not kept")
        self.assertEqual(store.sudo().client_secret, shop.client_secret)
        self.assertEqual(len(store.location_ids), 1)
        self.assertIn("Connected to", wizard.message)

    def test_locations_must_be_mapped(self):
        handle = "wizard-%s" % next_id()
        store, shop = self._create_emulated_store(self.emulator, handle)
        wizard = self._wizard(store)
        wizard.step = "locations"
        wizard.action_confirm_locations()
        self.assertEqual(wizard.step, "locations")
        self.assertIn("Map at least one Shopify location", wizard.message)

    def test_webhook_step_explains_failures(self):
        handle = "wizard-%s" % next_id()
        store, shop = self._create_emulated_store(self.emulator, handle)
        wizard = self._wizard(store)
        wizard.step = "webhooks"
        # The app's secret was rotated in Shopify but not in Odoo.
        shop.client_secret = "rotated"
        shop.tokens.clear()
        with mute_logger("odoo.addons.shopify_sync.models.shopify_store_webhook"):
            wizard.action_register_webhooks()
        self.assertEqual(wizard.step, "webhooks")
        self.assertIn("did not accept the webhook subscriptions", wizard.message)
        self.assertIn("refused the credentials", wizard.message)

    def test_onboarding_names_scopes_url_and_checks_base_url(self):
        handle = "wizard-%s" % next_id()
        store, _shop = self._create_emulated_store(self.emulator, handle)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "http://localhost:8069")
        wizard = self._wizard(store)
        for scope in ("read_orders", "write_inventory"):
            self.assertIn(scope, wizard.required_scopes)
        self.assertEqual(
            wizard.webhook_url, "http://localhost:8069/shopify/webhook/%d" % store.id
        )
        self.assertIn("does not use HTTPS", wizard.base_url_problem)
        self.assertIn("web.base.url", wizard.base_url_problem)
        # the webhook step still subscribes, and says why Shopify will not post
        wizard.step = "webhooks"
        wizard.action_register_webhooks()
        self.assertEqual(wizard.step, "inventory")
        self.assertIn("does not use HTTPS", wizard.message)
        params.set_param("web.base.url", "https://erp.example-shop.com")
        wizard.invalidate_recordset()
        self.assertFalse(wizard.base_url_problem)
