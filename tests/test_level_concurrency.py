"""Two workers on the same inventory levels, with real committed cursors (issue 20,
item 3): the conflicts REPEATABLE READ makes between them are avoided by design
(claims in a fresh transaction, leases, insert-only marks, no shared aggregate
row), not caught and logged."""

import json
import threading
import time
import uuid
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from ..lib.errors import ShopifyBusy
from ..lib.txn import in_fresh_transaction
from ..models.shopify_inventory_classifier import LevelClassifier
from ..models.shopify_inventory_push import InventoryPush
from ..models.shopify_order_importer import ShopifyOrderBusy

LEVEL = "shopify.inventory.level"


@tagged("post_install", "-at_install")
class TestLevelConcurrency(TransactionCase):
    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store = env["shopify.store"].create(
                {"name": "Conc " + tag, "shop_domain": "cc-%s.myshopify.com" % tag}
            )
            product = env["product.product"].create(
                {"name": "Conc " + tag, "default_code": "CC-" + tag, "type": "product"}
            )
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", store.company_id.id)], limit=1
            )
            location = env["shopify.location"].create(
                {
                    "store_id": store.id,
                    "name": "Main",
                    "shopify_gid": "gid://shopify/Location/%s" % tag,
                    "stock_location_id": warehouse.lot_stock_id.id,
                }
            )
            mapping = env["shopify.product.mapping"].create(
                {
                    "store_id": store.id,
                    "variant_gid": "gid://shopify/ProductVariant/%s" % tag,
                    "inventory_item_gid": "gid://shopify/InventoryItem/%s" % tag,
                    "sku": "CC-" + tag,
                    "product_id": product.id,
                    "state": "mapped",
                    "tracked": True,
                }
            )
            level = env[LEVEL].create(
                {
                    "store_id": store.id,
                    "mapping_id": mapping.id,
                    "shopify_location_id": location.id,
                    "inventory_item_gid": mapping.inventory_item_gid,
                    "location_gid": location.shopify_gid,
                }
            )
            self.store_id, self.level_id = store.id, level.id
            self.product_id = product.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute(
                "DELETE FROM shopify_inventory_level_mark WHERE level_id = %s",
                [self.level_id],
            )
            env["shopify.store"].browse(self.store_id).unlink()
            env["product.product"].browse(self.product_id).unlink()

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _inactive_currency(self):
        """The code of a currency Odoo has inactive, made inactive again after the
        test (which activates it in committed transactions)."""
        with self.registry.cursor() as cr:
            code = (
                self._env(cr)["res.currency"]
                .with_context(active_test=False)
                .search([("active", "=", False)], limit=1)
                .name
            )

        def deactivate():
            with self.registry.cursor() as cr:
                cr.execute(
                    "UPDATE res_currency SET active = FALSE WHERE name = %s", [code]
                )

        self.addCleanup(deactivate)
        return code

    def _changed_by_another_worker(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "UPDATE shopify_inventory_level SET dirty_seq = dirty_seq + 1 "
                "WHERE id = %s",
                [self.level_id],
            )

    def test_claim_after_another_workers_commit(self):
        """A claim in a snapshot older than another worker's commit on the level
        fails (silently); in a fresh transaction it succeeds."""
        with self.registry.cursor() as old:
            env = self._env(old)
            store = env["shopify.store"].browse(self.store_id)
            old.execute("SELECT 1")  # this worker's snapshot starts here
            self._changed_by_another_worker()
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(pg_errors.SerializationFailure),
            ):
                InventoryPush(env, store, False).claim()
            old.rollback()
            old.execute("SELECT 1")
            self._changed_by_another_worker()
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                claimed = in_fresh_transaction(
                    old, InventoryPush(env, store, False).claim
                )
            self.assertEqual(list(claimed), [self.level_id])
            old.rollback()

    def _move_stock(self, cr, qty):
        env = self._env(cr)
        product = env["product.product"].browse(self.product_id)
        stock = env[LEVEL].browse(self.level_id).stock_location_id
        env["stock.quant"]._update_available_quantity(product, stock, qty)
        return product, stock

    def _retry_move_in_fresh_transaction(self, old, product, stock):
        """What the caller's retry does after the conflict: the same move again in
        a fresh transaction, committed."""
        Quant = product.env["stock.quant"]
        in_fresh_transaction(
            old, lambda: Quant._update_available_quantity(product, stock, -1)
        )
        old.commit()

    def test_stock_move_after_another_workers_commit_is_silent(self):
        """Two workers move one product (an order's reservation, a store edit, a
        receipt): the one whose snapshot predates the other's commit on the quant
        meets the expected serialization failure without Odoo's ERROR line (issue
        20.3; the e2e logged one or two per run), and a fresh transaction does it."""
        with self.registry.cursor() as cr:
            product, stock = self._move_stock(cr, 10)
            self.addCleanup(self._drop_quants, product.id)
        with self.registry.cursor() as old:
            env = self._env(old)
            old.execute("SELECT 1")  # this worker's snapshot starts here
            with self.registry.cursor() as other:
                self._move_stock(other, 3)  # committed after that snapshot
            product = env["product.product"].browse(self.product_id)
            stock = env[LEVEL].browse(self.level_id).stock_location_id
            Quant = env["stock.quant"]
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(pg_errors.SerializationFailure),
            ):
                Quant._update_available_quantity(product, stock, -1)
            old.rollback()
            self._retry_move_in_fresh_transaction(old, product, stock)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            product = env["product.product"].browse(self.product_id)
            stock = env[LEVEL].browse(self.level_id).stock_location_id
            self.assertEqual(
                env["stock.quant"]._get_available_quantity(product, stock), 12
            )

    def test_stock_move_while_another_worker_holds_the_quant_is_silent(self):
        """The quant is held (not yet committed) by another worker when this one
        moves stock, and that worker commits before Odoo's own quant lock (two
        prefork servers, e2e seed 4): this worker waits for it and meets the
        serialization failure in the addon's lock, unlogged, instead of skipping
        the quant there and having Odoo's statement log it at ERROR."""
        with self.registry.cursor() as cr:
            product, stock = self._move_stock(cr, 10)
            self.addCleanup(self._drop_quants, product.id)
        with self.registry.cursor() as old, self.registry.cursor() as holder:
            env = self._env(old)
            old.execute("SELECT 1")  # this worker's snapshot starts here
            holder.execute(
                "UPDATE stock_quant SET quantity = quantity + 3 "
                "WHERE product_id = %s AND location_id = %s",
                [
                    self.product_id,
                    env[LEVEL].browse(self.level_id).stock_location_id.id,
                ],
            )
            # The holder commits half a second later, from another thread.
            committer = threading.Timer(0.5, holder._cnx.commit)
            committer.start()
            Quant = env["stock.quant"]
            lock = type(Quant)._shopify_lock_quants

            def lock_then_holder_commits(self, *args):
                try:
                    return lock(self, *args)
                finally:
                    committer.join()  # committed before Odoo's own lock

            product = env["product.product"].browse(self.product_id)
            stock = env[LEVEL].browse(self.level_id).stock_location_id
            with (
                patch.object(
                    type(Quant), "_shopify_lock_quants", lock_then_holder_commits
                ),
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(pg_errors.SerializationFailure),
            ):
                Quant._update_available_quantity(product, stock, -1)
            old.rollback()
            self._retry_move_in_fresh_transaction(old, product, stock)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            product = env["product.product"].browse(self.product_id)
            stock = env[LEVEL].browse(self.level_id).stock_location_id
            self.assertEqual(
                env["stock.quant"]._get_available_quantity(product, stock), 12
            )
            self.assertEqual(
                env["stock.quant"].search_count(
                    [("product_id", "=", product.id), ("location_id", "=", stock.id)]
                ),
                1,
            )

    def test_order_and_journal_turns_never_wait_for_their_holder(self):
        """An order being imported (or a journal being posted in) by another worker
        is "busy" at once: waiting for that worker while holding rows it needs next
        (the push's classification imports orders under its level locks) was a
        deadlock logged at ERROR (two prefork servers, e2e hard seed 8)."""
        order_gid = "gid://shopify/Order/%s" % uuid.uuid4().int
        tag = uuid.uuid4().hex[:5].upper()
        with self.registry.cursor() as cr:
            journal = self._env(cr)["account.journal"].create(
                {"name": "Wait " + tag, "code": tag, "type": "general"}
            )
        self.addCleanup(self._drop_journal, journal.id)
        with self.registry.cursor() as holder, self.registry.cursor() as other:
            hold = self._env(holder)
            store = hold["shopify.store"].browse(self.store_id)
            self.assertFalse(
                hold["shopify.order.importer"]._shopify_lock(store, order_gid)
            )
            hold["shopify.sync.stamp"]._shopify_lock(0, "journal:%s" % journal.id)
            other.execute("SET LOCAL lock_timeout = '2s'")
            env = self._env(other)
            started = time.monotonic()
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self.assertTrue(
                    env["shopify.order.importer"]._shopify_lock(
                        env["shopify.store"].browse(self.store_id), order_gid
                    )
                )
                with self.assertRaises(ShopifyOrderBusy):
                    env["shopify.order.accounting"]._shopify_journal_turn(
                        env["account.journal"].browse(journal.id)
                    )
            self.assertLess(time.monotonic() - started, 1.0)
            other.rollback()
            holder.rollback()
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM shopify_sync_stamp WHERE object_key = %s", [order_gid]
            )

    def test_webhook_bookkeeping_after_the_merchants_commit_is_silent(self):
        """The daily webhook check (a cron thread) records on the store row while
        the merchant's Guided Setup writes it: nothing is written when nothing
        changed, and a change lands in a fresh transaction, without the ERROR line
        of a serialization failure (issue 20.3; the e2e logged one)."""
        path = "odoo.addons.shopify_sync.models.shopify_store_webhook."
        with (
            self.registry.cursor() as old,
            patch(path + "auto_commit_allowed", return_value=True),
        ):
            env = self._env(old)
            store = env["shopify.store"].browse(self.store_id)
            old.execute("SELECT 1")  # the cron's snapshot starts here
            with self.registry.cursor() as merchant:
                merchant.execute(
                    "UPDATE shopify_store SET name = name || ' (set up)' WHERE id = %s",
                    [self.store_id],
                )
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                store._shopify_write_bookkeeping(dict)  # nothing to write
                store._shopify_write_bookkeeping(
                    lambda: {"webhook_lost_count": store.webhook_lost_count + 2}
                )
                env.flush_all()
            old.commit()
        with self.registry.cursor() as cr:
            store = self._env(cr)["shopify.store"].browse(self.store_id)
            self.assertEqual(store.webhook_lost_count, 2)
            self.assertTrue(store.name.endswith("(set up)"))

    def test_posting_after_another_workers_post_in_the_journal_is_silent(self):
        """Odoo numbers a posted move from the last one its snapshot sees: two
        workers posting in one journal (the e2e's first invoice, by the inbox and a
        reconcile) made the same name, and the later one failed on the unique key
        with an ERROR line. Our postings take the journal's turn first: the later
        one is told busy, unlogged, before numbering anything."""
        tag = uuid.uuid4().hex[:6].upper()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            company = env["shopify.store"].browse(self.store_id).company_id
            income = env["account.account"].search(
                [("company_id", "=", company.id), ("account_type", "=", "income")],
                limit=1,
            )
            journal = env["account.journal"].create(
                {
                    "name": "Turn " + tag,
                    "code": tag[:5],
                    "type": "sale",
                    "company_id": company.id,
                    "default_account_id": income.id,
                }
            )
            partner = env["res.partner"].create({"name": "Turn " + tag})
            moves = env["account.move"].create(
                [
                    {
                        "journal_id": journal.id,
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": "2026-12-01",
                        "invoice_line_ids": [
                            (0, 0, {"name": "x", "quantity": 1, "price_unit": 5})
                        ],
                    }
                    for _n in range(2)
                ]
            )
            ids = moves.ids
            # Each worker numbered its draft from its own snapshot: the same name
            # (a draft's name is not unique, only a posted one's).
            cr.execute(
                "UPDATE account_move SET name = %s WHERE id IN %s",
                [moves[0].name, tuple(ids)],
            )
        self.addCleanup(self._drop_journal, journal.id)
        turn = "shopify.order.accounting"
        with self.registry.cursor() as old:
            env = self._env(old)
            old.execute("SELECT 1")  # this worker's snapshot starts here
            with self.registry.cursor() as other:
                env2 = self._env(other)
                env2[turn]._shopify_journal_turn(
                    env2["account.journal"].browse(journal.id)
                )
                env2["account.move"].browse(ids[0]).action_post()
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                # (ShopifyOrderBusy instead while the other one is still posting)
                self.assertRaises(pg_errors.SerializationFailure),
            ):
                env[turn]._shopify_journal_turn(
                    env["account.journal"].browse(journal.id)
                )
                env["account.move"].browse(ids[1]).action_post()
                env.flush_all()
            old.rollback()

    def _drop_journal(self, journal_id):
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM account_move_line WHERE journal_id = %s", [journal_id]
            )
            cr.execute("DELETE FROM account_move WHERE journal_id = %s", [journal_id])
            cr.execute("DELETE FROM account_journal WHERE id = %s", [journal_id])
            cr.execute(
                "DELETE FROM shopify_sync_stamp WHERE store_id = 0 AND object_key = %s",
                ["journal:%s" % journal_id],
            )

    def _drop_quants(self, product_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [product_id])

    def test_signal_never_waits_for_a_worker_holding_the_level(self):
        """Reconcile now / Sync now mark levels another worker holds (claimed, API
        call in flight) without waiting for it or failing after its commit."""
        with self.registry.cursor() as holder, self.registry.cursor() as other:
            holder.execute(
                "SELECT id FROM shopify_inventory_level WHERE id = %s "
                "FOR NO KEY UPDATE",
                [self.level_id],
            )
            other.execute("SET LOCAL lock_timeout = '1s'")
            env = self._env(other)
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                env[LEVEL].browse(self.level_id)._shopify_signal_dirty(
                    reset_backoff=True
                )
            other.commit()
            # The push's absorb neither waits for the holder nor drops the mark.
            with self.registry.cursor() as cr:
                started = time.monotonic()
                self.assertEqual(self._env(cr)[LEVEL]._shopify_absorb_marks(), 0)
                self.assertLess(time.monotonic() - started, 1.0)
            holder.execute(
                "UPDATE shopify_inventory_level SET dirty = FALSE, attempts = 3 "
                "WHERE id = %s",
                [self.level_id],
            )
            holder.commit()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            self.assertEqual(env[LEVEL]._shopify_absorb_marks(), 1)
            level = env[LEVEL].browse(self.level_id)
            self.assertEqual((level.dirty, level.attempts), (True, 0))

    def test_one_resender_per_uncertain_batch(self):
        """The push and the reconcile both resend uncertain batches: one takes it,
        the other leaves it while it is sent (after the commit that precedes the
        call too), and takes it once the sender is done."""
        with self.registry.cursor() as cr:
            cr.execute(
                "UPDATE shopify_inventory_level SET pending_batch_key = 'b1' "
                "WHERE id = %s",
                [self.level_id],
            )
        with self.registry.cursor() as first, self.registry.cursor() as second:
            env1, env2 = self._env(first), self._env(second)
            run1 = InventoryPush(
                env1, env1["shopify.store"].browse(self.store_id), True
            )
            run2 = InventoryPush(
                env2, env2["shopify.store"].browse(self.store_id), True
            )
            taken = run1.claim_batch("b1")
            self.assertEqual(taken, [self.level_id])
            claim = run2.claim_batch
            self.assertEqual(claim("b1"), [], "rows held: skipped, not awaited")
            first.commit()  # the pending batch is committed before it is sent
            second.rollback()
            self.assertEqual(claim("b1"), [], "being sent: left to its sender")
            second.rollback()
            run1.release_sends()  # the answer is committed
            first.commit()
            self.assertEqual(claim("b1"), [self.level_id])
            run2.release_sends()
            second.rollback()

    def test_a_push_never_writes_the_mapping_row(self):
        """The mapping's published total is read from its levels: concurrent pushes
        of one SKU's levels no longer update (and fight over) the mapping row."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            level = env[LEVEL].browse(self.level_id)
            cr.execute(
                "SELECT ctid FROM shopify_product_mapping WHERE id = %s",
                [level.mapping_id.id],
            )
            before = cr.fetchone()[0]
            cr.execute(
                "UPDATE shopify_inventory_level SET last_published_qty = 4, "
                "last_published_at = now(), "
                "published_key = product_id || ':' || stock_location_id "
                "WHERE id = %s",
                [self.level_id],
            )
            env.invalidate_all()
            self.assertEqual(level.mapping_id.last_published_qty, 4)
            self.assertTrue(level.mapping_id.last_published_at)
            cr.execute(
                "SELECT ctid FROM shopify_product_mapping WHERE id = %s",
                [level.mapping_id.id],
            )
            self.assertEqual(cr.fetchone()[0], before)
            # Published for another product: says nothing about this one.
            cr.execute(
                "UPDATE shopify_inventory_level SET published_key = 'x:y' "
                "WHERE id = %s",
                [self.level_id],
            )
            env.invalidate_all()
            self.assertEqual(level.mapping_id.last_published_qty, 0)
            self.assertFalse(level.mapping_id.last_published_at)
            cr.rollback()

    # ------------------------------------------------------------------ FIFO layers
    def _done_move(self, env, source, dest, qty):
        product = env["product.product"].browse(self.product_id)
        move = env["stock.move"].create(
            {
                "name": "turn test",
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": qty,
                "price_unit": 2.0,
                "location_id": source.id,
                "location_dest_id": dest.id,
            }
        )
        move._action_confirm()
        move._action_assign()
        move.picked = True
        move._action_done()
        env.flush_all()
        return move

    def _fifo_stock_in_two_places(self):
        """The product costed FIFO with one layer at the warehouse's stock, then
        one at a second internal location. Returns those locations' ids."""
        tag = uuid.uuid4().hex[:6]
        with self.registry.cursor() as cr:
            env = self._env(cr)
            category = env["product.category"].create(
                {
                    "name": "FIFO " + tag,
                    "property_cost_method": "fifo",
                    "property_valuation": "manual_periodic",
                }
            )
            product = env["product.product"].browse(self.product_id)
            product.categ_id = category
            stock = env[LEVEL].browse(self.level_id).stock_location_id
            shelf = env["stock.location"].create(
                {"name": "Shelf " + tag, "location_id": stock.id, "usage": "internal"}
            )
            supplier = env.ref("stock.stock_location_suppliers")
            self._done_move(env, supplier, stock, 10)
            self._done_move(env, supplier, shelf, 10)
            ids = stock.id, shelf.id, category.id
        self.addCleanup(self._drop_fifo_stock, *ids)
        return ids[:2]

    def _drop_fifo_stock(self, stock_id, shelf_id, category_id):
        with self.registry.cursor() as cr:
            pid = self.product_id
            cr.execute("DELETE FROM stock_valuation_layer WHERE product_id = %s", [pid])
            cr.execute("DELETE FROM stock_move_line WHERE product_id = %s", [pid])
            cr.execute("DELETE FROM stock_move WHERE product_id = %s", [pid])
            cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [pid])
            cr.execute(
                "DELETE FROM shopify_sync_stamp WHERE store_id = 0 AND object_key = %s",
                ["stock:product:%s" % pid],
            )
            cr.execute("DELETE FROM stock_location WHERE id = %s", [shelf_id])
            cr.execute(
                "UPDATE product_template SET categ_id = %s WHERE id = "
                "(SELECT product_tmpl_id FROM product_product WHERE id = %s)",
                [self.env.ref("product.product_category_all").id, pid],
            )
            cr.execute("DELETE FROM product_category WHERE id = %s", [category_id])

    def test_two_locations_consuming_one_fifo_layer_is_silent(self):
        """Two workers ship one product from two locations (two warehouses, two
        stores) at once: different quants, so the quant lock does not order them,
        but both consume the product's oldest FIFO layer. The later one used to
        fail on Odoo's `UPDATE stock_valuation_layer` with an ERROR line (issue
        20.3: e2e seeds 0, 2, 4 with --strict-log). Each done move takes its
        product's turn first: the conflict is met there, unlogged, and a fresh
        transaction does the work."""
        stock_id, shelf_id = self._fifo_stock_in_two_places()
        customer = self.env.ref("stock.stock_location_customers")
        with self.registry.cursor() as old:
            env = self._env(old)
            Location = env["stock.location"]
            old.execute("SELECT 1")  # this worker's snapshot starts here
            with self.registry.cursor() as other:
                other_env = self._env(other)
                self._done_move(
                    other_env,
                    other_env["stock.location"].browse(stock_id),
                    other_env["stock.location"].browse(customer.id),
                    1,
                )
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(pg_errors.SerializationFailure),
            ):
                self._done_move(
                    env, Location.browse(shelf_id), Location.browse(customer.id), 1
                )
            old.rollback()
            env.invalidate_all()
            in_fresh_transaction(
                old,
                lambda: self._done_move(
                    env, Location.browse(shelf_id), Location.browse(customer.id), 1
                ),
            )
            old.commit()
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT remaining_qty FROM stock_valuation_layer "
                "WHERE product_id = %s AND quantity > 0 ORDER BY id",
                [self.product_id],
            )
            self.assertEqual([row[0] for row in cr.fetchall()], [8.0, 10.0])

    def test_a_currency_activated_after_the_snapshot_is_retried_not_refused(self):
        """The first order in a currency Odoo had inactive: the import activates it
        in a committed side transaction, which the import's own snapshot (begun
        before) cannot see, so the invoice of its orders/paid in the same inbox
        batch was refused ("inactive currency", an attempt failed: the e2e's first
        EUR order). The import is now told busy (retried, unlogged, in a fresh
        snapshot that sees the currency active) instead of going on."""
        code = self._inactive_currency()
        with (
            self.registry.cursor() as import_cr,
            patch("odoo.addons.shopify_sync.models.odoo_platform.in_test_transaction",
                  return_value=False),
        ):  # fmt: skip
            importer = self._env(import_cr)["shopify.order.importer"]
            import_cr.execute("SELECT 1")  # the import's snapshot starts here
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(ShopifyBusy),
            ):
                importer._shopify_currency(code, activate=True)
            import_cr.rollback()
            currency = importer._shopify_currency(code, activate=True)
            self.assertTrue(currency.active, "seen active from a fresh snapshot")
        with self.registry.cursor() as cr:
            cr.execute("SELECT active FROM res_currency WHERE name = %s", [code])
            self.assertTrue(cr.fetchone()[0], "committed for every transaction")

    def test_an_orders_currency_is_activated_before_its_snapshot_begins(self):
        """Retrying is the fallback, not the design: a batch of ten orders in a
        currency Odoo had inactive was imported, failed busy as a whole and was
        imported again a second later (the order benchmark's first batch). The
        inbox now activates the currency of the orders it is about to import and
        commits, so their snapshot begins with it active: no busy, no retry."""
        code = self._inactive_currency()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            payload = {"id": 1, "currency": code.lower(), "line_items": []}
            event_id = (
                env["shopify.webhook.event"]
                ._shopify_store_delivery(
                    env["shopify.store"].browse(self.store_id),
                    "orders/create",
                    str(uuid.uuid4()),
                    json.dumps(payload),
                    payload,
                )
                .id
            )
        with (
            self.registry.cursor() as worker,
            patch("odoo.addons.shopify_sync.models.odoo_platform.in_test_transaction",
                  return_value=False),
        ):  # fmt: skip
            env = self._env(worker)
            worker.execute("SELECT 1")  # the cron run's snapshot, begun before
            env["shopify.webhook.event"]._shopify_take_stock_turns([event_id], True)
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                currency = env["shopify.order.importer"]._shopify_currency(
                    code, activate=True
                )  # raised ShopifyBusy when the import activated it itself
            self.assertTrue(currency.active)

    def test_a_stock_webhook_waits_for_the_levels_holder_before_its_snapshot(self):
        """inventory_levels/update classifies its level under a row lock taken
        without waiting. The push sending a batch holds the level for a moment and
        then commits its write: the webhook met "held", or "changed since this
        transaction began", and was retried 5 s later, longer each time (a third
        of the e2e's stock webhooks; its quiet phase up to 93 s). Now the inbox
        waits for the holder first, and the event's snapshot starts after the
        holder's commit: the classification's lock is had at once."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            level = env[LEVEL].browse(self.level_id)
            payload = {
                "inventory_item_id": level.inventory_item_gid.rsplit("/", 1)[1],
                "location_id": level.location_gid.rsplit("/", 1)[1],
                "available": 3,
            }
            event = env["shopify.webhook.event"]._shopify_store_delivery(
                level.store_id,
                "inventory_levels/update",
                str(uuid.uuid4()),
                json.dumps(payload),
                payload,
            )
            event_id = event.id
        holder = self.registry.cursor()
        self.addCleanup(holder.close)
        holder.execute(
            "UPDATE shopify_inventory_level SET dirty_seq = dirty_seq + 1 "
            "WHERE id = %s",
            [self.level_id],
        )
        released = []

        def commit_later():
            time.sleep(1.0)
            released.append(time.monotonic())
            holder.commit()

        thread = threading.Thread(target=commit_later)
        with self.registry.cursor() as worker:
            env = self._env(worker)
            event = env["shopify.webhook.event"].browse(event_id)
            thread.start()
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self.assertTrue(event._shopify_wait_for_levels())
                waited = time.monotonic()
                level = env[LEVEL].browse(self.level_id)
                LevelClassifier(env, level.store_id)._lock(level)
            thread.join()
            self.assertTrue(released and released[0] <= waited, "waited for it")
            worker.rollback()
