"""Odoo -> Shopify: one store's push run, as named steps.

`InventoryPush(env, store, auto_commit, cache).run()` sends the published quantity of
every dirty, due level of the store with compare-and-swap writes planned by
`lib.stock_push`. The cron (`shopify.inventory.level._cron_push_inventory`) runs one
per store and round. Each pass:

1. `resend`       — the store's uncertain batches first, exactly as they were sent;
2. `claim`        — dirty, due, unlocked levels (FOR NO KEY UPDATE SKIP LOCKED) and
                    the `dirty_seq` each had;
3. `read_claimed` — follow the store's new orders, read uncertain and unread levels;
4. `plan`         — published (or allocated) quantity vs snapshot: in sync or writes;
5. `send`         — each batch persisted as pending and committed, sent without
                    holding any lock, its answer applied (_push_answers.py);
6. `finalize`     — store the new snapshots, clear `dirty` only where `dirty_seq` is
                    still the claimed one: a stock change committed meanwhile keeps
                    it dirty.
"""

import logging

from odoo import fields

from ..lib.errors import ShopifyBusy, ShopifyError
from ..lib.stock import LevelKey
from ..lib.stock_push import batch_writes, plan_push
from ..lib.txn import CONFLICTS, in_fresh_transaction, try_session_lock
from . import shopify_inventory_level_columns as columns
from .shopify_inventory_first_read import first_read
from .shopify_inventory_push_answers import PushAnswers
from .shopify_inventory_push_run import COUNTS, SEND_LOCK_CLASS, PushRun

_logger = logging.getLogger(__name__)

CLAIM_LIMIT = 5000  # levels claimed per pass (memory and lock footprint of one pass)
MAX_PASSES = 20  # passes per store and run; stale re-plans and big stores need several


