"""Shopper data is untrusted (issue 14): an order's email never attaches it to an
employee's or a company's partner, its note stays plain text, and salesmen without
inventory or Shopify rights work on imported orders."""

import time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .order_common import OrderCommon, fixture

EMAIL = "jane.doe@example.com"  # the fixture's customer, in any case and spacing
HOSTILE_NOTE = (
    '<img src="https://evil.example/pixel.png" onerror="alert(1)">'
    '<a href="https://evil.example/phish">Track your parcel</a>\n'
    "<script>alert(2)</script> https://evil.example/raw"
)


@tagged("post_install", "-at_install")
class TestShopperData(OrderCommon):
    def _order(self, **changes):
        payload = fixture("order_us_taxes_excluded.json")
        payload.update(changes)
        return payload

    def _internal_warnings(self):
        return (
            self.env["shopify.sync.log"]
            .sudo()
            .search_count(
                [("store_id", "=", self.store.id), ("operation", "=", "order:customer")]
            )
        )

    def test_employee_email_never_reuses_the_employee_partner(self):
        employee = self._create_user("shopper_employee", "base.group_user")
        employee.partner_id.email = EMAIL
        children_before = employee.partner_id.child_ids
        so, _outcome = self._import(self._order())
        self.assertNotEqual(so.partner_id, employee.partner_id)
        self.assertEqual(so.partner_id.email_normalized, EMAIL)
        self.assertEqual(
            employee.partner_id.child_ids,
            children_before,
            "the shopper's addresses are not the employee's contacts",
        )
        self.assertIn(so.partner_shipping_id, so.partner_id.child_ids | so.partner_id)
        self.assertEqual(self._internal_warnings(), 1, "the case is logged")

    def test_company_email_never_reuses_the_company_partner(self):
        self.company.partner_id.email = EMAIL
        so, _outcome = self._import(self._order())
        self.assertNotEqual(so.partner_id, self.company.partner_id)
        self.assertEqual(self._internal_warnings(), 1)

    def test_archived_portal_user_partner_is_internal_too(self):
        portal = self._create_user("shopper_portal", "base.group_portal")
        portal.partner_id.email = EMAIL
        portal.active = False
        so, _outcome = self._import(self._order())
        self.assertNotEqual(so.partner_id, portal.partner_id)

    def test_customer_partner_with_the_email_is_reused(self):
        customer = self.env["res.partner"].create({"name": "Jane", "email": EMAIL})
        so, _outcome = self._import(self._order())
        self.assertEqual(so.partner_id, customer)
        self.assertEqual(self._internal_warnings(), 0)

    def test_order_note_is_plain_text(self):
        so, _outcome = self._import(self._order(note=HOSTILE_NOTE))
        html = str(so.note)
        for tag in ("<img", "<a ", "<script", "<a>"):
            self.assertNotIn(tag, html)
        self.assertIn("&lt;img src=", html)
        self.assertIn("https://evil.example/raw", html, "the text itself is kept")
        self.assertIn("<br>", html, "line breaks kept")

    def test_salesman_without_inventory_rights_opens_confirms_delivers(self):
        salesman = self._create_user(
            "shopper_salesman", "sales_team.group_sale_salesman"
        )
        self.assertFalse(salesman.has_group("shopify_sync.group_shopify_user"))
        self.assertFalse(salesman.has_group("stock.group_stock_user"))
        self.store.order_confirm_policy = "never"
        so, _outcome = self._import(self._order())
        self.assertEqual(so.state, "draft")
        so = so.with_user(salesman)
        # What the form loads: every field of the Shopify page, the store's name.
        data = so.web_read(
            {
                "shopify_admin_url": {},
                "shopify_order_name": {},
                "shopify_store_id": {"fields": {"display_name": {}}},
                "shopify_needs_attention": {},
                "note": {},
            }
        )[0]
        self.assertEqual(
            data["shopify_admin_url"],
            "https://%s/admin/orders/%s"
            % (self.store.shop_domain, so.shopify_order_id),
        )
        self.assertEqual(data["shopify_store_id"]["display_name"], self.store.name)
        so.action_confirm()
        self.assertEqual(so.state, "sale")
        picking = so.picking_ids.with_user(salesman)
        self.assertTrue(picking)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(
            so.read(["shopify_admin_url"])[0]["shopify_admin_url"],
            data["shopify_admin_url"],
        )

    def test_retry_import_checks_the_order_and_is_short(self):
        emulator = self._start_emulator()
        store, shop = self._create_emulated_store(
            emulator, "shopper-retry", warehouse_id=self.warehouse.id
        )
        so, _outcome = self._import(self._order(), store=store)
        other = self.env["res.company"].create({"name": "Other shopper company"})
        outsider = self._create_user(
            "shopper_outsider", "sales_team.group_sale_salesman", company=other
        )
        with self.assertRaises(AccessError):
            so.with_user(outsider).action_shopify_retry_import()
        salesman = self._create_user(
            "shopper_retry_salesman", "sales_team.group_sale_salesman"
        )
        shop.inject("http503", count=1000)
        self.addCleanup(shop.faults.clear)
        started = time.monotonic()
        with (
            self.assertRaisesRegex(UserError, "could not be asked"),
            self.assertLogs("odoo.addons.shopify_sync.lib.client", "WARNING") as logs,
        ):
            so.with_user(salesman).action_shopify_retry_import()
        self.assertTrue(all("HTTP 503" in line for line in logs.output))
        self.assertLess(time.monotonic() - started, 10, "a button never waits long")
