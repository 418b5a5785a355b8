"""An imported order's content as sale-order lines (issue 17.1).

`lib.order_content` decides the lines (products, gift cards sold, discounts Odoo
cannot carry as a percentage, shipping and its discounts, duties, additional fees,
the tip); here
each gets its Odoo product and taxes. After the lines are written, the cents Odoo's
per-line tax rounding leaves apart from Shopify's `total_price` — never more than one
per (line, tax) — become one "rounding" line, so the sale order totals Shopify's to
the cent with Odoo's default precisions, and the difference is visible, not silent.
"""

from decimal import Decimal

from odoo import Command, _, api, models

from ..lib import order_content
from ..lib.order_values import quantum, round_money

# kind -> (store field, internal reference of the company's default product)
CONTENT_PRODUCTS = {
    "tip": ("tip_product_id", "SHOPIFY-TIP"),
    "duty": ("duty_product_id", "SHOPIFY-DUTY"),
    "fee": ("fee_product_id", "SHOPIFY-FEE"),
    "gift_card": ("gift_card_product_id", "SHOPIFY-GIFT-CARD"),
    "discount": ("discount_product_id", "SHOPIFY-DISCOUNT"),
    "shipping_discount": ("shipping_discount_product_id", "SHOPIFY-SHIP-DISCOUNT"),
    "rounding": ("rounding_product_id", "SHOPIFY-ROUNDING"),
}


class ShopifyOrderImporter(models.AbstractModel):
    _inherit = "shopify.order.importer"

    @api.model
    def _shopify_content(self, order):
        digits = self.env["decimal.precision"].precision_get("Discount")
        return order_content.content_lines(order, discount_digits=digits)

    @api.model
    def _shopify_content_commands(self, store, order, content):
        """([Command.clear(), Command.create(...)...], [attention reasons])."""
        reasons = []
        commands = [Command.clear()]
        mapped = self._shopify_mapped_products(
            store,
            [line.source.variant_gid for line in content if line.kind == "product"],
        )
        for line in content:
            if line.kind == "product":
                vals, reason = self._shopify_line_vals(
                    store, order, line, mapped=mapped
                )
            else:
                vals, reason = self._shopify_content_vals(store, order, line)
            if reason:
                reasons.append(reason)
            if vals:
                commands.append(Command.create(vals))
        return commands, reasons

    @api.model
    def _shopify_content_vals(self, store, order, line):
        """Values of a non-catalogue line: gift card, discount, shipping, duty, fee,
        tip."""
        taxes, missing = self._shopify_taxes(store, order, line)
        if line.kind == "shipping":
            product = self.env.ref("shopify_sync.product_shopify_shipping")
        else:
            product = self._shopify_content_product(store, line.kind)
        if not product:
            return None, self._shopify_content_missing(line.kind)
        return {
            "product_id": product.id,
            "name": self._shopify_content_name(line, product),
            "product_uom_qty": line.quantity,
            "product_uom": product.uom_id.id,
            "price_unit": float(line.price_unit),
            "discount": float(line.discount),
            "tax_id": [Command.set(taxes.ids)],
            "shopify_line_id": line.key,
        }, missing

    @api.model
    def _shopify_content_name(self, line, product):
        source = line.source
        title = getattr(source, "title", None) or ""
        if line.kind == "gift_card":
            return title or product.name
        if line.kind == "discount":
            label = line.name or _("Discount")
            return _("%(label)s on %(line)s", label=label, line=title)
        if line.kind == "duty" and title:
            return _("Duty on %(line)s", line=title)
        return line.name or product.name

    @api.model
    def _shopify_content_missing(self, kind):
        if kind == "gift_card":
            return (
                "Gift card sold: choose the gift card product or its liability "
                "account on the store."
            )
        return "No %s product on the store." % kind.replace("_", " ")

    @api.model
    def _shopify_content_product(self, store, kind):
        """The store's product for a kind of content, else the company's default one
        (created on first use when the store allows it), else empty."""
        field, code = CONTENT_PRODUCTS[kind]
        product = store[field]
        if product:
            return product
        company = store.company_id
        Product = self.env["product.product"].sudo().with_company(company)
        product = Product.search(
            [("default_code", "=", code), ("company_id", "=", company.id)], limit=1
        )
        if product or not store.content_product_create:
            return product
        if kind == "gift_card" and not store.gift_card_account_id:
            return Product  # never book a gift card sold as income
        names = {
            "tip": _("Shopify tip"),
            "duty": _("Shopify duties"),
            "fee": _("Shopify additional fee"),
            "gift_card": _("Shopify gift card"),
            "discount": _("Shopify discount"),
            "shipping_discount": _("Shopify shipping discount"),
            "rounding": _("Shopify rounding"),
        }
        vals = {
            "name": names[kind],
            "default_code": code,
            "detailed_type": "service",
            "invoice_policy": "order",
            "sale_ok": True,
            "purchase_ok": False,
            "list_price": 0.0,
            "company_id": company.id,
            "taxes_id": [Command.clear()],
            "supplier_taxes_id": [Command.clear()],
        }
        if kind == "gift_card":
            vals["property_account_income_id"] = store.gift_card_account_id.id
        return Product.create(vals)

    @api.model
    def _shopify_book_rounding(self, so, store, order, content):
        """Book the residue of Odoo's per-line tax rounding as one rounding line,
        within `order_content.rounding_tolerance`; -> the reason when it cannot."""
        digits = order.currency_digits
        step = quantum(digits)
        residue = order.totals.total_price - round_money(
            Decimal(str(so.amount_total)), digits
        )
        if not residue:
            return None
        if abs(residue) > order_content.rounding_tolerance(content, step):
            return None  # a real difference: the total check reports it
        product = self._shopify_content_product(store, "rounding")
        if not product:
            return self._shopify_content_missing("rounding")
        so.write(
            {
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "name": _(
                                "Rounding difference with Shopify (taxes rounded "
                                "per line)"
                            ),
                            "product_uom_qty": 1,
                            "product_uom": product.uom_id.id,
                            "price_unit": float(residue),
                            "discount": 0.0,
                            "tax_id": [Command.clear()],
                            "shopify_line_id": "rounding",
                        }
                    )
                ]
            }
        )
        return None
