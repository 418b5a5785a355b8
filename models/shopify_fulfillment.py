"""Fulfilment outbox: one row per validated delivery of an imported Shopify order.

Written in the transaction that validates the picking (`stock.picking._action_done`),
so a rollback drops it with the validation; sent after commit by a triggered cron
(`_cron_send_fulfillments`). The cron never holds a lock while it talks to Shopify: it
claims due rows (FOR UPDATE SKIP LOCKED), leases them (`next_attempt_at` in the
future, so another worker skips them), commits, then sends each row and commits its
outcome. The sending itself is in `shopify_fulfillment_send.py`.
"""

import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.redact import redact
from ..lib.throttle import Backoff
from .odoo_platform import auto_commit_allowed, wake_cron

_logger = logging.getLogger(__name__)

SEND_CRON_XMLID = "shopify_sync.ir_cron_shopify_send_fulfillments"
BATCH_SIZE = 20
LEASE_SECONDS = 300
MAX_ATTEMPTS = 6
SEND_BACKOFF = Backoff(60, 3600)  # seconds: 1, 2, 4 ... min, 1 h at most


class ShopifyFulfillment(models.Model):
    _name = "shopify.fulfillment"
    _description = "Shopify Fulfilment (outbox)"
    _order = "id desc"
    _rec_name = "picking_id"

    store_id = fields.Many2one(
        "shopify.store", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(
        related="store_id.company_id", store=True, index=True, readonly=True
    )
    sale_order_id = fields.Many2one(
        "sale.order", required=True, index=True, ondelete="cascade", readonly=True
    )
    picking_id = fields.Many2one(
        "stock.picking", required=True, index=True, ondelete="cascade", readonly=True
    )
    state = fields.Selection(
        [
            ("pending", "To send"),
            ("sent", "Fulfilled in Shopify"),
            ("skipped", "Nothing to send"),
            ("needs_attention", "Needs attention"),
            ("failed", "Failing (still retrying)"),
        ],
        required=True,
        default="pending",
        index=True,
        readonly=True,
    )
    fulfillment_gids = fields.Char(
        string="Shopify Fulfilments",
        readonly=True,
        copy=False,
        help="The Shopify fulfilments this delivery created (one per location).",
    )
    quantities = fields.Char(
        readonly=True, help="Units per Shopify line item this delivery fulfils."
    )
    attempts = fields.Integer(readonly=True, default=0)
    next_attempt_at = fields.Datetime(readonly=True, index=True)
    first_attempt_at = fields.Datetime(
        readonly=True,
        help="When the first attempt started: a fulfilment Shopify created after it "
        "may be ours although the answer was lost.",
    )
    last_attempt_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    note = fields.Text(readonly=True)
    tracking_number = fields.Char(readonly=True, help="Tracking sent to Shopify.")
    tracking_company = fields.Char(readonly=True)
    tracking_url = fields.Char(readonly=True)
    tracking_pending = fields.Boolean(
        readonly=True,
        index=True,
        help="The picking's tracking changed after the fulfilment was sent.",
    )
    shopify_admin_url = fields.Char(related="sale_order_id.shopify_admin_url")

    _sql_constraints = [
        (
            "picking_unique",
            "UNIQUE(picking_id)",
            "A delivery becomes one fulfilment outbox entry.",
        ),
    ]

    # ------------------------------------------------------------------ enqueue
    @api.model
    def _shopify_enqueue(self, pickings):
        """Outbox rows for done outgoing pickings of imported orders whose store lets
        Odoo ship (same transaction as the validation). Returns the rows created."""
        vals = []
        existing = set(
            self.sudo()
            .search([("picking_id", "in", pickings.ids)])
            .mapped("picking_id")
            .ids
        )
        for picking in pickings:
            so = picking.sale_id
            store = so.shopify_store_id
            if (
                picking.id in existing
                or picking.state != "done"
                or picking.picking_type_code != "outgoing"
                or not store
                or not so.shopify_order_gid
                or store.fulfillment_policy != "odoo"
                or not store.push_fulfillments
            ):
                continue
            vals.append(
                {
                    "store_id": store.id,
                    "sale_order_id": so.id,
                    "picking_id": picking.id,
                }
            )
        rows = self.sudo().create(vals) if vals else self.sudo()
        if rows:
            self._shopify_trigger_send()
        return rows

    @api.model
    def _shopify_trigger_send(self, at=None):
        """Wake the send cron after commit (or at `at`)."""
        wake_cron(self.env, SEND_CRON_XMLID, at)

    # ------------------------------------------------------------------ cron
    @api.model
    def _shopify_claim_due(self, limit):
        """Lease up to `limit` due rows (pending or failing, or sent with a tracking
        change)."""
        self.env.flush_all()
        now = fields.Datetime.now()
        self.env.cr.execute(
            """
            SELECT id, first_attempt_at FROM shopify_fulfillment
             WHERE (state IN ('pending', 'failed')
                    OR (state = 'sent' AND tracking_pending))
               AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
             ORDER BY id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
            """,
            (now, limit),
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return self.browse(), {}
        # The earlier first attempt (None: never tried) decides whether a fulfilment
        # found in Shopify may be the lost answer of one of ours.
        before = dict(rows)
        self.env.cr.execute(
            """
            UPDATE shopify_fulfillment
               SET next_attempt_at = %s, attempts = attempts + 1,
                   last_attempt_at = %s,
                   first_attempt_at = COALESCE(first_attempt_at, %s)
             WHERE id IN %s
            """,
            (
                now + datetime.timedelta(seconds=LEASE_SECONDS),
                now,
                now,
                tuple(before),
            ),
        )
        records = self.browse(list(before))
        records.invalidate_recordset()
        return records, before

    @api.model
    def _cron_send_fulfillments(self, limit=100):
        """Send due outbox rows; re-trigger when more remain."""
        auto_commit = auto_commit_allowed(self.env)
        done = 0
        while done < limit:
            rows, before = self._shopify_claim_due(min(BATCH_SIZE, limit - done))
            if not rows:
                break
            if auto_commit:
                # The lease is durable before any call to Shopify: no lock is held
                # while we wait for it, and a crash leaves a row that says "tried".
                self.env.cr.commit()  # pylint: disable=invalid-commit
            for row in rows:
                row._shopify_send_guarded(before.get(row.id))
                if auto_commit:
                    # One row per transaction: its outcome survives the next one.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            done += len(rows)
        if done >= limit:
            self._shopify_trigger_send()
        return done

    def _shopify_send_guarded(self, previous_first_attempt):
        """Send one row; an unexpected failure marks it, never the batch."""
        auto_commit = auto_commit_allowed(self.env)
        try:
            if auto_commit:
                # no savepoint: sending commits after each fulfilment it creates
                return self._shopify_send_one(previous_first_attempt)
            with self.env.cr.savepoint():
                return self._shopify_send_one(previous_first_attempt)
        except Exception as exc:  # noqa: BLE001 - one bad row never blocks the rest
            _logger.exception("Shopify fulfilment %s failed", self.id)
            if auto_commit:
                # back to the last commit (the lease, or the last fulfilment created:
                # a lost one is recognised by the next attempt)
                self.env.cr.rollback()
                self.env.invalidate_all(flush=False)
            self.sudo().write(
                {
                    "state": "needs_attention",
                    "last_error": redact("%s: %s" % (type(exc).__name__, exc)),
                    "next_attempt_at": False,
                }
            )
            return "error"

    @api.model
    def _shopify_backoff(self, attempts):
        return SEND_BACKOFF.delay(attempts)

    # ------------------------------------------------------------------ actions
    def _shopify_check_picking_access(self):
        pickings = self.mapped("picking_id")
        pickings.check_access_rights("write")
        pickings.check_access_rule("write")

    def action_shopify_retry(self):
        """Send again now (after a hold was released, a location mapped, ...)."""
        self._shopify_check_picking_access()
        rows = self.sudo().filtered(
            lambda r: (
                r.state in ("pending", "needs_attention", "failed")
                or r.tracking_pending
            )
        )
        if not rows:
            raise UserError(_("Nothing to retry: these fulfilments are done."))
        for row in rows:
            vals = {"next_attempt_at": False, "last_error": False}
            if row.state != "sent":
                # attempts restart; first_attempt_at stays: it is what lets a resend
                # recognise a fulfilment an earlier attempt made
                vals.update(state="pending", attempts=0)
            row.write(vals)
        self._shopify_trigger_send()
        return True

    def action_open_in_shopify(self):
        self.ensure_one()
        if not self.shopify_admin_url:
            raise UserError(_("This order has no Shopify admin address."))
        return {
            "type": "ir.actions.act_url",
            "url": self.shopify_admin_url,
            "target": "new",
        }

    @api.model
    def _shopify_tracking_changed(self, pickings):
        """The tracking of done pickings changed: update what Shopify shows."""
        rows = self.sudo().search(
            [("picking_id", "in", pickings.ids), ("state", "in", ("sent", "pending"))]
        )
        sent = rows.filtered(lambda r: r.state == "sent")
        if sent:
            sent.write(
                {"tracking_pending": True, "next_attempt_at": False, "attempts": 0}
            )
        if rows:
            self._shopify_trigger_send()
