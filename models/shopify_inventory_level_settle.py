"""The outcome of our writes, and a push that no single level or batch can stop.

Issue 11: a write's answer can come back after the level's snapshot moved (a resent
uncertain batch, a replayed key, another worker's read, a concurrent run). The rules
are in `lib.stock_outcome`; this file applies them:

- an accepted write advances the snapshot only if the level still has that batch
  pending and its snapshot is the one the write was planned from
  (`pending_version`); a batch settled by another run is left alone; in every other
  case the level is *rebased*: its snapshot is dropped and read again (bracketed, like
  every first read) and never classified, so no Odoo adjustment comes from it;
- a batch resent too often without an answer is given up the same way;
- any exception while handling one batch (or one group of in-sync levels) is confined
  to it: the work is rolled back to a savepoint and retried level by level; a level
  that still fails is quarantined (rebased, exponential backoff) and logged with its
  SKU in the sync log, and the store's other levels go on in the same run.
"""

import logging

from psycopg2 import errors as pg_errors

from odoo import fields, models

from ..lib.errors import ShopifyError
from ..lib.stock import LevelSnapshot
from ..lib.stock_outcome import (
    ABANDON_AFTER_ATTEMPTS,
    ADVANCE,
    REREAD,
    settle_accepted_write,
)
from ..lib.stock_push import batch_writes

_logger = logging.getLogger(__name__)

