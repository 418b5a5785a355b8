"""Inbox of Shopify webhook deliveries: stored by the controller, processed by a cron.

Shopify delivers at least once and in any order; the controller only verifies and
stores (unique webhook id per store), this model does the rest later:

- `_cron_process_webhook_events` (models/shopify_webhook_event_queue.py) leases due
  events fairly per store and topic, counting the attempt in its own committed
  transaction first, runs each in its own savepoint and transaction and dispatches
  by topic to `_shopify_handle_<topic with / -> _>(event)` methods that other
  features add by inheriting this model;
- a handler returning ``"ignored"`` marks the event ignored, returning anything
  else marks it done, raising schedules a retry with exponential backoff until
  `shopify_sync.webhook_max_attempts`, then the event is `failed` (Retry button);
- deliveries older than what was already applied to the same object are ignored.
"""

import json
import logging
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

from ..lib import webhook_topics
from ..lib.errors import ShopifyBusy
from ..lib.params import number
from ..lib.redact import redact
from ..lib.throttle import Backoff
from ..lib.txn import CONFLICTS
from .odoo_platform import wake_cron

_logger = logging.getLogger(__name__)

PROCESS_CRON_XMLID = "shopify_sync.ir_cron_shopify_webhook_process"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETENTION_DAYS = 14
EVENT_BACKOFF = Backoff(60, 3600)  # seconds: 1, 2, 4 ... min, 1 h at most
BATCH_SIZE = 20
# Contention with another transaction of ours (a level or order busy, a
# serialization failure): retried soon, 5 s doubling up to 60 s, and not counted
# as a failed attempt (it is not one: nothing is wrong with the event).
CONTENTION_RETRY_SECONDS = 5
CONTENTION_RETRY_MAX_SECONDS = 60
MAX_ERROR_LENGTH = 2000


def _is_contention(exc):
    """A collision with another transaction of ours, not a fault of the event."""
    return isinstance(exc, (ShopifyBusy, *CONFLICTS))


def _error_text(exc):
    """A short, secret-free description of a handler failure for `last_error`."""
    return redact("%s: %s" % (type(exc).__name__, exc), max_len=MAX_ERROR_LENGTH)


