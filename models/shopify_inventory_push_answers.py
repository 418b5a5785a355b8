"""What Shopify's answer to one batch of the push does to its levels (issue 11).

`PushAnswers.send_guarded(batch, by_key)` sends one persisted batch and applies the
answer: accepted (`_settle_accepted`), stale (`_fresh_read`: read again, classified),
no answer (backoff, the pending batch stays and is resent with its key), refused.

A write's answer can come back after the level's snapshot moved (a resent uncertain
batch, a replayed key, another worker's read, a concurrent run). The rules are in
`lib.stock_outcome`; here:

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

A mixin of `InventoryPush` (models/shopify_inventory_push.py): `self` is the run.
"""

import logging

from psycopg2 import errors as pg_errors

from odoo import fields

from ..lib.errors import (
    ShopifyError,
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
    ShopifyUserError,
)
from ..lib.inventory import quantity_index
from ..lib.stock_outcome import (
    ABANDON_AFTER_ATTEMPTS,
    ADVANCE,
    REREAD,
    next_version,
    settle_accepted_write,
)
from . import shopify_inventory_level_columns as columns
from .shopify_inventory_classifier import LevelClassifier

_logger = logging.getLogger(__name__)

# Not a poison batch: Shopify's own errors are handled by the push, and a concurrent
# transaction on the same rows only means "later" (the run stops, nothing is lost).
_NOT_POISON = (
    ShopifyError,
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.DeadlockDetected,
)


