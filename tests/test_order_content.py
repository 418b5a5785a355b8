"""Every kind of order content is a line of its own (issue 17.1): tips, duties, gift
cards sold, gift cards redeemed (a payment, not a discount), shipping discounts,
line and order discounts, rounding; each on the product the store names, created on
first use when allowed, and the sale order totals Shopify's `total_price` exactly,
whether the order came by webhook (REST) or was read through GraphQL."""

import copy
from datetime import timedelta
from decimal import Decimal

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .order_common import SKUS, OrderCommon, fixture

NJ = [{"title": "NJ State Tax", "rate": "0.06625"}]
MUTE = "odoo.addons.shopify_sync.models.shopify_sync_log"


@tagged("post_install", "-at_install")
class TestOrderContent(OrderCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.store, cls.shop = cls._create_emulated_store(
            cls.emulator,
            "order-content",
            warehouse_id=cls.warehouse.id,
            state="connected",
            order_confirm_policy="never",
            invoice_policy="never",
        )
        cls.shop.currency = "USD"
        cls.shop.add_location("Main")
        for sku in SKUS:
            cls.shop.add_product("Product %s" % sku, [{"sku": sku}])
        cls.liability = cls.env["account.account"].create(
            {
                "name": "Gift cards outstanding",
                "code": "GIFT17",
                "account_type": "liability_current",
                "company_id": cls.company.id,
            }
        )

    def _lines(self, so, prefix):
        return so.order_line.filtered(
            lambda sol: (sol.shopify_line_id or "").startswith(prefix)
        )

    def _assert_total(self, so, payload):
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertAlmostEqual(so.amount_total, float(payload["total_price"]), 2)

    def test_tip_is_an_untaxed_line_of_the_tip_product(self):
        payload = self.shop.place_order(
            [{"sku": "TEE-BLK-M", "quantity": 2, "price": "20.00"}],
            taxes=NJ,
            tip="3.50",
        )
        self.assertEqual(payload["total_tip_received"], "3.50")
        so, _outcome = self._import(payload)
        self._assert_total(so, payload)
        tip = self._lines(so, "tip")
        self.assertEqual(tip.product_id.default_code, "SHOPIFY-TIP")
        self.assertEqual(tip.product_id.type, "service")
        self.assertAlmostEqual(tip.price_subtotal, 3.50)
        self.assertFalse(tip.tax_id)
        # Created once per company: the next order's tip uses the same product.
        so2, _outcome = self._import(
            self.shop.place_order(
                [{"sku": "TOTE-NAT", "quantity": 1, "price": "9.00"}], tip="1.00"
            )
        )
        self.assertEqual(self._lines(so2, "tip").product_id, tip.product_id)

    def test_line_duties_are_lines_of_the_duty_product(self):
        payload = self.shop.place_order(
            [
                {"sku": "JKT-DWN-L", "quantity": 1, "price": "180.00", "duty": "14.40"},
                {"sku": "MUG-ENAMEL", "quantity": 3, "price": "12.00", "duty": "2.88"},
            ],
            shipping={"price": "9.99"},
        )
        self.assertEqual(
            payload["original_total_duties_set"]["shop_money"]["amount"], "17.28"
        )
        so, _outcome = self._import(payload)
        self._assert_total(so, payload)
        duties = self._lines(so, "duty:")
        self.assertEqual(len(duties), 2)
        self.assertEqual(
            set(duties.product_id.mapped("default_code")), {"SHOPIFY-DUTY"}
        )
        self.assertEqual(sorted(duties.mapped("price_subtotal")), [2.88, 14.40])
        self.assertIn("Duty on", duties[0].name)

    def test_gift_card_sold_is_a_liability_service_never_stock(self):
        spec = [
            {"sku": "SOCK-3PK", "quantity": 1, "price": "8.00"},
            {"title": "Gift card", "quantity": 2, "price": "25.00", "gift_card": True},
        ]
        payload = self.shop.place_order(
            spec, taxes=NJ, discounts=[{"type": "percentage", "value": "10"}]
        )
        with mute_logger(MUTE):
            so, _outcome = self._import(payload)
        # No liability account chosen: never booked as income, the order waits.
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("gift card", so.shopify_attention_reason)
        self.store.gift_card_account_id = self.liability
        so, _outcome = self._import(self.shop.place_order(spec, taxes=NJ))
        self._assert_total(so, self.shop.orders[int(so.shopify_order_id)])
        card = so.order_line.filtered(
            lambda sol: sol.product_id.name == "Shopify gift card"
        )
        self.assertEqual(card.product_uom_qty, 2)
        self.assertAlmostEqual(card.price_subtotal, 50.0)
        self.assertFalse(card.tax_id, "Shopify charges no tax on a gift card sold")
        product = card.product_id.with_company(self.company)
        self.assertEqual(product.type, "service")
        self.assertEqual(product.property_account_income_id, self.liability)
        self.assertFalse(
            self.env["shopify.product.mapping"].search(
                [("product_id", "=", product.id)]
            )
        )
        self.assertNotIn(product, so.picking_ids.move_ids.product_id)

    def test_gift_card_redeemed_is_a_payment_not_a_discount(self):
        payload = self.shop.place_order(
            [{"sku": "LAMP-DESK", "quantity": 1, "price": "60.00"}],
            taxes=NJ,
            gateway="gift_card",
        )
        self.assertEqual(payload["payment_gateway_names"], ["gift_card"])
        so, _outcome = self._import(payload)
        self._assert_total(so, payload)
        self.assertFalse(self._lines(so, "discount:"))
        self.assertFalse(any(so.order_line.mapped("discount")))
        self.assertAlmostEqual(so.amount_total, 63.98)

    def test_shipping_discount_percentage_or_line_of_its_own(self):
        free = self.shop.place_order(
            [{"sku": "BULB-E27", "quantity": 4, "price": "3.25"}],
            shipping={"price": "9.99"},
            taxes=NJ,
            discounts=[
                {"type": "percentage", "value": "100", "target": "shipping_line"}
            ],
        )
        so, _outcome = self._import(free)
        self._assert_total(so, free)
        ship = self._lines(so, "shipping:")
        self.assertAlmostEqual(ship.discount, 100.0)
        self.assertFalse(self._lines(so, "shipping_discount:"))
        freight = self.shop.place_order(
            [{"sku": "JKT-DWN-L", "quantity": 1, "price": "99.00"}],
            shipping={"price": "249.00", "title": "Freight"},
            taxes=NJ,
            discounts=[
                {"type": "fixed_amount", "value": "33.33", "target": "shipping_line"}
            ],
        )
        so, _outcome = self._import(freight)
        self._assert_total(so, freight)
        discount = self._lines(so, "shipping_discount:")
        self.assertEqual(discount.product_id.default_code, "SHOPIFY-SHIP-DISCOUNT")
        self.assertAlmostEqual(discount.price_unit, -33.33)
        self.assertEqual(discount.tax_id, self._lines(so, "shipping:").tax_id)

    def test_order_discount_odoo_cannot_carry_as_a_percentage_is_a_line(self):
        payload = self.shop.place_order(
            [
                {"sku": "JKT-DWN-L", "quantity": 1, "price": "399.95"},
                {"sku": "TOQUE-RED", "quantity": 1, "price": "19.99"},
            ],
            taxes=NJ,
            discounts=[{"type": "fixed_amount", "value": "15.55", "code": "ODD"}],
        )
        so, _outcome = self._import(payload)
        self._assert_total(so, payload)
        jacket = self._lines(so, str(payload["line_items"][0]["id"]))
        self.assertEqual(jacket.discount, 0.0)
        discount = self._lines(so, "discount:")
        self.assertEqual(discount.product_id.default_code, "SHOPIFY-DISCOUNT")
        self.assertIn("ODD", discount.name)
        allocated = Decimal(
            payload["line_items"][0]["discount_allocations"][0]["amount"]
        )
        self.assertAlmostEqual(discount.price_unit, -float(allocated))
        self.assertEqual(discount.tax_id, jacket.tax_id)
        # The small line's percentage reproduces its net: kept on the line.
        toque = self._lines(so, str(payload["line_items"][1]["id"]))
        self.assertTrue(toque.discount)

    def test_tax_rounding_is_a_bounded_rounding_line(self):
        data = fixture("order_us_taxes_excluded.json")
        cent = copy.deepcopy(data)
        tax = cent["line_items"][0]["tax_lines"][0]
        for key in ("price",):
            tax[key] = str(Decimal(tax[key]) + Decimal("0.01"))
        tax.get("price_set", {}).get("shop_money", {})["amount"] = tax["price"]
        cent["total_price"] = str(Decimal(cent["total_price"]) + Decimal("0.01"))
        cent["total_price_set"]["shop_money"]["amount"] = cent["total_price"]
        so, _outcome = self._import(cent)
        self._assert_total(so, cent)
        rounding = self._lines(so, "rounding")
        self.assertAlmostEqual(rounding.price_unit, 0.01)
        self.assertEqual(rounding.product_id.default_code, "SHOPIFY-ROUNDING")
        self.assertFalse(rounding.tax_id)
        # More than one cent per (line, tax): a real difference, flagged.
        far = copy.deepcopy(data)
        far["id"] = far["id"] + 1
        far["admin_graphql_api_id"] = "gid://shopify/Order/%s" % far["id"]
        far["total_price"] = str(Decimal(far["total_price"]) + Decimal("1.00"))
        far["total_price_set"]["shop_money"]["amount"] = far["total_price"]
        with mute_logger(MUTE):
            so, _outcome = self._import(far)
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("differs from Shopify", so.shopify_attention_reason)
        self.assertFalse(self._lines(so, "rounding"))

    def test_no_product_and_no_creation_needs_attention(self):
        store = self._create_store(
            name="No creation",
            content_product_create=False,
            warehouse_id=self.warehouse.id,
        )
        self.env["product.product"].search(
            [("default_code", "=", "SHOPIFY-TIP")]
        ).default_code = "OLD-TIP"
        payload = self.shop.place_order(
            [{"sku": "TEE-BLK-M", "quantity": 1, "price": "20.00"}], tip="2.00"
        )
        with mute_logger(MUTE):
            so, _outcome = self._import(payload, store=store)
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("No tip product on the store.", so.shopify_attention_reason)
        chosen = self._create_product("MY-TIP", detailed_type="service")
        store.tip_product_id = chosen
        payload = self.shop.place_order(
            [{"sku": "TEE-BLK-M", "quantity": 1, "price": "20.00"}], tip="2.00"
        )
        so, _outcome = self._import(payload, store=store)
        self._assert_total(so, payload)
        self.assertEqual(self._lines(so, "tip").product_id, chosen)

    def test_content_read_through_graphql_gives_the_same_lines(self):
        self.store.gift_card_account_id = self.liability
        payload = self.shop.place_order(
            [
                {"sku": "TEE-BLK-M", "quantity": 3, "price": "44.95", "duty": "6.75"},
                {
                    "title": "Gift card",
                    "quantity": 1,
                    "price": "30.00",
                    "gift_card": True,
                },
            ],
            taxes=NJ,
            tip="5.00",
            shipping={"price": "12.00"},
            discounts=[{"type": "percentage", "value": "12.5", "code": "EIGHTH"}],
        )
        since = fields.Datetime.now() - timedelta(hours=1)
        stats = self.store._shopify_reconcile_orders(since=since)
        self.assertEqual(stats["errors"], 0, stats)
        so = self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )
        self._assert_total(so, payload)
        self.assertAlmostEqual(self._lines(so, "tip").price_subtotal, 5.0)
        duty = self._lines(so, "duty:")
        self.assertEqual(
            duty.mapped("shopify_line_id"),
            [
                "duty:gid://shopify/Duty/%s"
                % (self.shop.orders[payload["id"]]["line_items"][0]["duties"][0]["id"])
            ],
        )
        self.assertAlmostEqual(duty.price_subtotal, 6.75)
        card = so.order_line.filtered(
            lambda sol: sol.product_id.name == "Shopify gift card"
        )
        self.assertAlmostEqual(card.price_subtotal, 30.0)
