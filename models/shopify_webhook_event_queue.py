"""The processing cron of the webhook inbox: fair, bounded, durable.

- Fair: a claim locks at most `PER_LANE` due events per lane (store, topic), oldest
  first in each lane, and interleaves the lanes (the first event of every lane, then
  the second...). One store's backlog, slow or failing events never queue another
  store's, and orders never wait behind a store's inventory events.
- Durable: the claim is its own short committed transaction (a side cursor) that
  counts the attempt and leases the event (`next_attempt_at` = now + `LEASE_SECONDS`)
  BEFORE the handler runs. A worker killed or rolled back mid-event still used one
  attempt; the event comes back after the lease, and once all attempts are used
  without an outcome the claim marks it failed (Health, sync log): a poison event
  never blocks the queue.
- Bounded: the run stops taking events after `shopify_sync.webhook_run_seconds`
  (default 40 s, well inside `limit_time_real_cron`), gives its unstarted events
  back and re-triggers itself; handlers run with a client that never sleeps
  (`HANDLER_CLIENT_OPTIONS`: zero retry budget, short timeouts), so a retryable API
  failure becomes the event's backoff at once.
- Each event is processed in its own savepoint holding its row lock (a second
  worker skips it even if the lease ran out), and committed before any other
  store's event runs (quick events of one store share a commit of at most
  `GROUP_COMMIT_SECONDS`). A store whose circuit breaker is open
  (`shopify_store_circuit`) defers its API events until the next probe without
  using an attempt; events that need no API go on. An event Shopify rate-limits
  (`ShopifyRateLimited`: THROTTLED or HTTP 429 beyond the handler's zero retry
  budget) waits the seconds Shopify named, also without using an attempt.
"""

import logging
import math
import time
from datetime import datetime, timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

from ..lib.circuit import HANDLER_CLIENT_OPTIONS
from ..lib.errors import ShopifyCircuitOpen, ShopifyRateLimited
from ..lib.params import number
from ..lib.txn import CONFLICTS, lock_rows_within
from .odoo_platform import auto_commit_allowed, side_replay
from .shopify_store_circuit import REPLAY_KEY
from .shopify_store_health import side_cursor
from .shopify_webhook_event import (
    BATCH_SIZE,
    EVENT_BACKOFF,
    _error_text,
    _is_contention,
)
from .shopify_webhook_event_wait import waits_on_own_work

_logger = logging.getLogger(__name__)

