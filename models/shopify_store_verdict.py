"""Health verdict of `shopify.store` (ok / warning / error), shown on the form and
the overview: the store's facts go to `lib.store_checks.health_findings`, each
finding comes back as a sentence a merchant can act on, most serious first.
"""

from odoo import _, api, fields, models

from ..lib import store_checks
from ..lib.params import number


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

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

    @api.model
    def _shopify_health_param(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        return number(value, default, float)

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
            "shopify_sync.health_webhook_silence_hours",
            store_checks.WEBHOOK_SILENCE_HOURS,
        )
        late_minutes = self._shopify_health_param(
            "shopify_sync.health_pending_late_minutes",
            store_checks.PENDING_LATE_MINUTES,
        )
        oldest = self._shopify_oldest_pending()
        for store in self:
            facts = store._shopify_health_facts(oldest.get(store.id))
            findings = store_checks.health_findings(
                facts, now, silence_hours, late_minutes
            )
            store.webhook_oldest_pending_at = oldest.get(store.id, False)
            store.health_state = store_checks.verdict(findings)
            store.health_message = "\n".join(
                store._shopify_finding_text(f.code, now, oldest.get(store.id))
                for f in findings
            ) or _("Everything looks fine.")

    def _shopify_health_facts(self, oldest_pending):
        self.ensure_one()
        return store_checks.StoreFacts(
            active=self.active,
            state=self.state,
            circuit_open=bool(self.circuit_open_until),
            missing_scopes=bool(self.missing_scopes),
            consecutive_errors=self.consecutive_errors,
            webhook_lost_count=self.webhook_lost_count,
            webhook_status=self.webhook_status or "",
            import_orders=self.import_orders,
            webhook_registered_at=self.webhook_registered_at or None,
            last_webhook_at=self.last_webhook_at or None,
            webhook_failed_count=self.webhook_failed_count,
            oldest_pending_at=oldest_pending or None,
        )

    def _shopify_finding_text(self, code, now, oldest_pending=None):
        """The merchant's sentence for a `store_checks` finding."""
        self.ensure_one()
        if code == "circuit_open":
            return self._shopify_circuit_text()
        if code == "archived":
            return _("This store is archived: nothing is synchronised.")
        if code == "not_connected":
            return _("Not connected yet: run Guided setup or Test connection.")
        if code == "disconnected":
            return _(
                "The app was uninstalled from this shop or disconnected: "
                "nothing is synchronised until it is installed and tested again."
            )
        if code == "connection_error":
            return _(
                "Connection problem: %(error)s",
                error=self.last_error or _("see the sync logs."),
            )
        if code == "missing_scopes":
            return _(
                "The app lacks the access scopes: %(scopes)s.",
                scopes=self.missing_scopes,
            )
        if code == "errors_in_a_row":
            return _(
                "%(count)s calls to Shopify failed in a row: see the sync logs.",
                count=self.consecutive_errors,
            )
        if code == "errors_retried":
            return _(
                "%(count)s call(s) to Shopify failed in a row; they are retried.",
                count=self.consecutive_errors,
            )
        if code == "webhooks_lost":
            return _(
                "Shopify had deleted %(count)s of our webhook subscriptions "
                "(found %(when)s UTC and re-created): Shopify deletes them after "
                "8 failed deliveries in a row, so Odoo was not reachable at "
                "%(url)s. Check the public URL (web.base.url) and the proxy.",
                count=self.webhook_lost_count,
                when=fields.Datetime.to_string(self.webhook_lost_at),
                url=self._shopify_webhook_url(),
            )
        if code == "webhook_check_failed":
            return self.webhook_status
        if code == "webhooks_silent":
            last = self.last_webhook_at
            return _(
                "No webhook received for %(hours)s hours (last %(last)s UTC): "
                "orders may be missed until the reconcile cron catches up. Check "
                "that Shopify can reach %(url)s.",
                hours=int((now - last).total_seconds() // 3600),
                last=fields.Datetime.to_string(last),
                url=self._shopify_webhook_url(),
            )
        if code == "webhooks_never":
            return _(
                "No webhook received since they were registered on %(when)s UTC. "
                "Check that Shopify can reach %(url)s.",
                when=fields.Datetime.to_string(self.webhook_registered_at),
                url=self._shopify_webhook_url(),
            )
        if code == "webhook_events_failed":
            return _(
                "%(count)s webhook event(s) failed: open them, fix the cause and "
                "press Retry.",
                count=self.webhook_failed_count,
            )
        if code == "webhook_events_late":
            return _(
                "%(count)s webhook event(s) wait since %(since)s UTC: is the "
                "processing cron running?",
                count=self.webhook_pending_count,
                since=fields.Datetime.to_string(oldest_pending),
            )
        raise ValueError("unknown health finding %r" % (code,))
