"""Additional fees as lines (issue 17.2) and cash rounding on the payment side (17.1),
in real Odoo against the emulator (tools/shopify_emulator/order_extras.py).

- An order with `additionalFees` arrives by webhook with their total only (REST): it
  is read through GraphQL, each fee is a line of the store's fee product with its
  own taxes, and the sale order, invoice and payment total Shopify's to the cent.
- A cash payment Shopify rounds (`amountRoundingSet`) is registered for the cash that
  changed hands, with one write-off line on the store's cash rounding account: the
  invoice (Shopify's `totalPriceSet`, not rounded) is paid in full.
"""

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .money_common import LOG, MoneyCommon


@tagged("post_install", "-at_install")
class TestOrderFeesCash(MoneyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rounding_account = cls.env["account.account"].create(
            {
                "name": "Cash rounding",
                "code": "SHCR01",
                "account_type": "income_other",
                "company_id": cls.company.id,
            }
        )

    def _deliver_refund(self, refund):
        self._deliver(refund, "refunds/create")  # asserts the event is done
        return self.env["sale.order"].search(
            [("shopify_order_gid", "=", "gid://shopify/Order/%s" % refund["order_id"])]
        )

    def _fees(self, so):
        return so.order_line.filtered(
            lambda sol: sol.shopify_line_id.startswith("fee:")
        )

    def _rounding_lines(self, so):
        return so.shopify_payment_ids.move_id.line_ids.filtered(
            lambda line: line.account_id == self.rounding_account
        )

    # ------------------------------------------------------------------ fees
    def test_additional_fees_are_lines_with_their_taxes_and_the_total_matches(self):
        self._map("shopify_payments", self.bank)
        payload = self._order(
            quantity=3,
            currency="USD",
            tax_rate="0.13",
            additional_fees=[
                {"name": "Import fee", "price": "7.77", "taxable": True},
                {"name": "Handling", "price": "2.50"},
            ],
        )
        self.assertNotIn("additional_fees", payload, "REST: the total only")
        so = self._deliver(payload, "orders/paid")
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        fees = self._fees(so)
        self.assertEqual(
            sorted(fees.mapped("name")), ["Handling", "Import fee"], fees.mapped("name")
        )
        self.assertNotIn("fee:order", fees.mapped("shopify_line_id"))
        self.assertEqual(fees.product_id.default_code, "SHOPIFY-FEE")
        self.assertEqual(fees.product_id.type, "service")
        import_fee = fees.filtered(lambda sol: sol.name == "Import fee")
        self.assertEqual(import_fee.tax_id.mapped("amount"), [13.0])
        self.assertFalse(fees.filtered(lambda sol: sol.name == "Handling").tax_id)
        self.assertEqual(
            so.currency_id.compare_amounts(
                so.amount_total, float(payload["total_price"])
            ),
            0,
        )
        self._assert_paid(so, payload["total_price"], 1)

    def test_store_fee_product_is_used(self):
        self._map("shopify_payments", self.bank)
        chosen = self._create_product(
            "MY-FEE", detailed_type="service", taxes_id=[Command.clear()]
        )
        self.store.fee_product_id = chosen
        payload = self._order(additional_fees=[{"name": "Import fee", "price": "3.00"}])
        so = self._deliver(payload, "orders/paid")
        fee = self._fees(so)
        self.assertEqual(fee.product_id, chosen)
        self._assert_paid(so, payload["total_price"], 1)

    # ------------------------------------------------------------------ cash
    def test_cash_rounding_is_a_write_off_and_the_invoice_is_paid(self):
        self.shop.cash_rounding = "0.05"
        self.addCleanup(setattr, self.shop, "cash_rounding", None)
        self._map("cash", self.cash)
        self.store.cash_rounding_account_id = self.rounding_account
        payload = self._order(gateway="cash")  # 2 × 24.99 + 12.35 = 62.33
        self.assertEqual(payload["total_price"], "62.33", "never on the total")
        so = self._deliver(payload, "orders/paid")
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        invoice = self._assert_paid(so, "62.33", 1)
        payment = so.shopify_payment_ids
        self.assertAlmostEqual(payment.amount, 62.35, msg="the cash received")
        self.assertEqual(payment.journal_id, self.cash)
        rounding = self._rounding_lines(so)
        self.assertEqual(len(rounding), 1)
        self.assertAlmostEqual(rounding.credit, 0.02)
        self.assertEqual(invoice.amount_total, 62.33)
        # A replay of the same transaction registers nothing more.
        so = self._deliver(payload, "orders/updated")
        self.assertEqual(len(so.shopify_payment_ids), 1)

    @mute_logger(LOG)
    def test_cash_rounding_without_an_account_needs_attention_then_retry(self):
        self.shop.cash_rounding = "0.05"
        self.addCleanup(setattr, self.shop, "cash_rounding", None)
        self._map("cash", self.cash)
        self.store.cash_rounding_account_id = False
        payload = self._order(quantity=3, gateway="cash")  # 3 × 24.99 + 12.35 = 87.32
        so = self._deliver(payload, "orders/paid")
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn(
            "Cash rounding of -0.02 %s" % so.currency_id.name,
            so.shopify_attention_reason,
        )
        self.assertFalse(so.shopify_payment_ids, "never booked by guess")
        self.store.cash_rounding_account_id = self.rounding_account
        so.action_shopify_retry_import()
        self.env.invalidate_all()
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self._assert_paid(so, "87.32", 1)
        self.assertAlmostEqual(so.shopify_payment_ids.amount, 87.30)
        self.assertAlmostEqual(self._rounding_lines(so).debit, 0.02, msg="a loss")

    def test_cash_refund_rounding_is_a_write_off_and_the_credit_note_is_paid(self):
        self.shop.cash_rounding = "0.05"
        self.addCleanup(setattr, self.shop, "cash_rounding", None)
        self._map("cash", self.cash)
        self.store.cash_rounding_account_id = self.rounding_account
        payload = self._order(gateway="cash")  # 62.33, 62.35 in cash
        self._deliver(payload, "orders/paid")
        refund = self.shop.refund(
            payload["id"], lines=[{"sku": "MUG", "quantity": 1}], restock=False
        )
        (txn,) = refund["transactions"]
        self.assertEqual(txn["amount"], "12.35")
        so = self._deliver_refund(refund)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        note = so.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(note.amount_total, 12.35, "the refund, not the cash")
        self.assertEqual(note.payment_state, "paid")
        out = so.shopify_payment_ids.filtered(lambda p: p.payment_type == "outbound")
        self.assertEqual(out.journal_id, self.cash)
        # 12.35 is already a multiple of 0.05: no rounding, no write-off line.
        self.assertFalse(
            out.move_id.line_ids.filtered(
                lambda line: line.account_id == self.rounding_account
            )
        )
        rest = self.shop.refund(payload["id"], restock=False)  # 49.98 → 50.00 cash
        so = self._deliver_refund(rest)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        notes = so.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(sorted(notes.mapped("amount_total")), [12.35, 49.98])
        self.assertEqual(set(notes.mapped("payment_state")), {"paid"})
        out = so.shopify_payment_ids.filtered(lambda p: p.payment_type == "outbound")
        self.assertEqual(sorted(out.mapped("amount")), [12.35, 50.0])
        writeoff = out.move_id.line_ids.filtered(
            lambda line: line.account_id == self.rounding_account
        )
        self.assertAlmostEqual(writeoff.debit, 0.02, msg="paid back 0.02 more")
