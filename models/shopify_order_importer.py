"""Shopify order -> Odoo sale order, exactly once per (store, order).

Every path (orders/* and refunds/create webhooks, the reconcile cron, the Retry button)
ends in `_shopify_import_payload`, which:

1. parses the payload with `lib.payloads` (pure, fully decided data);
2. takes a transaction-scoped advisory lock on (store, order GID): concurrent imports of
   the same order queue up. Odoo runs REPEATABLE READ, so a transaction that had to
   *wait* for the lock cannot see what the holder committed: it raises
   `ShopifyOrderBusy` (retryable: the webhook event is retried, the reconcile skips
   it) instead of creating a duplicate or hitting a serialization failure; the SQL
   unique key on sale.order (store, GID) is the last line of defence;
3. ignores deliveries older than the last applied `updated_at` (stale);
4. creates the sale order (from whichever topic arrives first; a cancelled order is
   created cancelled, so a late orders/create cannot resurrect it), or updates it:
   draft orders are rebuilt from the newest payload, confirmed ones get refunds,
   fulfilments and cancellation applied;
5. flags "needs attention" (unknown SKU, missing tax, totals differing from Shopify's)
   and then keeps the order a draft (it still holds its stock), else confirms per
   the store's policy.
"""

import logging
from datetime import timezone

from markupsafe import Markup, escape
from psycopg2 import errors as pg_errors

from odoo import Command, _, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero

from ..lib import order_edit_plan, payloads
from ..lib.errors import ShopifyRetryableError
from .shopify_store_health import side_cursor

_logger = logging.getLogger(__name__)

DRAFT_STATES = ("draft", "sent")


class ShopifyOrderBusy(ShopifyRetryableError):
    """Another transaction imported this order while we waited: retry later."""


def _plain_note(text):
    """The shopper's order note as the plain text it is: escaped, line breaks kept,
    never a tag, an image or a link (sale.order.note is an Html field)."""
    if not text:
        return False
    lines = str(text).splitlines()
    return Markup("<p>%s</p>") % Markup("<br>").join(lines)


def _naive_utc(value):
    if not value:
        return False
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


