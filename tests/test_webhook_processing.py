"""The inbox cron: dispatch, staleness, retries, Retry button, uninstall, retention,
crash recovery and parallel runs on real cursors."""

import json
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_sync.models.shopify_order_importer import ShopifyOrderBusy
from odoo.addons.shopify_sync.models.shopify_webhook_event import (
    EVENT_BACKOFF,
)

from .test_webhook_controller import make_webhook_store, order_payload

QUEUE = "odoo.addons.shopify_sync.models.shopify_webhook_event_queue"


class _Crash(BaseException):
    """Stands for the worker process dying: not an Exception, nothing catches it."""


def store_event(
    env, store, topic="orders/create", payload=None, webhook_id=None, triggered_at=None
):
    payload = payload if payload is not None else order_payload()
    return env["shopify.webhook.event"]._shopify_store_delivery(
        store,
        topic,
        webhook_id or str(uuid.uuid4()),
        json.dumps(payload),
        payload,
        triggered_at=triggered_at,
    )


class WebhookHandlerCase(TransactionCase):
    """Installs test handlers on the event model for the duration of a test."""

    def _install_handler(self, topic, func):
        name = "_shopify_handle_" + topic.replace("/", "_")
        patcher = patch.object(
            type(self.env["shopify.webhook.event"]), name, func, create=True
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def _run_cron(self, **kwargs):
        result = self.env["shopify.webhook.event"]._cron_process_webhook_events(
            **kwargs
        )
        self.env.invalidate_all()
        return result


@tagged("post_install", "-at_install")
class TestWebhookProcessing(WebhookHandlerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.store = make_webhook_store(cls.env, "process-test.myshopify.com")
        cls.cron = cls.env.ref("shopify_sync.ir_cron_shopify_webhook_process")

    def setUp(self):
        super().setUp()
        self.calls = []

    def _recording_handler(self, result=None):
        calls = self.calls

        def handler(event_model, event):
            calls.append(event.id)
            return result

        return handler

    def test_dispatch_by_topic(self):
        self._install_handler("test/echo", self._recording_handler())
        event = store_event(self.env, self.store, topic="test/echo")
        self.assertEqual(self._run_cron(), 1)
        self.assertEqual(self.calls, [event.id])
        self.assertRecordValues(event, [{"state": "done", "attempts": 1}])
        self.assertTrue(event.processed_at)
        self.assertFalse(event.next_attempt_at)

    def test_events_processed_in_trigger_order(self):
        self._install_handler("test/echo", self._recording_handler())
        now = fields.Datetime.now()
        late = store_event(self.env, self.store, "test/echo", triggered_at=now)
        early = store_event(
            self.env, self.store, "test/echo", triggered_at=now - timedelta(minutes=5)
        )
        self._run_cron()
        self.assertEqual(self.calls, [early.id, late.id])

    def test_unknown_topic_is_ignored(self):
        event = store_event(self.env, self.store, topic="carts/create")
        self._run_cron()
        self.assertEqual(event.state, "ignored")
        self.assertIn("No handler", event.note)

    def test_handler_can_ignore(self):
        self._install_handler("test/echo", self._recording_handler(result="ignored"))
        event = store_event(self.env, self.store, topic="test/echo")
        self._run_cron()
        self.assertEqual(event.state, "ignored")
        self.assertEqual(self.calls, [event.id])

    def test_stale_delivery_is_ignored(self):
        self._install_handler("orders/updated", self._recording_handler())
        newer = store_event(
            self.env,
            self.store,
            "orders/updated",
            order_payload(5, updated_at="2026-03-01T12:00:00Z"),
        )
        self._run_cron()
        self.assertEqual(newer.state, "done")
        # Shopify's retry of an older update arrives after the newer one was applied.
        older = store_event(
            self.env,
            self.store,
            "orders/updated",
            order_payload(5, updated_at="2026-03-01T11:59:59Z"),
        )
        same_time = store_event(
            self.env,
            self.store,
            "orders/updated",
            order_payload(5, updated_at="2026-03-01T12:00:00Z"),
        )
        other_object = store_event(
            self.env,
            self.store,
            "orders/updated",
            order_payload(6, updated_at="2026-01-01T00:00:00Z"),
        )
        self._run_cron()
        self.assertEqual(older.state, "ignored")
        self.assertIn("Stale", older.note)
        self.assertEqual(same_time.state, "done")
        self.assertEqual(other_object.state, "done")
        self.assertNotIn(older.id, self.calls)

    @mute_logger("odoo.addons.shopify_sync.models.shopify_webhook_event")
    def test_failure_backs_off_then_fails_then_retry(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "shopify_sync.webhook_max_attempts", "3"
        )
        failing = {"on": True}
        calls = self.calls

        def handler(event_model, event):
            calls.append(event.id)
            # Work done before the failure must be rolled back with the savepoint.
            event.store_id.name = "changed by a failing handler"
            if failing["on"]:
                raise ValueError("boom access_token=shpat_abcdef0123456789")

        self._install_handler("test/flaky", handler)
        event = store_event(self.env, self.store, topic="test/flaky")
        store_name = self.store.name

        before = fields.Datetime.now()
        self._run_cron()
        self.assertRecordValues(event, [{"state": "pending", "attempts": 1}])
        self.assertIn("boom", event.last_error)
        self.assertNotIn("shpat_abcdef0123456789", event.last_error)
        self.assertEqual(self.store.name, store_name, "handler work rolled back")
        delay = (event.next_attempt_at - before).total_seconds()
        self.assertAlmostEqual(delay, EVENT_BACKOFF.base, delta=5)

        # Not due yet: the next run leaves it alone.
        self._run_cron()
        self.assertEqual(len(self.calls), 1)

        event.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        before = fields.Datetime.now()
        self._run_cron()
        self.assertRecordValues(event, [{"state": "pending", "attempts": 2}])
        delay = (event.next_attempt_at - before).total_seconds()
        self.assertAlmostEqual(delay, 2 * EVENT_BACKOFF.base, delta=5)

        logs_before = (
            self.env["shopify.sync.log"]
            .sudo()
            .search_count([("store_id", "=", self.store.id), ("state", "=", "error")])
        )
        event.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self._run_cron()
        self.assertRecordValues(event, [{"state": "failed", "attempts": 3}])
        self.assertEqual(self.store.webhook_failed_count, 1)
        self.assertGreater(
            self.env["shopify.sync.log"]
            .sudo()
            .search_count([("store_id", "=", self.store.id), ("state", "=", "error")]),
            logs_before,
        )
        self._run_cron()
        self.assertEqual(
            len(self.calls), 3, "failed events are not retried by the cron"
        )

        # The Retry button puts it back and wakes the cron.
        triggers_before = self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )
        failing["on"] = False
        event.action_retry()
        self.assertRecordValues(
            event, [{"state": "pending", "attempts": 0, "last_error": False}]
        )
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers_before,
        )
        self._run_cron()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.store.webhook_failed_count, 0)

    def test_contention_is_retried_soon_and_never_fails_the_event(self):
        """Another worker busy with the same order / level (or a serialization
        failure) is not the event's fault: retried after 5 s, doubling to 60 s,
        never counted as an attempt, so it never ends Failed because of it (the
        e2e setup test saw every such event wait the 60 s failure backoff)."""
        self.env["ir.config_parameter"].sudo().set_param(
            "shopify_sync.webhook_max_attempts", "2"
        )
        busy = {"left": 6}
        kinds = [
            lambda: ShopifyOrderBusy("order busy", retry_after=5),
            lambda: pg_errors.SerializationFailure("could not serialize access"),
        ]

        def handler(event_model, event):
            self.calls.append(event.id)
            if busy["left"]:
                busy["left"] -= 1
                raise kinds[busy["left"] % 2]()

        self._install_handler("test/contended", handler)
        event = store_event(self.env, self.store, topic="test/contended")
        expected = [5, 10, 20, 40, 60, 60]
        for n, wanted in enumerate(expected, start=1):
            before = fields.Datetime.now()
            self._run_cron()
            self.assertRecordValues(
                event, [{"state": "pending", "attempts": 0, "conflicts": n}]
            )
            delay = (event.next_attempt_at - before).total_seconds()
            self.assertAlmostEqual(delay, wanted, delta=2)
            self._run_cron()  # not due yet
            self.assertEqual(len(self.calls), n)
            event.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self._run_cron()
        self.assertRecordValues(event, [{"state": "done", "attempts": 1}])

    @mute_logger("odoo.addons.shopify_sync.models.shopify_webhook_event")
    def test_retry_after_is_honoured(self):
        class Throttled(Exception):
            retry_after = 600

        def handler(event_model, event):
            raise Throttled("slow down")

        self._install_handler("test/throttled", handler)
        event = store_event(self.env, self.store, topic="test/throttled")
        before = fields.Datetime.now()
        self._run_cron()
        self.assertGreaterEqual((event.next_attempt_at - before).total_seconds(), 595)

    @mute_logger("odoo.addons.shopify_sync.models.shopify_webhook_event")
    def test_one_bad_event_does_not_block_the_batch(self):
        def handler(event_model, event):
            if event.webhook_id == "bad":
                raise RuntimeError("bad event")
            self.calls.append(event.id)

        self._install_handler("test/mixed", handler)
        now = fields.Datetime.now()
        events = [
            store_event(
                self.env,
                self.store,
                "test/mixed",
                webhook_id=wid,
                triggered_at=now + timedelta(seconds=i),
            )
            for i, wid in enumerate(["good-1", "bad", "good-2"])
        ]
        self.assertEqual(self._run_cron(), 3)
        self.assertEqual([e.state for e in events], ["done", "pending", "done"])
        self.assertEqual(self.calls, [events[0].id, events[2].id])

    def test_limit_and_retrigger_when_more_remain(self):
        self._install_handler("test/echo", self._recording_handler())
        for _i in range(3):
            store_event(self.env, self.store, topic="test/echo")
        triggers = self.env["ir.cron.trigger"].sudo()
        before = triggers.search_count([("cron_id", "=", self.cron.id)])
        self.assertEqual(self._run_cron(limit=2), 2)
        self.assertEqual(
            triggers.search_count([("cron_id", "=", self.cron.id)]), before + 1
        )
        self.assertEqual(self.store.webhook_pending_count, 1)
        self.assertEqual(self._run_cron(limit=2), 1)
        self.assertEqual(self.store.webhook_pending_count, 0)

    def test_cron_record_runs_the_processing(self):
        self._install_handler("test/echo", self._recording_handler())
        event = store_event(self.env, self.store, topic="test/echo")
        self.cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(event.state, "done")

    def test_crash_before_processing_loses_nothing(self):
        """The worker dies mid-run: its transaction is gone, the event stays pending
        and the next cron run processes it exactly once."""
        crash = {"on": True}

        def handler(event_model, event):
            self.calls.append(event.id)
            if crash["on"]:
                raise _Crash()

        self._install_handler("test/crash", handler)
        event = store_event(self.env, self.store, topic="test/crash")
        self.env.flush_all()
        # The savepoint plays the dead worker's uncommitted transaction.
        with self.assertRaises(_Crash), self.env.cr.savepoint():
            self.env["shopify.webhook.event"]._cron_process_webhook_events()
        self.env.invalidate_all()
        self.assertRecordValues(event, [{"state": "pending", "attempts": 0}])
        crash["on"] = False
        self._run_cron()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.calls, [event.id, event.id])

    # app/uninstalled: tests/test_webhook_authority.py (confirmed with the API).

    def test_autovacuum_keeps_failed_and_recent_events(self):
        Event = self.env["shopify.webhook.event"]
        old = fields.Datetime.now() - timedelta(days=15)
        events = {}
        for state in ("done", "ignored", "failed", "pending"):
            events[state] = store_event(self.env, self.store, topic="test/" + state)
            events[state].write({"state": state})
        recent_done = store_event(self.env, self.store, topic="test/recent")
        recent_done.write({"state": "done"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE shopify_webhook_event SET create_date = %s WHERE id IN %s",
            (old, tuple(e.id for e in events.values())),
        )
        self.env.invalidate_all()
        Event._gc_shopify_webhook_events()
        self.assertFalse(events["done"].exists())
        self.assertFalse(events["ignored"].exists())
        self.assertTrue(events["failed"].exists())
        self.assertTrue(events["pending"].exists())
        self.assertTrue(recent_done.exists())

        self.env["ir.config_parameter"].sudo().set_param(
            "shopify_sync.webhook_retention_days", "30"
        )
        kept = store_event(self.env, self.store, topic="test/kept")
        kept.write({"state": "done"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE shopify_webhook_event SET create_date = %s WHERE id = %s",
            (old, kept.id),
        )
        Event._gc_shopify_webhook_events()
        self.assertTrue(kept.exists(), "15 days old is within a 30 days retention")

    def test_retry_is_for_managers(self):
        event = store_event(self.env, self.store, topic="carts/create")
        event.write({"state": "failed"})
        user = new_test_user(
            self.env, login="shopify_reader", groups="shopify_sync.group_shopify_user"
        )
        self.assertEqual(event.with_user(user).state, "failed", "users can read")
        with self.assertRaises(AccessError):
            event.with_user(user).action_retry()
        self.assertEqual(event.state, "failed")

    def test_duplicate_store_call_returns_empty(self):
        first = store_event(self.env, self.store, webhook_id="same-id")
        second = store_event(self.env, self.store, webhook_id="same-id")
        self.assertTrue(first)
        self.assertFalse(second)


@tagged("post_install", "-at_install")
class TestWebhookConcurrency(WebhookHandlerCase):
    """Real cursors outside the test transaction: what two cron workers would see.

    Everything created here is committed, so each test removes it again.
    """

    def setUp(self):
        super().setUp()
        self.started = fields.Datetime.now() - timedelta(seconds=5)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.store_id = make_webhook_store(
                env, "concurrency-%s.myshopify.com" % uuid.uuid4().hex[:8]
            ).id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cron = env.ref("shopify_sync.ir_cron_shopify_webhook_process")
            env["ir.cron.trigger"].search(
                [("cron_id", "=", cron.id), ("create_date", ">=", self.started)]
            ).unlink()
            env["shopify.sync.log"].search([("store_id", "=", self.store_id)]).unlink()
            env["shopify.webhook.event"].search(
                [("store_id", "=", self.store_id)]
            ).unlink()
            env["shopify.store"].browse(self.store_id).unlink()

    def _with_env(self, func):
        with self.registry.cursor() as cr:
            return func(api.Environment(cr, SUPERUSER_ID, {}))

    def _store_events(self, count, topic):
        def create(env):
            store = env["shopify.store"].browse(self.store_id)
            return [store_event(env, store, topic).id for _i in range(count)]

        return self._with_env(create)

    def test_skip_locked_claims_are_disjoint(self):
        ids = self._store_events(4, "test/claim")
        cr_a = self.registry.cursor()
        cr_b = self.registry.cursor()
        try:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            # Without SKIP LOCKED the second claim would wait: fail fast instead.
            cr_b.execute("SET LOCAL lock_timeout = '2s'")
            claimed_a = env_a["shopify.webhook.event"]._shopify_claim_due(2)
            claimed_b = env_b["shopify.webhook.event"]._shopify_claim_due(10)
            ours_a = set(claimed_a.ids) & set(ids)
            ours_b = set(claimed_b.ids) & set(ids)
            self.assertEqual(len(ours_a), 2)
            self.assertEqual(ours_a | ours_b, set(ids))
            self.assertFalse(ours_a & ours_b, "a locked event is skipped, not shared")
        finally:
            cr_a.rollback()
            cr_b.rollback()
            cr_a.close()
            cr_b.close()

    def _take_while_locked(self, hold_seconds):
        """Lease one event (committed), let another cursor hold its row lock as a
        second worker's claim statement does for a moment, and take it meanwhile.
        Returns what `_shopify_take_fresh` answered."""
        (event_id,) = self._store_events(1, "test/take")

        def lease(env):
            leased = env["shopify.webhook.event"]._shopify_lease_due(1000)
            env["shopify.webhook.event"]._shopify_release(
                [row for row in leased if row[0] != event_id]
            )
            return [row[1] for row in leased if row[0] == event_id][0]

        attempts = self._with_env(lease)
        holder = self.registry.cursor()
        worker = self.registry.cursor()
        try:
            holder.execute(
                "SELECT id FROM shopify_webhook_event WHERE id = %s FOR UPDATE",
                [event_id],
            )
            release = threading.Timer(hold_seconds, holder.commit)
            release.start()
            env = api.Environment(worker, SUPERUSER_ID, {})
            taken = env["shopify.webhook.event"].browse(event_id)
            answer = taken._shopify_take_fresh(attempts, auto_commit=True)
            release.join()
        finally:
            worker.rollback()
            worker.close()
            holder.close()
        return answer

    def test_own_leased_event_is_taken_after_a_claims_brief_lock(self):
        """CI once saw 2 of 50 events left unprocessed by two parallel runs: a
        claim's locking scan briefly held rows the other worker had leased, and
        SKIP LOCKED made that worker drop its own events for a whole lease."""
        with patch(f"{QUEUE}.TAKE_LOCK_TIMEOUT", "60s"):  # never the test's clock
            self.assertTrue(self._take_while_locked(0.3))

    def test_event_held_longer_than_the_wait_is_left_to_its_holder(self):
        with patch(f"{QUEUE}.TAKE_LOCK_TIMEOUT", "50ms"):
            self.assertFalse(self._take_while_locked(1.0))

    def test_concurrent_identical_deliveries_store_one_event(self):
        """Two requests carrying the same webhook id race past the duplicate check:
        the unique index decides, the loser stores nothing and raises nothing."""
        cr_a = self.registry.cursor()
        outcome = {}

        def second_delivery():
            try:
                with self.registry.cursor() as cr_b:
                    env_b = api.Environment(cr_b, SUPERUSER_ID, {})
                    store = env_b["shopify.store"].browse(self.store_id)
                    outcome["event"] = store_event(env_b, store, webhook_id="race").ids
            except Exception as exc:  # noqa: BLE001 - asserted below
                outcome["error"] = exc

        try:
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            first = store_event(
                env_a, env_a["shopify.store"].browse(self.store_id), webhook_id="race"
            )
            self.assertTrue(first)
            thread = threading.Thread(target=second_delivery)
            thread.start()
            time.sleep(0.3)  # let the second INSERT block on the first one's row
            self.assertTrue(thread.is_alive(), "second insert waits for the first")
            cr_a.commit()
            thread.join(timeout=10)
        finally:
            cr_a.close()
        self.assertNotIn("error", outcome)
        self.assertEqual(outcome["event"], [], "the loser is a duplicate")

        def count(env):
            return env["shopify.webhook.event"].search_count(
                [("store_id", "=", self.store_id), ("webhook_id", "=", "race")]
            )

        self.assertEqual(self._with_env(count), 1)

    def test_two_parallel_cron_runs_never_process_an_event_twice(self):
        handled = []
        lock = threading.Lock()

        def handler(event_model, event):
            with lock:
                handled.append(event.id)
            time.sleep(0.005)

        self._install_handler("test/parallel", handler)
        ids = self._store_events(50, "test/parallel")
        barrier = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait(timeout=10)
                    results.append(
                        env["shopify.webhook.event"]._cron_process_webhook_events(
                            limit=1000
                        )
                    )
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors)
        self.assertEqual(len(results), 2)
        self.assertGreaterEqual(sum(results), len(ids))
        self.assertGreater(min(results), 0, "both workers took a share")
        ours = [i for i in handled if i in set(ids)]
        self.assertEqual(sorted(ours), sorted(ids), "every event handled")
        self.assertEqual(max(Counter(ours).values()), 1, "no event handled twice")

        def states(env):
            events = env["shopify.webhook.event"].browse(ids)
            return set(events.mapped("state")), set(events.mapped("attempts"))

        self.assertEqual(self._with_env(states), ({"done"}, {1}))
