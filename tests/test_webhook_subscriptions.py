"""Webhook subscriptions synced against the emulator over real HTTP on loopback."""

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_sync.lib import webhook_topics
from odoo.addons.shopify_sync.models.shopify_store_webhook import plan_subscriptions
from odoo.addons.shopify_sync.tools.shopify_emulator import Emulator
from odoo.addons.shopify_sync.tools.shopify_emulator.ids import next_id

BASE_URL = "https://odoo.example.com"
NEEDED_ENUMS = {webhook_topics.topic_to_enum(t) for t in webhook_topics.TOPICS}


@tagged("post_install", "-at_install")
class TestWebhookSubscriptions(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = Emulator().start()
        cls.addClassCleanup(cls.emulator.stop)
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", BASE_URL)

    def setUp(self):
        super().setUp()
        domain = "subs-%s.myshopify.com" % next_id()
        self.shop = self.emulator.add_shop(domain)
        self.store = (
            self.env["shopify.store"]
            .sudo()
            .create(
                {
                    "name": "Subscriptions",
                    "shop_domain": domain,
                    "client_id": self.shop.client_id,
                    "client_secret": self.shop.client_secret,
                    "api_base_url_override": self.shop.base_url,
                    "state": "connected",
                }
            )
        )
        self.url = BASE_URL + "/shopify/webhook/%d" % self.store.id

    # -- helpers --------------------------------------------------------------------

    def _subs(self):
        return sorted(
            (dict(s) for s in self.shop.subscriptions.values()),
            key=lambda s: s["id"],
        )

    def _ours(self):
        return [s for s in self._subs() if s["uri"] == self.url]

    def _assert_exactly_needed(self):
        ours = self._ours()
        self.assertEqual(sorted(s["topic"] for s in ours), sorted(NEEDED_ENUMS))
        stray = [
            s
            for s in self._subs()
            if s["uri"] != self.url
            and "/shopify/webhook/%d" % self.store.id in s["uri"]
        ]
        self.assertFalse(stray, "no subscription of ours left on a wrong URI")

    def _mutations(self, name_prefix="webhookSubscription"):
        return [m for m in self.shop.mutations if m["name"].startswith(name_prefix)]

    def _seed(self, topic, uri):
        """Put a subscription in the shop as a previous install or another app left it.

        Goes straight into the emulator's state: Shopify (and the emulator) refuse to
        create an exact duplicate through the API, but old installs do leave them.
        """
        sid = next_id()
        self.shop.subscriptions[sid] = {
            "id": sid,
            "topic": topic,
            "uri": uri,
            "format": "JSON",
            "created_at": None,
            "updated_at": None,
            "failures": 0,
        }
        return sid

    # -- tests ----------------------------------------------------------------------

    def test_register_from_empty(self):
        self.assertFalse(self.shop.subscriptions)
        action = self.store.action_register_webhooks()
        self.assertEqual(action["params"]["type"], "success")
        self._assert_exactly_needed()
        self.assertEqual(len(self._mutations("webhookSubscriptionCreate")), 9)
        self.assertIn("9 created", self.store.webhook_status)
        self.assertTrue(self.store.webhook_checked_at)
        log = self.env["shopify.sync.log"].search(
            [
                ("store_id", "=", self.store.id),
                ("operation", "=", "webhook_subscriptions"),
            ]
        )
        self.assertEqual(len(log), 1)
        self.assertIn("9 created", log.message)

    def test_repair_from_partly_wrong(self):
        path = "/shopify/webhook/%d" % self.store.id
        good = self._seed("ORDERS_CREATE", self.url)
        wrong_uri = self._seed("ORDERS_PAID", "https://old-host.example.com" + path)
        dup_a = self._seed("ORDERS_UPDATED", self.url)
        dup_b = self._seed("ORDERS_UPDATED", self.url)
        wrong_topic = self._seed("CARTS_CREATE", self.url)
        other_app = self._seed("PRODUCTS_UPDATE", "https://other-app.example.com/hooks")
        other_path = self._seed("ORDERS_CREATE", BASE_URL + "/shopify/webhook/999999")

        self.store.action_register_webhooks()

        ids = set(self.shop.subscriptions)
        self.assertIn(good, ids, "a correct subscription is kept, not recreated")
        self.assertNotIn(wrong_uri, ids)
        self.assertEqual(len({dup_a, dup_b} & ids), 1, "one of the duplicates removed")
        self.assertNotIn(wrong_topic, ids)
        self.assertEqual(
            self.shop.subscriptions[other_app]["uri"],
            "https://other-app.example.com/hooks",
            "another app's subscription is left alone",
        )
        self.assertIn(other_path, ids, "another store's path is not ours")
        self._assert_exactly_needed()
        # 9 needed - ORDERS_CREATE and ORDERS_UPDATED already right = 7 creates
        # (ORDERS_PAID counts as a repair); 3 deletes.
        self.assertEqual(len(self._mutations("webhookSubscriptionCreate")), 7)
        self.assertEqual(len(self._mutations("webhookSubscriptionDelete")), 3)
        self.assertIn("6 created, 1 repaired, 2 removed", self.store.webhook_status)

    def test_second_run_changes_nothing(self):
        self.store.action_register_webhooks()
        before = self._subs()
        mutations = len(self.shop.mutations)
        action = self.store.action_register_webhooks()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self._subs(), before)
        self.assertEqual(len(self.shop.mutations), mutations, "no write at all")
        self.assertIn("0 created, 0 repaired, 0 removed", self.store.webhook_status)

    def test_health_cron_repairs_missing_subscriptions(self):
        self.store.action_register_webhooks()
        # Shopify deleted one after 8 failed deliveries.
        victim = next(
            sid
            for sid, s in self.shop.subscriptions.items()
            if s["topic"] == "ORDERS_PAID"
        )
        del self.shop.subscriptions[victim]
        self.env["shopify.store"]._cron_check_webhook_subscriptions()
        self._assert_exactly_needed()
        self.assertIn("1 created", self.store.webhook_status)

    @mute_logger("odoo.addons.shopify_sync.models.shopify_store_webhook")
    def test_api_failure_is_recorded_not_raised(self):
        self.store.client_secret = "not-the-app-secret"
        action = self.store.action_register_webhooks()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("failed", self.store.webhook_status)
        self.assertNotIn("not-the-app-secret", self.store.webhook_status)
        self.assertFalse(self.shop.subscriptions)
        self.assertTrue(
            self.env["shopify.sync.log"].search_count(
                [("store_id", "=", self.store.id), ("state", "=", "error")]
            )
        )

    def test_webhook_url_follows_base_url(self):
        self.assertEqual(self.store._shopify_webhook_url(), self.url)


@tagged("post_install", "-at_install")
class TestWebhookSubscriptionPlan(TransactionCase):
    """The decision alone, on hand-written listings."""

    URL = "https://odoo.example.com/shopify/webhook/7"
    PATH = "/shopify/webhook/7"

    def test_plan(self):
        subs = [
            {"gid": "g1", "topic": "ORDERS_CREATE", "uri": self.URL},
            {
                "gid": "g2",
                "topic": "ORDERS_CREATE",
                "uri": "http://old/shopify/webhook/7",
            },
            {
                "gid": "g3",
                "topic": "APP_UNINSTALLED",
                "uri": "http://old/shopify/webhook/7",
            },
            {"gid": "g4", "topic": "SHOP_UPDATE", "uri": self.URL},
            {"gid": "g5", "topic": "ORDERS_PAID", "uri": "https://elsewhere/x"},
        ]
        to_create, to_delete, repaired = plan_subscriptions(subs, self.URL, self.PATH)
        self.assertEqual({s["gid"] for s in to_delete}, {"g2", "g3", "g4"})
        self.assertEqual(repaired, {"app/uninstalled"})
        self.assertNotIn("orders/create", to_create)
        self.assertEqual(set(to_create), set(webhook_topics.TOPICS) - {"orders/create"})
