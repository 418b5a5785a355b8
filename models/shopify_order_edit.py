"""Shopify order edits applied to a confirmed sale order (issue 17.3).

Every path that updates a confirmed order (orders/updated, orders/edited, which reads
the order again, the reconcile cron, Retry import) calls `_shopify_apply_edits` from
`shopify.order.importer._shopify_update`, under the order's lock. `lib.order_edit_plan`
decides from Shopify's edited quantities and each line's baseline; the changes go
through Odoo's normal flow: a new quantity on a confirmed line makes sale_stock raise
or lower the delivery's demand, a new line adds a move to it. A line cannot shrink
below what Odoo already delivered: it shrinks to that and the order needs attention.
Older versions never reach here (the importer ignores them), and a version applied
twice plans nothing, so each edit changes the order once, in order.

Shipping changes (`lib.order_edit_content`): the order's shipping and shipping
discount lines are aligned with the lines the import would make from Shopify's current
version; a removed one goes to quantity 0. When an edit changed anything and Shopify
reports no refund, the total must then equal Shopify's again, else needs attention.
"""

from decimal import Decimal

from odoo import _, api, models
from odoo.tools import float_compare

from ..lib import order_edit_content, order_edit_plan


class ShopifyOrderImporter(models.AbstractModel):
    _inherit = "shopify.order.importer"

    @api.model
    def _shopify_edit_lines(self, so):
        lines = so.order_line.filtered(
            lambda sol: sol.shopify_line_id and sol.shopify_line_id.isdigit()
        )
        return lines, [
            order_edit_plan.OdooLine(
                key=sol.shopify_line_id,
                ordered=sol.product_uom_qty,
                delivered=sol.qty_delivered,
                baseline=sol.shopify_edit_qty if sol.shopify_edit_known else None,
            )
            for sol in lines
        ]

    @api.model
    def _shopify_apply_edits(self, so, store, order):
        """Bring a confirmed order's lines to what Shopify's edits left."""
        if so.state != "sale":
            return
        so = so.sudo()
        lines, odoo = self._shopify_edit_lines(so)
        actions = order_edit_plan.plan(order_edit_plan.shopify_lines(order), odoo)
        content = self._shopify_content(order)
        changes, reasons = self._shopify_apply_content_edits(so, store, order, content)
        if not actions and not changes:
            return
        by_key = {sol.shopify_line_id: sol for sol in lines}
        # Added lines as the import makes them (lib.order_content, product kind);
        # a product line's price or discount changes are not applied (README).
        parsed = {c.key: c for c in content if c.kind == "product"}
        products = self.env["product.product"]
        for action in actions:
            if action.kind == "add":
                if action.key not in parsed:
                    continue  # not a catalogue line (a gift card sold by an edit)
                vals, reason = self._shopify_line_vals(store, order, parsed[action.key])
                if reason:
                    reasons.append(reason)
                if vals:
                    vals.update(
                        order_id=so.id,
                        product_uom_qty=action.quantity,
                        shopify_edit_qty=action.edited,
                        shopify_edit_known=True,
                        shopify_quantity=action.edited,
                    )
                    new = self.env["sale.order.line"].sudo().create(vals)
                    products |= new.product_id
                    changes.append("+%s %s" % (action.quantity, new.name))
                continue
            line = by_key[action.key]
            products |= line.product_id
            # Sold = what the edits left (refunds apart): the invoice covers it.
            vals = {
                "shopify_edit_qty": action.edited,
                "shopify_edit_known": True,
                "shopify_quantity": action.edited,
            }
            if float_compare(
                action.quantity,
                line.product_uom_qty,
                precision_rounding=line.product_uom.rounding,
            ):
                # price and discount as they were: Odoo would reprice the line
                vals.update(
                    product_uom_qty=action.quantity,
                    price_unit=line.price_unit,
                    discount=line.discount,
                )
                changes.append(
                    "%s: %s → %s" % (line.name, line.product_uom_qty, action.quantity)
                )
            line.write(vals)
            if action.kind == "attention":
                reasons.append(
                    "Edited in Shopify to remove %s more %s than Odoo already "
                    "delivered: return them or correct the order."
                    % (action.short, line.name)
                )
        if not reasons and not order.refunds:
            reasons += self._shopify_check_totals(so, order)
        for reason in dict.fromkeys(reasons):
            self._shopify_flag(so, reason)
        self._shopify_mark_dirty(products)
        if changes:
            so.message_post(
                body=_(
                    "Edited in Shopify: %(changes)s",
                    changes="; ".join(changes),
                )
            )
        self.env["shopify.sync.log"]._log(
            store=store,
            direction="inbound",
            operation="order:edit",
            state="warning" if reasons else "success",
            message="%s edited: %s%s"
            % (
                order.name,
                "; ".join(changes) or "no quantity changed",
                (" — " + " ".join(reasons)) if reasons else "",
            ),
            res_model="sale.order",
            res_id=so.id,
            facts={
                "order": order.name,
                "sale_order": so.name,
                "changes": len(changes),
            },
            with_work=True,
        )

    @api.model
    def _shopify_apply_content_edits(self, so, store, order, content):
        """Shipping lines to Shopify's current version: ([changes], [reasons])."""
        lines = so.order_line.filtered(
            lambda sol: order_edit_content.aligned(sol.shopify_line_id)
        )
        odoo = [
            order_edit_content.OdooContent(
                key=sol.shopify_line_id,
                quantity=Decimal(str(sol.product_uom_qty)),
                price_unit=Decimal(str(sol.price_unit)),
                discount=Decimal(str(sol.discount)),
            )
            for sol in lines
        ]
        by_key = {sol.shopify_line_id: sol for sol in lines}
        changes, reasons = [], []
        for action in order_edit_content.plan(content, odoo):
            if action.kind == "zero":
                line = by_key[action.key]
                line.write({"product_uom_qty": 0})
                changes.append("%s removed" % line.name)
                continue
            vals, reason = self._shopify_content_vals(store, order, action.line)
            if reason:
                reasons.append(reason)
            if not vals:
                continue
            if action.kind == "add":
                new = (
                    self.env["sale.order.line"]
                    .sudo()
                    .create(dict(vals, order_id=so.id))
                )
                changes.append("+%s %s" % (new.price_unit, new.name))
                continue
            line = by_key[action.key]
            before = line.price_unit
            line.write(
                {
                    k: vals[k]
                    for k in (
                        "name",
                        "product_uom_qty",
                        "price_unit",
                        "discount",
                        "tax_id",
                    )
                }
            )
            changes.append("%s: %s → %s" % (line.name, before, line.price_unit))
        return changes, reasons