class PushAnswers:
    # ------------------------------------------------------------------ one batch
    def send_guarded(self, batch, by_key):
        """`_send_batch` confined to this batch: an unexpected exception quarantines
        its levels (their snapshot is dropped: the write may have been applied) and
        the push goes on."""
        try:
            with self.env.cr.savepoint():
                return self._send_batch(batch, by_key)
        except _NOT_POISON:
            raise
        except Exception as exc:  # noqa: BLE001 - confine any failure to its batch
            self.env.invalidate_all()
            levels = self.Level.browse([by_key[i.level].id for i in batch.intents])
            self._quarantine(levels, exc, "sending a batch")
            return "quarantined"

    def _send_batch(self, batch, by_key):
        """Send one persisted batch; returns ok / stale / retry / refused."""
        levels = self.Level.browse([by_key[i.level].id for i in batch.intents])
        self.counts["batches"] += 1
        try:
            self.api(self.client.set_inventory, batch)
        except ShopifyStaleQuantityError as exc:
            # One call per batch and the call is atomic: nothing of it was written.
            levels.write(columns.NO_PENDING)
            stale_ids = {by_key[key].id for key in exc.stale}
            stale = levels.filtered(lambda lv: lv.id in stale_ids)
            self.counts["stale"] += len(stale)
            self._fresh_read(stale)
            return "stale"
        except ShopifyRetryableError as exc:
            # Outcome unknown: the pending batch stays, resent later with its key.
            # Two batches in a row: the store is down, stop; one: go on with others.
            self.counts["errors"] += 1
            if not exc.sent:
                # Nothing reached Shopify (the store's breaker is open): not an
                # attempt of this batch (an uncertain batch is given up after its
                # attempts), wait for the probe; every other call would be refused.
                self.failed = True
                levels._shopify_level_error(
                    str(exc), retry_after=exc.retry_after, count=False
                )
                return "retry"
            self.retry_streak += 1
            self.failed = self.retry_streak >= 2
            levels._shopify_level_error(str(exc), retry_after=exc.retry_after)
            self.store._shopify_health_record("add", consecutive_errors=1)
            return "retry"
        except ShopifyUserError as exc:
            self.counts["errors"] += 1
            levels.write(columns.NO_PENDING)
            self._refused(batch, by_key, exc)
            return "refused"
        self.retry_streak = 0
        return self._settle_accepted(batch, by_key)

    # ------------------------------------------------------------------ answers
    def _settle_accepted(self, batch, by_key):
        """Shopify accepted `batch` (first answer or replay of its key): advance the
        snapshots it was planned from, rebase the levels whose snapshot moved."""
        state = columns.settle_state(
            self.env, [by_key[i.level].id for i in batch.intents]
        )
        rows, rebase = [], self.Level.browse()
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
        if rows:
            self.isolated(
                rows,
                lambda part: self.finalize(part, pending_key=batch.key),
                "settling an accepted write",
            )
        if rebase:
            self._rebase(
                rebase,
                "Shopify accepted a write planned from an older snapshot; the level "
                "is read again, its change is not classified",
            )
        self.counts["written"] += len(rows)
        # Allocation mode: the increases an accepted decrease made room for.
        decreased = self.Level.browse(
            [by_key[i.level].id for i in batch.intents if i.quantity < i.change_from]
        )
        decreased._shopify_allocation_decreased()
        return "ok"

    def _refused(self, batch, by_key, exc):
        """Shopify refused the call (atomic: nothing written); blame the levels it
        names, or all of them."""
        named = self.Level.browse()
        for err in exc.errors:
            index = quantity_index(err.get("field"), len(batch.intents))
            if index is not None:
                named |= by_key[batch.intents[index].level]
        blamed = named or self.Level.browse([by_key[i.level].id for i in batch.intents])
        not_stocked = exc.code == "INVALID_LOCATION"
        # A level that is not stocked any more is read (and activated) again.
        blamed._shopify_level_error(str(exc), keep_snapshot=not not_stocked)
        self.env["shopify.sync.log"]._log(
            store=self.store,
            operation="inventory:push",
            state="warning",
            message="Shopify refused %d level(s): %s" % (len(blamed), exc),
            facts={"refused": len(blamed)},
        )

    def _fresh_read(self, levels):
        """Read stale levels again and hand the reads to the store-edit classifier."""
        if not levels:
            return
        # Classifying may move Odoo stock (an accepted edit, an imported order): the
        # quantities computed so far in this run are outdated.
        self.cache.clear()
        as_of = fields.Datetime.now()
        found = self.api(
            self.client.inventory_levels,
            levels.mapped("inventory_item_gid"),
            sorted(set(levels.mapped("location_gid"))),
        )
        reads = {}
        for lv in levels:
            values = found.get((lv.inventory_item_gid, lv.location_gid))
            if values is None:
                # Not stocked there any more: read and activate it again.
                lv.write({"seen_at": False, "active_in_shopify": False})
                continue
            reads[lv.id] = columns.read_from_api(values, as_of)
        # All stale levels of the batch in one classification: the store's recent
        # orders are fetched once for them (a costly, paced query), not per level.
        result = LevelClassifier(self.env, self.store).refresh(
            self.Level.browse(list(reads)), first_reads=reads
        )
        for level_id, outcome in result["outcomes"].items():
            if outcome == "unchanged":
                # Shopify shows our snapshot: the next write is planned from the same
                # quantities, and with the same version it would carry the same
                # idempotency key, whose stale answer Shopify replays for ever.
                level = self.Level.browse(level_id)
                level.write({"snapshot_version": next_version(level.snapshot_version)})

    # ------------------------------------------------------------------ rebase
    def _rebase(
        self, levels, why, operation="inventory:settle", state="warning", reason=None
    ):
        """Drop these levels' snapshots and pending writes: they are read again
        (bracketed first read) and pushed from that read; nothing between the old
        snapshot and the new read is classified."""
        if not levels:
            return
        levels.write(
            dict(columns.NO_PENDING, seen_at=False, classification_needed=False)
        )
        levels._shopify_mark_levels_dirty()
        self.env["shopify.sync.log"]._log(
            store=self.store,
            operation=operation,
            state=state,
            message="%s: %s"
            % (
                why,
                ", ".join(
                    "%s at %s" % (lv.sku, lv.shopify_location_id.name) for lv in levels
                ),
            ),
            facts={
                "levels": [(lv.sku, lv.shopify_location_id.name) for lv in levels],
                "reason": reason,
            },
        )

    def abandon_stuck(self, batch_key):
        """A batch resent ABANDON_AFTER_ATTEMPTS times without an answer: its levels
        are read again from scratch instead. Returns True when it was given up."""
        levels = self.Level.search(
            [("store_id", "=", self.store.id), ("pending_batch_key", "=", batch_key)]
        )
        if not levels or max(levels.mapped("attempts")) < ABANDON_AFTER_ATTEMPTS:
            return False
        self._rebase(
            levels,
            "An uncertain write was resent %d times without an answer; given up, "
            "the levels are read again" % ABANDON_AFTER_ATTEMPTS,
            reason="abandoned",
        )
        return True

    # ------------------------------------------------------------------ isolation
    def isolated(self, rows, apply, what):
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
                self._quarantine(rows[0][0], exc, what)
                return
        for row in rows:
            self.isolated([row], apply, what)

    def _quarantine(self, levels, exc, what):
        """Rebase these levels, back them off, send them alone next time, log."""
        _logger.warning(
            "Shopify push of %s: %s failed for %d level(s): %s",
            self.store.name,
            what,
            len(levels),
            exc,
            exc_info=True,
        )
        self.counts["errors"] += 1
        self._rebase(
            levels,
            "%s failed (%s); quarantined with backoff" % (what, exc),
            operation="inventory:quarantine",
            state="error",
        )
        levels.write({"isolate": True})
        levels._shopify_level_error("%s failed: %s" % (what, exc))
