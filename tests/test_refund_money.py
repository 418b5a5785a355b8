"""Shopify refunds reach Odoo's books (issue 16.4): one credit note per refund and its
REFUND transactions as outbound payments reconciled with it, exactly once per refund
GID whatever the path (refunds/create, orders/updated, reconcile, Retry, duplicates);
a refund before the invoice; the gift-card gateway; CAD totals to the cent."""

from decimal import ROUND_HALF_UP, Decimal

from odoo.tests import tagged
from odoo.tools import mute_logger

from .money_common import LOG, MoneyCommon


@tagged("post_install", "-at_install")
class TestRefundMoney(MoneyCommon):
    # ------------------------------------------------------------------ helpers
    def _deliver_refund(self, refund):
        self._deliver(refund, "refunds/create")  # asserts the event is done
        return self.env["sale.order"].search(
            [("shopify_order_gid", "=", "gid://shopify/Order/%s" % refund["order_id"])]
        )

    def _eur_order(self):
        return self._order(
            quantity=3,
            currency="EUR",
            taxes_included=True,
            tax_rate="0.20",
            shipping={"title": "Colissimo", "price": "4.90"},
            discounts=[{"type": "percentage", "value": "10", "code": "TEN"}],
        )

    def _notes(self, so):
        return so.invoice_ids.filtered(lambda m: m.move_type == "out_refund")

    def _refunds(self, so):
        return so.shopify_payment_ids.filtered(lambda p: p.payment_type == "outbound")

    def _amount(self, refund):
        return sum(Decimal(t["amount"]) for t in refund["transactions"])

    def _assert_credited(self, so, refund):
        note = self._notes(so).filtered(
            lambda m: m.shopify_refund_gid == refund["admin_graphql_api_id"]
        )
        self.assertEqual(len(note), 1)
        self.assertEqual(note.state, "posted")
        self.assertEqual(note.reversed_entry_id, self._invoice(so))
        self.assertEqual(
            note.currency_id.compare_amounts(
                note.amount_total, float(self._amount(refund))
            ),
            0,
            "%s vs Shopify's %s" % (note.amount_total, self._amount(refund)),
        )
        self.assertEqual(note.payment_state, "paid", "reconciled with its refund")
        return note

    def _assert_books_balance(self, so, payload):
        """Invoice minus credit notes equals money in minus money out, to the cent."""
        invoiced = self._invoice(so).amount_total - sum(
            self._notes(so).mapped("amount_total")
        )
        inbound = so.shopify_payment_ids.filtered(lambda p: p.payment_type == "inbound")
        net = sum(inbound.mapped("amount")) - sum(self._refunds(so).mapped("amount"))
        self.assertAlmostEqual(invoiced, net, places=2)
        self.assertEqual(self._invoice(so).payment_state, "paid")

    # ------------------------------------------------------------------ tests
    def test_partial_then_full_refund_via_webhooks_once_each(self):
        self._map("shopify_payments", self.bank)
        payload = self._eur_order()
        so = self._deliver(payload, "orders/paid")
        self._assert_paid(so, payload["total_price"], 1)
        first = self.shop.refund(
            payload["id"], lines=[{"sku": "TEE", "quantity": 1}], restock=False
        )
        so = self._deliver_refund(first)
        note = self._assert_credited(so, first)
        self.assertEqual(note.invoice_line_ids.mapped("quantity"), [1.0])
        (out,) = self._refunds(so)
        self.assertEqual(out.journal_id, self.bank)
        self.assertEqual(
            out.shopify_transaction_gid.split("/")[-1],
            "%s" % (first["transactions"][0]["id"]),
        )
        # The same refund again: a duplicate delivery and inside orders/updated.
        self._deliver_refund(first)
        self._deliver(self.shop.order_payload(payload["id"]), "orders/updated")
        self.env.invalidate_all()
        self.assertEqual(len(self._notes(so)), 1)
        self.assertEqual(len(self._refunds(so)), 1)
        self.assertEqual(so.shopify_credit_note_count, 1)
        rest = self.shop.refund(payload["id"], shipping=True)  # everything left
        so = self._deliver(self.shop.order_payload(payload["id"]), "orders/updated")
        self._assert_credited(so, rest)
        self._deliver_refund(rest)  # its refunds/create arrives late
        self.env.invalidate_all()
        self.assertEqual(len(self._notes(so)), 2)
        self.assertEqual(len(self._refunds(so)), 2)
        self.assertAlmostEqual(
            sum(self._notes(so).mapped("amount_total")),
            float(payload["total_price"]),
            places=2,
        )
        self._assert_books_balance(so, payload)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        operations = self.env["shopify.sync.log"].search(
            [("store_id", "=", self.store.id), ("operation", "=", "order:refund")]
        )
        self.assertEqual(len(operations), 4, "two credit notes, two refund payments")

    def test_refund_found_by_reconcile_and_retry_once(self):
        self._map("shopify_payments", self.bank)
        payload = self._eur_order()
        so = self._deliver(payload, "orders/paid")
        refund = self.shop.refund(payload["id"], lines=[{"sku": "MUG", "quantity": 1}])
        so.shopify_updated_at = False  # the reconcile imports it again
        stats = self.store._shopify_reconcile_orders()
        self.assertFalse(stats["errors"], stats)
        self.env.invalidate_all()
        self._assert_credited(so, refund)
        so.action_shopify_retry_import()
        self._deliver_refund(refund)
        self.env.invalidate_all()
        self.assertEqual(len(self._notes(so)), 1)
        self.assertEqual(len(self._refunds(so)), 1)
        self._assert_books_balance(so, payload)

    def test_refund_before_the_invoice_waits_then_is_credited(self):
        """Rule: a refund before the invoice waits (its money is registered); the
        invoice covers the order as sold, then the refund is credited."""
        self._map("shopify_payments", self.bank)
        self.store.invoice_policy = "delivered"
        payload = self._eur_order()
        so = self._deliver(payload, "orders/paid")
        refund = self.shop.refund(
            payload["id"], lines=[{"sku": "TEE", "quantity": 1}], restock=True
        )
        so = self._deliver_refund(refund)
        self.assertFalse(self._invoice(so), "not delivered yet")
        self.assertFalse(self._notes(so), "the refund waits for the invoice")
        self.assertEqual(len(self._refunds(so)), 1, "its money is registered")
        tee = so.order_line.filtered(lambda sol: sol.product_id.default_code == "TEE")
        self.assertEqual(tee.product_uom_qty, 2, "stock: the unit was restocked")
        picking = so.picking_ids.filtered(lambda p: p.state != "done")
        so = self._ship_and_tell_shopify(payload, picking)
        invoice = self._assert_paid(so, payload["total_price"], 2)
        tee_line = invoice.invoice_line_ids.filtered(
            lambda ln: ln.product_id.default_code == "TEE"
        )
        self.assertEqual(tee_line.quantity, 3, "invoiced as sold")
        self._assert_credited(so, refund)
        self._assert_books_balance(so, payload)

    @mute_logger(LOG)
    def test_credit_note_differing_from_the_refund_needs_attention(self):
        self._map("shopify_payments", self.bank)
        payload = self._eur_order()
        so = self._deliver(payload, "orders/paid")
        refund = self.shop.refund(payload["id"], lines=[{"sku": "MUG", "quantity": 1}])
        # Shopify returned 1.00 less than the line (an order adjustment).
        order = self.shop.orders[payload["id"]]
        txn = order["transactions"][-1]
        txn["amount"] -= Decimal("1.00")
        so = self._deliver_refund(refund)
        note = self._notes(so)
        self.assertEqual(len(note), 1)
        self.assertEqual(note.state, "draft", "never posted with a difference")
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("differs from Shopify's", so.shopify_attention_reason)
        self.assertIn(str(txn["amount"]), so.shopify_attention_reason)
        (out,) = self._refunds(so)
        self.assertEqual(out.state, "posted", "the money moved: registered")
        self.assertFalse(
            out.move_id.line_ids.filtered(lambda ln: ln.reconciled),
            "not reconciled with a draft",
        )
        self._deliver_refund(refund)
        self.env.invalidate_all()
        self.assertEqual(len(self._notes(so)), 1, "still one credit note")

    def test_gift_card_gateway_payment_registered(self):
        gift = self.env["account.journal"].create(
            {"name": "Gift cards", "code": "SHGC", "type": "bank"}
        )
        self._map("gift_card", gift)
        payload = self._order(gateway="gift_card")
        so = self._deliver(payload, "orders/paid")
        self.assertEqual(so.shopify_gateway_names, "gift_card")
        self._assert_paid(so, payload["total_price"], 1)
        self.assertEqual(so.shopify_payment_ids.journal_id, gift)
        self.assertEqual(so.shopify_payment_ids.shopify_gateway_id.name, "gift_card")

    def test_totals_to_the_cent_cad_and_partial_refund(self):
        so, payload = self._paid_by_card(
            quantity=5,
            currency="CAD",
            tax_rate="0.13",
            shipping={"title": "Canada Post", "price": "11.45"},
            discounts=[{"type": "fixed_amount", "value": "7.77"}],
        )
        self.assertEqual(so.currency_id.name, "CAD")
        refund = self.shop.refund(
            payload["id"], lines=[{"sku": "TEE", "quantity": 2}], shipping="5.00"
        )
        so = self._deliver_refund(refund)
        note = self._assert_credited(so, refund)
        self.assertEqual(note.currency_id.name, "CAD")
        self._assert_books_balance(so, payload)

    def test_presentment_currency_books_in_shop_money(self):
        """A CAD order the shopper paid in USD: the books are in shop money (CAD),
        Shopify's shopMoney, invoice, payment and credit note alike."""
        self._map("shopify_payments", self.bank)
        payload = self._order(
            quantity=2,
            currency="CAD",
            tax_rate="0.13",
            presentment_currency="USD",
            presentment_rate="0.7300",
        )
        self.assertEqual(payload["presentment_currency"], "USD")
        so = self._deliver(payload, "orders/paid")
        self.assertEqual(so.currency_id.name, "CAD")
        self._assert_paid(so, payload["total_price"], 1)
        self.assertEqual(so.shopify_payment_ids.currency_id.name, "CAD")
        refund = self.shop.refund(payload["id"], lines=[{"sku": "MUG", "quantity": 1}])
        so = self._deliver_refund(refund)
        self.assertEqual(self._assert_credited(so, refund).currency_id.name, "CAD")

    def test_gateway_fee_booked_once_so_the_payout_reconciles(self):
        self._map("shopify_payments", self.bank)
        expense = self.env["account.account"].search(
            [("account_type", "=", "expense"), ("company_id", "=", self.company.id)],
            limit=1,
        )
        self.store.fee_account_id = expense
        self.shop.payments_fee = {"rate": "0.029", "flat": "0.30"}
        try:
            payload = self._order()
            so = self._deliver(payload, "orders/paid")
            self._deliver(payload, "orders/paid")  # the same delivery again
        finally:
            self.shop.payments_fee = None
        self._assert_paid(so, payload["total_price"], 1)
        payment = so.shopify_payment_ids
        total = Decimal(payload["total_price"])
        fee = (total * Decimal("0.029") + Decimal("0.30")).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
        entry = self.env["account.move"].search(
            [("shopify_fee_gid", "=", payment.shopify_transaction_gid)]
        )
        self.assertEqual(len(entry), 1, "booked once")
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.journal_id, self.bank)
        charged = entry.line_ids.filtered(lambda ln: ln.account_id == expense)
        self.assertAlmostEqual(charged.debit, float(fee), places=2)
        outstanding = (payment.move_id.line_ids | entry.line_ids).filtered(
            lambda ln: ln.account_id == payment.outstanding_account_id
        )
        self.assertAlmostEqual(
            sum(outstanding.mapped("balance")), float(total - fee), places=2
        )
