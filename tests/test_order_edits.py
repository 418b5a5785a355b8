"""Orders edited in Shopify after confirmation, and the risk hold (issue 17.3 / 17.4),
end to end against the emulator: its orders/edited and orders/risk_assessment_changed
bodies are delivered to the inbox, the handlers read the order back, and the
confirmed sale order's delivery (or the held quotation) follows.

Built on the inventory fixture (3 stores sharing the main warehouse, INV-1 = 10,
INV-2 = 4)."""

import json
import time
import uuid
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .inventory_common import InventoryCommon


@tagged("post_install", "-at_install")
class TestOrderEdits(InventoryCommon):
    def _deliver(self, topic, payload, store=None):
        event = self.env["shopify.webhook.event"]._shopify_store_delivery(
            store or self.stores[0],
            topic,
            str(uuid.uuid4()),
            json.dumps(payload),
            payload,
        )
        self.env["shopify.webhook.event"]._cron_process_webhook_events(limit=100)
        self.env.invalidate_all()
        self.assertIn(event.state, ("done", "ignored"), event.last_error)
        return event

    def setUp(self):
        super().setUp()
        # invoices and payments are another test's business
        for store in self.stores:
            store.invoice_policy = "never"
        # Odoo rolled back the orders of the previous test; Shopify forgets them too
        # (the push's store-edit classifier would import them again).
        for shop in self.shops:
            with shop.lock:
                shop.orders.clear()

    def _order(self, lines, risk="LOW", financial_status="paid", **kw):
        payload = self.shops[0].place_order(
            lines,
            **kw,
            location=self.loc1[0],
            customer={"email": "edit@example.com", "first_name": "Edit"},
            financial_status=financial_status,
            risk=risk,
        )
        self._deliver("orders/create", payload)
        so = self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )
        self.assertEqual(len(so), 1)
        return payload, so

    @staticmethod
    def _demand(so):
        """Open delivery demand per SKU."""
        out = {}
        for move in so.picking_ids.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel")
        ):
            code = move.product_id.default_code
            out[code] = out.get(code, 0) + move.product_uom_qty
        return {k: v for k, v in out.items() if v}

    def _line(self, so, sku):
        return so.order_line.filtered(lambda ln: ln.product_id.default_code == sku)

    # ------------------------------------------------------------------ edits
    def test_add_change_remove_sequence_ends_in_the_right_delivery(self):
        payload, so = self._order([{"sku": "INV-1", "quantity": 2}])
        self.assertEqual(so.state, "sale")
        self.assertEqual(self._demand(so), {"INV-1": 2})
        shop, line_1 = self.shops[0], payload["line_items"][0]["id"]

        added = shop.edit_order(payload["id"], add=[{"sku": "INV-2", "quantity": 1}])
        self._deliver("orders/edited", added)
        self.assertEqual(self._demand(so), {"INV-1": 2, "INV-2": 1})
        line_2 = added["order_edit"]["line_items"]["additions"][0]["id"]

        changed = shop.edit_order(payload["id"], set_quantities={line_1: 4})
        older_update = shop.order_payload(payload["id"])
        self._deliver("orders/edited", changed)
        self.assertEqual(self._demand(so), {"INV-1": 4, "INV-2": 1})

        # The removal reaches Odoo through the reconcile only (its webhooks lost);
        # a second later, as Shopify's updatedAt has second precision.
        time.sleep(1.05)
        shop.edit_order(payload["id"], set_quantities={line_2: 0})
        self.stores[0]._shopify_reconcile_orders(
            since=fields.Datetime.now() - timedelta(hours=1)
        )
        self.env.invalidate_all()
        self.assertEqual(self._demand(so), {"INV-1": 4})
        self.assertEqual(self._line(so, "INV-1").product_uom_qty, 4)
        self.assertEqual(self._line(so, "INV-2").product_uom_qty, 0)

        # Exactly once: a redelivered edit and an older update change nothing.
        self._deliver("orders/edited", added)
        stale = self._deliver("orders/updated", older_update)
        self.assertEqual(stale.state, "ignored")
        self.assertEqual(self._demand(so), {"INV-1": 4})
        self.assertEqual(len(so.order_line.filtered("product_id.default_code")), 2)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)

        # The published quantity follows: 10 - 4 for INV-1, INV-2 free again.
        self._push()
        self.assertEqual([self._shown(n, "INV-1") for n in (1, 2)], [6, 6])
        self.assertEqual([self._shown(n, "INV-2") for n in (1, 2)], [4, 4])

    def test_shrink_below_shipped_needs_attention(self):
        payload, so = self._order([{"sku": "INV-1", "quantity": 3}])
        picking = so.picking_ids
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        picking.with_context(cancel_backorder=False)._action_done()
        line = self._line(so, "INV-1")
        self.assertEqual(line.qty_delivered, 2)
        self.assertEqual(self._demand(so), {"INV-1": 1})
        # Shopify does not know yet that Odoo shipped two: the merchant edits to one.
        body = self.shops[0].edit_order(
            payload["id"], set_quantities={payload["line_items"][0]["id"]: 1}
        )
        self._deliver("orders/edited", body)
        self.assertEqual(line.product_uom_qty, 2, "never below what shipped")
        self.assertEqual(self._demand(so), {}, "the unshipped unit is not sent")
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("already delivered", so.shopify_attention_reason)

    def test_shipping_edits_end_in_shopifys_total(self):
        payload, so = self._order(
            [{"sku": "INV-1", "quantity": 2}],
            shipping={"title": "Standard", "price": "5.00"},
        )
        self.assertEqual(so.state, "sale")
        shop = self.shops[0]
        ship_id = payload["shipping_lines"][0]["id"]

        def shopify_total():
            return float(shop.order_payload(payload["id"])["total_price"])

        def shipping():
            return sorted(
                (ln.name, ln.product_uom_qty, ln.price_unit)
                for ln in so.order_line
                if (ln.shopify_line_id or "").startswith("shipping")
            )

        before = so.amount_total
        body = shop.edit_order(
            payload["id"],
            shipping={
                "update": {ship_id: {"price": "7.50"}},
                "add": [{"title": "Express", "price": "3.25"}],
            },
        )
        self._deliver("orders/edited", body)
        self.assertAlmostEqual(so.amount_total, shopify_total(), places=2)
        self.assertNotAlmostEqual(so.amount_total, before, places=2)
        self.assertEqual([qty for _n, qty, _p in shipping()], [1, 1])
        self.assertEqual(sorted(p for _n, _q, p in shipping()), [3.25, 7.5])

        # Removing a shipping line: Odoo keeps the confirmed line at quantity 0.
        removed = shop.edit_order(payload["id"], shipping={"remove": [ship_id]})
        self._deliver("orders/edited", removed)
        self.assertAlmostEqual(so.amount_total, shopify_total(), places=2)
        self.assertEqual(sorted(q for _n, q, _p in shipping()), [0, 1])

        # Exactly once: redelivered edits change nothing.
        lines_before = len(so.order_line)
        self._deliver("orders/edited", body)
        self._deliver("orders/edited", removed)
        self.assertEqual(len(so.order_line), lines_before)
        self.assertAlmostEqual(so.amount_total, shopify_total(), places=2)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertEqual(self._demand(so), {"INV-1": 2}, "shipping moves no stock")

    # ------------------------------------------------------------------ risk
    def test_high_risk_order_is_held_then_a_low_verdict_confirms_it(self):
        payload, so = self._order([{"sku": "INV-1", "quantity": 2}], risk="HIGH")
        self.assertEqual(so.state, "draft", "paid, but held for its risk")
        self.assertTrue(so.shopify_risk_held)
        self.assertEqual(so.shopify_risk_level, "high")
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("high risk", so.shopify_attention_reason)
        self._push()
        self.assertEqual(
            [self._shown(n, "INV-1") for n in (1, 2)], [8, 8], "units still held"
        )
        verdict = self.shops[0].assess_risk(payload["id"], "LOW")
        self._deliver("orders/risk_assessment_changed", verdict)
        self.assertEqual(so.state, "sale", "confirmed per the store's policy")
        self.assertFalse(so.shopify_risk_held)
        self.assertEqual(so.shopify_risk_level, "low")
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertEqual(self._demand(so), {"INV-1": 2})

    def test_merchant_confirms_a_held_order(self):
        _payload, so = self._order([{"sku": "INV-1", "quantity": 1}], risk="HIGH")
        self.assertEqual(so.state, "draft")
        so.action_confirm()
        self.assertEqual(so.state, "sale")
        self.assertFalse(so.shopify_risk_held)
        self.assertFalse(so.shopify_needs_attention)

    def test_hold_off_confirms_high_risk_orders(self):
        self.stores[0].hold_risky_orders = False
        _payload, so = self._order([{"sku": "INV-1", "quantity": 1}], risk="HIGH")
        self.assertEqual(so.state, "sale")
        self.assertFalse(so.shopify_risk_held)

    def test_unreadable_risk_holds_and_the_reconcile_decides_later(self):
        # Shopify does not answer the risk read: the import needs no API, it holds.
        self.shops[0].inject("http500", 1)
        _payload, so = self._order([{"sku": "INV-1", "quantity": 1}])
        self.assertEqual(so.state, "draft")
        self.assertTrue(so.shopify_risk_held)
        self.assertIn("could not be read", so.shopify_attention_reason)
        self.stores[0]._shopify_reconcile_orders(
            since=fields.Datetime.now() - timedelta(hours=1)
        )
        self.env.invalidate_all()
        self.assertEqual(so.state, "sale", "low risk once read: confirmed")
        self.assertFalse(so.shopify_risk_held)
        self.assertEqual(so.shopify_risk_level, "low")

    def test_an_edit_of_a_held_quotation_rebuilds_it(self):
        payload, so = self._order([{"sku": "INV-1", "quantity": 3}], risk="HIGH")
        self.assertEqual(so.state, "draft")
        body = self.shops[0].edit_order(
            payload["id"], set_quantities={payload["line_items"][0]["id"]: 1}
        )
        self._deliver("orders/edited", body)
        self.assertEqual(so.state, "draft", "still high risk: still held")
        self.assertTrue(so.shopify_risk_held)
        self.assertEqual(self._line(so, "INV-1").product_uom_qty, 1)
        self._push()
        self.assertEqual([self._shown(n, "INV-1") for n in (1, 2)], [9, 9])

    def test_a_confirmed_order_rated_high_later_is_flagged_not_unconfirmed(self):
        payload, so = self._order([{"sku": "INV-1", "quantity": 1}])
        self.assertEqual(so.state, "sale")
        verdict = self.shops[0].assess_risk(
            payload["id"], "HIGH", provider="Fraud app", facts=[("Proxy", "negative")]
        )
        self._deliver("orders/risk_assessment_changed", verdict)
        self.assertEqual(so.state, "sale")
        self.assertEqual(so.shopify_risk_level, "high")
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("Proxy", so.shopify_attention_reason)
