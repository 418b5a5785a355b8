"""End to end against the emulator: an order placed in store A reaches Odoo as a
webhook delivery, becomes one confirmed sale order, and the push shows the decrease in
stores B and C without decrementing A twice; cancelling gives everything back.

Built on the inventory fixture (3 stores sharing the main warehouse, INV-1 = 10)."""

import json
import uuid

from odoo.tests import tagged

from .inventory_common import InventoryCommon


@tagged("post_install", "-at_install")
class TestOrderE2E(InventoryCommon):
    def _process(self):
        self.env["shopify.webhook.event"]._cron_process_webhook_events(limit=100)
        self.env.invalidate_all()

    def _order_in_a(self, quantity, financial_status="paid"):
        store, shop = self.stores[0], self.shops[0]
        payload = shop.place_order(
            [{"sku": "INV-1", "quantity": quantity}],
            location=self.loc1[0],
            customer={"email": "e2e@example.com", "first_name": "E2E"},
            financial_status=financial_status,
        )
        event = self.env["shopify.webhook.event"]._shopify_store_delivery(
            store, "orders/create", str(uuid.uuid4()), json.dumps(payload), payload
        )
        self._process()
        self.assertEqual(event.state, "done", event.last_error)
        so = self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )
        self.assertEqual(len(so), 1)
        return payload, so

    def test_order_in_a_decrements_b_and_c_once(self):
        self.assertEqual(self._shown_everywhere("INV-1"), [10, 10, 10])
        payload, so = self._order_in_a(2)
        self.assertEqual(so.state, "sale")
        self.assertEqual(so.shopify_store_id, self.stores[0])
        self.assertEqual(so.warehouse_id, self.wh)
        self.assertEqual(so.picking_ids.state, "assigned", "reserved in the warehouse")
        self.assertEqual(self._shown(0, "INV-1"), 8, "Shopify A committed 2 itself")
        self._push()
        self.assertEqual(
            self._shown_everywhere("INV-1"),
            [8, 8, 8],
            "B and C decreased, A not decremented a second time",
        )
        # Cancel in A: Shopify restocks, Odoo cancels and releases, all back to 10.
        cancelled = self.shops[0].cancel_order(payload["id"])
        event = self.env["shopify.webhook.event"]._shopify_store_delivery(
            self.stores[0],
            "orders/cancelled",
            str(uuid.uuid4()),
            json.dumps(cancelled),
            cancelled,
        )
        self._process()
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(so.state, "cancel")
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [10, 10, 10])

    def test_unconfirmed_order_holds_its_stock(self):
        _payload, so = self._order_in_a(3, financial_status="pending")
        self.assertEqual(so.state, "draft", "pending payment: not confirmed")
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [7, 7, 7])
