"""The order importer's look-ups: a Shopify line's product (mapping by variant, SKU,
then default code; created when the store says so), its taxes (found or created) and the
order's currency and pricelist (activated or created once)."""

from odoo import Command, _, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..lib import order_edit_plan, payloads
from ..lib.errors import ShopifyBusy
from .shopify_store_health import side_cursor


class ShopifyOrderImporter(models.AbstractModel):
    _inherit = "shopify.order.importer"

    # ------------------------------------------------------------------ lines
    @api.model
    def _shopify_line_vals(self, store, order, content_line, mapped=None):
        """(sale.order.line values or None, attention reason or None) of a catalogue
        line (`lib.order_content.ContentLine` of kind "product"); `mapped`: see
        `_shopify_product`."""
        line = content_line.source
        taxes, missing = self._shopify_taxes(store, order, line)
        product = self._shopify_product(store, line, mapped=mapped)
        reason = None
        if not product:
            label = line.sku or line.title or line.variant_gid
            if line.sku and store.unknown_line_policy == "create":
                product = self._shopify_create_product(store, line)
            elif line.sku:
                reason = "Unknown SKU %s (%s)." % (line.sku, line.title or "")
            else:
                reason = "Line %r has no SKU and maps to no product." % label
        if missing:
            reason = ((reason + " ") if reason else "") + missing
        if not product:
            return None, reason
        name = line.title or product.display_name
        if line.variant_title:
            name = "%s - %s" % (name, line.variant_title)
        # What Shopify's order edits left of the line (its refunds are applied
        # after, by _shopify_apply_refunds); the baseline of later edits.
        edited = order_edit_plan.edited_quantity(
            line, order.refunded_quantities().get(line.line_id, 0)
        )
        return {
            "product_id": product.id,
            "name": name,
            "product_uom_qty": edited,
            "shopify_edit_qty": edited,
            "shopify_edit_known": True,
            "product_uom": product.uom_id.id,
            "price_unit": float(content_line.price_unit),
            "discount": float(content_line.discount),
            "tax_id": [Command.set(taxes.ids)],
            "shopify_line_id": content_line.key,
            "shopify_quantity": edited,
        }, reason

    @api.model
    def _shopify_mapped_products(self, store, variant_gids):
        """{variant GID: mapped product} of these variants in `store`, one query for
        an order's lines (a variant missing from it has no mapped product)."""
        gids = [gid for gid in dict.fromkeys(variant_gids) if gid]
        if not gids:
            return {}
        # search_fetch: the mappings' products in the same query as the search.
        mappings = (
            self.env["shopify.product.mapping"]
            .sudo()
            .search_fetch(
                [
                    ("store_id", "=", store.id),
                    ("variant_gid", "in", gids),
                    ("product_id", "!=", False),
                ],
                ["variant_gid", "product_id"],
            )
        )
        return {m.variant_gid: m.product_id for m in mappings}

    @api.model
    def _shopify_product(self, store, line, mapped=None):
        """Mapped product by variant GID, then SKU in this store, then default_code.
        `mapped`: `_shopify_mapped_products` of the order's variants, read once."""
        Mapping = self.env["shopify.product.mapping"].sudo()
        if mapped is not None:
            if line.variant_gid in mapped:
                return mapped[line.variant_gid]
        elif line.variant_gid:
            # search_fetch: the mapping's product in the same query as the search.
            mapping = Mapping.search_fetch(
                [
                    ("store_id", "=", store.id),
                    ("variant_gid", "=", line.variant_gid),
                    ("product_id", "!=", False),
                ],
                ["product_id"],
                limit=1,
            )
            if mapping:
                return mapping.product_id
        if not line.sku:
            return self.env["product.product"]
        mapping = Mapping.search_fetch(
            [
                ("store_id", "=", store.id),
                ("sku", "=", line.sku),
                ("product_id", "!=", False),
            ],
            ["product_id"],
            limit=1,
        )
        if mapping:
            return mapping.product_id
        return (
            self.env["product.product"]
            .sudo()
            .search(
                [
                    ("default_code", "=", line.sku),
                    ("company_id", "in", (store.company_id.id, False)),
                ],
                limit=1,
            )
        )

    @api.model
    def _shopify_create_product(self, store, line):
        return (
            self.env["product.product"]
            .sudo()
            .create(
                {
                    "name": line.title or line.sku,
                    "default_code": line.sku,
                    "detailed_type": "product",
                    "list_price": float(line.unit_price),
                    "taxes_id": [Command.clear()],
                }
            )
        )

    # ------------------------------------------------------------------ taxes
    @api.model
    def _shopify_taxes(self, store, order, line):
        """(account.tax, reason or None) for a line's Shopify tax lines."""
        taxes = self.env["account.tax"]
        missing = []
        for key in payloads.line_tax_keys(order, line):
            tax = self._shopify_find_tax(store, key)
            if not tax and store.allow_tax_creation:
                tax = self._shopify_create_tax(store, key)
            if tax:
                taxes |= tax
            else:
                missing.append(key.describe())
        reason = None
        if missing:
            reason = "Missing tax: %s." % ", ".join(missing)
        return taxes, reason

    @api.model
    def _shopify_find_tax(self, store, key):
        company = store.company_id
        country = self._shopify_country(key.country_code)[0]
        countries = country | company.account_fiscal_country_id
        candidates = (
            self.env["account.tax"]
            .sudo()
            .with_context(active_test=True)
            .search(
                [
                    ("company_id", "=", company.id),
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("price_include", "=", key.price_include),
                    ("country_id", "in", countries.ids),
                ]
            )
        )
        matching = candidates.filtered(
            lambda t: (
                float_compare(t.amount, float(key.percent), precision_digits=4) == 0
            )
        )
        # The order's own tax country first, then the company's fiscal country.
        return matching.sorted(lambda t: (t.country_id != country, t.sequence, t.id))[
            :1
        ]

    @api.model
    def _shopify_create_tax(self, store, key):
        incl = _("incl.") if key.price_include else _("excl.")
        return (
            self.env["account.tax"]
            .sudo()
            .create(
                {
                    "name": "Shopify %s%% %s %s"
                    % (key.percent, incl, key.country_code or ""),
                    "company_id": store.company_id.id,
                    "type_tax_use": "sale",
                    "amount_type": "percent",
                    "amount": float(key.percent),
                    "price_include": key.price_include,
                }
            )
        )

    # ------------------------------------------------------------------ currency
    @api.model
    def _shopify_currency(self, code, activate=False):
        """The Odoo currency of a code; with `activate`, active in this transaction.

        Activated in a short READ COMMITTED transaction of its own (two imports of
        orders in a new currency activating it in theirs would fail each other on
        a serialization error). That commit is invisible to this transaction when
        its snapshot (Odoo's REPEATABLE READ) began before it: the order would be
        created, but its invoice refused ("inactive currency"), in the inbox's
        orders/paid of the same batch. Then ShopifyBusy: the work is retried in a
        fresh snapshot, which sees the currency active. Test Connection activates
        the shop's currency beforehand, and the inbox the currency of the orders it
        is about to import before their snapshot begins
        (`_shopify_activate_currencies`), so this is rare (the reconcile, a
        Retry)."""
        currency = self._shopify_find_currency(code)
        if not currency:
            raise UserError(_("Currency %(code)s does not exist in Odoo.", code=code))
        if activate and not currency.active:
            self._shopify_activate_currency(currency)
            if not currency.active:
                raise ShopifyBusy(
                    "currency %s activated after this transaction began; retried"
                    % code,
                    retry_after=1,
                )
        return currency

    @api.model
    def _shopify_find_currency(self, code):
        """The Odoo currency of an ISO code, active or not (empty when unknown)."""
        return (
            self.env["res.currency"]
            .sudo()
            .with_context(active_test=False)
            .search([("name", "=", code or "")], limit=1)
        )

    @api.model
    def _shopify_activate_code(self, code):
        """Activate the currency of an ISO code, when Odoo knows it and has it
        inactive, for every transaction that begins from now on; True when it did
        (the caller starts the work that needs it after a commit)."""
        currency = self._shopify_find_currency(code)
        if currency and not currency.active:
            self._shopify_activate_currency(currency)
            return True
        return False

    @api.model
    def _shopify_activate_currency(self, currency):
        """Activate `currency` for every transaction that begins from now on (a side
        transaction, committed at once); re-read in this one."""
        with side_cursor(self.env) as cr:
            cr.execute(
                "UPDATE res_currency SET active = TRUE WHERE id = %s AND NOT active",
                [currency.id],
            )
        currency.invalidate_recordset(["active"])

    @api.model
    def _shopify_pricelist(self, company, code):
        currency = self._shopify_currency(code, activate=True)
        Pricelist = self.env["product.pricelist"].sudo()
        pricelist = Pricelist.search(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", (company.id, False)),
            ],
            order="company_id, sequence, id",
            limit=1,
        )
        return pricelist or Pricelist.create(
            {
                "name": "Shopify %s" % currency.name,
                "currency_id": currency.id,
                "company_id": company.id,
            }
        )
