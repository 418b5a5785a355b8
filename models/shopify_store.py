"""`shopify.store`: one connected Shopify shop, its company, policies and mappings.

The store's other jobs, one file each: connection and credentials
(shopify_store_connection.py), setup steps (shopify_store_setup.py), webhook
subscriptions (shopify_store_webhook.py), health verdict (shopify_store_verdict.py,
decided in lib/store_checks.py) and its bookkeeping (shopify_store_health.py).
"""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib.domain import normalize_shop_domain, validate_base_url_override


class ShopifyStore(models.Model):
    _name = "shopify.store"
    _description = "Shopify Store"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    shop_domain = fields.Char(
        required=True,
        tracking=True,
        copy=False,
        help="Permanent shop domain, e.g. my-shop.myshopify.com. The handle alone or "
        "the admin URL are accepted and normalised.",
    )

    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("connected", "Connected"),
            ("error", "Error"),
            ("disconnected", "Disconnected"),
        ],
        required=True,
        default="draft",
        copy=False,
        tracking=True,
    )
    last_error = fields.Text(copy=False, readonly=True)

    # --- policies used by order import and inventory push -----------------------------
    import_orders = fields.Boolean(default=True, tracking=True)
    order_confirm_policy = fields.Selection(
        [
            ("always", "Always confirm"),
            ("paid", "When paid"),
            ("paid_or_authorized", "When paid or authorized"),
            ("never", "Never (leave quotations)"),
        ],
        required=True,
        default="paid_or_authorized",
        tracking=True,
    )
    push_inventory = fields.Boolean(default=True, tracking=True)
    accept_store_edits = fields.Boolean(
        default=True,
        tracking=True,
        help="Stock edits made in this store's Shopify admin are applied to Odoo.",
    )
    safety_buffer = fields.Integer(
        default=0,
        tracking=True,
        help="Units held back from the quantity published to this store.",
    )
    allocation_minimum = fields.Integer(
        default=0,
        tracking=True,
        help="In a warehouse in allocation mode: the units this store's share gets "
        "first, before the rest is split by recent sales.",
    )
    unmatched_sku_policy = fields.Selection(
        [("report", "Report"), ("create", "Create the product")],
        string="Unmatched SKU Policy",
        required=True,
        default="report",
        tracking=True,
    )
    unknown_line_policy = fields.Selection(
        [("hold", "Hold the order"), ("create", "Create the product")],
        required=True,
        default="hold",
        tracking=True,
    )
    allow_tax_creation = fields.Boolean(default=False, tracking=True)
    guest_partner_id = fields.Many2one(
        "res.partner",
        string="Guest Customer",
        check_company=True,
        help="Customer used for orders without a customer.",
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        compute="_compute_warehouse_id",
        store=True,
        readonly=False,
        check_company=True,
        help="Defaults to the warehouse of the first mapped location.",
    )

    # --- health: read from `shopify.store.health` (written after commit, never on
    # this row: see models/shopify_store_health.py) --------------------------------
    last_webhook_at = fields.Datetime(compute="_compute_shopify_bookkeeping")
    last_push_at = fields.Datetime(compute="_compute_shopify_bookkeeping")
    last_order_import_at = fields.Datetime(compute="_compute_shopify_bookkeeping")
    last_reconcile_at = fields.Datetime(compute="_compute_shopify_bookkeeping")
    consecutive_errors = fields.Integer(compute="_compute_shopify_bookkeeping")
    throttle_available = fields.Float(compute="_compute_shopify_bookkeeping")
    throttle_maximum = fields.Float(compute="_compute_shopify_bookkeeping")

    # --- relations --------------------------------------------------------------------
    location_ids = fields.One2many("shopify.location", "store_id", string="Locations")
    mapping_ids = fields.One2many(
        "shopify.product.mapping", "store_id", string="SKU Mappings"
    )
    mapping_count = fields.Integer(compute="_compute_mapping_count")
    mapping_conflict_count = fields.Integer(compute="_compute_mapping_count")

    _sql_constraints = [
        (
            "shop_domain_unique",
            "UNIQUE(shop_domain)",
            "This Shopify shop is already connected to a store in this database.",
        ),
        (
            "safety_buffer_positive",
            "CHECK(safety_buffer >= 0)",
            "The safety buffer cannot be negative.",
        ),
        (
            "allocation_minimum_positive",
            "CHECK(allocation_minimum >= 0)",
            "The allocation minimum cannot be negative.",
        ),
    ]

    def _compute_shopify_bookkeeping(self):
        """Every column of the store's health row (one query for all stores)."""
        health = self.env["shopify.store.health"].sudo()
        columns = health._shopify_columns()
        ids = [sid for sid in self._origin.ids if sid]
        rows = health.search_fetch([("store_id", "in", ids)], ["store_id", *columns])
        by_store = {row.store_id.id: row for row in rows}
        for store in self:
            row = by_store.get(store._origin.id, health.browse())
            for column in columns:
                store[column] = row[column]

    def _shopify_health_record(self, mode="max", **vals):
        """Record health bookkeeping (`last_push_at=now`...) for these stores after
        the current transaction commits; `mode`: max (timestamps), set, add."""
        self.env["shopify.store.health"].sudo()._shopify_record(self.ids, mode, vals)

    @api.depends("location_ids.stock_location_id")
    def _compute_warehouse_id(self):
        for store in self:
            locations = store.location_ids.filtered("stock_location_id").sorted("id")
            if locations and not store.warehouse_id:
                store.warehouse_id = locations[0].stock_location_id.warehouse_id

    def _compute_mapping_count(self):
        groups = self.env["shopify.product.mapping"]._read_group(
            [("store_id", "in", self.ids)], ["store_id", "state"], ["__count"]
        )
        totals, conflicts = {}, {}
        for store, state, count in groups:
            totals[store.id] = totals.get(store.id, 0) + count
            if state == "conflict":
                conflicts[store.id] = count
        for store in self:
            store.mapping_count = totals.get(store.id, 0)
            store.mapping_conflict_count = conflicts.get(store.id, 0)

    @api.constrains("api_base_url_override")
    def _check_api_base_url_override(self):
        for store in self:
            if store.api_base_url_override:
                try:
                    validate_base_url_override(store.api_base_url_override)
                except ValueError as exc:
                    raise ValidationError(str(exc)) from None

    @api.model
    def _shopify_normalize_vals(self, vals):
        vals = dict(vals)
        if vals.get("shop_domain"):
            try:
                vals["shop_domain"] = normalize_shop_domain(vals["shop_domain"])
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        elif "shop_domain" in vals:
            raise ValidationError(
                _("The shop domain of a Shopify store cannot be empty.")
            )
        if vals.get("api_base_url_override"):
            try:
                vals["api_base_url_override"] = validate_base_url_override(
                    vals["api_base_url_override"]
                )
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._shopify_normalize_vals(v) for v in vals_list])

    def write(self, vals):
        return super().write(self._shopify_normalize_vals(vals))

    @api.returns("self", lambda value: value.id)
    def copy(self, default=None):
        self.ensure_one()
        default = dict(default or {})
        default.setdefault("name", self.name + " (copy)")
        # The domain is unique: the copy gets an obviously fake one to be replaced.
        handle = self.shop_domain.split(".", 1)[0][:40]
        default.setdefault("shop_domain", "%s-copy-%d" % (handle, self.id))
        return super().copy(default)

    # --- access ---------------------------------------------------------------------
    def _shopify_check_access(self, operation="write"):
        """Raise AccessError unless the calling user may `operation` every store here.

        Model rights AND record rules (the store's company): the one check every
        button, the setup wizard and the retry actions make before any `sudo()`, so a
        company-B manager can never act on company A's store through a method that
        works as superuser afterwards. A no-op for the superuser (crons).
        """
        self.check_access_rights(operation)
        self.check_access_rule(operation)
        return True

    # --- actions ----------------------------------------------------------------------
    def action_view_mappings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_product_mapping_action"
        )
        action["domain"] = [("store_id", "=", self.id)]
        action["context"] = {"default_store_id": self.id}
        return action

    def action_view_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_sync_log_action"
        )
        action["domain"] = [("store_id", "=", self.id)]
        action["context"] = {}
        return action
