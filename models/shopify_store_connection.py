"""Connection and credentials of `shopify.store`: how the app authenticates (client
credentials of a Dev Dashboard app, or a legacy custom app's token), the one
factory of API clients, the cached access token, and the secrets a webhook
signature may be made with (rotation: the previous secret stays valid a while).
"""

import datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import API_VERSION
from ..lib.domain import validate_base_url_override

# Credentials: readable by Shopify managers and system administrators only.
SECRET_GROUPS = "shopify_sync.group_shopify_manager,base.group_system"


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

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
