"""An order too big for one query, read through GraphQL by the reconcile and imported
whole: lib/order_read.py pages its lines, so the total check passes.

Its own emulator: the orders placed here must not reach other classes' stock checks."""

from datetime import timedelta
from decimal import Decimal

from odoo import fields
from odoo.tests import tagged

from .common import ShopifyCommon


@tagged("post_install", "-at_install")
class TestOrderReadPages(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        domain = "order-read-pages.myshopify.com"
        # Shopify Plus rates (1000 points/s): the read spends ~2,500 actual points,
        # beyond a Standard bucket (2,000 at 100/s): the client would pace for seconds.
        cls.shop = cls.emulator.add_shop(
            domain,
            client_id="cid-read",
            client_secret="csecret-read",
            bucket=10000,
            restore_rate=1000,
        )
        cls.store = cls._create_store(
            shop_domain=domain,
            client_id="cid-read",
            client_secret="csecret-read",
            api_base_url_override=cls.shop.base_url,
            warehouse_id=cls.warehouse.id,
            state="connected",
        )
        cls.location = cls.shop.add_location("Main")
        for sku in ("READ-1", "READ-2"):
            cls._create_product(sku)
            cls.shop.add_product("Product %s" % sku, [{"sku": sku}])
        cls.store._shopify_fetch_locations()
        cls.store._shopify_match_products()

    def test_order_of_250_lines_is_imported_whole_with_the_right_total(self):
        prices = [Decimal("1.00") + Decimal(n % 37) / 100 for n in range(250)]
        payload = self.shop.place_order(
            [
                {"sku": ("READ-1", "READ-2")[n % 2], "quantity": 1, "price": str(p)}
                for n, p in enumerate(prices)
            ],
            location=self.location,
            financial_status="pending",
        )
        self.assertEqual(Decimal(payload["total_price"]), sum(prices))
        calls = self.shop.stats["calls"]
        # What is counted is the order read: no invoice, so no transactions read.
        self.store.invoice_policy = "never"
        since = fields.Datetime.now() - timedelta(hours=1)
        stats = self.store._shopify_reconcile_orders(since=since)
        self.assertEqual((stats["imported"], stats["errors"]), (1, 0), stats)
        # OrdersUpdatedSince, OrderForImport (8 lines), 5 OrderLineItemsPage (50 each);
        # no OrderRisk: a pending order is not confirmed, its risk is read when paid
        self.assertEqual(self.shop.stats["calls"] - calls, 1 + 1 + 5)
        so = self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )
        self.assertEqual(len(so), 1)
        lines = so.order_line.filtered("product_id")
        self.assertEqual(len(lines), 250)
        self.assertEqual(sum(lines.mapped("product_uom_qty")), 250)
        self.assertAlmostEqual(so.amount_total, float(sum(prices)), places=2)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)

    def test_250_lines_20_refunds_20_fulfilments_imported_whole(self):
        """Issue 17.2: refunds and fulfilments beyond their first page of lines are
        read to the end (20 of each, 12 lines each), the order total is right and every
        refund is applied once. A shop of its own: the other test counts the calls
        of its reconcile."""
        domain = "order-read-big.myshopify.com"
        shop = self.emulator.add_shop(
            domain,
            client_id="cid-big",
            client_secret="csecret-big",
            bucket=10000,
            restore_rate=1000,
        )
        store = self._create_store(
            shop_domain=domain,
            client_id="cid-big",
            client_secret="csecret-big",
            api_base_url_override=shop.base_url,
            warehouse_id=self.warehouse.id,
            state="connected",
        )
        location = shop.add_location("Main")
        for sku in ("READ-1", "READ-2"):
            shop.add_product("Product %s" % sku, [{"sku": sku}])
        self.shop, self.store, self.location = shop, store, location
        payload = self.shop.place_order(
            [
                {"sku": ("READ-1", "READ-2")[n % 2], "quantity": 1, "price": "2.25"}
                for n in range(250)
            ],
            location=self.location,
            financial_status="paid",
        )
        oid = payload["id"]
        ids = [line["id"] for line in payload["line_items"]]
        for k in range(20):
            chunk = [
                {"line_item_id": i, "quantity": 1} for i in ids[k * 12 : k * 12 + 12]
            ]
            self.shop.fulfill_order(oid, lines=chunk)
            self.shop.refund(oid, lines=chunk, restock=False)
        truth = self.shop.orders[oid]
        self.assertEqual((len(truth["refunds"]), len(truth["fulfillments"])), (20, 20))
        self.store.write({"invoice_policy": "never", "order_confirm_policy": "never"})
        calls = self.shop.stats["calls"]
        since = fields.Datetime.now() - timedelta(hours=1)
        stats = self.store._shopify_reconcile_orders(since=since)
        self.assertEqual(stats["errors"], 0, stats)
        # OrdersUpdatedSince, OrderForImport, 5 line pages, one more page of lines for
        # each refund and each fulfilment (12 lines, first page 5).
        self.assertEqual(self.shop.stats["calls"] - calls, 1 + 1 + 5 + 20 + 20)
        so = self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )
        self.assertEqual(len(so.order_line.filtered("product_id")), 250)
        self.assertAlmostEqual(so.amount_total, 562.50, places=2)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertEqual(len(so._shopify_applied_refunds()), 20)
