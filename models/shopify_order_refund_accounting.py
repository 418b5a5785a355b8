"""Shopify refunds -> Odoo's books: one credit note per refund, its money as outbound
payments reconciled with it, exactly once per refund GID.

Runs inside `shopify.order.accounting._shopify_settle`, so on every path that settles
an order (refunds/create, orders/paid, orders/updated, the reconcile, Retry) under the
order's advisory lock, from the refunds read with the order's transactions
(`lib/order_money.Refund`, shop money):

- the credit note is Odoo's reversal of the order's posted invoice
  (`account.move._reverse_moves`, lines linked to the sale lines), cut down to the
  refunded quantities and the refunded shipping; its total must equal the refund's
  SUCCESS REFUND transactions to the cent, else it stays a draft and the order needs
  attention with both amounts (an order adjustment, a fee, a rounding of Shopify's:
  a person decides, never a silent write-off). Posted when the store posts invoices.
  Keyed by `account.move.shopify_refund_gid` (unique per company in SQL);
- each SUCCESS REFUND transaction is an outbound `account.payment` in the gateway's
  journal, keyed by its transaction GID like a payment, reconciled with the credit
  note;
- a refund that returned no money (restock only, an unpaid order) has no credit note;
- rule for a refund before the invoice exists: the refund waits, its money is still
  registered; the invoice, when it comes, covers the order as sold
  (`_shopify_invoice_as_sold`: units a refund removed from the sale order are put
  back on it), then each refund is credited. The books read the same whichever came
  first.
"""

from odoo import Command, api, models

from ..lib.order_money import amounts_equal

CREDIT_REASON = "Credit note"
REFUND_REASON = "Refund "


