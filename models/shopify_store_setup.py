"""Setup steps of `shopify.store`: Test connection (what the shop is, which scopes
it granted) and the Guided setup's entry (wizard/shopify_setup_wizard.py).

Every failure of Test connection is explained in words a merchant can act on: the
kind of failure decides the text, the technical detail goes to the sync log.
"""

import time

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..lib import store_checks
from ..lib.errors import ShopifyError
from ..lib.scopes import REQUIRED_SCOPES, missing_scopes


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    # --- what the last Test connection found -----------------------------------------
    shop_name = fields.Char(readonly=True, copy=False)
    shop_plan = fields.Char(readonly=True, copy=False)
    shop_currency = fields.Char(readonly=True, copy=False)
    granted_scopes = fields.Char(readonly=True, copy=False)
    missing_scopes = fields.Char(readonly=True, copy=False)
    connection_checked_at = fields.Datetime(readonly=True, copy=False)
    connection_message = fields.Text(readonly=True, copy=False)

    # ------------------------------------------------------------------ test connection
    # Seconds the client may spend retrying (network, throttling) during a test: a
    # merchant waits in front of the screen.
    _shopify_test_retry_seconds = 8

    def action_test_connection(self):
        self._shopify_check_access()
        results = [store._shopify_test_connection() for store in self]
        ok = all(r["ok"] for r in results)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if ok else "danger",
                "title": _("Connected") if ok else _("Connection problem"),
                "sticky": not ok,
                "message": "\n".join(r["message"] for r in results),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _shopify_test_connection(self):
        """Ask Shopify who we are; record shop facts and the verdict on the store.

        Returns {"ok": bool, "kind": str, "message": str}; never raises for Shopify
        failures (the store keeps the state and message, and the log the detail).
        """
        self.ensure_one()
        store = self.sudo()
        started = time.monotonic()
        info, kind, detail = None, "ok", ""
        try:
            # The merchant's own probe: called even while the breaker is open.
            client = store.with_context(shopify_circuit_force=True)._shopify_client(
                timeout=(5, 15),
                max_retry_seconds=self._shopify_test_retry_seconds,
                on_cost=store._shopify_record_cost,
            )
            with client:
                info = client.shop_info()
        except UserError as exc:  # missing credentials
            kind, detail = "credentials_missing", str(exc)
        except ShopifyError as exc:
            kind = store_checks.connection_failure_kind(exc)
            detail = exc.message
        now = fields.Datetime.now()
        vals = {"connection_checked_at": now}
        if info is not None:
            # The store's orders are written in its currency: active from the
            # connection on, so that the first order's invoice is not refused.
            self.env["shopify.order.importer"]._shopify_activate_code(
                info.get("currency")
            )
            missing = missing_scopes(info.get("scopes"))
            vals.update(
                shop_name=info.get("name") or False,
                shop_plan=info.get("plan") or False,
                shop_currency=info.get("currency") or False,
                granted_scopes=", ".join(info.get("scopes") or []) or False,
                missing_scopes=", ".join(missing) or False,
            )
            if missing:
                kind = "missing_scopes"
        message = store._shopify_connection_message(kind, info, vals)
        ok = kind == "ok"
        vals.update(
            state="connected" if ok else "error",
            last_error=False if ok else message,
            connection_message=message,
        )
        store.write(vals)
        self.env["shopify.sync.log"]._log(
            store=store,
            direction="outbound",
            operation="test_connection",
            state="success" if ok else "error",
            message=message if ok else "%s\n(%s: %s)" % (message, kind, detail),
            duration_ms=(time.monotonic() - started) * 1000,
        )
        return {"ok": ok, "kind": kind, "message": message}

    def _shopify_record_cost(self, cost):
        """Remember the API bucket Shopify reported (health: throttle seen)."""
        status = (cost or {}).get("throttleStatus") or {}
        if status.get("maximumAvailable"):
            self._shopify_health_record(
                "set",
                throttle_available=status.get("currentlyAvailable") or 0.0,
                throttle_maximum=status["maximumAvailable"],
            )

    def _shopify_connection_message(self, kind, info, vals):
        domain = self.shop_domain
        if kind == "ok":
            return _(
                "Connected to %(name)s (%(domain)s), plan %(plan)s. Granted scopes: "
                "%(scopes)s.",
                name=vals.get("shop_name") or domain,
                domain=domain,
                plan=vals.get("shop_plan") or "?",
                scopes=vals.get("granted_scopes") or "-",
            )
        if kind == "missing_scopes":
            return _(
                "Connected to %(name)s, but the app is missing the access scopes "
                "%(missing)s. In the Shopify Dev Dashboard, add them to the app's "
                "configuration, release a new version and install it on this store "
                "again, then test the connection again.",
                name=vals.get("shop_name") or domain,
                missing=vals.get("missing_scopes"),
            )
        client_credentials = self.auth_method == "client_credentials"
        texts = {
            "credentials_missing": _(
                "Enter the app's client ID and client secret (or the Admin API access "
                "token for a legacy custom app) first."
            ),
            "unknown_shop": _(
                "Shopify does not know the shop %(domain)s. Check the shop domain: it "
                "is the permanent address ending in .myshopify.com (Shopify admin › "
                "Settings › Domains).",
                domain=domain,
            ),
            "credentials": _(
                "Shopify refused the client ID / client secret. Copy them again "
                "from the app's Settings in the Shopify Dev Dashboard, and check that "
                "the app is installed on %(domain)s.",
                domain=domain,
            )
            if client_credentials
            else _(
                "Shopify refused the Admin API access token. Copy it again from the "
                "custom app in the Shopify admin (Settings › Apps › Develop apps)."
            ),
            "access_denied": _(
                "Shopify accepted the credentials but denied access: the app lacks "
                "access scopes (it needs %(scopes)s). Add them in the Dev Dashboard, "
                "release and reinstall the app.",
                scopes=", ".join(REQUIRED_SCOPES),
            ),
            "throttled": _(
                "Shopify is limiting the calls of this app right now (rate limit). "
                "Nothing is wrong with the settings: try again in a minute."
            ),
            "shopify_down": _(
                "Shopify answered with a server error. This is usually temporary: "
                "try again in a few minutes."
            ),
            "network": _(
                "Odoo could not reach %(domain)s (network error or timeout). Check the "
                "shop domain and that this server can open HTTPS connections to "
                "Shopify, then try again.",
                domain=domain,
            ),
        }
        return texts.get(kind) or _(
            "Shopify answered with an unexpected error; the details are in the sync "
            "logs."
        )

    # ------------------------------------------------------------------ guided setup
    def action_open_setup_wizard(self):
        self.ensure_one()
        self._shopify_check_access()
        wizard = self.env["shopify.setup.wizard"].create({"store_id": self.id})
        return wizard._shopify_reopen()
