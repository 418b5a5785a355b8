from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    shopify_line_id = fields.Char(
        string="Shopify Line ID",
        readonly=True,
        copy=False,
        help="Legacy id of the Shopify line item (refunds and fulfilments refer to it)"
        "; 'shipping:<id>' for shipping lines.",
    )
    shopify_quantity = fields.Float(
        readonly=True,
        copy=False,
        digits="Product Unit of Measure",
        help="Quantity sold in Shopify, before refunds: the invoice covers it and "
        "each refund is a credit note.",
    )

    # Order edits (issue 17.3, models/shopify_order_edit.py): the quantity Shopify's
    # edits left on the line when it was last aligned; an edit moves the line by the
    # difference, so a version applied twice changes nothing.
    shopify_edit_qty = fields.Integer(
        string="Shopify Edited Quantity", readonly=True, copy=False
    )
    shopify_edit_known = fields.Boolean(readonly=True, copy=False)
