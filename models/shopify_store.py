import datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib import API_VERSION
from ..lib.domain import normalize_shop_domain, validate_base_url_override

# Credentials: readable by Shopify managers and system administrators only.
SECRET_GROUPS = "shopify_sync.group_shopify_manager,base.group_system"
SECRET_FIELDS = (
    "client_secret",
    "previous_client_secret",
    "access_token",
    "access_token_expires_at",
    "legacy_access_token",
    "legacy_api_secret",
)


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

    # --- authentication ---------------------------------------------------------------
    auth_method = fields.Selection(
        [
            ("client_credentials", "Client credentials (Dev Dashboard app)"),
            ("legacy_token", "Admin API access token (legacy custom app)"),
        ],
        required=True,
        default="client_credentials",
        tracking=True,
    )
    client_id = fields.Char(groups=SECRET_GROUPS, copy=False, string="Client ID")
    client_secret = fields.Char(groups=SECRET_GROUPS, copy=False)
    previous_client_secret = fields.Char(
        groups=SECRET_GROUPS,
        copy=False,
        help="The secret before the last rotation: webhooks signed with it are still "
        "accepted until the date below.",
    )
    previous_secret_valid_until = fields.Datetime(copy=False, tracking=True)
    access_token = fields.Char(groups=SECRET_GROUPS, copy=False)
    access_token_expires_at = fields.Datetime(groups=SECRET_GROUPS, copy=False)
    legacy_access_token = fields.Char(
        groups=SECRET_GROUPS, copy=False, string="Admin API Access Token"
    )
    legacy_api_secret = fields.Char(
        groups=SECRET_GROUPS, copy=False, string="API Secret Key"
    )
    api_version = fields.Char(
        required=True, default=API_VERSION, string="API Version", tracking=True
    )
    api_base_url_override = fields.Char(
        string="API Base URL Override",
        copy=False,
        tracking=True,
        # A developer setting: whoever sets it receives the store's credentials.
        groups="base.group_system",
        help="Developers only (the local emulator): 127.0.0.1, localhost or ::1, "
        "http or https. Empty for a real store, which is always called at "
        "https://<shop>.myshopify.com.",
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

    # --- business methods -------------------------------------------------------------
    def _shopify_webhook_secrets(self):
        """Secrets a webhook signature may be made with right now (current first)."""
        self.ensure_one()
        store = self.sudo()
        return _webhook_secrets(
            store.auth_method,
            store.client_secret,
            store.legacy_api_secret,
            store.previous_client_secret,
            store.previous_secret_valid_until,
        )

    @api.model
    def _shopify_webhook_auth(self, store_id):
        """`(active, shop_domain, secrets)` of a store, or None when unknown.

        The webhook route's only read of the store: one small query instead of
        loading the record (computed fields, sudo, access checks) per delivery.
        """
        self.env.cr.execute(
            """
            SELECT active, shop_domain, auth_method, client_secret, legacy_api_secret,
                   previous_client_secret, previous_secret_valid_until
              FROM shopify_store WHERE id = %s
            """,
            (store_id,),
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None
        return row[0], row[1], _webhook_secrets(*row[2:])

    def _shopify_save_token(self, token, expires_at):
        """Cache a freshly obtained access token on the store.

        Written in the current transaction on purpose: a separate cursor could wait on
        this transaction's own lock of the store row (deadlock) or make its later writes
        fail with a serialization error. A token lost to a rollback is fetched again.
        """
        self.ensure_one()
        self.sudo().write(
            {
                "access_token": token or False,
                "access_token_expires_at": _to_naive_utc(expires_at),
            }
        )

    def _shopify_client(self, **kwargs):
        """The single factory of API clients: every call to Shopify goes through it."""
        self.ensure_one()
        # Imported here: the addon installs and loads even if lib.client cannot.
        from ..lib.auth import ClientCredentialsAuth, StaticTokenAuth
        from ..lib.client import ShopifyClient

        store = self.sudo()
        if store.auth_method == "legacy_token":
            if not store.legacy_access_token:
                raise UserError(
                    _(
                        "Store %(store)s has no Admin API access token.",
                        store=store.name,
                    )
                )
            auth = StaticTokenAuth(store.legacy_access_token)
        else:
            if not (store.client_id and store.client_secret):
                raise UserError(
                    _(
                        "Store %(store)s needs a client ID and a client secret.",
                        store=store.name,
                    )
                )
            auth = ClientCredentialsAuth(
                store.client_id,
                store.client_secret,
                token=store.access_token or None,
                expires_at=store.access_token_expires_at or None,
                on_token=store._shopify_save_token,
            )
        base_url = None
        if store.api_base_url_override:
            base_url = validate_base_url_override(store.api_base_url_override)
        return ShopifyClient(
            store.shop_domain,
            auth=auth,
            api_version=store.api_version or API_VERSION,
            base_url=base_url,
            **kwargs,
        )


def _to_naive_utc(value):
    """Odoo Datetime fields hold naive UTC; accept aware datetimes and epoch seconds."""
    if not value:
        return False
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc).replace(
            tzinfo=None
        )
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def _webhook_secrets(auth_method, current_secret, legacy_secret, previous, valid_until):
    """The secrets valid now for webhook signatures (current first)."""
    current = legacy_secret if auth_method == "legacy_token" else current_secret
    secrets = [current] if current else []
    if (
        previous
        and valid_until
        and valid_until > fields.Datetime.now()
        and previous not in secrets
    ):
        secrets.append(previous)
    return secrets
