"""Guided setup of one store: credentials → Test connection → locations → products →
webhooks → first inventory push.

Each step presses the store's own button method (the wizard adds no sync logic) and
tells the merchant in plain words what happened or what went wrong. A failed step
stays on screen with its message; the work of the steps before it is kept.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.errors import ShopifyError
from ..lib.public_url import public_https_problem
from ..lib.scopes import REQUIRED_SCOPES

STEPS = [
    ("credentials", "Credentials"),
    ("locations", "Locations"),
    ("products", "Products"),
    ("webhooks", "Webhooks"),
    ("inventory", "First push"),
    ("done", "Done"),
]
# Typed into the wizard, saved on the store, then emptied on the wizard.
WIZARD_SECRETS = ("client_secret", "legacy_access_token", "legacy_api_secret")


class ShopifySetupWizard(models.TransientModel):
    _name = "shopify.setup.wizard"
    _description = "Shopify Store Guided Setup"

    store_id = fields.Many2one("shopify.store", required=True, ondelete="cascade")
    step = fields.Selection(STEPS, default="credentials", required=True)
    step_ok = fields.Boolean(help="The last action of this step worked.")
    message = fields.Text(readonly=True)

    # Credentials: empty secrets keep what the store already has.
    shop_domain = fields.Char()
    auth_method = fields.Selection(
        related="store_id.auth_method", readonly=False, string="Authentication"
    )
    client_id = fields.Char(string="Client ID")
    client_secret = fields.Char()
    legacy_access_token = fields.Char(string="Admin API Access Token")
    legacy_api_secret = fields.Char(string="API Secret Key")
    has_secret = fields.Boolean(compute="_compute_has_secret")

    # Locations are edited in place on the store (the wizard shows them).
    location_ids = fields.One2many(related="store_id.location_ids", readonly=False)

    # What the steps found.
    shop_name = fields.Char(related="store_id.shop_name")
    shop_plan = fields.Char(related="store_id.shop_plan")
    granted_scopes = fields.Char(related="store_id.granted_scopes")
    missing_scopes = fields.Char(related="store_id.missing_scopes")
    # Onboarding help: what the app needs, where Shopify will post.
    required_scopes = fields.Char(
        compute="_compute_onboarding",
        help="The access scopes to grant the app in the Dev Dashboard: what the "
        "addon really calls.",
    )
    webhook_url = fields.Char(
        compute="_compute_onboarding",
        help="Where Shopify will post this store's webhooks.",
    )
    base_url_problem = fields.Char(
        compute="_compute_onboarding",
        help="Why Shopify could not deliver webhooks to web.base.url (empty: it can).",
    )
    matched_count = fields.Integer(readonly=True)
    created_count = fields.Integer(readonly=True)
    conflict_count = fields.Integer(readonly=True)
    unmatched_count = fields.Integer(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            store = self.env["shopify.store"].browse(vals.get("store_id"))
            # The target store is checked before anything is read from it.
            store._shopify_check_access()
            if store and "shop_domain" not in vals:
                vals["shop_domain"] = store.shop_domain
                vals["client_id"] = store.sudo().client_id
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("store_id"):
            self.env["shopify.store"].browse(vals["store_id"])._shopify_check_access()
        return super().write(vals)

    def _shopify_check_store(self):
        """Every step first: the calling user may write this wizard and its store
        (rights and the company rules); the store methods the steps run use sudo."""
        self.ensure_one()
        self.check_access_rights("write")
        self.check_access_rule("write")
        self.store_id._shopify_check_access()

    @api.depends("store_id")
    def _compute_has_secret(self):
        for wizard in self:
            store = wizard.store_id.sudo()
            wizard.has_secret = bool(
                store.client_secret
                if store.auth_method == "client_credentials"
                else store.legacy_access_token
            )

    @api.depends("store_id")
    def _compute_onboarding(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        problem = public_https_problem(base_url)
        for wizard in self:
            wizard.required_scopes = ", ".join(REQUIRED_SCOPES)
            wizard.webhook_url = (
                wizard.store_id._shopify_webhook_url() if wizard.store_id.id else False
            )
            wizard.base_url_problem = (
                _(
                    "%(problem)s Set the System Parameter web.base.url to the public "
                    "HTTPS address of this Odoo (Settings › Technical › System "
                    "Parameters) before registering webhooks.",
                    problem=problem,
                )
                if problem
                else False
            )

    # ------------------------------------------------------------------ plumbing
    def _shopify_reopen(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Guided setup: %(store)s", store=self.store_id.name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "context": dict(self.env.context, dialog_size="large"),
        }

    def _shopify_outcome(self, ok, message, next_step=None):
        vals = {"step_ok": ok, "message": message}
        if ok and next_step:
            vals["step"] = next_step
        self.write(vals)
        return self._shopify_reopen()

    def _shopify_run(self, method):
        """Run a store method; return (result, None) or (None, the error in words)."""
        # No savepoint: these methods read Shopify before writing anything, and the
        # push commits per batch outside tests (a savepoint would not survive it).
        try:
            return getattr(self.store_id, method)(), None
        except (UserError, ShopifyError) as exc:
            text = exc.message if isinstance(exc, ShopifyError) else exc.args[0]
            return None, text

    def _shopify_fetch_message(self):
        counts, error = self._shopify_run("_shopify_fetch_locations")
        if error:
            return False, _(
                "Fetching the shop's locations failed: %(error)s", error=error
            )
        return True, _(
            "Locations: %(created)s new, %(updated)s updated, %(archived)s archived"
            "%(default)s. Choose the Odoo stock location each Shopify location takes "
            "its stock from (usually a warehouse's Stock).",
            default=counts.get("default_note") or "",
            created=counts.get("created", 0),
            updated=counts.get("updated", 0),
            archived=counts.get("archived", 0),
        )

    # ------------------------------------------------------------------ steps
    def action_test_connection(self):
        """Save the credentials on the store, then Test connection."""
        self._shopify_check_store()
        vals = {}
        if self.shop_domain and self.shop_domain != self.store_id.shop_domain:
            vals["shop_domain"] = self.shop_domain
        if self.auth_method == "client_credentials":
            if self.client_id:
                vals["client_id"] = self.client_id
            if self.client_secret:
                vals["client_secret"] = self.client_secret
        else:
            if self.legacy_access_token:
                vals["legacy_access_token"] = self.legacy_access_token
            if self.legacy_api_secret:
                vals["legacy_api_secret"] = self.legacy_api_secret
        if vals.get("client_id") or vals.get("client_secret"):
            # New credentials: a token of the old ones is useless.
            vals.update(access_token=False, access_token_expires_at=False)
        if vals:
            self.store_id.sudo().write(vals)
        # Secrets typed in the wizard are not kept on the transient record.
        self.write(dict.fromkeys(WIZARD_SECRETS, False))
        result = self.store_id._shopify_test_connection()
        if not result["ok"]:
            return self._shopify_outcome(False, result["message"])
        ok, fetched = self._shopify_fetch_message()
        return self._shopify_outcome(
            ok, result["message"] + "\n\n" + fetched, "locations"
        )

    def action_fetch_locations(self):
        self._shopify_check_store()
        ok, message = self._shopify_fetch_message()
        return self._shopify_outcome(ok, message)

    def action_confirm_locations(self):
        self._shopify_check_store()
        mapped = self.store_id.location_ids.filtered(
            lambda loc: loc.active and loc.stock_location_id
        )
        if not mapped:
            return self._shopify_outcome(
                False,
                _(
                    "Map at least one Shopify location to an Odoo stock location: "
                    "without it Odoo does not know which stock to publish."
                ),
            )
        return self._shopify_outcome(
            True,
            _(
                "%(count)s location(s) mapped. Next, match the shop's products to Odoo "
                "products by SKU (internal reference).",
                count=len(mapped),
            ),
            "products",
        )

    def action_match_products(self):
        self._shopify_check_store()
        counts, error = self._shopify_run("_shopify_match_products")
        if error:
            return self._shopify_outcome(
                False, _("Reading the shop's products failed: %(error)s", error=error)
            )
        self.write(
            {
                "matched_count": counts.get("matched", 0),
                "created_count": counts.get("created", 0),
                "conflict_count": counts.get("conflicts", 0),
                "unmatched_count": counts.get("unmapped", 0),
            }
        )
        counts = _(
            "%(matched)s variant(s) matched to an Odoo product, %(created)s product(s) "
            "created, %(conflicts)s conflict(s), %(unmatched)s SKU(s) without an Odoo "
            "product.",
            matched=self.matched_count,
            created=self.created_count,
            conflicts=self.conflict_count,
            unmatched=self.unmatched_count,
        )
        if self.conflict_count or self.unmatched_count:
            counts += " " + _(
                "Those SKUs are not synchronised until you fix them: give the Odoo "
                "product that SKU as internal reference (or remove duplicates), then "
                "match again (SKU Mappings lists them)."
            )
        return self._shopify_outcome(True, counts, "webhooks")

    def action_register_webhooks(self):
        self._shopify_check_store()
        errors = self.store_id._shopify_check_webhooks()
        if errors:
            return self._shopify_outcome(
                False,
                _(
                    "Shopify did not accept the webhook subscriptions: %(error)s",
                    error=errors[self.store_id.id],
                ),
            )
        message = _(
            "Shopify will now notify Odoo at %(url)s of new orders, cancellations, "
            "refunds and stock edits.",
            url=self.store_id._shopify_webhook_url(),
        )
        if self.base_url_problem:
            # Subscribed as asked (a test shop or a tunnel may still deliver), but
            # Shopify itself will not post to such an address.
            message += "\n\n" + self.base_url_problem
        return self._shopify_outcome(True, message, "inventory")

    def action_push_inventory(self):
        self._shopify_check_store()
        result, error = self._shopify_run("action_shopify_sync_inventory")
        if error:
            return self._shopify_outcome(False, error)
        message = ((result or {}).get("params") or {}).get("message") or ""
        failed = self.env["shopify.inventory.level"].search_count(
            [("store_id", "=", self.store_id.id), ("last_error", "!=", False)]
        )
        if failed:
            return self._shopify_outcome(
                False,
                message
                + "\n\n"
                + _(
                    "%(count)s level(s) could not be written; they are retried "
                    "automatically. See Inventory Levels and the Sync Logs.",
                    count=failed,
                ),
            )
        return self._shopify_outcome(
            True,
            (message + "\n\n" if message else "")
            + _(
                "Setup complete. Odoo now publishes its stock to this store and "
                "imports its orders. The Health tab tells you if anything stops."
            ),
            "done",
        )

    def action_skip(self):
        self._shopify_check_store()
        order = [key for key, _label in STEPS]
        following = order[min(order.index(self.step) + 1, len(order) - 1)]
        self.write({"step": following, "message": False, "step_ok": False})
        return self._shopify_reopen()

    def action_open_store(self):
        self._shopify_check_store()
        return {
            "type": "ir.actions.act_window",
            "res_model": "shopify.store",
            "res_id": self.store_id.id,
            "view_mode": "form",
            "target": "current",
        }
