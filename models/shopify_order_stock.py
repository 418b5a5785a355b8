"""The order importer's stock side of a confirmed order: Shopify's cancellation,
restocking refunds (open quantity lowered, shipped units returned) and fulfilments
(store policy "Shopify fulfils") applied in Odoo."""

from odoo import api, models
from odoo.tools import float_is_zero


class ShopifyOrderImporter(models.AbstractModel):
    _inherit = "shopify.order.importer"

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
