"""Realistic Shopify payloads become correct sale orders (lines, taxes, totals,
partners, currencies, policies)."""

from odoo.tests import tagged
from odoo.tools import mute_logger

from .order_common import OrderCommon, fixture


@tagged("post_install", "-at_install")
class TestOrderImport(OrderCommon):
    def _product_lines(self, so):
        return so.order_line.filtered(lambda sol: sol.product_id.type == "product")

    def test_us_taxes_excluded_discounts_shipping(self):
        so, outcome = self._import(fixture("order_us_taxes_excluded.json"))
        self.assertEqual(outcome, "created")
        self.assertEqual(so.client_order_ref, "#1001")
        self.assertEqual(so.shopify_store_id, self.store)
        self.assertEqual(so.shopify_order_gid, "gid://shopify/Order/5890123456001")
        self.assertEqual(so.shopify_order_id, "5890123456001")
        self.assertEqual(so.currency_id.name, "USD")
        self.assertEqual(so.warehouse_id, self.warehouse)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertEqual(so.state, "sale", "paid + paid_or_authorized confirms")
        lines = {sol.product_id.default_code: sol for sol in self._product_lines(so)}
        self.assertEqual(set(lines), {"TEE-BLK-M", "SOCK-3PK", "MUG-ENAMEL"})
        self.assertEqual(lines["TEE-BLK-M"].product_uom_qty, 2)
        self.assertAlmostEqual(lines["TEE-BLK-M"].price_unit, 24.99)
        self.assertAlmostEqual(lines["TEE-BLK-M"].discount, 10.0)
        self.assertAlmostEqual(lines["SOCK-3PK"].discount, 23.5)
        self.assertEqual(lines["MUG-ENAMEL"].tax_id, self.taxes[(6.625, False)])
        shipping = so.order_line - self._product_lines(so)
        self.assertEqual(shipping.product_id.type, "service")
        self.assertEqual(shipping.name, "Standard Shipping")
        self.assertAlmostEqual(shipping.price_unit, 9.99)
        self.assertAlmostEqual(so.amount_total, 226.93, places=2)
        # Shopify's committed units are reserved in the store's warehouse.
        self.assertEqual(so.picking_ids.picking_type_id.warehouse_id, self.warehouse)
        self.assertEqual(so.picking_ids.state, "assigned")
        log = self.env["shopify.sync.log"].search(
            [("operation", "=", "order:import"), ("res_id", "=", so.id)]
        )
        self.assertEqual(log.state, "success")
        self.assertEqual(log.res_model, "sale.order")
        self.assertTrue(
            log.message.startswith(
                "Imported order #1001 from Main store as %s — " % so.name
            ),
            log.message,
        )
        # customer + addresses
        self.assertEqual(so.partner_id.email, "jane.doe@example.com")
        self.assertEqual(so.partner_shipping_id.parent_id, so.partner_id)
        self.assertTrue(so.partner_shipping_id.country_id)

    def test_eu_vat_included_other_currency(self):
        so, _outcome = self._import(fixture("order_eu_vat_included.json"))
        self.assertEqual(so.currency_id.name, "EUR")
        self.assertTrue(so.currency_id.active)
        self.assertEqual(so.pricelist_id.currency_id.name, "EUR")
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertEqual(so.state, "sale", "authorized + paid_or_authorized confirms")
        self.assertAlmostEqual(so.amount_total, 74.20, places=2)
        self.assertAlmostEqual(so.amount_tax, 12.37, places=2)
        self.assertEqual(so.partner_shipping_id.country_id.code, "FR")
        self.assertEqual(set(so.order_line.tax_id.ids), {self.taxes[(20.0, True)].id})

    def test_two_taxes_per_line_cad(self):
        so, _outcome = self._import(fixture("order_ca_cad_presentment_usd.json"))
        self.assertEqual(so.currency_id.name, "CAD", "shop money, not presentment")
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertAlmostEqual(so.amount_total, 351.81, places=2)
        jacket = so.order_line.filtered(
            lambda sol: sol.product_id.default_code == "JKT-DWN-L"
        )
        self.assertEqual(len(jacket.tax_id), 2)

    @mute_logger("odoo.addons.shopify_sync.models.shopify_sync_log")
    def test_guest_checkout_missing_sku_holds(self):
        self.assertFalse(self.store.guest_partner_id)
        so, _outcome = self._import(fixture("order_guest_missing_sku.json"))
        self.assertTrue(self.store.guest_partner_id, "a guest partner is created")
        self.assertEqual(so.partner_id, self.store.guest_partner_id)
        self.assertEqual(so.partner_shipping_id.country_id.code, "NL")
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("Gift wrapping", so.shopify_attention_reason)
        self.assertIn("Sticker pack", so.shopify_attention_reason)
        self.assertEqual(so.state, "draft", "held, not confirmed")
        # The known line is there and holds its stock as a draft.
        self.assertEqual(self._product_lines(so).product_id, self.products["TEE-BLK-M"])
        # A second guest order reuses the same guest partner.
        other = fixture("order_guest_missing_sku.json")
        other.update(id=5890123499004, admin_graphql_api_id=None, name="#1104")
        so2, _outcome = self._import(other)
        self.assertEqual(so2.partner_id, so.partner_id)

    @mute_logger("odoo.addons.shopify_sync.models.shopify_sync_log")
    def test_unknown_tax_waits_then_created_when_allowed(self):
        payload = fixture("order_unknown_tax_rate.json")
        so, _outcome = self._import(payload)
        self.assertTrue(so.shopify_needs_attention)
        self.assertIn("8.875% (excluded, US)", so.shopify_attention_reason)
        self.assertEqual(so.state, "draft")
        self.store.allow_tax_creation = True
        so2, outcome = self._import(payload)
        self.assertEqual((so2, outcome), (so, "updated"), "same order, rebuilt")
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertEqual(so.state, "sale", "partially_paid counts as authorized")
        self.assertAlmostEqual(so.amount_total, 114.27, places=2)
        tax = so.order_line.tax_id
        self.assertEqual(len(tax), 1)
        self.assertAlmostEqual(tax.amount, 8.875)
        self.assertFalse(tax.price_include)

    def test_unknown_sku_create_policy(self):
        self.store.unknown_line_policy = "create"
        payload = fixture("order_us_taxes_excluded.json")
        payload["line_items"][0]["sku"] = "BRAND-NEW-1"
        payload["line_items"][0]["variant_id"] = 999999
        so, _outcome = self._import(payload)
        created = self.env["product.product"].search(
            [("default_code", "=", "BRAND-NEW-1")]
        )
        self.assertEqual(created.type, "product")
        self.assertIn(created, so.order_line.product_id)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)

    def test_mapping_by_variant_before_sku(self):
        """The store's mapping by variant GID wins over a product with the SKU."""
        mapped = self._create_product("OTHER-CODE")
        self.env["shopify.product.mapping"].create(
            {
                "store_id": self.store.id,
                "product_id": mapped.id,
                "sku": "OTHER-CODE",
                "variant_gid": "gid://shopify/ProductVariant/45123456780013",
                "state": "mapped",
            }
        )
        so, _outcome = self._import(fixture("order_us_taxes_excluded.json"))
        self.assertIn(mapped, so.order_line.product_id)
        self.assertNotIn(self.products["MUG-ENAMEL"], so.order_line.product_id)

    def test_customer_matching(self):
        by_name = self.env["res.partner"].create(
            {"name": "Jane Doe", "email": "someone.else@example.com"}
        )
        so1, _o = self._import(fixture("order_us_taxes_excluded.json"))
        self.assertNotEqual(so1.partner_id, by_name, "never matched by name")
        binding = self.env["shopify.customer.binding"].search(
            [("store_id", "=", self.store.id)]
        )
        self.assertEqual(binding.partner_id, so1.partner_id)
        # Same customer id, new email: still the same partner (bound by id).
        again = fixture("order_us_taxes_excluded.json")
        again.update(id=5890123499001, admin_graphql_api_id=None, name="#1201")
        again["email"] = again["contact_email"] = "jane.new@example.com"
        so2, _o = self._import(again)
        self.assertEqual(so2.partner_id, so1.partner_id)
        # Another store, another customer id, same email (any case): same partner.
        store_b = self._create_store(name="Store B")
        other = fixture("order_us_taxes_excluded.json")
        other["customer"]["id"] = 42
        other["customer"]["admin_graphql_api_id"] = "gid://shopify/Customer/42"
        other["email"] = other["contact_email"] = " JANE.DOE@Example.com "
        so3, _o = self._import(other, store=store_b)
        self.assertEqual(so3.partner_id, so1.partner_id)
        self.assertEqual(so3.shopify_store_id, store_b)
        self.assertEqual(len(self._orders(store_b)), 1)

    def test_confirmation_policies(self):
        payload = fixture("order_eu_vat_included.json")  # authorized
        self.store.order_confirm_policy = "paid"
        so, _o = self._import(payload)
        self.assertEqual(so.state, "draft", "authorized is not paid")
        paid = dict(
            payload, financial_status="paid", updated_at="2026-11-27T16:30:00+01:00"
        )
        self._import(paid)
        self.assertEqual(so.state, "sale", "orders/paid confirms")
        self.assertEqual(so.shopify_financial_status, "paid")
        self.store.order_confirm_policy = "never"
        other = dict(paid, id=5890123499002, admin_graphql_api_id=None, name="#1302")
        so2, _o = self._import(other)
        self.assertEqual(so2.state, "draft")
