"""Shared set-up of the money tests (invoices, payments, refunds): an emulated store
with products, taxes and journals, and helpers to deliver webhooks and check books."""

import json
import uuid

from odoo import Command

from .common import ShopifyCommon
from .inventory_common import CLIENT_OPTIONS

LOG = "odoo.addons.shopify_sync.models.shopify_sync_log"


class MoneyCommon(ShopifyCommon):
    """An emulated, connected store with TEE / MUG, two taxes and two journals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                tracking_disable=True,
                shopify_client_defaults=CLIENT_OPTIONS,
            )
        )
        cls.emulator = cls._start_emulator()
        cls.store, cls.shop = cls._create_emulated_store(
            cls.emulator,
            "money-%s" % uuid.uuid4().hex[:8],
            state="connected",
            warehouse_id=cls.warehouse.id,
        )
        cls.shop.add_location("Main")
        for sku, price in (("TEE", "24.99"), ("MUG", "12.35")):
            cls.shop.add_product(sku, [{"sku": sku, "price": price}])
            product = cls._create_product(
                sku, list_price=1.0, taxes_id=[Command.clear()]
            )
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.warehouse.lot_stock_id, 50
            )
        for percent, included in ((20.0, True), (6.625, False), (13.0, False)):
            cls.env["account.tax"].create(
                {
                    "name": "Money %s%%" % percent,
                    "amount": percent,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "price_include": included,
                    "company_id": cls.company.id,
                }
            )
        Journal = cls.env["account.journal"]
        cls.bank = Journal.create(
            {"name": "Shopify Payments", "code": "SHPAY", "type": "bank"}
        )
        cls.cash = Journal.create({"name": "Manual", "code": "SHMAN", "type": "cash"})

    def setUp(self):
        super().setUp()
        # Each test starts with the shop's full bucket (Standard limits), as after a
        # pause: the tests share one shop and would otherwise throttle each other.
        self._refill_bucket(self.shop)

    # ------------------------------------------------------------------ helpers
    def _map(self, name, journal):
        Gateway = self.env["shopify.payment.gateway"]
        gateway = Gateway.search(
            [("store_id", "=", self.store.id), ("name", "=", name)]
        ) or Gateway.create({"store_id": self.store.id, "name": name})
        gateway.journal_id = journal
        return gateway

    def _deliver(self, payload, topic):
        # A delivery meets the shop's full bucket, as the inbox's retry would after
        # a pause: a test's earlier reads (a reconcile reads every order the shared
        # shop has) must not decide whether this one is throttled.
        self._refill_bucket(self.shop)
        event = self.env["shopify.webhook.event"]._shopify_store_delivery(
            self.store, topic, str(uuid.uuid4()), json.dumps(payload), payload
        )
        self.env["shopify.webhook.event"]._cron_process_webhook_events(limit=100)
        self.env.invalidate_all()
        self.assertEqual(event.state, "done", event.last_error)
        return self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )

    def _order(self, quantity=2, **kw):
        lines = [{"sku": "TEE", "quantity": quantity}, {"sku": "MUG", "quantity": 1}]
        return self.shop.place_order(lines, customer={"email": "m@example.com"}, **kw)

    def _paid_by_card(self, **order):
        """`self._order(**order)` paid through Shopify Payments (the bank journal),
        delivered as orders/paid: its sale order, needing no attention, invoiced and
        paid to the cent by one payment. Returns (sale order, payload)."""
        self._map("shopify_payments", self.bank)
        payload = self._order(**order)
        so = self._deliver(payload, "orders/paid")
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self._assert_paid(so, payload["total_price"], 1)
        return so, payload

    def _ship_and_tell_shopify(self, payload, picking):
        """Deliver `picking` in full in Odoo, fulfil the order in Shopify and deliver
        the orders/updated that follows: the sale order as it then is."""
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking._action_done()
        self.shop.fulfill_order(payload["id"])
        return self._deliver(self.shop.order_payload(payload["id"]), "orders/updated")

    def _invoice(self, so):
        return so.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")

    def _assert_paid(self, so, total, payments):
        invoice = self._invoice(so)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.currency_id, so.currency_id)
        self.assertEqual(
            invoice.currency_id.compare_amounts(invoice.amount_total, float(total)),
            0,
            "%s vs Shopify's %s" % (invoice.amount_total, total),
        )
        self.assertEqual(len(so.shopify_payment_ids), payments)
        self.assertEqual(set(so.shopify_payment_ids.mapped("state")), {"posted"})
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(invoice.amount_residual == 0)
        return invoice