class ShopifyWebhookEvent(models.Model):
    _name = "shopify.webhook.event"
    _description = "Shopify Webhook Event"
    _order = "triggered_at desc, id desc"
    _rec_name = "topic"

    store_id = fields.Many2one(
        "shopify.store", required=True, index=True, ondelete="cascade", readonly=True
    )
    topic = fields.Char(required=True, index=True, readonly=True)
    webhook_id = fields.Char(
        string="Webhook ID",
        required=True,
        readonly=True,
        help="X-Shopify-Webhook-Id: unique per delivery, the deduplication key.",
    )
    event_id = fields.Char(
        string="Event ID",
        readonly=True,
        help="X-Shopify-Event-Id: shared by the deliveries of one Shopify action.",
    )
    triggered_at = fields.Datetime(readonly=True, index=True)
    api_version = fields.Char(string="API Version", readonly=True)
    payload = fields.Text(readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("ignored", "Ignored"),
        ],
        default="pending",
        required=True,
        index=True,
        readonly=True,
    )
    attempts = fields.Integer(readonly=True)
    conflicts = fields.Integer(
        readonly=True,
        help="Times the event met another worker busy with the same order or "
        "stock level; retried within seconds, not counted as failed attempts.",
    )
    next_attempt_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    object_gid = fields.Char(
        string="Object GID",
        readonly=True,
        help="The Shopify object the delivery is about (staleness key).",
    )
    object_updated_at = fields.Datetime(readonly=True)
    processed_at = fields.Datetime(readonly=True)
    note = fields.Char(
        string="Outcome", readonly=True, help="Why the event was ignored."
    )

    _sql_constraints = [
        (
            "webhook_id_store_uniq",
            "unique(store_id, webhook_id)",
            "A webhook delivery is stored once per store.",
        ),
    ]

    def init(self):
        # The cron's claim query and the staleness lookup, both hot paths.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS shopify_webhook_event_due_idx
                ON shopify_webhook_event (triggered_at, id)
             WHERE state = 'pending'
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS shopify_webhook_event_object_idx
                ON shopify_webhook_event (store_id, object_gid, object_updated_at)
             WHERE state = 'done' AND object_gid IS NOT NULL
            """
        )

    # ------------------------------------------------------------------
    # Storing (called by the controller, as superuser)
    # ------------------------------------------------------------------

    @api.model
    def _shopify_store_delivery(
        self,
        store,
        topic,
        webhook_id,
        payload_text,
        payload,
        event_id=None,
        triggered_at=None,
        api_version=None,
    ):
        """Insert one delivery unless its webhook id is already stored for the store.

        Returns the new event, or an empty recordset for a duplicate. Race-safe: two
        identical concurrent deliveries hit the unique index; `ON CONFLICT DO NOTHING`
        turns the loser into a no-op (or, under REPEATABLE READ when the winner
        committed after our snapshot, a serialization failure, which is a duplicate
        too). No ORM create: an IntegrityError would be logged as a bad query.
        """
        now = fields.Datetime.now()
        values = {
            "store_id": store.id,
            "topic": topic,
            "webhook_id": webhook_id,
            "event_id": event_id or None,
            "triggered_at": triggered_at or now,
            "api_version": api_version or None,
            "payload": payload_text,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "object_gid": webhook_topics.object_gid(topic, payload),
            "object_updated_at": webhook_topics.object_updated_at(payload),
            "create_uid": self.env.uid,
            "write_uid": self.env.uid,
            "create_date": now,
            "write_date": now,
        }
        columns = list(values)
        query = "INSERT INTO shopify_webhook_event (%s) VALUES (%s) %s" % (
            ", ".join(columns),
            ", ".join(["%s"] * len(columns)),
            # Any unique key: the webhook id, or the event id per store and topic
            # (shopify_webhook_event_replay.py): a replay is a duplicate too.
            "ON CONFLICT DO NOTHING RETURNING id",
        )
        self.flush_model()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    query, [values[c] for c in columns], log_exceptions=False
                )
                row = self.env.cr.fetchone()
        except pg_errors.SerializationFailure:
            return self.browse()
        return self.browse(row[0]) if row else self.browse()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Put failed (or ignored) events back in the queue and wake the cron."""
        # Managers of the events' companies only (rights + record rules): the write
        # below is sudo.
        self.check_access_rights("write")
        self.check_access_rule("write")
        retryable = self.filtered(lambda e: e.state in ("failed", "ignored"))
        if retryable:
            retryable.sudo().write(
                {
                    "state": "pending",
                    "attempts": 0,
                    "waiting_since": False,
                    "next_attempt_at": fields.Datetime.now(),
                    "last_error": False,
                    "note": False,
                    "processed_at": False,
                }
            )
            self._shopify_trigger_processing()
        return True

    def _shopify_payload(self):
        """The delivery's JSON payload as a dict (handlers call this)."""
        self.ensure_one()
        data = json.loads(self.payload or "{}")
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    @api.model
    def _shopify_trigger_processing(self, at=None):
        """Wake the processing cron after commit (or at `at`)."""
        wake_cron(self.env, PROCESS_CRON_XMLID, at)

    @api.model
    def _shopify_max_attempts(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("shopify_sync.webhook_max_attempts")
        )
        return number(value, DEFAULT_MAX_ATTEMPTS, minimum=1)

    @api.model
    def _shopify_backoff(self, attempts, retry_after=None):
        """Delay after failed try number `attempts`: 1, 2, 4 ... min, 1 h max."""
        return EVENT_BACKOFF.delay(attempts, retry_after=retry_after)

    def _shopify_is_stale(self):
        """True when a newer version of the same object was already applied."""
        self.ensure_one()
        if not self.object_gid or not self.object_updated_at:
            return False
        self.env.cr.execute(
            """
            SELECT max(object_updated_at) FROM shopify_webhook_event
             WHERE store_id = %s AND object_gid = %s AND state = 'done' AND id != %s
            """,
            (self.store_id.id, self.object_gid, self.id),
        )
        newest = self.env.cr.fetchone()[0]
        return bool(newest and self.object_updated_at < newest)

    def _shopify_dispatch(self):
        """Run the topic's handler; return the final state (done / ignored)."""
        self.ensure_one()
        name = webhook_topics.handler_name(self.topic)
        handler = getattr(self, name, None) if name else None
        if handler is None or not callable(handler):
            return "ignored", "No handler for topic %s." % (self.topic,)
        if self._shopify_is_stale():
            return (
                "ignored",
                "Stale: a newer update of the object was applied.",
            )
        result = handler(self)
        if result == "ignored":
            return "ignored", False
        return "done", False

    def _shopify_log_failure(self, error):
        self.env["shopify.sync.log"]._log(
            store=self.store_id,
            direction="inbound",
            operation="webhook:%s" % self.topic,
            state="error",
            message="Webhook event failed after %s attempts: %s"
            % (self.attempts, error),
            res_model=self._name,
            res_id=self.id,
            facts={"topic": self.topic, "attempts": self.attempts},
        )

    # ------------------------------------------------------------------
    # Handlers owned by this feature
    # ------------------------------------------------------------------

    def _shopify_handle_app_uninstalled(self, event):
        """The app was removed from the shop: stop talking to it, once the Admin
        API confirms it (`_shopify_app_uninstall_confirmed`): a webhook is a hint."""
        store = event.store_id.sudo()
        if not event._shopify_app_uninstall_confirmed():
            return "ignored"
        store.write({"state": "disconnected"})
        self.env["shopify.sync.log"]._log(
            store=store,
            direction="inbound",
            operation="webhook:app/uninstalled",
            state="warning",
            message="The Shopify app was uninstalled from %s; store disconnected."
            % store.shop_domain,
            res_model=self._name,
            res_id=event.id,
        )

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------

    @api.autovacuum
    def _gc_shopify_webhook_events(self):
        """Remove done / ignored events older than the retention; keep failed ones."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("shopify_sync.webhook_retention_days")
        )
        days = number(value, DEFAULT_RETENTION_DAYS)
        if days <= 0:
            return
        limit_date = fields.Datetime.now() - timedelta(days=days)
        old = self.sudo().search(
            [("state", "in", ("done", "ignored")), ("create_date", "<", limit_date)]
        )
        old.unlink()
        _logger.info("Removed %s old Shopify webhook events", len(old))
