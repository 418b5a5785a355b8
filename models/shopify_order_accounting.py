"""Shopify money -> Odoo's books: the invoice and one payment per Shopify payment.

Called right after an import, in the same transaction, while the order's advisory
lock is held (`shopify.order.importer._shopify_lock`), with the order's transactions
read from Shopify *before* the lock was taken (`_shopify_money_fetch`: no API call
under the lock). Every path that imports orders/paid, orders/updated, the reconcile
and the Retry button ends here:

- invoice: Odoo's own `sale.order._create_invoices` when the store's invoice policy
  says so (lib/order_money.invoice_decision); its total must equal Shopify's to the
  cent, else the order needs attention with both amounts and the invoice stays a
  draft (never a write-off); posted when the store says so;
- payments: one posted `account.payment` per SUCCESS SALE / CAPTURE transaction, in
  the gateway's journal, keyed by the transaction GID (unique per company, SQL), then
  reconciled with the posted invoice. An unmapped gateway registers nothing and says
  so on the order;
- refunds: credit notes and outbound payments, `shopify_order_refund_accounting.py`.

Posting takes the journal's turn first (`_shopify_journal_turn`): Odoo numbers a
posted move from the last one its snapshot sees, so two workers posting in one
journal at once (the inbox and a reconcile; the e2e's first invoice of a fresh
database) computed the same name and one failed on the unique key, logged at ERROR.
"""

import logging

from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..lib import order_money, order_money_client
from ..lib.order_money import amounts_equal
from .shopify_order_importer import ShopifyOrderBusy

_logger = logging.getLogger(__name__)

GATEWAY_REASON = "Gateway %s has no journal"
INVOICE_REASON = "Invoice total"


