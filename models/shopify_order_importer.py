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

from odoo import _, api, models
from odoo.exceptions import UserError

from ..lib import payloads
from ..lib.errors import ShopifyBusy

_logger = logging.getLogger(__name__)

DRAFT_STATES = ("draft", "sent")
# Set while the importer confirms orders (stock_picking_import_notes.py).
CONFIRMING_KEY = "shopify_import_confirming"


class ShopifyOrderBusy(ShopifyBusy):
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
            Stamp._shopify_stamp([(store.id, order_gid)])
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
        # No "Sales Order created" note: the import note below says where it came
        # from (the context is the create's only, not the order's later steps).
        so = (
            SaleOrder.with_context(mail_create_nolog=True)
            .create(values)
            .with_env(SaleOrder.env)
        )
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
        attention = {
            "shopify_needs_attention": bool(reasons),
            "shopify_attention_reason": "\n".join(reasons) or False,
        }
        if any(so[name] != value for name, value in attention.items()):
            so.write(attention)  # a new order in order has nothing to write
        if order.is_cancelled:
            so._action_cancel()
        else:
            self._shopify_apply_refunds(so, order.refunds)
            if not reasons and self._shopify_should_confirm(so, store, order):
                self._shopify_confirm(so)
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
    def _shopify_confirm(self, so):
        """Confirm now, or with the other orders of an inbox batch at its end
        (`shopify_confirm_later`, shopify_webhook_event_batch.py). The deliveries
        it creates get a lighter chatter (stock_picking_import_notes.py)."""
        later = self.env.context.get("shopify_confirm_later")
        if later is not None:
            later.add(so)
        else:
            # The creation's tracking settled first (what an inbox batch's event
            # savepoints do): Odoo tracks no change of a record created in the same
            # unflushed step, and the order would miss its "Quotation -> Sales
            # Order" line, the accountant's confirmation trail.
            self.env.cr.flush()
            so.with_context(**{CONFIRMING_KEY: True}).action_confirm()

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
