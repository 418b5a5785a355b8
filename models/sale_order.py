"""Shopify origin of a sale order: which store and order it was imported from.

One sale order per (store, Shopify order GID): the SQL unique key is the last line of
defence behind the importer's advisory lock (`shopify.order.importer`).
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.circuit import BUTTON_CLIENT_OPTIONS
from ..lib.errors import ShopifyError

# A person waits on the Retry import button: the buttons' short timeouts and retry
# budget (a failure raises and is shown; the webhook or the reconcile cron retries).


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shopify_store_id = fields.Many2one(
        "shopify.store",
        index=True,
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The Shopify store this order was imported from. An unconfirmed order "
        "from a store holds its stock in the quantities published to every store.",
    )
    shopify_order_gid = fields.Char(
        string="Shopify Order GID", readonly=True, copy=False, index=True
    )
    shopify_order_name = fields.Char(
        string="Shopify Order", readonly=True, copy=False, help="e.g. #1001"
    )
    shopify_order_id = fields.Char(
        string="Shopify Order ID",
        readonly=True,
        copy=False,
        help="Legacy numeric id (as in the admin URL).",
    )
    shopify_updated_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="updated_at of the last Shopify version applied: older deliveries "
        "are ignored.",
    )
    shopify_financial_status = fields.Char(readonly=True, copy=False)
    shopify_cancelled_at = fields.Datetime(readonly=True, copy=False)
    shopify_needs_attention = fields.Boolean(
        readonly=True, copy=False, index=True, tracking=True
    )
    shopify_attention_reason = fields.Text(readonly=True, copy=False)
    shopify_refund_gids = fields.Text(
        readonly=True,
        copy=False,
        help="Shopify refunds already applied to this order (one GID per line): "
        "a refund delivered twice changes stock once.",
    )
    shopify_admin_url = fields.Char(compute="_compute_shopify_admin_url")

    _sql_constraints = [
        (
            "shopify_order_unique",
            "UNIQUE(shopify_store_id, shopify_order_gid)",
            "A Shopify order is imported once per store.",
        ),
    ]

    @api.depends("shopify_store_id.shop_domain", "shopify_order_id")
    def _compute_shopify_admin_url(self):
        # Whoever reads the order may see its store's domain: a salesman without
        # Shopify (inventory) rights opens imported orders too, hence the sudo read
        # of the store, after the ORM checked the user's access to the order.
        for order in self:
            if order.shopify_store_id and order.shopify_order_id:
                order.shopify_admin_url = "https://%s/admin/orders/%s" % (
                    order.shopify_store_id.sudo().shop_domain,
                    order.shopify_order_id,
                )
            else:
                order.shopify_admin_url = False

    def _shopify_applied_refunds(self):
        self.ensure_one()
        return set((self.shopify_refund_gids or "").split())

    def action_shopify_retry_import(self):
        """Fetch the order again from Shopify and re-import it (needs-attention fix)."""
        # The caller must be allowed to change these orders (rights and company
        # rules) before the importer works as superuser.
        self.check_access_rights("write")
        self.check_access_rule("write")
        orders = self.filtered("shopify_store_id")
        if not orders:
            raise UserError(_("These orders were not imported from Shopify."))
        importer = self.env["shopify.order.importer"]
        for order in orders:
            try:
                importer._shopify_reimport(order, **BUTTON_CLIENT_OPTIONS)
            except ShopifyError as exc:
                raise UserError(
                    _(
                        "Shopify could not be asked for order %(order)s now: "
                        "%(error)s. Try again later.",
                        order=order.shopify_order_name,
                        error=exc.message,
                    )
                ) from None
        return True
