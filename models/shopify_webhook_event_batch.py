"""Consecutive orders/create (or orders/paid) events of one store imported in one
transaction.

The inbox's claim hands out events lanes interleaved; when several orders/create
events of the same store follow each other (a burst of one store), they are imported
together: each event still runs in its own savepoint with its own outcome, attempts
and failures (`_shopify_settle_done` / `_shopify_settle_failure`), but the orders to
confirm are confirmed by one `action_confirm()` on the recordset at the end, so Odoo
runs procurement, moves and reservation once for the batch instead of once per order
(about half of an order's import time). An orders/paid event's money (invoice,
payments, reconciliation) is settled after that confirmation, in the event order,
still under the order's lock.

If that shared confirmation (or anything outside an event's own savepoint) fails, the
whole batch is rolled back and its events run one by one as usual: one bad order
never spoils the others, and it fails alone with its own error. Exactly-once is
unchanged: every import still takes its order's lock, and the SQL unique key on the
sale order (store, Shopify order) stays the last line of defence. A batch stops before
an order it already holds (two deliveries of one order are never imported together).
`shopify_sync.webhook_order_batch` (system parameter, default 10) bounds a batch; 1
imports one by one.
"""

from odoo import api, fields, models

from ..lib.circuit import HANDLER_CLIENT_OPTIONS
from .odoo_platform import side_replay
from .shopify_order_importer import CONFIRMING_KEY
from .shopify_store_circuit import REPLAY_KEY
from .shopify_webhook_event import _logger

# orders/paid: its invoice and payments wait for the shared confirmation
# (shopify_webhook_event_money.py).
BATCH_TOPICS = ("orders/create", "orders/paid")
DEFAULT_BATCH = 10  # events per shared transaction (one confirmation)
BATCH_PARAM = "shopify_sync.webhook_order_batch"  # 1: one by one


class ConfirmLater:
    """The sale orders a batch confirms at its end, and what waits for their
    confirmation (an orders/paid event's invoice and payments). A context value:
    hashable (by identity), as Odoo's context values must be."""

    def __init__(self):
        self.orders = None
        self.then = []  # callables run in order once `orders` are confirmed

    def add(self, so):
        self.orders = so if self.orders is None else self.orders | so

    def holds(self, so):
        return bool(so) and self.orders is not None and bool(so & self.orders)

    def confirm(self):
        if self.orders:
            # The deliveries' lighter chatter (stock_picking_import_notes.py).
            self.orders.with_context(**{CONFIRMING_KEY: True}).action_confirm()
        for step in self.then:
            step()


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    @api.model
    def _shopify_batch_span(self, leased, index):
        """How many leased events from `index` on are processed together (>= 1):
        consecutive orders/create events of one store, distinct orders."""
        rows = leased[index : index + self._shopify_batch_size()]
        events = self.browse([row[0] for row in rows])  # one read for all
        seen, span = set(), 0
        for (_id, _attempts, store_id), event in zip(rows, events, strict=True):
            if (
                store_id != rows[0][2]
                or event.topic not in BATCH_TOPICS
                or (event.object_gid and event.object_gid in seen)
            ):
                break
            seen.add(event.object_gid)
            span += 1
        return max(span, 1)

    @api.model
    def _shopify_batch_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param(BATCH_PARAM)
        try:
            return max(1, int(value)) if value else DEFAULT_BATCH
        except ValueError:
            return DEFAULT_BATCH

    def _shopify_process_batch(self):
        """Process these taken (leased and locked) events; see the module doc."""
        if len(self) < 2:
            for event in self:
                event._shopify_process_one(claimed=True)
            return
        now = fields.Datetime.now()
        later = ConfirmLater()
        results = []
        try:
            with self.env.cr.savepoint():
                for event in self:
                    results.append((event, event._shopify_batch_dispatch(later)))
                later.confirm()
        except Exception as exc:  # noqa: BLE001 - one by one tells which event failed
            _logger.info(
                "Shopify webhook events %s: their shared import failed (%s); "
                "processed one by one",
                self.ids,
                exc,
            )
            for event in self:
                event._shopify_process_one(claimed=True)
            return
        for event, result in results:
            if isinstance(result, Exception):
                event._shopify_settle_failure(result, event.attempts, now)
            else:
                event._shopify_settle_done(*result, event.attempts, now)

    def _shopify_batch_dispatch(self, later):
        """(state, note) of this event's handler run in its own savepoint, or the
        exception it raised (its work rolled back); its confirmation goes to
        `later`."""
        self.ensure_one()
        side_replay(self.env, REPLAY_KEY)  # forget earlier events' breaker writes
        try:
            with self.env.cr.savepoint():
                return self.with_context(
                    shopify_client_defaults=HANDLER_CLIENT_OPTIONS,
                    shopify_confirm_later=later,
                )._shopify_dispatch()
        except Exception as exc:  # noqa: BLE001 - settled after the batch
            # Before the next event's dispatch forgets them (tests only).
            self.env["shopify.store"]._shopify_circuit_replay()
            return exc