class ShopifyOrderAccounting(models.AbstractModel):
    _name = "shopify.order.accounting"
    _description = "Shopify Order Accounting"

    # ------------------------------------------------------------------ reading
    @api.model
    def _shopify_money_fetch(self, store, order_gid, client=None, **client_kwargs):
        """The order's `OrderMoney` (None: policy never, or the order is gone).
        Call before the import takes the order's lock."""
        store = store.sudo()
        if store.invoice_policy == "never" or not order_gid:
            return None
        if store.state not in ("connected", "error"):
            return None  # a draft or disconnected store is never called
        if client is not None:
            return order_money_client.fetch(client, order_gid)
        with store._shopify_client(**client_kwargs) as own:
            return order_money_client.fetch(own, order_gid)

    # ------------------------------------------------------------------ settle
    @api.model
    def _shopify_settle(self, so, money):
        """Invoice and register the payments of `so` (under the order's lock)."""
        if not so or money is None or so.state == "cancel":
            return
        so = so.sudo().with_company(so.company_id)
        store = so.shopify_store_id
        if store.invoice_policy == "never":
            return
        if money.currency != so.currency_id.name:
            self._shopify_attention(
                so,
                "Shopify's money is in %s, the order in %s."
                % (money.currency, so.currency_id.name),
            )
            return
        gateways = {
            name: self._shopify_gateway(store, name) for name in money.gateways()
        }
        names = ", ".join(gateways) or False
        if so.shopify_gateway_names != names:
            so.shopify_gateway_names = names
        self._shopify_unflag(so, "Gateway ")
        invoice = self._shopify_invoice(so, store, money)
        for name, gateway in gateways.items():
            if not gateway.journal_id:
                self._shopify_attention(so, GATEWAY_REASON % name + ".")
        for txn in money.payments():
            self._shopify_payment(so, store, gateways[txn.gateway], txn)
        if invoice and invoice.state == "posted":
            self._shopify_reconcile(so, invoice)

    @api.model
    def _shopify_gateway(self, store, name):
        Gateway = self.env["shopify.payment.gateway"].sudo()
        gateway = Gateway.search(
            [("store_id", "=", store.id), ("name", "=", name)], limit=1
        )
        if gateway:
            return gateway
        try:
            # Two orders may meet a new gateway at once: the loser retries (its
            # snapshot cannot see the winner's row) instead of failing the import.
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                return Gateway.create({"store_id": store.id, "name": name})
        except (pg_errors.UniqueViolation, pg_errors.SerializationFailure):
            raise ShopifyOrderBusy(
                "gateway %s was being listed concurrently; retry" % name,
                retry_after=5,
            ) from None

    @api.model
    def _shopify_journal_turn(self, journal):
        """Serialise our postings in `journal` (lock and stamp until commit, see
        `shopify.sync.stamp`): raises ShopifyOrderBusy, or a SerializationFailure
        without an ERROR line, when another transaction posted there and committed
        after our snapshot (we would number the move from a stale last one). The
        callers retry in a fresh transaction (the inbox's busy retry, the
        reconcile's next run, Odoo's request retry)."""
        Stamp = self.env["shopify.sync.stamp"]
        key = "journal:%s" % journal.id
        # Journals are the company's, not one store's: stamped under store 0.
        if Stamp._shopify_lock(0, key, wait=False):  # busy either way: no wait
            raise ShopifyOrderBusy(
                "journal %s was being posted in concurrently; retry" % journal.name,
                retry_after=5,
            )
        Stamp._shopify_stamp([(0, key)])

    # ------------------------------------------------------------------ invoice
    @api.model
    def _shopify_invoice(self, so, store, money):
        invoices = so.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state != "cancel"
        )
        if invoices:
            return invoices[:1]
        product_lines = so.order_line.filtered(
            lambda sol: sol.product_id.type in ("product", "consu")
        )
        delivered = all(
            sol.qty_delivered >= sol.product_uom_qty for sol in product_lines
        )
        ok, why = order_money.invoice_decision(
            store.invoice_policy,
            confirmed=so.state == "sale" and not so.shopify_needs_attention,
            delivered=delivered,
            money=money,
        )
        if not ok:
            self._shopify_log(
                so,
                operation="order:invoice",
                state="success",
                message="not invoiced: %s" % why,
                facts={"order": so.shopify_order_name, "invoiced": False},
            )
            return None
        if not so._get_invoiceable_lines():
            # Odoo invoices these products on delivery (their invoicing policy):
            # nothing to invoice yet, which is not a problem of the order. The
            # next update of the order (Shopify sends one once it is fulfilled)
            # invoices what was delivered.
            self._shopify_log(
                so,
                operation="order:invoice",
                state="success",
                message="not invoiced yet: the products are invoiced on delivery",
                facts={"order": so.shopify_order_name, "invoiced": False},
            )
            return None
        try:
            invoice = so._create_invoices()
        except UserError as exc:
            self._shopify_attention(so, "Not invoiceable: %s" % exc.args[0])
            return None
        self._shopify_invoice_as_sold(so, invoice)
        self._shopify_unflag(so, INVOICE_REASON)
        if not amounts_equal(
            invoice.amount_total, money.total, so.currency_id.rounding
        ):
            self._shopify_attention(
                so,
                "%s %s %s differs from Shopify's %s: left as a draft."
                % (
                    INVOICE_REASON,
                    invoice.amount_total,
                    so.currency_id.name,
                    money.total,
                ),
            )
            return invoice
        if store.invoice_post:
            self._shopify_journal_turn(invoice.journal_id)
            invoice.action_post()
        self._shopify_log(
            so,
            operation="order:invoice",
            state="success",
            facts={
                "order": so.shopify_order_name,
                "invoiced": True,
                "invoice": invoice.name,
                "amount": "%s %s" % (invoice.amount_total, so.currency_id.name),
            },
            message="%s invoiced (%s): %s %s, %s"
            % (
                so.shopify_order_name,
                why,
                invoice.amount_total,
                so.currency_id.name,
                "posted" if invoice.state == "posted" else "draft",
            ),
            record=invoice,
        )
        return invoice

    # ------------------------------------------------------------------ payments
    @api.model
    def _shopify_payment(self, so, store, gateway, txn):
        Payment = self.env["account.payment"].sudo().with_company(so.company_id)
        existing = Payment.search(
            [
                ("shopify_company_id", "=", so.company_id.id),
                ("shopify_transaction_gid", "=", txn.gid),
            ],
            limit=1,
        )
        if existing or not gateway.journal_id:
            return existing
        refund = txn.kind == "REFUND"  # money back to the customer
        vals = self._shopify_payment_vals(so, store, gateway, txn)
        if not vals:
            return existing
        payment = Payment.create(vals)
        self._shopify_journal_turn(payment.journal_id)
        payment.action_post()
        self._shopify_log(
            so,
            operation="order:refund" if refund else "order:payment",
            state="success",
            facts={
                "order": so.shopify_order_name,
                "amount": "%s %s" % (txn.amount, so.currency_id.name),
                "gateway": txn.gateway,
                "journal": gateway.journal_id.name,
                "payment": True,
            },
            message="%s: %s %s %s via %s registered in %s"
            % (
                so.shopify_order_name,
                txn.kind,
                txn.amount,
                so.currency_id.name,
                txn.gateway,
                gateway.journal_id.name,
            ),
            record=payment,
        )
        return payment

    @api.model
    def _shopify_payment_vals(self, so, store, gateway, txn):
        """account.payment values of `txn` (None: register nothing; cash rounding
        adds its write-off, shopify_order_cash_rounding.py)."""
        payment_type = "outbound" if txn.kind == "REFUND" else "inbound"
        method = gateway._shopify_method_line(payment_type)
        return {
            "payment_type": payment_type,
            "partner_type": "customer",
            "partner_id": so.partner_invoice_id.commercial_partner_id.id,
            "amount": float(txn.amount),
            "currency_id": so.currency_id.id,
            "journal_id": gateway.journal_id.id,
            "payment_method_line_id": method.id,
            "date": (txn.processed_at.date() if txn.processed_at else False)
            or so.date_order.date(),
            "ref": "%s %s %s" % (so.shopify_order_name, txn.kind, txn.gid),
            "shopify_transaction_gid": txn.gid,
            "shopify_company_id": so.company_id.id,
            "shopify_gateway_id": gateway.id,
            "shopify_sale_order_id": so.id,
        }

    @api.model
    def _shopify_reconcile(self, so, invoice):
        payments = so.shopify_payment_ids.filtered(
            lambda p: p.state == "posted" and p.payment_type == "inbound"
        )
        self._shopify_reconcile_receivable(payments, invoice)

    @api.model
    def _shopify_reconcile_receivable(self, payments, move):
        """Reconcile the open receivable lines of `payments` with `move` (an invoice
        or a credit note) unless it is paid already."""
        lines = (payments.move_id.line_ids | move.line_ids).filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
            )
        )
        if payments and len(lines) > 1 and move.payment_state != "paid":
            lines.reconcile()

    # ------------------------------------------------------------------ attention
    @api.model
    def _shopify_attention(self, so, reason, operation=None):
        """Flag the order with `reason` and log it (on `operation`, by default the
        invoice's or, for a gateway reason, the payment's)."""
        self.env["shopify.order.importer"]._shopify_flag(so, reason)
        if operation is None:
            operation = (
                "order:payment" if reason.startswith("Gateway") else "order:invoice"
            )
        self._shopify_log(
            so,
            operation=operation,
            state="warning",
            message="%s needs attention: %s" % (so.shopify_order_name, reason),
            facts={"order": so.shopify_order_name},
        )

    @api.model
    def _shopify_unflag(self, so, prefix):
        reasons = [r for r in (so.shopify_attention_reason or "").split("\n") if r]
        kept = [r for r in reasons if not r.startswith(prefix)]
        if kept != reasons:
            so.write(
                {
                    "shopify_needs_attention": bool(kept),
                    "shopify_attention_reason": "\n".join(kept) or False,
                }
            )

    @api.model
    def _shopify_log(self, so, *, operation, state, message, record=None, facts=None):
        record = record or so
        self.env["shopify.sync.log"]._log(
            store=so.shopify_store_id,
            direction="inbound",
            operation=operation,
            state=state,
            message=message,
            res_model=record._name,
            res_id=record.id,
            facts=facts,
            # A success states work of this transaction ("invoiced", "registered"):
            # rolled back with it. A warning outlives the rollback (its own cursor).
            with_work=state == "success",
        )