PER_LANE = BATCH_SIZE  # events per (store, topic) and claim; interleaved after
LEASE_SECONDS = 180  # > limit_time_real_cron (120 s by default)
DEFAULT_RUN_SECONDS = 40
TRIGGER_GRANULARITY = 10  # seconds: deferred events share trigger rows
GROUP_COMMIT_SECONDS = 0.2  # one store's quick events share a commit this long
TAKE_LOCK_TIMEOUT = "2s"  # another worker's claim holds a row for milliseconds


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def init(self):
        res = super().init()
        # The claim's lanes: due pending events per (store, topic), oldest first.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS shopify_webhook_event_lane_idx
                ON shopify_webhook_event (store_id, topic, triggered_at, id)
             WHERE state = 'pending'
            """
        )
        return res

    @api.model
    def _shopify_run_seconds(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("shopify_sync.webhook_run_seconds")
        )
        return number(value, DEFAULT_RUN_SECONDS, float, 1.0)

    # ------------------------------------------------------------------ claim
    @api.model
    def _shopify_lease_due(self, limit):
        """Lease up to `limit` due events, lanes interleaved;
        [(id, attempts, store_id)].

        Committed at once on a side cursor (the test cursor in tests). SKIP LOCKED:
        rows another worker is leasing right now are left to it.
        """
        now = fields.Datetime.now()
        max_attempts = self._shopify_max_attempts()
        with side_cursor(self.env) as cr:
            cr.execute(
                """
                SELECT e.id, e.attempts, e.store_id, e.topic, e.triggered_at
                  FROM (SELECT DISTINCT store_id, topic FROM shopify_webhook_event
                         WHERE state = 'pending'
                           AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
                       ) lane
                 CROSS JOIN LATERAL (
                       SELECT w.id, w.attempts, w.store_id, w.topic, w.triggered_at
                         FROM shopify_webhook_event w
                        WHERE w.store_id = lane.store_id AND w.topic = lane.topic
                          AND w.state = 'pending'
                          AND (w.next_attempt_at IS NULL
                               OR w.next_attempt_at <= %(now)s)
                        ORDER BY w.triggered_at, w.id
                        LIMIT %(per_lane)s
                          FOR UPDATE SKIP LOCKED
                       ) e
                """,
                {"now": now, "per_lane": min(PER_LANE, limit)},
                log_exceptions=False,
            )
            rows = _interleave(cr.fetchall())[:limit]
            spent = [r[0] for r in rows if r[1] >= max_attempts]
            leased = [(r[0], r[1] + 1, r[2]) for r in rows if r[1] < max_attempts]
            if spent:
                cr.execute(
                    """
                    UPDATE shopify_webhook_event
                       SET state = 'failed', next_attempt_at = NULL, processed_at = %s,
                           last_error = COALESCE(last_error || E'\\n', '') || %s
                     WHERE id = ANY(%s)
                    """,
                    [
                        now,
                        "Processing never finished (the worker was stopped or its "
                        "transaction failed) in any of the allowed attempts.",
                        spent,
                    ],
                )
            if leased:
                cr.execute(
                    """
                    UPDATE shopify_webhook_event
                       SET attempts = attempts + 1, next_attempt_at = %s
                     WHERE id = ANY(%s)
                    """,
                    [now + timedelta(seconds=LEASE_SECONDS), [r[0] for r in leased]],
                )
        self.invalidate_model(["state", "attempts", "next_attempt_at", "last_error"])
        for event in self.browse(spent):
            event._shopify_log_failure(event.last_error)
        return leased

    @api.model
    def _shopify_claim_due(self, limit):
        """The leased events (attempt counted) as a recordset, in processing order."""
        return self.browse([r[0] for r in self._shopify_lease_due(limit)])

    def _shopify_take(self, attempts):
        """Lock the leased event in this transaction; False if it is not ours now.

        The row is ours by the committed lease, yet another worker's claim may be
        holding its lock for a moment (a locking scan keeps rows it then rejects as
        not due): SKIP LOCKED would leave our event unprocessed for a whole lease.
        So wait a little (TAKE_LOCK_TIMEOUT); a longer holder is a worker that took
        over after our lease ran out: LockNotAvailable, for _shopify_take_fresh."""
        self.ensure_one()
        return bool(
            lock_rows_within(
                self.env.cr,
                TAKE_LOCK_TIMEOUT,
                """
                SELECT id FROM shopify_webhook_event
                 WHERE id = %s AND state = 'pending' AND attempts = %s
                   FOR UPDATE
                """,
                [self.id, attempts],
            )
        )

    def _shopify_take_fresh(self, attempts, auto_commit):
        """`_shopify_take`, safe against a concurrent update of the row.

        Quick events of one store share a transaction, whose snapshot is older than
        the row when another worker changed it meanwhile (the breaker's replay makes
        a resumed store's events due again): REPEATABLE READ then refuses the lock.
        Expected, so by design: what came before is committed and the row is taken
        in a fresh transaction, once; changed again, it is left to the next run."""
        for fresh in (False, True):
            if fresh:
                if not auto_commit:
                    return False  # tests: one transaction, nobody else writes
                self.env.cr.commit()  # pylint: disable=invalid-commit
            try:
                with self.env.cr.savepoint(flush=False):
                    return self._shopify_take(attempts)
            except CONFLICTS:
                continue
        return False

    @api.model
    def _shopify_release(self, leased):
        """Give unstarted leases back: attempt not used, due now."""
        if not leased:
            return
        self.env.flush_all()
        for event_id, attempts, _store in leased:
            self.env.cr.execute(
                """
                UPDATE shopify_webhook_event
                   SET attempts = attempts - 1, next_attempt_at = %s
                 WHERE id = %s AND state = 'pending' AND attempts = %s
                """,
                [fields.Datetime.now(), event_id, attempts],
            )
        self.invalidate_model(["attempts", "next_attempt_at"])

    @api.model
    def _shopify_has_due(self):
        self.env.cr.execute(
            """
            SELECT 1 FROM shopify_webhook_event
             WHERE state = 'pending'
               AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
             LIMIT 1
            """,
            (fields.Datetime.now(),),
        )
        return bool(self.env.cr.fetchone())

    # ------------------------------------------------------------------ run
    @api.model
    def _cron_process_webhook_events(self, limit=200):
        """Process due events for at most `webhook_run_seconds`; re-trigger itself
        when more remain. Returns the number of events processed."""
        started = time.monotonic()
        budget = self._shopify_run_seconds()
        auto_commit = auto_commit_allowed(self.env)
        processed, out_of_time = 0, False
        while processed < limit and not out_of_time:
            try:
                leased = self._shopify_lease_due(min(BATCH_SIZE, limit - processed))
            except pg_errors.SerializationFailure:
                self.env.cr.rollback()
                break
            if auto_commit:
                # A snapshot taken after the leases were committed: a transaction
                # begun before would not see them (`_shopify_take` would miss).
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if not leased:
                break
            last_commit, index = time.monotonic(), 0
            while index < len(leased):
                if time.monotonic() - started > budget:
                    self._shopify_release(leased[index:])
                    out_of_time = True
                    break
                # Consecutive orders/create of one store share a transaction
                # (shopify_webhook_event_batch.py); any other event runs alone.
                span = leased[index : index + self._shopify_batch_span(leased, index)]
                index += len(span)
                # Products another worker is moving: wait for its commit first
                # (shopify_webhook_event_turns.py).
                ids = [e[0] for e in span]
                turns = self._shopify_take_stock_turns(ids, auto_commit)
                try:
                    taken = self.browse(
                        [
                            e
                            for e, tries, _s in span
                            if self.browse(e)._shopify_take_fresh(tries, auto_commit)
                        ]
                    )
                    taken._shopify_process_batch()
                    processed += len(taken)
                    store_id = span[-1][2]
                    following = leased[index][2] if index < len(leased) else None
                    if auto_commit and (
                        turns
                        or following != store_id
                        or time.monotonic() - last_commit > GROUP_COMMIT_SECONDS
                    ):
                        # Before another store's event (it may be slow: this store's
                        # outcomes never wait for it), when this store's own events
                        # took a while, or before giving stock turns back: outcomes
                        # durable, row locks released. Quick events of one store
                        # share a commit (a commit costs an fsync).
                        self.env.cr.commit()  # pylint: disable=invalid-commit
                        last_commit = time.monotonic()
                finally:
                    self._shopify_end_stock_turns(turns)
        if (processed >= limit or out_of_time) and self._shopify_has_due():
            self._shopify_trigger_processing()
        return processed

    def _shopify_process_one(self, claimed=False):
        """Process one event in its own savepoint; a failure never blocks the run.

        `claimed`: the attempt was already counted by the claim."""
        self.ensure_one()
        attempts = self.attempts if claimed else self.attempts + 1
        now = fields.Datetime.now()
        side_replay(self.env, REPLAY_KEY)  # forget earlier events' breaker writes
        try:
            with self.env.cr.savepoint():
                state, note = self.with_context(
                    shopify_client_defaults=HANDLER_CLIENT_OPTIONS
                )._shopify_dispatch()
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried
            return self._shopify_settle_failure(exc, attempts, now)
        self._shopify_settle_done(state, note, attempts, now)
        return True

    def _shopify_settle_failure(self, exc, attempts, now):
        """The handler raised `exc` (its savepoint rolled back): defer, retry or
        fail the event. Returns False."""
        if isinstance(exc, ShopifyCircuitOpen | ShopifyRateLimited):
            # The store is paused (nothing was sent), or Shopify asked us to wait
            # for its cost bucket to refill: flow control, not a fault of the
            # event. Wait as long as was named, give the attempt back.
            self.env["shopify.store"]._shopify_circuit_replay()
            # Rounded up: Datetime fields drop microseconds, and a claim before
            # the probe time would only be refused again.
            limited = isinstance(exc, ShopifyRateLimited)
            named = exc.retry_after or (1 if limited else 60)
            wait = min(math.ceil(named) + 1, EVENT_BACKOFF.cap)
            at = fields.Datetime.now() + timedelta(seconds=wait)
            if limited:
                _logger.info(
                    "Shopify webhook event %s (%s) waits %ss for the store's rate "
                    "limit: %s",
                    self.id,
                    self.topic,
                    wait,
                    _error_text(exc),
                )
            self.write(
                {
                    "attempts": max(attempts - 1, 0),
                    "next_attempt_at": at,
                    "last_error": _error_text(exc),
                }
            )
            self._shopify_trigger_at(at)
            return False
        self.env["shopify.store"]._shopify_circuit_replay()
        if _is_contention(exc):
            # Not the event's fault: the claim's attempt is given back.
            self._shopify_retry_soon(exc, max(attempts - 1, 0), now)
        elif waits_on_own_work(exc):
            # Our own write is in flight: wait for it, attempt given back
            # (shopify_webhook_event_wait.py: bounded by time).
            self._shopify_wait_own_work(exc, max(attempts - 1, 0), now)
        else:
            self._shopify_failed(exc, attempts, now)
        return False

    def _shopify_settle_done(self, state, note, attempts, now):
        self.write(
            {
                "state": state,
                "attempts": attempts,
                "note": note,
                "last_error": False,
                "next_attempt_at": False,
                "processed_at": now,
                "waiting_since": False,
            }
        )

    @api.model
    def _shopify_trigger_at(self, at):
        """A cron trigger at `at` rounded up to TRIGGER_GRANULARITY seconds, once per
        cursor: a thousand deferred events make one trigger row, not a thousand."""
        step = TRIGGER_GRANULARITY
        rounded = datetime.utcfromtimestamp(
            math.ceil((at - datetime(1970, 1, 1)).total_seconds() / step) * step
        )
        done = self.env.cr.cache.setdefault("shopify_webhook_triggers", set())
        if rounded not in done:
            done.add(rounded)
            self._shopify_trigger_processing(at=rounded)


def _interleave(rows):
    """Rows (id, attempts, store_id, topic, triggered_at) -> the first of every lane
    (oldest lane first), then the second of every lane, ..."""
    lanes = {}
    for row in sorted(rows, key=lambda r: (r[4] or datetime.min, r[0])):
        lanes.setdefault((row[2], row[3]), []).append(row)
    ordered = []
    depth = max((len(v) for v in lanes.values()), default=0)
    for rank in range(depth):
        ordered.extend(lane[rank] for lane in lanes.values() if len(lane) > rank)
    return ordered
