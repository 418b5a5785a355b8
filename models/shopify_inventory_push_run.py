"""What one store's push run keeps and says: its client, counters, commits and locks,
how it ends when the store fails, and its sync log line.

`PushRun` is the base of `InventoryPush` (models/shopify_inventory_push.py), which
holds the steps; nothing here decides what is written.
"""

import logging
import time
from datetime import timedelta

from odoo import fields

from ..lib.circuit import CRON_CLIENT_OPTIONS
from ..lib.throttle import Backoff
from ..lib.txn import CONFLICTS, in_fresh_transaction, release_session_lock

_logger = logging.getLogger(__name__)

LEVEL_BACKOFF = Backoff(30, 3600)  # seconds: a level (or a store's) after an error
SEND_LOCK_CLASS = 0x5D11  # batches' send locks (shopify.sync.stamp uses 0x5D10)

COUNTS = (
    "claimed",
    "written",
    "in_sync",
    "read",
    "activated",
    "stale",
    "needs_classification",
    "errors",
    "batches",
    "resent",
)


class PushRun:
    """Counters, timers, client and send locks of one store's push run."""

    def __init__(self, env, store, auto_commit, cache=None):
        self.env = env
        self.store = store
        self.Level = env["shopify.inventory.level"]
        self.auto_commit = auto_commit
        self.client = None
        self.counts = dict.fromkeys(COUNTS, 0)
        self.points = 0.0
        self.api_seconds = 0.0
        self.throttle = {}
        self.started = time.monotonic()
        # (product, location) -> (free, unreserved demand, held): once per cron run
        self.cache = cache if cache is not None else {}
        self.failed = False
        self.retry_streak = 0  # batches in a row without an answer
        self.send_locks = set()  # batch keys whose send lock this run holds

    # ------------------------------------------------------------------ the client
    def open_client(self):
        """The store's client for a push run; tests pass options by context."""
        # A background cron's bounded budgets by default (issue 13): the push holds
        # claimed levels; context defaults (buttons) and test options override them.
        options = {
            **CRON_CLIENT_OPTIONS,
            **(self.env.context.get("shopify_client_defaults") or {}),
            **(self.env.context.get("shopify_client_options") or {}),
        }
        return self.store._shopify_client(on_cost=self.on_cost, **options)

    def api(self, method, *args, **kwargs):
        started = time.monotonic()
        try:
            return method(*args, **kwargs)
        finally:
            self.api_seconds += time.monotonic() - started

    def on_cost(self, cost):
        self.points += float(
            cost.get("actualQueryCost") or cost.get("requestedQueryCost") or 0
        )
        self.throttle = cost.get("throttleStatus") or {}

    def close(self):
        if self.client:
            self.client.close()
        self.release_sends()

    # ------------------------------------------------------------------ transactions
    def commit(self):
        if self.auto_commit:
            # Per batch: the batch's outcome (or the uncertain batch about to be
            # sent) is durable, and its row locks are released.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def release_sends(self, keys=None):
        for key in list(self.send_locks if keys is None else keys):
            if key in self.send_locks:
                self.send_locks.discard(key)
                release_session_lock(self.env.cr, SEND_LOCK_CLASS, key)

    # ------------------------------------------------------------------ failures
    def store_failed(self, exc):
        """A store-level failure (auth, network on reads...): back off its levels."""
        self.failed = True
        self.counts["errors"] += 1
        store = self.store
        store._shopify_health_record("add", consecutive_errors=1)
        retry_after = getattr(exc, "retry_after", None)
        params = [
            str(exc)[:2000],
            fields.Datetime.now(),
            max(LEVEL_BACKOFF.base, retry_after or 0),
            LEVEL_BACKOFF.cap,
            store.id,
        ]

        def back_off():
            # Only the dirty levels no other worker holds (a concurrent run of
            # the store backs off its own): waiting for them would end in a
            # serialization failure.
            self.env.flush_all()
            self.env.cr.execute(
                """
                UPDATE shopify_inventory_level
                   SET attempts = COALESCE(attempts, 0) + 1, last_error = %s,
                       next_attempt_at = %s::timestamp + make_interval(
                           secs => LEAST(%s * power(2, COALESCE(attempts, 0)), %s))
                 WHERE id IN (SELECT id FROM shopify_inventory_level
                               WHERE store_id = %s AND active AND dirty
                               ORDER BY id FOR NO KEY UPDATE SKIP LOCKED)
                """,
                params,
                log_exceptions=False,  # a conflict is retried (lib.txn)
            )

        try:
            in_fresh_transaction(self.env.cr, back_off, auto_commit=self.auto_commit)
        except CONFLICTS:
            # Still changing under us: not backed off this time (the next run is).
            _logger.info("Shopify push of %s: backoff deferred", store.name)
        self.Level.invalidate_model()

    def store_busy(self, retry_after=None):
        """A concurrent transaction changed rows this run was settling, or holds
        work it needs: stop the store's run, silently (no attempt, no health
        error); its pending batches are resent (and replayed) next time, in
        `retry_after` seconds (`ShopifyBusy`) or at once."""
        _logger.info("Shopify push of %s: concurrent update, retried", self.store.name)
        self.failed = True
        if self.auto_commit:
            self.env.cr.rollback()  # pylint: disable=invalid-commit
        self.env.invalidate_all()
        at = None
        if retry_after:
            at = fields.Datetime.now() + timedelta(seconds=retry_after)
        self.Level._shopify_trigger_push(at)

    def store_crashed(self, exc):
        """Last resort: a failure outside any batch ends this store's run only."""
        _logger.exception("Shopify push of store %s failed", self.store.name)
        if self.auto_commit:
            self.env.cr.rollback()  # pylint: disable=invalid-commit
        self.env.invalidate_all()
        self.store_failed(exc)
        self.env["shopify.sync.log"]._log(
            store=self.store,
            operation="inventory:push",
            state="error",
            message="push stopped by an unexpected error: %s" % (exc,),
        )

    # ------------------------------------------------------------------ the log line
    def summary(self):
        wall = time.monotonic() - self.started
        return dict(
            self.counts,
            calls=self.client.stats["calls"] if self.client else 0,
            points=round(self.points, 1),
            api_seconds=round(self.api_seconds, 3),
            odoo_seconds=round(max(wall - self.api_seconds, 0.0), 3),
            wall_seconds=round(wall, 3),
        )

    def log(self, summary):
        state = "success"
        if summary["errors"] or summary["needs_classification"]:
            state = "warning"
        if self.failed:
            state = "error"
        message = (
            "%(claimed)s levels: %(written)s written in %(batches)s batch(es) "
            "(%(resent)s resent), %(in_sync)s already in sync, %(read)s read, "
            "%(activated)s activated, %(stale)s stale, %(needs_classification)s to "
            "classify, %(errors)s error(s); %(calls)s API calls, %(points)s points; "
            "Odoo %(odoo_seconds)ss, API %(api_seconds)ss" % summary
        )
        self.env["shopify.sync.log"]._log(
            store=self.store,
            operation="inventory:push",
            state=state,
            message=message,
            duration_ms=int(summary["wall_seconds"] * 1000),
            item_count=summary["written"],
            facts=summary,
        )
        # Health bookkeeping after commit, never on the store row (concurrent
        # pushes, imports and webhooks would fail each other's transactions).
        store = self.store
        if not self.failed and (summary["written"] or summary["in_sync"]):
            store._shopify_health_record(last_push_at=fields.Datetime.now())
            if not summary["errors"]:
                store._shopify_health_record("set", consecutive_errors=0)
        throttle = self.throttle or {}
        if throttle.get("maximumAvailable"):
            store._shopify_health_record(
                "set",
                throttle_available=throttle.get("currentlyAvailable") or 0,
                throttle_maximum=throttle["maximumAvailable"],
            )
        if summary["written"] or summary["resent"]:
            # Writes of ours settled: the store edits that waited for them go now.
            self.env["shopify.webhook.event"]._shopify_wake_waiting_on_writes(store)
