"""Issue 13, item 5: every store button answers in seconds against an emulator that
answers 503 to everything or hangs, with a message saying what failed and what to do
(a UserError or a notification), never a traceback; with the breaker open they
answer at once without calling Shopify."""

import logging
import time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ShopifyCommon

MUTED = (
    "odoo.addons.shopify_sync.models.shopify_store_circuit",
    "odoo.addons.shopify_sync.models.shopify_inventory_level",
    "odoo.addons.shopify_sync.models.shopify_store_webhook",
    "odoo.addons.shopify_sync.models.shopify_store_reconcile",
    "odoo.addons.shopify_sync.models.shopify_store_orders",
    "odoo.addons.shopify_sync.lib.client",
)
_logger = logging.getLogger(__name__)
BUTTONS = (
    "action_test_connection",
    "action_shopify_fetch_locations",
    "action_shopify_match_products",
    "action_register_webhooks",
    "action_shopify_sync_inventory",
    "action_import_orders_now",
    "action_reconcile_inventory_now",
)
# Seconds a merchant may wait: the client's read timeout (5 s for buttons, 15 s
# for Test Connection), a few seconds of retries, and at most `threshold` failing
# calls before the breaker stops a long action.
LIMIT = {"action_test_connection": 20}
DEFAULT_LIMIT = 20


@tagged("post_install", "-at_install")
class TestButtonsDuringOutage(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.store, cls.shop = cls._create_emulated_store(
            cls.emulator, "buttons-down", state="connected"
        )
        cls.shop.add_location("Main")
        cls._create_product("BTN-1")
        cls.shop.add_product("Button product", [{"sku": "BTN-1"}])
        cls.store._shopify_fetch_locations()
        cls.store._shopify_match_products()

    def setUp(self):
        super().setUp()
        self.addCleanup(self.shop.faults.clear)

    def _reset_breaker(self):
        # A failed Test Connection puts the store in error; the push skips it.
        self.store.state = "connected"
        self.env["shopify.store.health"].search(
            [("store_id", "=", self.store.id)]
        ).write(
            {
                "circuit_failures": 0,
                "circuit_openings": 0,
                "circuit_open_until": False,
            }
        )
        self.store.invalidate_recordset()

    def _press(self, button):
        """(seconds, message text) of one press; fails on anything but a clear
        answer."""
        started = time.monotonic()
        try:
            # No savepoint: the breaker's state lives on a side cursor in real
            # life, on this test cursor here; a rollback would erase it.
            action = getattr(self.store, button)()
        except UserError as exc:
            return time.monotonic() - started, "error", str(exc)
        seconds = time.monotonic() - started
        self.assertEqual(action.get("tag"), "display_notification", button)
        params = action["params"]
        return seconds, params.get("type"), params["message"]

    def _press_all(self, expected_words):
        for button in BUTTONS:
            self._reset_breaker()
            seconds, kind, message = self._press(button)
            limit = LIMIT.get(button, DEFAULT_LIMIT)
            _logger.info("BUTTON FIGURES %s: %.1fs, %s", button, seconds, kind)
            self.assertLess(seconds, limit, "%s took %.1fs" % (button, seconds))
            self.assertNotIn("Traceback", message)
            if kind == "error":
                self.assertTrue(
                    any(word in message for word in expected_words),
                    "%s: %s" % (button, message),
                )
                self.assertIn(self.store.name, message)
            else:
                self.assertIn(kind, ("danger", "warning"), "%s: %s" % (button, message))

    @mute_logger(*MUTED)
    def test_every_button_answers_a_503_storm(self):
        self.shop.inject("http503", count=10000)
        self._press_all(["server error"])

    @mute_logger(*MUTED)
    def test_every_button_answers_a_hanging_shopify(self):
        self.shop.inject("slow", count=10000, delay=20)
        self._press_all(["did not answer in time", "network"])

    @mute_logger(*MUTED)
    def test_open_breaker_answers_at_once_without_calling(self):
        self.shop.inject("http503", count=10000)
        for _n in range(3):
            self._press("action_shopify_fetch_locations")
        left = sum(f[1] for f in self.shop.faults)
        seconds, kind, message = self._press("action_shopify_match_products")
        self.assertLess(seconds, 1)
        self.assertEqual(kind, "error")
        self.assertIn("was not run", message)
        self.assertIn("Test Connection", message)
        self.assertEqual(sum(f[1] for f in self.shop.faults), left, "nothing sent")
        # Test Connection is the merchant's probe: it calls even now.
        seconds, kind, message = self._press("action_test_connection")
        self.assertLess(sum(f[1] for f in self.shop.faults), left)
        self.assertEqual(kind, "danger")
        self.shop.faults.clear()
        seconds, kind, message = self._press("action_test_connection")
        self.assertEqual(kind, "success", message)
        self.store.invalidate_recordset()
        self.assertFalse(self.store.circuit_open_until, "its success closes it")
        seconds, kind, message = self._press("action_shopify_fetch_locations")
        self.assertEqual(kind, "success", message)
