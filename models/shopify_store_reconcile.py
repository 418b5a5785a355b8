"""Inventory reconcile: every mapped level of every store read again and made true.

Webhooks get lost and Odoo may be down while merchants edit stock: the reconcile is the
safety net. Per store it imports the orders updated since its last run (the order
import's own reconcile), reads every managed level together with the order activity
(`LevelClassifier.refresh`: the same classification as a webhook, so
an edit found here is applied once, like any other), then pushes: every level whose
`available` differs from what Odoo publishes is written, the others cost nothing.
What it corrected is counted on the store and in the sync log.
"""

import logging

from odoo import _, api, fields, models

from ..lib.circuit import CRON_CLIENT_OPTIONS
from ..lib.errors import ShopifyError
from ..lib.redact import redact
from ..lib.txn import CONFLICTS
from .odoo_platform import auto_commit_allowed
from .shopify_inventory_classifier import LevelClassifier

_logger = logging.getLogger(__name__)

LEVELS_PER_CHUNK = 100  # one bracketed read of <= 100 items per location and call


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    # Health bookkeeping: kept in `shopify.store.health`, written after commit.
    last_stock_reconcile_at = fields.Datetime(
        string="Last Stock Reconcile", compute="_compute_shopify_bookkeeping"
    )
    last_stock_reconcile_corrections = fields.Integer(
        string="Corrections (Last Reconcile)", compute="_compute_shopify_bookkeeping"
    )
    last_stock_reconcile_summary = fields.Char(
        string="Last Reconcile Result", compute="_compute_shopify_bookkeeping"
    )

    def action_reconcile_inventory_now(self):
        """Button: the same run as the cron, for these stores."""
        self._shopify_check_access()
        messages, complete = [], True
        for store in self:
            stats = store.sudo()._shopify_button(
                _("Reconcile inventory"), "_shopify_reconcile_inventory"
            )
            messages.append("%s: %s" % (store.name, _summary(stats)))
            paused = store._shopify_circuit_note()
            if paused:
                messages.append(paused)
            complete = complete and not stats["busy"] and not paused
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Inventory reconciled"),
                "message": "\n".join(messages),
                "type": "success" if complete else "warning",
                "sticky": False,
            },
        }

    @api.model
    def _cron_reconcile_inventory(self):
        self.search([("state", "=", "connected")])._shopify_reconcile_each(
            "inventory reconcile", "_shopify_reconcile_inventory"
        )

    def _shopify_reconcile_each(self, what, method):
        """A reconcile cron's loop (inventory here, orders in shopify_store_orders):
        `method` on each of these stores with the crons' client options; a store
        whose Shopify call fails is logged and the next one still runs."""
        for store in self.with_context(shopify_client_defaults=CRON_CLIENT_OPTIONS):
            try:
                getattr(store, method)()
            except ShopifyError as exc:
                _logger.warning(
                    "Shopify %s of store %s failed: %s",
                    what,
                    store.id,
                    redact(str(exc)),
                )

    def _shopify_reconcile_inventory(self):
        """Orders, levels, push for this store. Returns the counters."""
        self.ensure_one()
        auto_commit = auto_commit_allowed(self.env)
        stats = {
            "levels": 0,
            "edits_applied": 0,
            "units_adjusted": 0,
            "edits_republished": 0,
            "other_republished": 0,
            "orders": 0,
            "first_read": 0,
            "missing": 0,
            "busy": 0,
            "drift_written": 0,
        }
        if self.import_orders and hasattr(self, "_shopify_reconcile_orders"):
            try:
                self._shopify_reconcile_orders()
            except ShopifyError as exc:
                stats["busy"] += 1
                _logger.info("order reconcile of store %s: %s", self.id, exc)
        Level = self.env["shopify.inventory.level"].sudo()
        Level._shopify_sync_levels(self)
        levels = Level.search(
            [("store_id", "=", self.id), ("active_in_shopify", "=", True)]
        ) | Level.search([("store_id", "=", self.id), ("seen_at", "!=", False)])
        for start in range(0, len(levels), LEVELS_PER_CHUNK):
            chunk = levels[start : start + LEVELS_PER_CHUNK]
            stats["levels"] += len(chunk)
            # An uncertain write of ours is settled (resent with its key) before its
            # level is read; one still unsettled is not classified (deferred).
            chunk._shopify_settle_pending()
            try:
                with self.env.cr.savepoint():
                    result = LevelClassifier(self.env, self).refresh(
                        chunk, skip_unchanged=False, pending="skip"
                    )
            except (ShopifyError, *CONFLICTS) as exc:
                # A conflict: another worker moved one of these products (its
                # stock turn, stock.move) or levels after our snapshot; next run.
                stats["busy"] += len(chunk)
                _logger.info("reconcile of store %s deferred: %s", self.id, exc)
                continue
            for key in stats:
                stats[key] += result["stats"].get(key, 0)
            stats["busy"] += result["stats"].get("pending", 0)
            if auto_commit:
                # Each chunk's adjustments and snapshots are kept even if a later
                # chunk fails; the levels' row locks are released.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        # Drift: any level whose store shows another number than Odoo publishes.
        # Marking all is cheap: the push writes only where the numbers differ.
        levels.filtered(lambda lv: not lv.classification_needed)._shopify_signal_dirty(
            reset_backoff=True
        )
        results = Level._cron_push_inventory(store_ids=self.ids) or {}
        stats["drift_written"] = (results.get(self.id) or {}).get("written", 0)
        corrections = (
            stats["edits_applied"]
            + stats["edits_republished"]
            + stats["other_republished"]
            + stats["drift_written"]
        )
        self._shopify_health_record(
            "set",
            last_stock_reconcile_at=fields.Datetime.now(),
            last_stock_reconcile_corrections=corrections,
            last_stock_reconcile_summary=_summary(stats),
        )
        self.env["shopify.sync.log"]._log(
            store=self,
            operation="inventory:reconcile",
            direction="inbound",
            state="warning" if stats["busy"] else "success",
            message=_summary(stats),
            item_count=corrections,
            facts=dict(stats, corrections=corrections),
        )
        return stats


def _summary(stats):
    return (
        "%(levels)s levels read, %(edits_applied)s edit(s) applied "
        "(%(units_adjusted)+d units), %(edits_republished)s edit(s) overwritten, "
        "%(other_republished)s other change(s) overwritten, %(drift_written)s "
        "level(s) corrected, %(busy)s deferred" % stats
    )
