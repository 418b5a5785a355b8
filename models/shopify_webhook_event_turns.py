"""Stock turns of the inbox: deliveries that move the same products never overlap
on two workers, and the later one starts after the earlier one committed.

Odoo runs REPEATABLE READ: a transaction sees the database as of its first
statement. Every order reserves its products' quants at confirmation (the batch's
one `action_confirm()`, shopify_webhook_event_batch.py), and the quant lock
(stock_quant.py) waits for a worker holding them. When that worker then commits,
the waiting one's snapshot predates the commit, so the lock ends in a
serialization failure (silent, by design): its whole batch was done for nothing,
and its events, retried one by one in the same stale snapshot, all failed again
and waited 5 s (bench_orders.py --workers 2: 2 of 5 batches, 20 of 50 events).
No retry in that transaction can succeed; only a snapshot taken after the other
worker's commit can.

So before a span of order or refund events runs (`_shopify_take_stock_turns`),
the products its payloads move (line items' variants, mapped in the store) get a
session-level advisory lock each, in product id order, waited for at most
TURN_WAIT: what came before is committed first (no row lock is held while
waiting), and committed again once every turn is ours, so the span's snapshot
starts after the previous holder's commit. The turns are released after the
span's commit (`_shopify_end_stock_turns`). Spans whose products differ run side
by side; spans sharing a product take turns instead of failing each other.

A hint, never a gate: a product the payload does not name (an unmapped variant,
an edit) or a turn not had within TURN_WAIT only means the span runs without it,
as before (a conflict is then retried as usual); exactly-once still rests on the
order's lock and the sale order's unique key. Session locks die with the
connection, so a killed worker never keeps a turn.

The same commit also starts the span after its orders' currencies were activated
(`_shopify_activate_currencies`): an activation inside the snapshot would be
invisible to it, and the span retried."""

import logging

from psycopg2 import errors as pg_errors

from odoo import api, models

from ..lib.order_values import to_code
from ..lib.stock_turns import moved_variant_gids
from ..lib.txn import lock_rows_within

_logger = logging.getLogger(__name__)

TURN_LOCK_CLASS = 0x5D13  # shopify.sync.stamp 0x5D10, send 0x5D11, allocation 0x5D12
TURN_WAIT = "20s"  # a span of orders commits within seconds; past it, go without


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_turn_products(self):
        """Ids of the stored products these events' payloads move, sorted."""
        by_store = {}
        for event in self:
            try:
                payload = event._shopify_payload()
            except ValueError:
                continue
            gids = moved_variant_gids(payload)
            if gids:
                by_store.setdefault(event.store_id.id, set()).update(gids)
        products = self.env["product.product"]
        Mapping = self.env["shopify.product.mapping"].sudo()
        for store_id, gids in by_store.items():
            products |= Mapping.search_fetch(
                [
                    ("store_id", "=", store_id),
                    ("variant_gid", "in", sorted(gids)),
                    ("product_id", "!=", False),
                ],
                ["product_id"],
            ).product_id
        return sorted(products.filtered(lambda p: p.type == "product").ids)

    def _shopify_activate_currencies(self):
        """Activate the currencies these orders are written in (their shop
        currency) before the snapshot they are imported in begins; True when one
        was. A currency the import activates itself is committed by a side
        transaction its own snapshot cannot see: the whole span would be retried
        in a fresh one (`_shopify_currency`: busy). Test Connection activates the
        shop's currency; this covers a currency changed in Shopify since."""
        codes = set()
        for event in self.filtered(lambda e: (e.topic or "").startswith("orders/")):
            try:
                code = to_code(event._shopify_payload().get("currency"))
            except ValueError:
                continue
            if code:
                codes.add(code)
        importer = self.env["shopify.order.importer"]
        activated = [importer._shopify_activate_code(code) for code in sorted(codes)]
        return any(activated)

    @api.model
    def _shopify_hold_turns(self, product_ids):
        """Take the session-level turn of each product, in order, waiting at most
        TURN_WAIT for each; the ids held. All or nothing: a turn not had in time
        gives back those taken (LockNotAvailable, unlogged, is caught here) and
        returns []. Must be called with no row lock held (just committed)."""
        cr, held = self.env.cr, []
        # Nobody else moving them (one worker, or other products): one statement.
        cr.execute(
            "SELECT p FROM unnest(%s) p WHERE pg_try_advisory_lock(%s, p)",
            [list(product_ids), TURN_LOCK_CLASS],
        )
        free = [row[0] for row in cr.fetchall()]
        if len(free) == len(product_ids):
            return list(product_ids)
        # Waiting for a turn while holding others would lock in a different order
        # from the holder's (deadlock): give them back, then wait in id order.
        self._shopify_end_stock_turns(free)
        try:
            for product_id in product_ids:
                lock_rows_within(
                    cr,
                    TURN_WAIT,
                    "SELECT pg_advisory_lock(%s, %s)",
                    [TURN_LOCK_CLASS, product_id],
                )
                held.append(product_id)
        except pg_errors.LockNotAvailable:
            cr.rollback()
            self._shopify_end_stock_turns(held)
            _logger.info(
                "Shopify webhook events: stock turn of product %s not had within %s; "
                "processed without turns",
                product_ids[len(held)],
                TURN_WAIT,
            )
            return []
        return held

    @api.model
    def _shopify_take_stock_turns(self, event_ids, auto_commit):
        """The turns of the products these events move, held from before the
        snapshot they are processed in (see the module doc); the ids held. Never
        in the test runner's transaction (it cannot commit)."""
        if not auto_commit:
            return []
        events = self.browse(event_ids)
        if events._shopify_wait_for_levels():
            return []  # stock webhooks: their level's holder, not products' turns
        activated = events._shopify_activate_currencies()
        products = events._shopify_turn_products()
        if not products:
            if activated:  # the events' snapshot starts after the activation
                self.env.cr.commit()  # pylint: disable=invalid-commit
            return []
        self.env.cr.commit()  # pylint: disable=invalid-commit
        held = self._shopify_hold_turns(products)
        if held:
            # The events' snapshot starts after every turn was ours.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return held

    @api.model
    def _shopify_end_stock_turns(self, held):
        """Give the turns back (after the commit of the work they covered); in an
        aborted transaction, right after its rollback."""
        if not held:
            return
        cr = self.env.cr
        query = "SELECT pg_advisory_unlock(%s, p) FROM unnest(%s) p"
        params = [TURN_LOCK_CLASS, list(held)]
        try:
            cr.execute(query, params, log_exceptions=False)
        except pg_errors.InFailedSqlTransaction:
            cr.postrollback.add(lambda: cr.execute(query, params))
