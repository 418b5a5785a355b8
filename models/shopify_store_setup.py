"""Setup and health side of `shopify.store`: Test connection, granted scopes, and
the health verdict (ok / warning / error) shown on the form and the overview.

Every failure of Test connection is explained in words a merchant can act on: the
kind of failure decides the text, the technical detail goes to the sync log.
"""

import logging
import time
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import webhook_subscriptions
from ..lib.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyRetryableError,
)
from ..lib.scopes import REQUIRED_SCOPES, missing_scopes
from ..lib.webhook import webhook_path

_logger = logging.getLogger(__name__)

# Health thresholds (ir.config_parameter overrides the first two).
WEBHOOK_SILENCE_HOURS = 24
PENDING_LATE_MINUTES = 15
ERRORS_WARNING = 1
ERRORS_ERROR = 5


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

    # --- webhook subscriptions Shopify removed (found by the subscription check) ----
    webhook_registered_at = fields.Datetime(readonly=True, copy=False)
    webhook_lost_count = fields.Integer(
        readonly=True,
        copy=False,
        help="Subscriptions of ours the last check found missing although they had "
        "been registered: Shopify deletes them after 8 failed deliveries in a row.",
    )
    webhook_lost_at = fields.Datetime(readonly=True, copy=False)

    # --- health ---------------------------------------------------------------------
    health_state = fields.Selection(
        [("ok", "OK"), ("warning", "Warning"), ("error", "Error")],
        compute="_compute_health",
    )
    health_message = fields.Text(compute="_compute_health")
    webhook_oldest_pending_at = fields.Datetime(compute="_compute_health")
    throttle_text = fields.Char(
        string="API Bucket Seen",
        compute="_compute_throttle_text",
        help="Points left / bucket size in Shopify's last answer (rate limit).",
    )

    @api.depends("throttle_available", "throttle_maximum")
    def _compute_throttle_text(self):
        for store in self:
            store.throttle_text = (
                "%d / %d" % (store.throttle_available, store.throttle_maximum)
                if store.throttle_maximum
                else False
            )

    # ------------------------------------------------------------------ health
    @api.model
    def _shopify_health_param(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            return float(value) if value else default
        except ValueError:
            return default

    def _shopify_oldest_pending(self):
        """{store_id: create_date of the oldest pending event}."""
        if not self.ids:
            return {}
        groups = (
            self.env["shopify.webhook.event"]
            .sudo()
            ._read_group(
                [("store_id", "in", self.ids), ("state", "=", "pending")],
                groupby=["store_id"],
                aggregates=["create_date:min"],
            )
        )
        return {store.id: oldest for store, oldest in groups}

    @api.depends(
        "active",
        "state",
        "last_error",
        "missing_scopes",
        "consecutive_errors",
        "webhook_lost_count",
        "webhook_lost_at",
        "webhook_status",
        "webhook_registered_at",
        "last_webhook_at",
        "import_orders",
    )
    def _compute_health(self):
        now = fields.Datetime.now()
        silence_hours = self._shopify_health_param(
            "shopify_sync.health_webhook_silence_hours", WEBHOOK_SILENCE_HOURS
        )
        late_minutes = self._shopify_health_param(
            "shopify_sync.health_pending_late_minutes", PENDING_LATE_MINUTES
        )
        oldest = self._shopify_oldest_pending()
        for store in self:
            errors, warnings = store._shopify_health_findings(
                now, silence_hours, late_minutes, oldest.get(store.id)
            )
            store.webhook_oldest_pending_at = oldest.get(store.id, False)
            if errors:
                store.health_state = "error"
            elif warnings:
                store.health_state = "warning"
            else:
                store.health_state = "ok"
            store.health_message = "\n".join(errors + warnings) or _(
                "Everything looks fine."
            )

    def _shopify_health_findings(self, now, silence_hours, late_minutes, oldest):
        """(errors, warnings): sentences a merchant can act on, most serious first."""
        self.ensure_one()
        errors, warnings = [], []
        if not self.active:
            return errors, [_("This store is archived: nothing is synchronised.")]
        if self.state == "draft":
            warnings.append(
                _("Not connected yet: run Guided setup or Test connection.")
            )
        elif self.state == "disconnected":
            errors.append(
                _(
                    "The app was uninstalled from this shop or disconnected: "
                    "nothing is synchronised until it is installed and tested again."
                )
            )
        elif self.state == "error":
            errors.append(
                _(
                    "Connection problem: %(error)s",
                    error=self.last_error or _("see the sync logs."),
                )
            )
        if self.missing_scopes and self.state != "error":
            errors.append(
                _(
                    "The app lacks the access scopes: %(scopes)s.",
                    scopes=self.missing_scopes,
                )
            )
        if self.consecutive_errors >= ERRORS_ERROR:
            errors.append(
                _(
                    "%(count)s calls to Shopify failed in a row: see the sync logs.",
                    count=self.consecutive_errors,
                )
            )
        elif self.consecutive_errors >= ERRORS_WARNING:
            warnings.append(
                _(
                    "%(count)s call(s) to Shopify failed in a row; they are retried.",
                    count=self.consecutive_errors,
                )
            )
        if self.webhook_lost_count:
            errors.append(
                _(
                    "Shopify had deleted %(count)s of our webhook subscriptions "
                    "(found %(when)s UTC and re-created): Shopify deletes them after "
                    "8 failed deliveries in a row, so Odoo was not reachable at "
                    "%(url)s. Check the public URL (web.base.url) and the proxy.",
                    count=self.webhook_lost_count,
                    when=fields.Datetime.to_string(self.webhook_lost_at),
                    url=self._shopify_webhook_url(),
                )
            )
        if (self.webhook_status or "").startswith("Webhook subscription check failed"):
            warnings.append(self.webhook_status)
        if self.state == "connected":
            warnings += self._shopify_webhook_silence(now, silence_hours)
        if self.webhook_failed_count:
            warnings.append(
                _(
                    "%(count)s webhook event(s) failed: open them, fix the cause and "
                    "press Retry.",
                    count=self.webhook_failed_count,
                )
            )
        if oldest and oldest < now - timedelta(minutes=late_minutes):
            warnings.append(
                _(
                    "%(count)s webhook event(s) wait since %(since)s UTC: is the "
                    "processing cron running?",
                    count=self.webhook_pending_count,
                    since=fields.Datetime.to_string(oldest),
                )
            )
        return errors, warnings

    def _shopify_webhook_silence(self, now, silence_hours):
        """Warn when webhooks stopped arriving while orders are expected."""
        if not self.import_orders or not self.webhook_registered_at:
            return []
        limit = now - timedelta(hours=silence_hours)
        last = self.last_webhook_at
        if last and last < limit:
            return [
                _(
                    "No webhook received for %(hours)s hours (last %(last)s UTC): "
                    "orders may be missed until the reconcile cron catches up. Check "
                    "that Shopify can reach %(url)s.",
                    hours=int((now - last).total_seconds() // 3600),
                    last=fields.Datetime.to_string(last),
                    url=self._shopify_webhook_url(),
                )
            ]
        if not last and self.webhook_registered_at < limit:
            return [
                _(
                    "No webhook received since they were registered on %(when)s UTC. "
                    "Check that Shopify can reach %(url)s.",
                    when=fields.Datetime.to_string(self.webhook_registered_at),
                    url=self._shopify_webhook_url(),
                )
            ]
        return []

    # ------------------------------------------------------------------ webhooks lost
    def _shopify_sync_webhook_subscriptions(self):
        """Before the sync repairs them, count ours that vanished since registration."""
        self.ensure_one()
        lost = 0
        if self.webhook_registered_at:
            path = webhook_path(self.id)
            subscriptions = list(self.sudo()._shopify_client().webhook_subscriptions())
            lost = len(
                webhook_subscriptions.plan(
                    subscriptions, self._shopify_webhook_url(), path
                ).create
            )
        result = super()._shopify_sync_webhook_subscriptions()
        now = fields.Datetime.now()

        def changes():
            vals = {"webhook_registered_at": self.webhook_registered_at or now}
            if lost:
                vals.update(webhook_lost_count=lost, webhook_lost_at=now)
            elif self.webhook_lost_count and (
                not self.webhook_lost_at
                or self.webhook_lost_at < now - timedelta(days=1)
            ):
                # Found lost, re-created, and none lost since: the warning has done
                # its job.
                vals.update(webhook_lost_count=0, webhook_lost_at=False)
            return {k: v for k, v in vals.items() if self[k] != v}

        self._shopify_write_bookkeeping(changes)
        return result

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
            kind, detail = self._shopify_failure_kind(exc), exc.message
        now = fields.Datetime.now()
        vals = {"connection_checked_at": now}
        if info is not None:
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

    @staticmethod
    def _shopify_failure_kind(exc):
        text = exc.message or ""
        if isinstance(exc, ShopifyAuthError):
            if exc.status == 404:
                return "unknown_shop"
            if exc.status == 403 or "ACCESS_DENIED" in text or "access denied" in text:
                return "access_denied"
            return "credentials"
        if isinstance(exc, ShopifyRetryableError):
            if exc.status == 429 or "THROTTLED" in text or "rate limit" in text:
                return "throttled"
            if exc.status and exc.status >= 500:
                return "shopify_down"
            return "network"
        if exc.status == 404:
            return "unknown_shop"
        if isinstance(exc, ShopifyGraphQLError) and "ACCESS_DENIED" in exc.codes:
            return "access_denied"
        return "other"

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