# Not a poison batch: Shopify's own errors are handled by the push, and a concurrent
# transaction on the same rows only means "later" (the run stops, nothing is lost).
_NOT_POISON = (
    ShopifyError,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.DeadlockDetected,
)


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    pending_version = fields.Integer(
        readonly=True,
        help="Snapshot version the pending write was planned from.",
    )
    isolate = fields.Boolean(
        readonly=True,
        help="Handling this level's last batch failed: it is sent alone until it "
        "succeeds.",
    )

    # ------------------------------------------------------------------ answers
    def _shopify_settle_accepted(self, run, batch, by_key):
        """Shopify accepted `batch` (first answer or replay of its key): advance the
        snapshots it was planned from, rebase the levels whose snapshot moved."""
        state = self._shopify_settle_state([by_key[i.level].id for i in batch.intents])
        rows, rebase, settled = [], self.browse(), 0
        for intent in batch.intents:
            lv = by_key[intent.level]
            snapshot, pending_key, version, seq = state[lv.id]
            outcome = settle_accepted_write(
                snapshot,
                intent.quantity,
                intent.change_from,
                intent.key,
                planned_version=version,
                still_pending=pending_key == batch.key,
            )
            if outcome.action == ADVANCE:
                rows.append((lv, outcome.snapshot, intent.quantity, seq))
            elif outcome.action == REREAD:
                rebase |= lv
                _logger.info("level %s: %s", lv.id, outcome.reason)
            else:
                settled += 1
        if rows:
            self._shopify_isolated(
                run,
                rows,
                lambda part: self._shopify_finalize(run, part, pending_key=batch.key),
                "settling an accepted write",
            )
        if rebase:
            rebase._shopify_rebase(
                run,
                "Shopify accepted a write planned from an older snapshot; the level "
                "is read again, its change is not classified",
            )
        run.counts["written"] += len(rows)
        return "ok"

    def _shopify_settle_state(self, level_ids):
        """{id: (snapshot or None, pending batch key, pending version, pending seq)}
        as the database has them now (one query: not the ORM cache, which may
        predate another worker's commit, nor a fetch of every column)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT id, seen_available, seen_on_hand, seen_committed, seen_at,
                   snapshot_version, written_qty, intent_key, pending_batch_key,
                   pending_version, pending_intent_key, pending_seq
              FROM shopify_inventory_level WHERE id IN %s
            """,
            [tuple(level_ids)],
        )
        state = {}
        for row in self.env.cr.fetchall():
            lid, a, o, c, at, ver, written, key, bk, pver, pik, seq = row
            snapshot = None
            if at:
                snapshot = LevelSnapshot(
                    a or 0, o or 0, c or 0, at, ver or 0, written or 0, key or None
                )
            # A batch recorded by an older version of the addon has no version.
            state[lid] = (snapshot, bk, pver if pik and pver is not None else None, seq)
        return state

    def _shopify_rebase(
        self, run, why, operation="inventory:settle", state="warning", reason=None
    ):
        """Drop these levels' snapshots and pending writes: they are read again
        (bracketed first read) and pushed from that read; nothing between the old
        snapshot and the new read is classified."""
        if not self:
            return
        self.write(
            {
                "seen_at": False,
                "pending_batch_key": False,
                "pending_intent_key": False,
                "pending_published_key": False,
                "classification_needed": False,
            }
        )
        self._shopify_mark_levels_dirty()
        self.env["shopify.sync.log"]._log(
            store=run.store,
            operation=operation,
            state=state,
            message="%s: %s"
            % (
                why,
                ", ".join(
                    "%s at %s" % (lv.sku, lv.shopify_location_id.name) for lv in self
                ),
            ),
            facts={
                "levels": [(lv.sku, lv.shopify_location_id.name) for lv in self],
                "reason": reason,
            },
        )

    def _shopify_abandon_stuck(self, run, batch_key):
        """A batch resent ABANDON_AFTER_ATTEMPTS times without an answer: its levels
        are read again from scratch instead. Returns True when it was given up."""
        levels = self.search(
            [("store_id", "=", run.store.id), ("pending_batch_key", "=", batch_key)]
        )
        if not levels or max(levels.mapped("attempts")) < ABANDON_AFTER_ATTEMPTS:
            return False
        levels._shopify_rebase(
            run,
            "An uncertain write was resent %d times without an answer; given up, "
            "the levels are read again" % ABANDON_AFTER_ATTEMPTS,
            reason="abandoned",
        )
        return True

    def _shopify_key_scope(self, store):
        """The `store` part of intent keys: this database and store. Keys of another
        database on the same shop (a reinstall, a copy) never collide with ours, or
        Shopify would replay their answer instead of applying our write."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return "%s/%s" % (uuid or "", store.id)

    # ------------------------------------------------------------------ isolation
    def _shopify_batches(self, writes, by_key):
        """The plan's writes in calls; levels whose last batch failed go alone."""
        alone = [w for w in writes if by_key[w.level].isolate]
        rest = [w for w in writes if not by_key[w.level].isolate]
        return batch_writes(rest) + [b for w in alone for b in batch_writes([w])]

    def _shopify_send_guarded(self, run, batch, by_key, resent=False):
        """`_shopify_send_batch` confined to this batch: an unexpected exception
        quarantines its levels (their snapshot is dropped: the write may have been
        applied) and the push goes on."""
        try:
            with self.env.cr.savepoint():
                return self._shopify_send_batch(run, batch, by_key, resent=resent)
        except _NOT_POISON:
            raise
        except Exception as exc:  # noqa: BLE001 - confine any failure to its batch
            self.env.invalidate_all()
            levels = self.browse([by_key[i.level].id for i in batch.intents])
            levels._shopify_quarantine(run, exc, "sending a batch")
            return "quarantined"

    def _shopify_isolated(self, run, rows, apply, what):
        """apply(rows) in a savepoint; if it raises, row by row; a row that still
        raises has its level quarantined."""
        try:
            with self.env.cr.savepoint():
                apply(rows)
            return
        except _NOT_POISON:
            raise
        except Exception as exc:  # noqa: BLE001 - confine any failure to its rows
            self.env.invalidate_all()
            if len(rows) == 1:
                rows[0][0]._shopify_quarantine(run, exc, what)
                return
        for row in rows:
            self._shopify_isolated(run, [row], apply, what)

    def _shopify_quarantine(self, run, exc, what):
        """Rebase these levels, back them off, send them alone next time, log."""
        _logger.warning(
            "Shopify push of %s: %s failed for %d level(s): %s",
            run.store.name,
            what,
            len(self),
            exc,
            exc_info=True,
        )
        run.counts["errors"] += 1
        self._shopify_rebase(
            run,
            "%s failed (%s); quarantined with backoff" % (what, exc),
            operation="inventory:quarantine",
            state="error",
        )
        self.write({"isolate": True})
        self._shopify_level_error("%s failed: %s" % (what, exc))

    def _shopify_store_busy(self, run):
        """A concurrent transaction changed rows this run was settling: stop the
        store's run; its pending batches are resent (and replayed) next time."""
        _logger.info("Shopify push of %s: concurrent update, retried", run.store.name)
        run.failed = True
        if run.auto_commit:
            self.env.cr.rollback()  # pylint: disable=invalid-commit
        self.env.invalidate_all()
        self._shopify_trigger_push()

    def _shopify_store_crashed(self, run, exc):
        """Last resort: a failure outside any batch ends this store's run only."""
        _logger.exception("Shopify push of store %s failed", run.store.name)
        if run.auto_commit:
            self.env.cr.rollback()  # pylint: disable=invalid-commit
        self.env.invalidate_all()
        self._shopify_store_failed(run, exc)
        self.env["shopify.sync.log"]._log(
            store=run.store,
            operation="inventory:push",
            state="error",
            message="push stopped by an unexpected error: %s" % (exc,),
        )
