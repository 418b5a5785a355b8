import datetime
import logging

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models

from ..lib import sync_words
from ..lib.redact import redact

_logger = logging.getLogger(__name__)

RETENTION_PARAM = "shopify_sync.log_retention_days"
DEFAULT_RETENTION_DAYS = 30
PAYLOAD_MAX_CHARS = 8000
MESSAGE_MAX_CHARS = 4000


class ShopifySyncLog(models.Model):
    _name = "shopify.sync.log"
    _description = "Shopify Sync Log"
    _order = "id desc"
    _rec_name = "operation"

    store_id = fields.Many2one("shopify.store", ondelete="cascade", index=True)
    company_id = fields.Many2one(related="store_id.company_id", store=True)
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        default="outbound",
    )
    operation = fields.Char(required=True, index=True)
    state = fields.Selection(
        [("success", "Success"), ("warning", "Warning"), ("error", "Error")],
        required=True,
        default="success",
        index=True,
    )
    message = fields.Text()
    res_model = fields.Char(string="Related Model", index=True)
    res_id = fields.Many2oneReference(string="Related Record", model_field="res_model")
    payload = fields.Text(help="Truncated, with tokens and secrets redacted.")
    # Averaged when grouped (the Overview's push latency), never summed.
    duration_ms = fields.Integer(string="Duration (ms)", group_operator="avg")
    item_count = fields.Integer(
        string="Items",
        help="What the operation changed: levels written by a push, corrections "
        "made by a stock reconcile.",
    )

    @api.model
    def _log(
        self,
        store=None,
        operation="",
        state="success",
        direction="outbound",
        message="",
        record=None,
        res_model=None,
        res_id=None,
        payload=None,
        duration_ms=0,
        item_count=0,
        facts=None,
        with_work=False,
    ):
        """Record one sync operation; return the new log id.

        The message opens with the merchant's sentence for the operation
        (`lib/sync_words.py`, built from `facts`: the counts and names the caller
        has), then " — " and the technical `message`.

        Written on its own cursor and committed at once, so the entry survives the
        rollback of the work it describes; `with_work=True` (a success that states
        the work is done, "Imported order #1001 as S00042") joins the caller's
        transaction instead, so it is rolled back with that work. When the store is
        not visible to another transaction yet (created in this one) or its row is
        locked, the entry joins the current transaction too: it could not outlive its
        store anyway.
        """
        if record is not None and record:
            res_model, res_id = record._name, record.id
        store_id = store.id if isinstance(store, models.BaseModel) else store or False
        try:
            store_name = self.env["shopify.store"].sudo().browse(store_id).exists().name
        except psycopg2.Error:  # the caller's transaction is aborted: no name then
            store_name = ""
        # Each part redacted alone: a JSON message is still redacted by key.
        words = sync_words.sentence(operation, state, store_name or "", facts)
        message = sync_words.compose(
            redact(words) if words else "",
            redact(message, max_len=MESSAGE_MAX_CHARS) if message else "",
        )
        vals = {
            "store_id": store_id,
            "operation": operation or "unknown",
            "state": state,
            "direction": direction,
            "message": message or False,
            "res_model": res_model or False,
            "res_id": res_id or False,
            "payload": redact(payload, max_len=PAYLOAD_MAX_CHARS)
            if payload is not None
            else False,
            "duration_ms": int(duration_ms or 0),
            "item_count": int(item_count or 0),
        }
        log_id = False if with_work else self._shopify_log_own_cursor(vals)
        if log_id:
            return log_id
        try:
            with self.env.cr.savepoint():
                return self.sudo().create(vals).id
        except psycopg2.Error:
            _logger.warning(
                "Shopify sync log %s could not be written", vals["operation"]
            )
            return False

    @api.model
    def _shopify_log_own_cursor(self, vals):
        try:
            # The context manager commits on exit: that commit is the point of this
            # cursor, it makes the entry independent of the caller's transaction.
            with self.env.registry.cursor() as cr:
                if vals["store_id"]:
                    # SKIP LOCKED: waiting on a lock our own caller holds would never
                    # end; a store not committed yet is invisible and gives no row too.
                    cr.execute(
                        "SELECT id FROM shopify_store WHERE id = %s "
                        "FOR KEY SHARE SKIP LOCKED",
                        [vals["store_id"]],
                    )
                    if not cr.fetchone():
                        return False
                env = api.Environment(cr, SUPERUSER_ID, {})
                return env[self._name].create(vals).id
        except psycopg2.Error:
            _logger.warning(
                "Shopify sync log %s: own cursor failed, logging in the current "
                "transaction",
                vals["operation"],
            )
            return False

    @api.autovacuum
    def _gc_shopify_sync_logs(self):
        """Delete logs older than the retention (ir.config_parameter; 0 = keep)."""
        raw = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM)
        try:
            days = int(raw) if raw not in (None, False, "") else DEFAULT_RETENTION_DAYS
        except ValueError:
            _logger.warning("Invalid %s value, using %s days", RETENTION_PARAM, 30)
            days = DEFAULT_RETENTION_DAYS
        if days <= 0:
            return 0
        limit = fields.Datetime.now() - datetime.timedelta(days=days)
        self.env.flush_all()
        # Plain SQL: logs have no dependents and may be numerous.
        self.env.cr.execute(
            "DELETE FROM shopify_sync_log WHERE create_date < %s", [limit]
        )
        deleted = self.env.cr.rowcount
        self.invalidate_model()
        if deleted:
            _logger.info(
                "Shopify sync logs: %s entries older than %s days deleted",
                deleted,
                days,
            )
        return deleted
