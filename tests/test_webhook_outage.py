"""Issue 13: a store whose Shopify is down never stalls other work.

The breaker over real HTTP against the emulator (opens, refuses without sending,
one probe, closes), the fair claim (lanes per store and topic), the run's time
budget, the attempt counted before the work (real committed cursors: a dying
worker still uses its attempts, a poison event ends failed) and API events of a
paused store deferred without using attempts while another store goes on.
"""

import threading
import time
import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_sync.lib.circuit import HANDLER_CLIENT_OPTIONS
from odoo.addons.shopify_sync.lib.errors import (
    ShopifyCircuitOpen,
    ShopifyRetryableError,
)

from .common import ShopifyCommon
from .test_webhook_controller import make_webhook_store
from .test_webhook_processing import WebhookHandlerCase, _Crash, store_event

MUTED = (
    "odoo.addons.shopify_sync.models.shopify_webhook_event",
    "odoo.addons.shopify_sync.models.shopify_store_circuit",
    "odoo.addons.shopify_sync.lib.client",
)


def _faults_left(shop):
    return sum(f[1] for f in shop.faults)


def _api_handler(event_model, event):
    """A handler that needs the Admin API (like inventory_levels/update)."""
    with event.store_id._shopify_client() as client:
        client.shop_info()


@tagged("post_install", "-at_install")
class TestCircuitBreaker(ShopifyCommon, WebhookHandlerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.store, cls.shop = cls._create_emulated_store(
            cls.emulator, "circuit-a", state="connected"
        )
        cls.other, cls.other_shop = cls._create_emulated_store(
            cls.emulator, "circuit-b", state="connected"
        )

    def setUp(self):
        super().setUp()
        self.addCleanup(self.shop.faults.clear)

    def _fails(self):
        """The call's error. Not Odoo's assertRaises: its savepoint would roll back
        the breaker's state, which lives on a side cursor in real life and on this
        test cursor here."""
        try:
            self._call()
        except ShopifyRetryableError as exc:
            return exc
        return self.fail("the call succeeded")

    def _call(self, store=None):
        store = (store or self.store).with_context(
            shopify_client_defaults=HANDLER_CLIENT_OPTIONS
        )
        with store._shopify_client() as client:
            return client.shop_info()

    @mute_logger(*MUTED)
    def test_opens_refuses_without_sending_probes_once_and_closes(self):
        self.shop.inject("http503", count=100)
        for _n in range(3):
            self.assertNotIsInstance(self._fails(), ShopifyCircuitOpen)
        self.assertEqual(_faults_left(self.shop), 97, "zero budget: one call each")
        self.store.invalidate_recordset()
        self.assertTrue(self.store.circuit_open_until)
        self.assertEqual(self.store.circuit_failures, 3)
        self.assertIn("server error", self.store.circuit_last_error)
        self.assertEqual(self.store.health_state, "error")
        self.assertIn("pauses this store's calls until", self.store.health_message)
        paused = self.env["shopify.sync.log"].search(
            [("store_id", "=", self.store.id), ("operation", "=", "circuit")]
        )
        self.assertEqual(paused.mapped("state"), ["error"])
        until = self.store.circuit_open_until.strftime("%H:%M")
        self.assertTrue(
            paused.message.startswith(
                "%s is not answering: Odoo paused its calls until %s UTC and retries "
                "by itself — Shopify calls of this store paused until"
                % (self.store.name, until)
            ),
            paused.message,
        )

        self.assertIsInstance(self._fails(), ShopifyCircuitOpen)
        self.assertEqual(_faults_left(self.shop), 97, "refused: nothing sent")
        self.assertTrue(self._call(self.other), "another store is not affected")

        # Half-open: the pause is over, one probe goes; it fails -> open longer.
        health = self.env["shopify.store.health"].search(
            [("store_id", "=", self.store.id)]
        )
        health.circuit_open_until = fields.Datetime.now() - timedelta(seconds=1)
        self.assertNotIsInstance(self._fails(), ShopifyCircuitOpen)
        self.assertEqual(_faults_left(self.shop), 96)
        self.store.invalidate_recordset()
        self.assertEqual(self.store.circuit_openings, 2)
        pause = self.store.circuit_open_until - fields.Datetime.now()
        self.assertGreater(pause.total_seconds(), 45, "second opening is longer")

        # Shopify is back: the next probe succeeds and closes the breaker.
        self.shop.faults.clear()
        health.invalidate_recordset()
        health.circuit_open_until = fields.Datetime.now() - timedelta(seconds=1)
        self.assertTrue(self._call())
        self.store.invalidate_recordset()
        self.assertFalse(self.store.circuit_open_until)
        self.assertEqual(self.store.circuit_failures, 0)
        self.assertFalse(self.store.circuit_last_error)
        self.assertTrue(self._call(), "closed: calls go through")
        logs = self.env["shopify.sync.log"].search(
            [("store_id", "=", self.store.id), ("operation", "=", "circuit")],
            order="id",
        )
        self.assertEqual(logs.mapped("state"), ["error", "error", "success"])
        self.assertTrue(
            logs[-1].message.startswith(
                "%s answers again: Odoo resumed its calls — " % self.store.name
            )
        )

    @mute_logger(*MUTED)
    def test_a_success_resets_the_streak(self):
        self.shop.inject("http503", count=2)
        for _n in range(2):
            self._fails()
        self.assertTrue(self._call())
        self.shop.inject("http503", count=2)
        for _n in range(2):
            self._fails()
        self.store.invalidate_recordset()
        self.assertFalse(self.store.circuit_open_until, "never 3 in a row")
        self.assertEqual(self.store.circuit_failures, 2)

    @mute_logger(*MUTED)
    def test_paused_store_defers_api_events_and_other_store_goes_on(self):
        self._install_handler("test/api", _api_handler)
        calls = []
        self._install_handler("test/local", lambda m, e: calls.append(e.id))
        self.shop.inject("http503", count=100)
        now = fields.Datetime.now()
        down = [
            store_event(
                self.env, self.store, "test/api", triggered_at=now + timedelta(0, i)
            )
            for i in range(8)
        ]
        local = store_event(self.env, self.store, "test/local")
        healthy = [store_event(self.env, self.other, "test/api") for _i in range(3)]
        started = time.monotonic()
        self._run_cron(limit=100)
        self.assertLess(time.monotonic() - started, 10, "nothing waited on Shopify")
        self.assertEqual([e.state for e in healthy], ["done"] * 3)
        self.assertEqual(local.state, "done", "a local event of the paused store")
        self.assertEqual(calls, [local.id])
        self.assertEqual(_faults_left(self.shop), 97, "3 calls, then paused")
        self.assertEqual(sorted(e.attempts for e in down), [0] * 5 + [1] * 3)
        self.store.invalidate_recordset()
        until = self.store.circuit_open_until
        for event in down:
            self.assertEqual(event.state, "pending")
            if not event.attempts:
                self.assertIn("pauses this store's calls", event.last_error)
                self.assertGreaterEqual(event.next_attempt_at, until)

        # Shopify answers again and the pause is over: everything is applied once.
        self.shop.faults.clear()
        self.env["shopify.store.health"].search(
            [("store_id", "=", self.store.id)]
        ).circuit_open_until = fields.Datetime.now() - timedelta(seconds=1)
        for event in down:
            event.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self._run_cron(limit=100)
        self.assertEqual({e.state for e in down}, {"done"})

    @mute_logger(*MUTED)
    def test_rate_limited_events_wait_shopifys_time_without_pausing_the_store(self):
        # Issue 20.1: a burst of events that Shopify rate-limits (THROTTLED) used to
        # count as an outage: the breaker opened and each further THROTTLED answer
        # doubled the pause (8 minutes in the order bench's fulfilment mix), and
        # every event spent an attempt. A rate limit is Shopify answering: each
        # event waits the seconds Shopify named, its attempt given back.
        self._install_handler("test/api", _api_handler)
        self.shop.inject("throttled", count=5)
        events = [store_event(self.env, self.store, "test/api") for _i in range(5)]
        before = fields.Datetime.now()
        self._run_cron(limit=100)
        self.assertEqual([e.state for e in events], ["pending"] * 5)
        self.assertEqual([e.attempts for e in events], [0] * 5)
        for event in events:
            self.assertIn("THROTTLED", event.last_error)
            self.assertLessEqual(event.next_attempt_at, before + timedelta(seconds=62))
        self.store.invalidate_recordset()
        self.assertFalse(self.store.circuit_open_until, "no pause for a rate limit")
        # The bucket has refilled: every event is done at its next run.
        for event in events:
            event.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self._run_cron(limit=100)
        self.assertEqual({e.state for e in events}, {"done"})


@tagged("post_install", "-at_install")
class TestFairClaim(WebhookHandlerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = make_webhook_store(cls.env, "fair-a.myshopify.com")
        cls.b = make_webhook_store(cls.env, "fair-b.myshopify.com")

    def test_lanes_interleave_stores_and_topics(self):
        now = fields.Datetime.now() - timedelta(minutes=5)
        backlog = [
            store_event(
                self.env, self.a, "test/slow", triggered_at=now + timedelta(0, i)
            )
            for i in range(30)
        ]
        later = now + timedelta(minutes=1)
        order_a = store_event(self.env, self.a, "test/order", triggered_at=later)
        order_b = store_event(self.env, self.b, "test/order", triggered_at=later)
        claimed = self.env["shopify.webhook.event"]._shopify_claim_due(3)
        self.assertEqual(claimed.ids, [backlog[0].id, order_a.id, order_b.id])
        self.assertEqual(claimed.mapped("attempts"), [1, 1, 1], "counted first")
        lease = claimed[0].next_attempt_at - fields.Datetime.now()
        self.assertGreater(lease.total_seconds(), 120, "leased beyond the time limit")

    def test_time_budget_gives_unstarted_events_back(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "shopify_sync.webhook_run_seconds", "1"
        )
        self._install_handler("test/slow", lambda m, e: time.sleep(0.4))
        events = [store_event(self.env, self.a, "test/slow") for _i in range(10)]
        cron = self.env.ref("shopify_sync.ir_cron_shopify_webhook_process")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        started = time.monotonic()
        processed = self._run_cron(limit=100)
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertIn(processed, (3, 4))
        done = [e for e in events if e.state == "done"]
        waiting = [e for e in events if e.state == "pending"]
        self.assertEqual(len(done), processed)
        self.assertEqual({e.attempts for e in waiting}, {0}, "attempt given back")
        self.assertTrue(
            all(e.next_attempt_at <= fields.Datetime.now() for e in waiting)
        )
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
            "re-triggered to go on at once",
        )


@tagged("post_install", "-at_install")
class TestDurableAttempts(WebhookHandlerCase):
    """Committed data on real cursors, as cron workers see it; cleaned up after."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.store_id = make_webhook_store(
                env, "durable-%s.myshopify.com" % uuid.uuid4().hex[:8]
            ).id
            env["ir.config_parameter"].set_param(
                "shopify_sync.webhook_max_attempts", "3"
            )
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param(
                "shopify_sync.webhook_max_attempts", ""
            )
            env["shopify.sync.log"].search([("store_id", "=", self.store_id)]).unlink()
            env["shopify.webhook.event"].search(
                [("store_id", "=", self.store_id)]
            ).unlink()
            env["shopify.store"].browse(self.store_id).unlink()

    def _worker_run(self):
        """One cron run in a worker thread (commits allowed); returns the error."""
        outcome = {}

        def run():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["shopify.webhook.event"]._cron_process_webhook_events()
            except BaseException as exc:  # noqa: BLE001 - the "dead worker"
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=60)
        return outcome.get("error")

    def _event_row(self, event_id):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state, attempts, next_attempt_at, last_error "
                "FROM shopify_webhook_event WHERE id = %s",
                [event_id],
            )
            return cr.fetchone()

    @mute_logger(*MUTED, "odoo.sql_db")
    def test_dying_worker_still_uses_attempts_and_poison_ends_failed(self):
        def poison_handler(event_model, event):
            raise _Crash()

        self._install_handler("test/poison", poison_handler)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store = env["shopify.store"].browse(self.store_id)
            poison = store_event(env, store, "test/poison").id
        for attempt in (1, 2, 3):
            self.assertIsInstance(self._worker_run(), _Crash)
            state, attempts, next_at, _err = self._event_row(poison)
            self.assertEqual((state, attempts), ("pending", attempt), "durable")
            self.assertGreater(next_at, fields.Datetime.now(), "leased")
            with self.registry.cursor() as cr:  # the lease ends (time passes)
                cr.execute(
                    "UPDATE shopify_webhook_event SET next_attempt_at = %s "
                    "WHERE id = %s",
                    [fields.Datetime.now() - timedelta(seconds=1), poison],
                )
        self.assertIsNone(self._worker_run(), "no attempt left: not run again")
        state, attempts, _next, error = self._event_row(poison)
        self.assertEqual((state, attempts), ("failed", 3))
        self.assertIn("never finished", error)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store = env["shopify.store"].browse(self.store_id)
            self.assertEqual(store.webhook_failed_count, 1)
            self.assertTrue(
                env["shopify.sync.log"].search_count(
                    [("store_id", "=", self.store_id), ("state", "=", "error")]
                )
            )
