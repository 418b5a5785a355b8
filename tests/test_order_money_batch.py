"""orders/paid events of one store imported in one inbox batch
(models/shopify_webhook_event_batch.py): one confirmation for the batch, then each
order's invoice and payment, exactly as one by one; a settlement that fails runs the
batch one by one, where that order fails alone."""

import json
import uuid
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from .money_common import MoneyCommon

QUEUE_LOGGER = "odoo.addons.shopify_sync.models.shopify_webhook_event"


@tagged("post_install", "-at_install")
class TestOrderMoneyBatch(MoneyCommon):
    def setUp(self):
        super().setUp()
        self._map("shopify_payments", self.bank)
        self.confirm_calls = []
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder.action_confirm
        calls = self.confirm_calls

        def counting(records):
            calls.append(sorted(records.mapped("shopify_order_name")))
            return original(records)

        patcher = patch.object(SaleOrder, "action_confirm", counting)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _deliver_all(self, payloads):
        """Deliver every payload as orders/paid, then run the inbox once."""
        self._refill_bucket(self.shop)
        Event = self.env["shopify.webhook.event"]
        events = [
            Event._shopify_store_delivery(
                self.store, "orders/paid", str(uuid.uuid4()), json.dumps(p), p
            )
            for p in payloads
        ]
        Event._cron_process_webhook_events(limit=100)
        self.env.invalidate_all()
        return events

    def _so(self, payload):
        return self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )

    def test_batch_confirms_once_then_invoices_and_pays_each(self):
        payloads = [self._order(quantity=1 + n) for n in range(3)]
        events = self._deliver_all(payloads)
        self.assertEqual(
            [e.state for e in events], ["done"] * 3, [e.last_error for e in events]
        )
        self.assertEqual(
            self.confirm_calls,
            [sorted(p["name"] for p in payloads)],
            "one confirmation for the batch",
        )
        for payload in payloads:
            so = self._so(payload)
            self.assertEqual(so.state, "sale")
            self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
            invoice = self._assert_paid(so, payload["total_price"], 1)
            self.assertEqual(invoice.invoice_line_ids.sale_line_ids.order_id, so)

    def test_failed_settlement_runs_one_by_one(self):
        payloads = [self._order(quantity=1 + n) for n in range(3)]
        refused = payloads[1]["name"]
        Accounting = type(self.env["shopify.order.accounting"])
        settle = Accounting._shopify_settle

        def refusing(accounting, so, money):
            if so.shopify_order_name == refused:
                raise RuntimeError("cannot settle %s" % refused)
            return settle(accounting, so, money)

        with (
            patch.object(Accounting, "_shopify_settle", refusing),
            mute_logger(QUEUE_LOGGER),
        ):
            events = self._deliver_all(payloads)
        self.assertEqual([e.state for e in events], ["done", "pending", "done"])
        self.assertIn("cannot settle", events[1].last_error)
        self.assertEqual(len(self.confirm_calls), 1 + 3, "batch, then one by one")
        self.assertFalse(self._so(payloads[1]), "rolled back with its settlement")
        for payload in (payloads[0], payloads[2]):
            self._assert_paid(self._so(payload), payload["total_price"], 1)
