"""Dirty marks: every Odoo stock change passes through these two quant methods
(receipts, deliveries, adjustments, scrap, reservation, unreservation, manufacturing).
Marking in the same transaction makes the push transactional: a rollback drops the
change and its mark together, a commit makes both durable before any push.

Quant row locks, silently (issue 20.3): Odoo locks the quant it updates with
`FOR NO KEY UPDATE SKIP LOCKED`. A quant locked by another transaction is skipped
(Odoo creates a new one, merged later): no conflict, by Odoo's design. A quant that
another transaction updated and COMMITTED after this transaction's REPEATABLE READ
snapshot cannot be skipped: PostgreSQL refuses it with a serialization failure, and
Odoo's statement logs it at ERROR before the caller's retry (the webhook inbox's
"busy worker" retry, Odoo's own request retry) redoes the work in a fresh
transaction. Two workers moving one product at once (an order's reservation on
one cron thread, a store edit or a receipt on another) meet this whenever the
later one's snapshot predates the other's commit. So the same rows are locked first
here with `log_exceptions=False`: the expected conflict surfaces as the same
SerializationFailure, without an ERROR line, and Odoo's own statement then finds
the rows already ours. Retries stay those of the callers (bounded, logged at INFO).

This lock WAITS for a quant another transaction holds (in id order, at most
QUANT_LOCK_TIMEOUT): with SKIP LOCKED, as Odoo does, a quant held at that moment
was skipped here, and when its holder committed before Odoo's statement, Odoo's
statement met the serialization failure and logged it (two prefork servers, e2e
seed 4). Waiting ends in one of two silent outcomes: the row is ours (its holder
rolled back or did not change it) or the serialization failure is raised here. A
holder that keeps the quant longer raises LockNotAvailable, also unlogged; the
addon's callers count both as contention and Odoo's request loop retries both.
The quants locked are then Odoo's recordset: `_gather` filters a given recordset in
memory by the same domain, instead of searching (twice per reserved move).

A reservation (`stock.move._action_assign`) locks at once, in id order, every quant
Odoo reads to reserve from (`_get_quants_by_products_locations`: the moves' products
in and under their source locations), with the same wait and silent conflicts; the
quants of each reserved move are then already ours for the rest of that call
(`PRELOCKED_KEY`), so their lock costs no statement (issue 20.1: three statements
per reserved move before, three per reservation call now). A quant not among them
(created meanwhile) is locked as above.
"""

from odoo import api, models

from ..lib.txn import lock_rows_within

QUANT_LOCK_TIMEOUT = "10s"  # a quant's holder commits within a unit of work
# cursor cache: ids of the quants the running reservation locked (stock_move.py)
PRELOCKED_KEY = "shopify_sync.prelocked_quants"
LOCK_QUANTS = "SELECT id FROM stock_quant WHERE id IN %s ORDER BY id FOR NO KEY UPDATE"


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _update_available_quantity(
        self,
        product_id,
        location_id,
        quantity=False,
        reserved_quantity=False,
        lot_id=None,
        package_id=None,
        owner_id=None,
        in_date=None,
    ):
        quants = self._shopify_lock_quants(
            product_id, location_id, lot_id, package_id, owner_id
        )
        # Odoo gathers the same quants again (twice) unless they are given: a
        # recordset is filtered in memory by the same domain (stock.quant._gather).
        # In the caller's env: the lock read them as superuser, Odoo's update must
        # not run as one.
        gathered = quants.with_env(self.env) if quants and not self else self
        result = super(StockQuant, gathered)._update_available_quantity(
            product_id,
            location_id,
            quantity=quantity,
            reserved_quantity=reserved_quantity,
            lot_id=lot_id,
            package_id=package_id,
            owner_id=owner_id,
            in_date=in_date,
        )
        self._shopify_mark_dirty(product_id, location_id)
        return result

    @api.model
    def _update_reserved_quantity(
        self,
        product_id,
        location_id,
        quantity,
        lot_id=None,
        package_id=None,
        owner_id=None,
        strict=True,
    ):
        result = super()._update_reserved_quantity(
            product_id,
            location_id,
            quantity,
            lot_id=lot_id,
            package_id=package_id,
            owner_id=owner_id,
            strict=strict,
        )
        self._shopify_mark_dirty(product_id, location_id)
        return result

    @api.model
    def _shopify_lock_quants(self, product, location, lot, package, owner):
        """Lock, as Odoo is about to, the quants of this exact product / location /
        lot / package / owner, waiting for a holder; a stale snapshot raises
        SerializationFailure here, unlogged (see the module docstring). Returns
        them. Given quants (the reservation's `reserved_quant`) are filtered in
        memory, as Odoo's `_gather` does with them: those are the ones it locks."""
        quants = self.sudo()._gather(
            product,
            location,
            lot_id=lot,
            package_id=package,
            owner_id=owner,
            strict=True,
        )
        if not quants:
            return quants
        locked = self.env.cr.cache.get(PRELOCKED_KEY)
        if locked is not None and locked.issuperset(quants.ids):
            return quants  # the running reservation locked them already
        # A conflict past the timeout is expected (unlogged): the caller retries.
        lock_rows_within(
            self.env.cr, QUANT_LOCK_TIMEOUT, LOCK_QUANTS, [tuple(quants.ids)]
        )
        return quants

    def _get_quants_by_products_locations(self, product_ids, location_ids):
        quants_by_product = super()._get_quants_by_products_locations(
            product_ids, location_ids
        )
        locked = self.env.cr.cache.get(PRELOCKED_KEY)
        if locked is not None:
            ids = sorted(
                {qid for quants in quants_by_product.values() for qid in quants.ids}
                - locked
            )
            if ids:
                lock_rows_within(
                    self.env.cr, QUANT_LOCK_TIMEOUT, LOCK_QUANTS, [tuple(ids)]
                )
                locked.update(ids)
        return quants_by_product

    @api.model
    def _shopify_mark_dirty(self, product, location):
        # Only internal locations publish; transit / customer / supplier never do.
        if product and location and location.usage == "internal":
            self.env["shopify.inventory.level"].sudo()._shopify_mark_dirty(
                product, location
            )