class InventoryPush(PushAnswers, PushRun):
    """One store's push run (`cache`: published inputs per (product, location),
    shared by the stores of one cron run)."""

    def run(self):
        """Resend, claim, read, plan, send, finalize: pass after pass until nothing
        is left or the store fails. Returns the run's summary."""
        try:
            self.client = self.open_client()
        except Exception as exc:  # noqa: BLE001 - a store without credentials
            self.store_failed(exc)
            return self.summary()
        try:
            for _pass in range(MAX_PASSES):
                if not self.push_pass() or self.failed:
                    break
        except (ShopifyBusy, *CONFLICTS) as exc:
            # Another transaction of ours settled the same rows (a concurrent run,
            # a quant being reserved: stock_quant.py) or holds the work (an order
            # the classification imports is being imported by the inbox): not a
            # failure of the store, nothing backs off.
            self.store_busy(getattr(exc, "retry_after", None))
        except ShopifyError as exc:
            self.store_failed(exc)
        except Exception as exc:  # noqa: BLE001 - one store never stops the others
            self.store_crashed(exc)
        finally:
            self.close()
        summary = self.summary()
        if any(summary[k] for k in COUNTS):
            self.log(summary)
        return summary

    def settle(self, keys):
        """Resend now (same keys, backoff ignored) the uncertain batches `keys` of
        the store, before their levels are read for classification."""
        try:
            self.client = self.open_client()
            self.resend(keys=set(keys))
        except ShopifyError as exc:
            _logger.info(
                "Shopify pending writes of %s not settled: %s", self.store.name, exc
            )
        except CONFLICTS:
            # Another worker settled them meanwhile: back to the last commit
            # (the claim's); the levels read as pending are deferred.
            if not self.auto_commit:
                raise
            self.env.cr.rollback()  # pylint: disable=invalid-commit
            _logger.info("Shopify pending writes of %s: busy", self.store.name)
        finally:
            self.close()

    def push_pass(self):
        """One pass. Returns True when it did something (another pass may follow)."""
        # Allocation mode: one planner of disjoint shares at a time (a lock).
        with self.Level._shopify_allocation_planning():
            progressed = self.resend()
            if self.failed:
                return False
            # Claimed in a transaction of its own, right after a commit: a claim in
            # an older snapshot fails on every row another worker changed since.
            claimed = in_fresh_transaction(
                self.env.cr, self.claim, auto_commit=self.auto_commit
            )
            if not claimed:
                return progressed
            self.counts["claimed"] += len(claimed)
            ready = self.read_claimed(self.Level.browse(list(claimed)))
            if not ready:
                return True
            plan, by_key, desired, snapshots = self.plan(ready)
            if plan.in_sync:
                rows = [
                    (by_key[k], snapshots[k], desired[k], claimed[by_key[k].id])
                    for k in plan.in_sync
                ]
                self.isolated(rows, self.finalize, "in sync")
                self.counts["in_sync"] += len(plan.in_sync)
            for batch in self._batches(plan.writes, by_key):
                self.send(batch, by_key, claimed)
                if self.failed:
                    break
            return True

    # ------------------------------------------------------------------ 1. resend
    def resend(self, keys=None):
        """Resend every due uncertain batch of the store (or the batches `keys`,
        due or not), exactly as it was sent. Returns True when there were some."""
        if keys is None:
            self.env.flush_all()
            self.env.cr.execute(
                """
                SELECT DISTINCT pending_batch_key FROM shopify_inventory_level
                 WHERE store_id = %s AND active AND pending_batch_key IS NOT NULL
                   AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
                """,
                [self.store.id, fields.Datetime.now()],
            )
            keys = [row[0] for row in self.env.cr.fetchall()]
        keys = sorted(keys)
        for key in keys:
            # The push and the reconcile both resend: whoever claims the batch's
            # levels first resends it, the other leaves it (no two settle it).
            level_ids = in_fresh_transaction(
                self.env.cr,
                lambda key=key: self.claim_batch(key),
                auto_commit=self.auto_commit,
            )
            if not level_ids:
                continue
            if self.abandon_stuck(key):
                self.commit()
                self.release_sends([key])
                continue
            batch, by_key = columns.pending_batch(
                self.Level.browse(level_ids), self.store.id, key
            )
            self.counts["resent"] += 1
            self.send_guarded(batch, by_key)
            self.commit()
            self.release_sends([key])
            if self.failed:
                break
        return bool(keys)

    def claim_batch(self, batch_key):
        """Take the uncertain batch `batch_key` for one resend: its level ids, or []
        when it is settled, being sent by another worker (its send lock), or some
        of its levels are held by another transaction."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            """
            SELECT id FROM shopify_inventory_level
             WHERE store_id = %s AND pending_batch_key = %s
             ORDER BY id
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            [self.store.id, batch_key],
            log_exceptions=False,  # a conflict is retried (lib.txn)
        )
        locked = [row[0] for row in cr.fetchall()]
        cr.execute(
            "SELECT count(*) FROM shopify_inventory_level "
            "WHERE store_id = %s AND pending_batch_key = %s",
            [self.store.id, batch_key],
        )
        if not locked or len(locked) != cr.fetchone()[0]:
            return []
        if not self.hold_send(batch_key):
            return []
        return locked

    def hold_send(self, batch_key):
        """The send lock of a batch, held from before its pending state is committed
        until its answer is (a session lock: it outlives the commits and dies
        with a crashed sender). False when another worker is sending it."""
        if batch_key in self.send_locks:
            return True
        if not try_session_lock(self.env.cr, SEND_LOCK_CLASS, batch_key):
            return False
        self.send_locks.add(batch_key)
        return True

    # ------------------------------------------------------------------ 2. claim
    def claim(self):
        """{level id: dirty_seq} of dirty, due, unlocked levels of the store."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT lv.id, lv.dirty_seq
              FROM shopify_inventory_level lv
              JOIN shopify_location sl ON sl.id = lv.shopify_location_id
             WHERE lv.store_id = %s AND lv.active AND lv.dirty
               AND NOT COALESCE(lv.classification_needed, FALSE)
               AND lv.pending_batch_key IS NULL
               AND lv.product_id IS NOT NULL AND lv.stock_location_id IS NOT NULL
               AND sl.active AND sl.stock_location_id IS NOT NULL
               AND (lv.next_attempt_at IS NULL OR lv.next_attempt_at <= %s)
             ORDER BY lv.id
             LIMIT %s
               FOR NO KEY UPDATE OF lv SKIP LOCKED
            """,
            [self.store.id, fields.Datetime.now(), CLAIM_LIMIT],
            log_exceptions=False,  # a conflict is retried (lib.txn)
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------ 3. read
    def read_claimed(self, levels):
        """Bring the claimed levels' snapshots up to what Shopify shows; returns the
        levels a write may be planned for."""
        # New orders of this store moved these levels: their snapshots follow them
        # (claimed rows are locked), so the write is planned from what Shopify shows.
        uncertain = levels._shopify_absorb_order_effects()
        if uncertain:
            self._check_uncertain(uncertain)
        unread = levels.filtered(lambda lv: not lv.seen_at)
        if unread:
            first_read(self, unread)
        now = fields.Datetime.now()
        return levels.filtered(
            lambda lv: (
                lv.seen_at
                and not lv.classification_needed
                and not (lv.next_attempt_at and lv.next_attempt_at > now)
            )
        )

    def _check_uncertain(self, uncertain):
        """Levels whose snapshot may or may not contain some of their new orders
        ({level id: units}, from `_shopify_absorb_order_effects`): one read. A read
        that is the snapshot moved by some of those orders only becomes the
        snapshot; any other is classified like a stale answer. Never planned from
        the old count: it may be above what the store shows, and a target equal to
        it would be taken as "in sync" (units nobody offers)."""
        levels = self.Level.browse(list(uncertain)).filtered("seen_at")
        if not levels:
            return
        found = self.api(
            self.client.inventory_levels,
            levels.mapped("inventory_item_gid"),
            sorted(set(levels.mapped("location_gid"))),
        )
        as_of = fields.Datetime.now()  # after the answer: the read is not later
        self.counts["read"] += len(levels)
        reads = {}
        for level in levels:
            values = found.get((level.inventory_item_gid, level.location_gid))
            if values:
                reads[level.id] = columns.read_from_api(values, as_of)
        # Claimed by this push, which plans them next: not marked dirty again.
        taken = levels._shopify_take_explained(reads, uncertain, mark_dirty=False)
        unexplained = levels - taken
        if unexplained:
            self.counts["stale"] += len(unexplained)
            self._fresh_read(unexplained)

    # ------------------------------------------------------------------ 4. plan
    def plan(self, ready):
        """(plan, {LevelKey: level}, {LevelKey: quantity}, {LevelKey: snapshot})."""
        published = self.Level._shopify_published_breakdown(
            self.store,
            {(lv.product_id.id, lv.stock_location_id.id) for lv in ready},
            self.cache,
        )
        # Allocation mode (issue 18): a low product at a shared location sends
        # its disjoint share, decreases before increases.
        allocated = self.Level._shopify_allocation(self.store, ready, self.cache)
        desired, by_key, snapshots = {}, {}, {}
        scope = self._key_scope()
        for lv in ready:
            key = LevelKey(scope, lv.inventory_item_gid, lv.location_gid)
            pair = (lv.product_id.id, lv.stock_location_id.id)
            desired[key] = published[pair].published
            if lv.id in allocated:
                desired[key] = allocated[lv.id][1]
            by_key[key] = lv
            snapshots[key] = columns.snapshot_of(lv)
        return plan_push(desired, snapshots), by_key, desired, snapshots

    def _key_scope(self):
        """The `store` part of intent keys: this database and store. Keys of another
        database on the same shop (a reinstall, a copy) never collide with ours, or
        Shopify would replay their answer instead of applying our write."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return "%s/%s" % (uuid or "", self.store.id)

    def _batches(self, writes, by_key):
        """The plan's writes in calls; levels whose last batch failed go alone."""
        alone = [w for w in writes if by_key[w.level].isolate]
        rest = [w for w in writes if not by_key[w.level].isolate]
        return batch_writes(rest) + [b for w in alone for b in batch_writes([w])]

    # ------------------------------------------------------------------ 5. send
    def send(self, batch, by_key, claimed):
        """Persist the batch as pending and commit it (an uncertain send is resent
        as is, with the same key), send it, commit its answer."""
        columns.persist_pending(self.env, batch, by_key, claimed)
        self.hold_send(batch.key)  # a new key: never refused
        self.commit()
        self.send_guarded(batch, by_key)
        self.commit()
        self.release_sends([batch.key])

    # ------------------------------------------------------------------ 6. finalize
    def finalize(self, rows, pending_key=None):
        """[(level, snapshot, published qty, claimed dirty_seq)] now showing the
        published quantity (columns.finalize)."""
        columns.finalize(self.env, rows, pending_key=pending_key)
