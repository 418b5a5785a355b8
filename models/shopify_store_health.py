"""Health bookkeeping of a store (last webhook, last push, error streak, bucket...).

Why a side table written after commit: the webhook controller, the push, the
order import, the reconciles and the subscription check all record "when did I
last run" on the same store. Written on the `shopify_store` row inside their
own (long, REPEATABLE READ) transactions, two of them touching one store made
the later one fail with a serialization error and replay its business work.

Instead, `_shopify_record` queues the change on the caller's cursor and applies
it after that cursor commits (`cr.postcommit`), in a short transaction of its
own under READ COMMITTED, as one `INSERT ... ON CONFLICT (store_id) DO UPDATE`
per store. READ COMMITTED upserts wait for each other but never fail with a
serialization error, and no business transaction writes (or waits on) the row.
Values merge so that order does not matter where it should not: timestamps keep
the newest (`GREATEST`), counters add, the rest is last-writer-wins. A rolled
back transaction records nothing, like its business work.

Tests run in one transaction whose commit hooks never run: there the platform's
`after_commit` (models/odoo_platform.py) applies the change at once.
"""

import logging

import psycopg2
from psycopg2 import sql

from odoo import api, fields, models

from .odoo_platform import (
    after_commit,
    read_committed_cursor,
    side_cursor,  # noqa: F401 - still imported from here
)

_logger = logging.getLogger(__name__)

# How each column merges with the stored value.
MODES = {
    "max": "GREATEST(h.{col}, EXCLUDED.{col})",
    "set": "EXCLUDED.{col}",
    "add": "COALESCE(h.{col}, 0) + EXCLUDED.{col}",
}
_QUEUE_KEY = "shopify_sync.store_health"


class ShopifyStoreHealth(models.Model):
    _name = "shopify.store.health"
    _description = "Shopify Store Health Bookkeeping"
    _rec_name = "store_id"

    store_id = fields.Many2one(
        "shopify.store", required=True, ondelete="cascade", readonly=True
    )
    last_webhook_at = fields.Datetime(readonly=True)
    last_push_at = fields.Datetime(readonly=True)
    last_order_import_at = fields.Datetime(readonly=True)
    last_reconcile_at = fields.Datetime(readonly=True)
    consecutive_errors = fields.Integer(readonly=True)
    throttle_available = fields.Float(readonly=True)
    throttle_maximum = fields.Float(readonly=True)
    last_stock_reconcile_at = fields.Datetime(readonly=True)
    last_stock_reconcile_corrections = fields.Integer(readonly=True)
    last_stock_reconcile_summary = fields.Char(readonly=True)
    webhook_status = fields.Text(readonly=True)
    webhook_checked_at = fields.Datetime(readonly=True)
    # Circuit breaker (lib/circuit.py, models/shopify_store_circuit.py): written at
    # once on a side cursor, not after commit (a failure usually rolls back).
    circuit_failures = fields.Integer(readonly=True)
    circuit_openings = fields.Integer(readonly=True)
    circuit_open_until = fields.Datetime(readonly=True)
    circuit_failing_since = fields.Datetime(readonly=True)
    circuit_last_error = fields.Char(readonly=True)

    _sql_constraints = [
        ("store_uniq", "unique(store_id)", "One health row per store."),
    ]

    # ------------------------------------------------------------------ API
    @api.model
    def _shopify_record(self, store_ids, mode, vals):
        """Record `vals` ({column: value}) for `store_ids`, merged by `mode`
        (`max`, `set` or `add`), after the current transaction commits."""
        if mode not in MODES:
            raise ValueError("unknown merge mode %r" % (mode,))
        unknown = set(vals) - set(self._shopify_columns())
        if unknown:
            raise ValueError("not a health column: %s" % ", ".join(sorted(unknown)))
        ops = [(sid, mode, dict(vals)) for sid in store_ids if sid]
        if not ops or not vals:
            return
        after_commit(
            self.env,
            _QUEUE_KEY,
            ops,
            now=self._shopify_apply_here,
            later=self._shopify_flush,
            merge=_merge,
        )

    def _shopify_apply_here(self, cr, ops):
        """Applied on the caller's own cursor (the test transaction): also drop
        the cached fields computed from these (health state and message)."""
        self._shopify_apply(cr, ops)
        self.env["shopify.store"].browse({op[0] for op in ops}).invalidate_recordset()
        self.invalidate_model(sorted({col for op in ops for col in op[2]}))

    @api.model
    def _shopify_columns(self):
        return [
            name
            for name, field in self._fields.items()
            if field.store and not field.automatic and name != "store_id"
        ]

    # ------------------------------------------------------------------ apply
    @classmethod
    def _shopify_write(cls, registry, ops):
        """Apply `ops` in a short READ COMMITTED transaction of their own."""
        with read_committed_cursor(registry) as cr:
            cls._shopify_apply(cr, ops)

    @classmethod
    def _shopify_flush(cls, registry, ops):
        """The commit hook: `_shopify_write`, never failing the committed work."""
        try:
            cls._shopify_write(registry, ops)
        except psycopg2.Error as exc:
            # Bookkeeping only (e.g. the store was deleted meanwhile): the business
            # work is committed already and must not look failed.
            _logger.info("store health not recorded: %s", type(exc).__name__)

    @staticmethod
    def _shopify_apply(cr, ops):
        # Stores in id order: two flushes never lock two rows in opposite orders.
        for store_id, mode, vals in sorted(ops, key=lambda op: op[0]):
            cols = sorted(vals)
            query = sql.SQL(
                "INSERT INTO shopify_store_health AS h "
                "(store_id, {cols}, create_uid, write_uid, create_date, write_date) "
                "VALUES (%s, {marks}, 1, 1, now() at time zone 'UTC', "
                "now() at time zone 'UTC') "
                "ON CONFLICT (store_id) DO UPDATE SET {sets}, "
                "write_date = EXCLUDED.write_date"
            ).format(
                cols=sql.SQL(", ").join(map(sql.Identifier, cols)),
                marks=sql.SQL(", ").join(sql.Placeholder() * len(cols)),
                sets=sql.SQL(", ").join(
                    sql.SQL("{col} = " + MODES[mode]).format(col=sql.Identifier(col))
                    for col in cols
                ),
            )
            cr.execute(query, [store_id, *(vals[c] for c in cols)])


def _merge(queue, op):
    """The same 'set' of the same columns again (the API bucket after every call)
    replaces the last one queued instead of growing the queue."""
    last = queue[-1] if queue else None
    same = last and (op[0], op[1], op[2].keys()) == (last[0], last[1], last[2].keys())
    if same and op[1] == "set":
        queue[-1] = op
    else:
        queue.append(op)
