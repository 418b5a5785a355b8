"""Webhook subscriptions synced against the emulator over real HTTP on loopback.

Registration must be idempotent (issue 11): once on a fresh shop, twice, after a
partial failure, next to a concurrent run, among other apps' subscriptions and ours
on a wrong address or format, it ends in the same state, each of ours kept or updated
in place, never re-created.
"""

from unittest.mock import patch
from urllib.parse import urlsplit

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_sync.lib import webhook_topics
from odoo.addons.shopify_sync.lib.client import ShopifyClient
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
        """This app's subscriptions (other apps' are in the shop but not ours)."""
        return sorted(
            (dict(s) for s in self.shop.subscriptions.values() if s.get("app") is None),
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
            and urlsplit(s["uri"]).path == "/shopify/webhook/%d" % self.store.id
        ]
        self.assertFalse(stray, "no subscription of ours left on a wrong URI")

    def _mutations(self, name_prefix="webhookSubscription"):
        return [m for m in self.shop.mutations if m["name"].startswith(name_prefix)]

    def _seed(self, topic, uri, fmt="JSON", **extra):
        """Put a subscription of this app in the shop as a previous install left it.

        Goes straight into the emulator's state: Shopify (and the emulator) refuse to
        create an exact duplicate through the API, but old installs do leave them.
        """
        sid = next_id()
        self.shop.subscriptions[sid] = {
            "id": sid,
            "topic": topic,
            "uri": uri,
            "format": fmt,
            "filter": None,
            "include_fields": [],
            "created_at": None,
            "updated_at": None,
            "failures": 0,
            "app": None,
            **extra,
        }
        return sid

    def _short_client(self):
        """Patch the store's client factory: 1 s read timeout, no long retries."""
        factory = type(self.store)._shopify_client

        def short(store, **kwargs):
            kwargs.setdefault("timeout", (5, 1))
            kwargs.setdefault("max_retry_seconds", 2)
            return factory(store, **kwargs)

        return patch.object(type(self.store), "_shopify_client", short)

    # -- tests ----------------------------------------------------------------------

    def test_register_from_empty(self):
        self.assertFalse(self.shop.subscriptions)
        action = self.store.action_register_webhooks()
        self.assertEqual(action["params"]["type"], "success")
        self._assert_exactly_needed()
        self.assertEqual(
            len(self._mutations("webhookSubscriptionCreate")), len(NEEDED_ENUMS)
        )
        self.assertIn("%d created" % len(NEEDED_ENUMS), self.store.webhook_status)
        self.assertTrue(self.store.webhook_checked_at)
        log = self.env["shopify.sync.log"].search(
            [
                ("store_id", "=", self.store.id),
                ("operation", "=", "webhook_subscriptions"),
            ]
        )
        self.assertEqual(len(log), 1)
        self.assertIn("%d created" % len(NEEDED_ENUMS), log.message)

    def test_repair_from_partly_wrong(self):
        path = "/shopify/webhook/%d" % self.store.id
        good = self._seed("ORDERS_CREATE", self.url)
        wrong_uri = self._seed("ORDERS_PAID", "https://old-host.example.com" + path)
        dup_a = self._seed("ORDERS_UPDATED", self.url)
        dup_b = self._seed("ORDERS_UPDATED", self.url)
        wrong_topic = self._seed("CARTS_CREATE", self.url)
        other_url = self._seed("PRODUCTS_UPDATE", "https://other.example.com/hooks")
        other_path = self._seed("ORDERS_CREATE", BASE_URL + "/shopify/webhook/999999")

        self.store.action_register_webhooks()

        ids = set(self.shop.subscriptions)
        self.assertIn(good, ids, "a correct subscription is kept, not recreated")
        self.assertIn(wrong_uri, ids, "a wrong address is updated in place")
        self.assertEqual(self.shop.subscriptions[wrong_uri]["uri"], self.url)
        self.assertEqual(len({dup_a, dup_b} & ids), 1, "one of the duplicates removed")
        self.assertNotIn(wrong_topic, ids)
        self.assertEqual(
            self.shop.subscriptions[other_url]["uri"],
            "https://other.example.com/hooks",
            "a subscription on another address is left alone",
        )
        self.assertIn(other_path, ids, "another store's path is not ours")
        self._assert_exactly_needed()
        # all needed but ORDERS_CREATE, ORDERS_UPDATED (right) and ORDERS_PAID (updated)
        self.assertEqual(
            len(self._mutations("webhookSubscriptionCreate")), len(NEEDED_ENUMS) - 3
        )
        self.assertEqual(len(self._mutations("webhookSubscriptionUpdate")), 1)
        self.assertEqual(len(self._mutations("webhookSubscriptionDelete")), 2)
        self.assertIn(
            "%d created, 1 repaired, 2 removed" % (len(NEEDED_ENUMS) - 3),
            self.store.webhook_status,
        )

    def test_ours_in_another_format_or_spelling_is_updated_not_recreated(self):
        xml = self._seed("ORDERS_CREATE", self.url, fmt="XML")
        spelled = self._seed(
            "ORDERS_PAID",
            self.url.replace(
                "https://odoo.example.com", "HTTPS://Odoo.Example.com:443"
            ),
        )
        filtered = self._seed("ORDERS_UPDATED", self.url, filter="total_price:>100")
        self.store.action_register_webhooks()
        self._assert_exactly_needed_by_address()
        self.assertEqual(self.shop.subscriptions[xml]["format"], "JSON")
        self.assertIn(spelled, self.shop.subscriptions, "same address: kept as is")
        self.assertNotIn(filtered, self.shop.subscriptions, "a filter hides events")
        errors = [m for m in self._mutations() if m["result"].get("userErrors")]
        self.assertFalse(errors, "Shopify refused nothing")
        mutations = len(self.shop.mutations)
        self.store.action_register_webhooks()
        self.assertEqual(len(self.shop.mutations), mutations, "second press: no write")

    def _assert_exactly_needed_by_address(self):
        from odoo.addons.shopify_sync.lib.webhook_subscriptions import normalized_uri

        ours = [
            s
            for s in self._subs()
            if normalized_uri(s["uri"]) == normalized_uri(self.url)
        ]
        self.assertEqual(sorted(s["topic"] for s in ours), sorted(NEEDED_ENUMS))
        self.assertTrue(all(s["format"] == "JSON" for s in ours))

    def test_other_apps_subscriptions_are_neither_seen_nor_touched(self):
        foreign = [
            self.shop.add_foreign_subscription("other-app", enum, self.url)
            for enum in ("ORDERS_CREATE", "INVENTORY_LEVELS_UPDATE")
        ]
        foreign.append(
            self.shop.add_foreign_subscription(
                "other-app", "PRODUCTS_UPDATE", "https://other-app.example.com/h"
            )
        )
        for _press in range(2):
            action = self.store.action_register_webhooks()
            self.assertEqual(action["params"]["type"], "success")
        self._assert_exactly_needed()
        for sid in foreign:
            self.assertEqual(self.shop.subscriptions[sid]["app"], "other-app")
        self.assertEqual(
            len(self._mutations("webhookSubscriptionCreate")), len(NEEDED_ENUMS)
        )

    @mute_logger(
        "odoo.addons.shopify_sync.models.shopify_store_webhook",
        "odoo.addons.shopify_sync.lib.client",
    )
    def test_after_a_partial_failure_the_next_press_completes(self):
        # The 4th create is applied by Shopify but its answer never comes back.
        self.shop.inject("slow", count=4, delay=0)  # the listing + 3 creates
        self.shop.inject("timeout", count=1, hold=2)
        with self._short_client():
            first = self.store.action_register_webhooks()
        self.assertEqual(first["params"]["type"], "danger")
        self.assertEqual(len(self._subs()), 4, "3 answered + 1 applied, answer lost")
        second = self.store.action_register_webhooks()
        self.assertEqual(second["params"]["type"], "success")
        self._assert_exactly_needed()
        refused = [
            m
            for m in self._mutations("webhookSubscriptionCreate")
            if m["result"]["userErrors"]
        ]
        self.assertFalse(refused, "no create of one that exists")

    def test_a_concurrent_run_does_not_fail_the_press(self):
        # Another run (the daily cron, a double click) created them all between our
        # listing and our creates: Shopify answers "already taken", we adopt.
        real = ShopifyClient.webhook_subscriptions
        calls = []

        def stale_first(client):
            calls.append(1)
            if len(calls) == 1:
                for topic in webhook_topics.TOPICS:
                    self._seed(webhook_topics.topic_to_enum(topic), self.url)
                return []
            return real(client)

        with patch.object(ShopifyClient, "webhook_subscriptions", stale_first):
            action = self.store.action_register_webhooks()
        self.assertEqual(action["params"]["type"], "success", action["params"])
        self._assert_exactly_needed()
        self.assertEqual(len(self._subs()), len(NEEDED_ENUMS))
        self.assertIn("0 created", self.store.webhook_status)

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
