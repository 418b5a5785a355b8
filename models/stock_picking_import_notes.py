"""The chatter of the deliveries an order import's confirmation creates, without
Odoo's mail work that nobody reads (issue 20.1).

When the importer confirms orders (`shopify.order.importer._shopify_confirm`, the
inbox batch's `ConfirmLater.confirm`), it sets `CONFIRMING_KEY` in the context; for
the pickings Odoo creates then:

- no "Transfer created" note (mail.thread's creation log): the picking's chatter
  opens with sale_stock's "This transfer has been created from S00042", which says
  the same and more;
- that origin note is logged (`_message_log_with_view`: the same rendered body, an
  internal note, `mail.mt_note`) instead of posted (`message_post_with_source`,
  which works out followers and recipients for each picking: an internal note is
  delivered to nobody a new delivery has as follower, the customer never).

Followers are Odoo's as before (the customer follows the SO and their delivery, so
the merchant's messages reach them); the SO's confirmation tracking ("Quotation ->
Sales Order") is Odoo's too. A picking made any other way (a user, a backorder, a
receipt) keeps Odoo's usual chatter.
"""

from odoo import api, models

from .shopify_order_importer import CONFIRMING_KEY

ORIGIN_NOTE = "mail.message_origin_link"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    @api.model_create_multi
    def create(self, vals_list):
        pickings = self
        if self.env.context.get(CONFIRMING_KEY):
            pickings = self.with_context(mail_create_nolog=True)
        return super(StockPicking, pickings).create(vals_list)

    def message_post_with_source(self, source_ref, render_values=None, **kwargs):
        if (
            self.env.context.get(CONFIRMING_KEY)
            and source_ref == ORIGIN_NOTE
            and kwargs.get("subtype_xmlid") == "mail.mt_note"
            and set(kwargs) == {"subtype_xmlid"}
        ):
            return self._message_log_with_view(source_ref, render_values=render_values)
        return super().message_post_with_source(
            source_ref, render_values=render_values, **kwargs
        )