class ShopifyOrderImporter(models.AbstractModel):
    _name = "shopify.order.importer"
    _description = "Shopify Order Importer"

    # ------------------------------------------------------------------ entry points
    @api.model
    def _shopify_import_payload(self, store, payload, refund=None):
        """Import or update one order. Returns (sale.order, outcome) with outcome one
        of created / updated / stale; raises ShopifyOrderBusy, PayloadError."""
        store.ensure_one()
        order = self._shopify_parse(payload)
        if self._shopify_lock(store, order.gid):
            raise ShopifyOrderBusy(
                "order %s was being imported concurrently; retry" % order.gid,
                retry_after=5,
            )
        so = self._shopify_find(store, order.gid)
        updated_at = _naive_utc(order.updated_at)
        if (
            so
            and updated_at
            and so.shopify_updated_at
            and updated_at < so.shopify_updated_at
        ):
            if refund is not None:
                # refunds/create carries the refund, not the order: apply it anyway.
                self._shopify_apply_refunds(so, (refund,))
                return so, "updated"
            return so, "stale"
        if not so:
            so = self._shopify_create(store, order)
            outcome = "created"
        else:
            self._shopify_update(so, order)
            outcome = "updated"
        if refund is not None:
            self._shopify_apply_refunds(so, (refund,))
        return so, outcome

    @api.model
    def _shopify_import_refund(self, store, refund_payload):
        """refunds/create: the refund alone. Applied to the SO if it exists; without
        the SO the order is fetched from Shopify (it holds the refund too)."""
        refund = payloads.parse_refund(refund_payload)
        order_gid = payloads.make_gid("Order", refund.order_legacy_id)
        if not refund.order_legacy_id:
            raise payloads.PayloadError("refund without order_id")
        if self._shopify_lock(store, order_gid):
            raise ShopifyOrderBusy("order %s busy; retry" % order_gid, retry_after=5)
        so = self._shopify_find(store, order_gid)
        if not so:
            data = self._shopify_fetch(store, order_gid)
            if not data:
                return self.env["sale.order"], "ignored"
            return self._shopify_import_payload(store, data)
        self._shopify_apply_refunds(so, (refund,))
        return so, "updated"

    @api.model
    def _shopify_reimport(self, so, **client_kwargs):
        """Retry button: fetch the order again and import it (content rebuilt).

        `client_kwargs` (timeout, max_retry_seconds) bound the wait of a button.
        The caller checked the user's access to `so`; its store is read as sudo."""
        store = so.shopify_store_id.sudo()
        data = self._shopify_fetch(store, so.shopify_order_gid, **client_kwargs)
        if not data:
            raise UserError(
                _(
                    "Order %(order)s no longer exists in Shopify.",
                    order=so.shopify_order_name,
                )
            )
        so.sudo().shopify_updated_at = False  # the fetched version always applies
        return self._shopify_import_payload(store, data)

    @api.model
    def _shopify_fetch(self, store, order_gid, **client_kwargs):
        with store._shopify_client(**client_kwargs) as client:
            return client.order_for_import(order_gid)

    # ------------------------------------------------------------------ plumbing
    @api.model
    def _shopify_parse(self, payload):
        digits = self.env["decimal.precision"].precision_get("Discount")
        order = payloads.parse_order(payload, discount_digits=digits)
        currency = self._shopify_currency(order.currency)
        if currency.decimal_places != order.currency_digits:
            order = payloads.parse_order(
                payload,
                discount_digits=digits,
                currency_decimals=currency.decimal_places,
            )
        return order

    @api.model
    def _shopify_lock(self, store, order_gid):
        """Serialise imports of one order (released at commit / rollback).

        Returns True ("busy, retry") when another transaction holds the lock, or
        may have committed rows of this order that our REPEATABLE READ snapshot
        cannot see: it committed after our snapshot was taken and before we asked
        (`shopify.sync.stamp` tells).
        """
        Stamp = self.env["shopify.sync.stamp"]
        # Never waits: the answer would be "busy" anyway, and our caller may hold
        # rows (levels, quants) the holder is about to need.
        if Stamp._shopify_lock(store.id, order_gid, wait=False):
            return True
        try:
            Stamp._shopify_stamp(store.id, order_gid)
        except pg_errors.SerializationFailure:
            return True
        return False

    @api.model
    def _shopify_find(self, store, order_gid):
        return (
            self.env["sale.order"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("shopify_store_id", "=", store.id),
                    ("shopify_order_gid", "=", order_gid),
                ],
                limit=1,
            )
        )

    @api.model
    def _shopify_mark_dirty(self, products):
        """These products' hold or reservation changed: push them to every store."""
        products = products.filtered(lambda p: p.type == "product")
        if products and "shopify.inventory.level" in self.env:
            self.env["shopify.inventory.level"].sudo()._shopify_mark_dirty(products)

    # ------------------------------------------------------------------ create / update
    @api.model
    def _shopify_create(self, store, order):
        store = store.sudo()
        company = store.company_id
        SaleOrder = self.env["sale.order"].sudo().with_company(company)
        partner, invoice, delivery = self._shopify_partners(store, order)
        values = {
            "partner_id": partner.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": delivery.id,
            "company_id": company.id,
            # A web order has no salesperson (not the cron's user): every salesman
            # of the company sees it, "own documents only" ones included.
            "user_id": False,
            "client_order_ref": order.name,
            "origin": "%s %s" % (store.name, order.name or ""),
            "pricelist_id": self._shopify_pricelist(company, order.currency).id,
            "fiscal_position_id": False,
            "shopify_store_id": store.id,
            "shopify_order_gid": order.gid,
            "shopify_order_name": order.name,
            "shopify_order_id": str(order.legacy_id or ""),
            "note": _plain_note(order.note),
        }
        if order.created_at:
            values["date_order"] = _naive_utc(order.created_at)
        if store.warehouse_id:
            values["warehouse_id"] = store.warehouse_id.id
        so = SaleOrder.create(values)
        self._shopify_fill(so, store, order)
        # The order moved its units to `committed` in this store: its levels'
        # snapshots follow without a read (issue 18.3).
        self.env["shopify.inventory.level"].sudo()._shopify_record_order_effect(
            store, order
        )
        if not so.shopify_needs_attention:  # else _shopify_fill logged a warning
            self.env["shopify.sync.log"]._log(
                store=store,
                direction="inbound",
                operation="order:import",
                message="%s created from %s" % (so.name, order.gid),
                res_model="sale.order",
                res_id=so.id,
                facts={"order": order.name, "sale_order": so.name},
                with_work=True,  # never "imported" when the import rolls back
            )
        # A note in the chatter, nobody notified: `_message_log`, not message_post
        # (which works out recipients and followers for each order it imports).
        so._message_log(
            body=escape(
                _(
                    "Imported from Shopify store %(store)s, order %(order)s.",
                    store=store.name,
                    order=order.name,
                )
            )
        )
        return so

    @api.model
    def _shopify_update(self, so, order):
        store = so.shopify_store_id.sudo()
        so = so.sudo().with_company(so.company_id)
        if so.state in DRAFT_STATES:
            # Nothing happened in Odoo yet: the newest Shopify version is the truth.
            self._shopify_fill(so, store, order)
            return
        so.write(self._shopify_status_vals(order))
        if so.state == "cancel":
            return
        if order.is_cancelled:
            self._shopify_cancel(so, store)
            return
        self._shopify_apply_edits(so, store, order)  # shopify_order_edit.py
        self._shopify_apply_refunds(so, order.refunds)
        if store.fulfillment_policy == "shopify":
            self._shopify_apply_fulfillments(so, order)

    @api.model
    def _shopify_status_vals(self, order):
        return {
            "shopify_updated_at": _naive_utc(order.updated_at),
            "shopify_financial_status": order.financial_status,
            "shopify_cancelled_at": _naive_utc(order.cancelled_at),
        }

    @api.model
    def _shopify_fill(self, so, store, order):
        """(Re)write a draft order's lines from Shopify, then decide its fate."""
        held_before = so.order_line.product_id
        content = self._shopify_content(order)  # models/shopify_order_content.py
        line_commands, reasons = self._shopify_content_commands(store, order, content)
        vals = self._shopify_status_vals(order)
        vals["order_line"] = line_commands
        vals["shopify_refund_gids"] = False
        so.write(vals)
        reasons = list(dict.fromkeys(reasons))
        if not reasons:
            reason = self._shopify_book_rounding(so, store, order, content)
            reasons += [reason] if reason else self._shopify_check_totals(so, order)
        so.write(
            {
                "shopify_needs_attention": bool(reasons),
                "shopify_attention_reason": "\n".join(reasons) or False,
            }
        )
        if order.is_cancelled:
            so._action_cancel()
        else:
            self._shopify_apply_refunds(so, order.refunds)
            if not reasons and self._shopify_should_confirm(so, store, order):
                so.action_confirm()
        self._shopify_mark_dirty(held_before | so.order_line.product_id)
        if reasons:
            self.env["shopify.sync.log"]._log(
                store=store,
                direction="inbound",
                operation="order:import",
                state="warning",
                message="%s needs attention: %s" % (order.name, "; ".join(reasons)),
                res_model="sale.order",
                res_id=so.id,
                facts={"order": order.name, "sale_order": so.name},
            )

    @api.model
    def _shopify_should_confirm(self, so, store, order):
        """The store's confirmation policy (the risk hold adds its own rule,
        shopify_order_risk.py)."""
        return payloads.should_confirm(
            store.order_confirm_policy, order.financial_status
        )

    @api.model
    def _shopify_check_totals(self, so, order):
        expected = order.totals.total_price
        if not payloads.totals_match(
            expected, so.amount_total, so.currency_id.rounding
        ):
            return [
                "Total %s %s differs from Shopify's %s."
                % (so.amount_total, so.currency_id.name, expected)
            ]
        return []

    # ------------------------------------------------------------------ lines
    @api.model
    def _shopify_line_vals(self, store, order, content_line):
        """(sale.order.line values or None, attention reason or None) of a catalogue
        line (`lib.order_content.ContentLine` of kind "product")."""
        line = content_line.source
        taxes, missing = self._shopify_taxes(store, order, line)
        product = self._shopify_product(store, line)
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
    def _shopify_product(self, store, line):
        """Mapped product by variant GID, then SKU in this store, then default_code."""
        Mapping = self.env["shopify.product.mapping"].sudo()
        # search_fetch: the mapping's product in the same query as the search.
        if line.variant_gid:
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
        country = self.env["res.country"].search(
            [("code", "=", key.country_code or "")], limit=1
        )
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
        """The Odoo currency of a code, activated if needed in a short READ
        COMMITTED transaction of its own: two imports of orders in a new currency
        activating it in theirs would fail each other on a serialization error."""
        currency = (
            self.env["res.currency"]
            .sudo()
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        if not currency:
            raise UserError(_("Currency %(code)s does not exist in Odoo.", code=code))
        if activate and not currency.active:
            with side_cursor(self.env) as cr:
                cr.execute(
                    "UPDATE res_currency SET active = TRUE "
                    "WHERE id = %s AND NOT active",
                    [currency.id],
                )
            currency.invalidate_recordset(["active"])
        return currency

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

    # ------------------------------------------------------------------ cancel / refund
    @api.model
    def _shopify_cancel(self, so, store):
        delivered = any(
            not float_is_zero(q, precision_digits=4)
            for q in so.order_line.mapped("qty_delivered")
        )
        products = so.order_line.product_id
        if not delivered:
            so._action_cancel()
        elif store.cancel_delivered_policy == "return":
            for line in so.order_line.filtered("qty_delivered"):
                self._shopify_return(so, line, line.qty_delivered)
            so._action_cancel()
        else:
            self._shopify_flag(
                so,
                "Cancelled in Shopify after delivery: return the goods and cancel "
                "by hand.",
            )
        self._shopify_mark_dirty(products)

    @api.model
    def _shopify_flag(self, so, reason):
        reasons = [r for r in (so.shopify_attention_reason or "").split("\n") if r]
        if reason not in reasons:
            reasons.append(reason)
        so.write(
            {
                "shopify_needs_attention": True,
                "shopify_attention_reason": "\n".join(reasons),
            }
        )

    @api.model
    def _shopify_apply_refunds(self, so, refunds):
        """Restocked units come back: lower the quantity not shipped yet, return
        (validated) what was shipped. Not-restocked refunds change no stock."""
        so = so.sudo()
        applied = so._shopify_applied_refunds()
        new = [
            r for r in refunds if (r.gid or "refund:%s" % r.refund_id) not in applied
        ]
        if not new or so.state == "cancel":
            return
        products = self.env["product.product"]
        for refund in new:
            for line_id, qty in refund.restocked_quantities().items():
                line = so.order_line.filtered(
                    lambda sol, lid=line_id: sol.shopify_line_id == str(lid)
                )[:1]
                if not line or qty <= 0:
                    continue
                products |= line.product_id
                open_qty = max(line.product_uom_qty - line.qty_delivered, 0)
                from_open = min(qty, open_qty)
                if from_open:
                    line.write(
                        {
                            "product_uom_qty": line.product_uom_qty - from_open,
                            "price_unit": line.price_unit,
                            "discount": line.discount,
                        }
                    )
                if qty - from_open > 0 and so.state == "sale":
                    self._shopify_return(so, line, qty - from_open)
            applied.add(refund.gid or "refund:%s" % refund.refund_id)
        so.shopify_refund_gids = "\n".join(sorted(applied))
        self._shopify_mark_dirty(products)

    @api.model
    def _shopify_return(self, so, line, qty):
        """Return `qty` delivered units of `line` and validate the return."""
        pickings = so.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        ).sorted("id", reverse=True)
        for picking in pickings:
            moves = picking.move_ids.filtered(
                lambda m, ln=line: m.sale_line_id == ln and m.state == "done"
            )
            if not moves or qty <= 0:
                continue
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .create({"picking_id": picking.id})
            )
            for ret in wizard.product_return_moves:
                if ret.move_id in moves:
                    take = min(qty, ret.quantity)
                    ret.write({"quantity": take, "to_refund": True})
                    qty -= take
                else:
                    ret.quantity = 0
            if not any(wizard.product_return_moves.mapped("quantity")):
                continue
            picking_id, _type = wizard._create_returns()
            returned = self.env["stock.picking"].browse(picking_id)
            for move in returned.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            returned._action_done()
        if qty > 0:
            self._shopify_flag(
                so, "Refund restocks %s more %s than were delivered." % (qty, line.name)
            )

    # ------------------------------------------------------------------ fulfilment
    @api.model
    def _shopify_apply_fulfillments(self, so, order):
        """Store policy "Shopify fulfils": ship in Odoo what Shopify fulfilled."""
        fulfilled = order.fulfilled_quantities()
        for line in so.order_line:
            if not line.shopify_line_id or not line.shopify_line_id.isdigit():
                continue
            todo = fulfilled.get(int(line.shopify_line_id), 0) - line.qty_delivered
            if todo <= 0:
                continue
            for picking in so.picking_ids.filtered(
                lambda p: (
                    p.state not in ("done", "cancel")
                    and p.picking_type_code == "outgoing"
                )
            ):
                for move in picking.move_ids.filtered(
                    lambda m, ln=line: (
                        m.sale_line_id == ln and m.state not in ("done", "cancel")
                    )
                ):
                    take = min(todo, move.product_uom_qty)
                    move.quantity = take
                    move.picked = True
                    todo -= take
                if any(picking.move_ids.mapped("picked")):
                    picking.with_context(cancel_backorder=False)._action_done()
                if todo <= 0:
                    break