class ShopifyOrderAccounting(models.AbstractModel):
    _inherit = "shopify.order.accounting"

    @api.model
    def _shopify_settle(self, so, money):
        super()._shopify_settle(so, money)
        if not so or money is None or not money.refunds:
            return
        so = so.sudo().with_company(so.company_id)
        store = so.shopify_store_id
        if store.invoice_policy == "never" or money.currency != so.currency_id.name:
            return  # the currency difference was flagged by super()
        invoice = so.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )[:1]
        for refund in money.refunds:
            self._shopify_refund(so, store, money, invoice, refund)

    @api.model
    def _shopify_refund(self, so, store, money, invoice, refund):
        txns = money.refund_transactions(refund)
        amount = money.refunded(refund)
        note = self._shopify_credit_note(so, store, invoice, refund, amount)
        for txn in txns:
            gateway = self._shopify_gateway(store, txn.gateway)
            if not gateway.journal_id:
                self._shopify_refund_attention(
                    so, "Gateway %s has no journal." % txn.gateway
                )
                continue
            self._shopify_payment(so, store, gateway, txn)
        if note and note.state == "posted":
            self._shopify_reconcile_refund(so, note, {t.gid for t in txns})

    # ------------------------------------------------------------------ credit note
    @api.model
    def _shopify_credit_note(self, so, store, invoice, refund, amount):
        Move = self.env["account.move"].sudo().with_company(so.company_id)
        existing = Move.search(
            [
                ("shopify_refund_company_id", "=", so.company_id.id),
                ("shopify_refund_gid", "=", refund.gid),
            ],
            limit=1,
        )
        if existing:
            if existing.state == "posted":
                self._shopify_unflag(
                    so, "%s of refund %s" % (CREDIT_REASON, refund.gid)
                )
            return existing
        if amount <= 0:
            return existing
        if not invoice:
            self._shopify_log(
                so,
                operation="order:refund",
                state="success",
                message="%s: refund %s waits for the posted invoice"
                % (so.shopify_order_name, refund.gid),
                facts={"order": so.shopify_order_name, "waiting": True},
            )
            return existing
        if not refund.complete:
            self._shopify_refund_attention(
                so,
                "%s%s has more lines than one read: credit it by hand."
                % (REFUND_REASON, refund.gid),
            )
            return existing
        date = max(
            filter(
                None,
                (
                    refund.created_at and refund.created_at.date(),
                    invoice.invoice_date,
                    invoice.date,
                ),
            )
        )
        note = invoice._reverse_moves(
            [
                {
                    "ref": "%s refund %s" % (so.shopify_order_name, refund.gid),
                    "date": date,
                    "invoice_date": date,
                    "invoice_origin": so.name,
                    "shopify_refund_gid": refund.gid,
                    "shopify_refund_company_id": so.company_id.id,
                    "shopify_refund_order_id": so.id,
                }
            ]
        )
        self._shopify_cut_to_refund(note, refund)
        rounding = so.currency_id.rounding
        if not amounts_equal(note.amount_total, amount, rounding):
            self._shopify_refund_attention(
                so,
                "%s of refund %s: total %s %s differs from Shopify's %s: left as a "
                "draft."
                % (
                    CREDIT_REASON,
                    refund.gid,
                    note.amount_total,
                    so.currency_id.name,
                    amount,
                ),
            )
            return note
        if store.invoice_post:
            self._shopify_journal_turn(note.journal_id)
            note.action_post()
        self._shopify_log(
            so,
            operation="order:refund",
            state="success",
            facts={
                "order": so.shopify_order_name,
                "credit_note": note.name,
                "amount": "%s %s" % (note.amount_total, so.currency_id.name),
            },
            message="%s refund %s credited: %s %s, %s"
            % (
                so.shopify_order_name,
                refund.gid,
                note.amount_total,
                so.currency_id.name,
                "posted" if note.state == "posted" else "draft",
            ),
            record=note,
        )
        return note

    @api.model
    def _shopify_cut_to_refund(self, note, refund):
        """The reversal of the whole invoice -> the refunded quantities and shipping:
        other lines removed, prices and discounts kept (Odoo computes the taxes)."""
        quantities = refund.quantities()
        shipping = {s.shipping_id: s for s in refund.shipping}
        rounding = note.currency_id.rounding
        commands = []
        for line in note.invoice_line_ids.filtered(
            lambda ln: ln.display_type == "product"
        ):
            key = line.sale_line_ids[:1].shopify_line_id or ""
            ship = (
                shipping.get(key.split(":", 1)[1]) if key[:9] == "shipping:" else None
            )
            if ship is not None:
                # Shopify's shipping amounts follow the order's prices: tax
                # included when its taxes are (the line's price-included tax).
                included = any(line.tax_ids.mapped("price_include"))
                shown = line.price_total if included else line.price_subtotal
                if not amounts_equal(shown, ship.subtotal, rounding):
                    commands.append(
                        Command.update(
                            line.id,
                            {"price_unit": float(ship.subtotal), "discount": 0.0},
                        )
                    )
            elif quantities.get(key, 0) > 0:
                if line.quantity != quantities[key]:
                    commands.append(
                        Command.update(line.id, {"quantity": quantities[key]})
                    )
            else:
                commands.append(Command.delete(line.id))
        if commands:
            note.write({"invoice_line_ids": commands})

    @api.model
    def _shopify_reconcile_refund(self, so, note, txn_gids):
        payments = so.shopify_payment_ids.filtered(
            lambda p: (
                p.state == "posted"
                and p.payment_type == "outbound"
                and p.shopify_transaction_gid in txn_gids
            )
        )
        self._shopify_reconcile_receivable(payments, note)

    # ------------------------------------------------------------------ invoice
    @api.model
    def _shopify_invoice_as_sold(self, so, invoice):
        """Units a refund took off the sale order before it was invoiced (restocked,
        not shipped) go back on the draft invoice: it covers the order as sold, to
        Shopify's total, and the refund is credited. Products invoiced on delivery
        are left to Odoo."""
        commands = []
        for sol in so.order_line:
            removed = (sol.shopify_quantity or 0) - sol.product_uom_qty
            if removed <= 0 or sol.product_id.invoice_policy != "order":
                continue
            line = invoice.invoice_line_ids.filtered(
                lambda ln, sol=sol: sol in ln.sale_line_ids
            )[:1]
            if line:
                commands.append(
                    Command.update(line.id, {"quantity": line.quantity + removed})
                )
            else:
                commands.append(
                    Command.create(sol._prepare_invoice_line(quantity=removed))
                )
        if commands:
            invoice.write({"invoice_line_ids": commands})

    @api.model
    def _shopify_refund_attention(self, so, reason):
        self._shopify_attention(so, reason, operation="order:refund")
