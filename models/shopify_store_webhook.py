"""Webhook side of `shopify.store`: subscriptions, health counts, daily health cron.

`action_register_webhooks` makes the shop's subscriptions for this app match
exactly `lib.webhook_topics.TOPICS`, each once, pointing at
`{web.base.url}/shopify/webhook/{store.id}`; the decision is
`lib.webhook_subscriptions.plan` (kept / updated in place / created / deleted).
Running it once, twice, concurrently with the daily cron, or after a partial failure
ends in the same state: a create Shopify refuses as "already taken" means the
subscription exists, so it is adopted from a fresh listing, not reported as a failure.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models

from ..lib import store_checks, webhook_subscriptions, webhook_topics
from ..lib.circuit import BUTTON_CLIENT_OPTIONS, CRON_CLIENT_OPTIONS
from ..lib.errors import ShopifyUserError
from ..lib.txn import CONFLICTS
from ..lib.webhook import webhook_path
from .odoo_platform import auto_commit_allowed

_logger = logging.getLogger(__name__)


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    # Health bookkeeping: kept in `shopify.store.health`, written after commit.
    webhook_status = fields.Text(
        compute="_compute_shopify_bookkeeping",
        help="Result of the last webhook subscription check.",
    )
    webhook_checked_at = fields.Datetime(
        string="Webhooks Checked At", compute="_compute_shopify_bookkeeping"
    )
    # Subscriptions Shopify removed (found by the subscription check).
    webhook_registered_at = fields.Datetime(readonly=True, copy=False)
    webhook_lost_count = fields.Integer(
        readonly=True,
        copy=False,
        help="Subscriptions of ours the last check found missing although they had "
        "been registered: Shopify deletes them after 8 failed deliveries in a row.",
    )
    webhook_lost_at = fields.Datetime(readonly=True, copy=False)
    webhook_pending_count = fields.Integer(compute="_compute_webhook_counts")
    webhook_failed_count = fields.Integer(compute="_compute_webhook_counts")

    def _compute_webhook_counts(self):
        counts = {}
        if self.ids:
            groups = (
                self.env["shopify.webhook.event"]
                .sudo()
                ._read_group(
                    [
                        ("store_id", "in", self.ids),
                        ("state", "in", ("pending", "failed")),
                    ],
                    groupby=["store_id", "state"],
                    aggregates=["__count"],
                )
            )
            counts = {(store.id, state): count for store, state, count in groups}
        for store in self:
            store.webhook_pending_count = counts.get((store.id, "pending"), 0)
            store.webhook_failed_count = counts.get((store.id, "failed"), 0)

    # ------------------------------------------------------------------

    def _shopify_webhook_url(self):
        self.ensure_one()
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        return base.rstrip("/") + webhook_path(self.id)

    def _shopify_sync_webhook_subscriptions(self):
        """Create / repair / remove this app's subscriptions; return a summary text.

        Deletes run first, then in-place updates, then creates, so a wrong
        subscription never blocks the right one. Every step is tried; the first
        failure is raised at the end (callers record it), after the others ran.
        Ours missing although registered before are counted as lost (health).
        """
        self.ensure_one()
        client = self.sudo()._shopify_client()
        url = self._shopify_webhook_url()
        path = webhook_path(self.id)
        plan = webhook_subscriptions.plan(
            list(client.webhook_subscriptions()), url, path
        )
        lost = len(plan.create) if self.webhook_registered_at else 0
        failures = []
        for sub in plan.delete:
            self._shopify_webhook_step(
                failures,
                client.delete_webhook,
                webhook_subscriptions.subscription_gid(sub),
            )
        for sub in plan.update:
            self._shopify_webhook_step(
                failures,
                client.update_webhook,
                webhook_subscriptions.subscription_gid(sub),
                url,
            )
        adopted = 0
        for topic in plan.create:
            try:
                client.create_webhook(topic, url)
            except ShopifyUserError as exc:
                if not webhook_subscriptions.is_taken_error(exc):
                    failures.append(exc)
                    continue
                # Someone (a concurrent run, an earlier attempt whose answer was
                # lost) made it meanwhile: adopt it, point it right if needed.
                existing = webhook_subscriptions.adopt_existing(
                    client.webhook_subscriptions(), topic, url
                )
                if existing is not None and (existing.get("format") or "JSON") != (
                    "JSON"
                ):
                    self._shopify_webhook_step(
                        failures,
                        client.update_webhook,
                        webhook_subscriptions.subscription_gid(existing),
                        url,
                    )
                adopted += 1
        if failures:
            raise failures[0]
        self._shopify_record_lost_webhooks(lost)
        return (
            "%(total)s subscriptions point at %(url)s: %(created)s created, "
            "%(repaired)s repaired, %(removed)s removed."
        ) % {
            "total": len(webhook_topics.TOPICS),
            "url": url,
            "created": len(plan.create) - adopted,
            "repaired": len(plan.update),
            "removed": len(plan.delete),
        }, plan.changed

    def _shopify_record_lost_webhooks(self, lost):
        """Remember when ours were registered and how many Shopify had deleted; a
        day after the last loss (re-created since), the warning has done its job."""
        now = fields.Datetime.now()

        def changes():
            vals = {"webhook_registered_at": self.webhook_registered_at or now}
            if lost:
                vals.update(webhook_lost_count=lost, webhook_lost_at=now)
            elif self.webhook_lost_count and (
                not self.webhook_lost_at
                or self.webhook_lost_at < now - timedelta(days=1)
            ):
                vals.update(webhook_lost_count=0, webhook_lost_at=False)
            return {k: v for k, v in vals.items() if self[k] != v}

        self._shopify_write_bookkeeping(changes)

    @staticmethod
    def _shopify_webhook_step(failures, call, *args):
        try:
            call(*args)
        except ShopifyUserError as exc:
            failures.append(exc)

    def _shopify_check_webhooks(self):
        """Run the subscription sync for each store and record the outcome.

        Returns `{store_id: error text}` for the stores that failed.
        """
        errors = {}
        for store in self:
            now = fields.Datetime.now()
            try:
                summary, changed = store._shopify_sync_webhook_subscriptions()
                state = "warning" if changed else "success"
            except Exception as exc:  # noqa: BLE001 - recorded on the store and log
                # Client errors never carry secrets (lib.errors contract).
                summary = "%s: %s" % (store_checks.WEBHOOK_CHECK_FAILED, exc)
                state, errors[store.id] = "error", summary
                _logger.warning(
                    "Shopify store %s: webhook subscription check failed (%s)",
                    store.id,
                    type(exc).__name__,
                )
            store._shopify_health_record(
                "set", webhook_status=summary, webhook_checked_at=now
            )
            self.env["shopify.sync.log"]._log(
                store=store,
                direction="outbound",
                operation="webhook_subscriptions",
                state=state,
                message=summary,
            )
        return errors

    def _shopify_write_bookkeeping(self, changes):
        """Write `changes()` (a dict computed from what this transaction sees) on
        the store row without a conflict logged at ERROR (issue 20.3).

        The daily webhook check runs on a cron thread while the merchant may be
        setting the store up (the Guided Setup writes the same row; the e2e logged
        a serialization failure of the cron's write). An unchanged value is not
        written at all; a changed one takes the row lock first, unlogged. When the
        row changed after this transaction's snapshot, what came before is
        committed and the changes are computed again in a fresh transaction, once;
        still refused, the conflict is raised (the caller records the check as
        failed, the next run does it)."""
        self.ensure_one()
        auto_commit = auto_commit_allowed(self.env)
        for fresh in (False, True):
            if fresh:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            vals = changes()
            if not vals:
                return
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute(
                        "SELECT id FROM shopify_store WHERE id = %s FOR NO KEY UPDATE",
                        [self.id],
                        log_exceptions=False,
                    )
            except CONFLICTS:
                if fresh or not auto_commit:
                    raise
                continue
            self.sudo().write(vals)
            return

    def action_register_webhooks(self):
        self._shopify_check_access()
        errors = self.with_context(
            shopify_client_defaults=BUTTON_CLIENT_OPTIONS
        )._shopify_check_webhooks()
        # A notification, not a UserError: raising would roll back the status we
        # just recorded on the store.
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "danger" if errors else "success",
                "sticky": bool(errors),
                "message": "\n".join(errors.values())
                or _("Webhook subscriptions are up to date."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _shopify_open_webhook_events(self, state):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_webhook_event_action"
        )
        action["domain"] = [("store_id", "=", self.id), ("state", "=", state)]
        action["context"] = {"create": False}
        return action

    def action_view_webhook_pending(self):
        return self._shopify_open_webhook_events("pending")

    def action_view_webhook_failed(self):
        return self._shopify_open_webhook_events("failed")

    @api.model
    def _cron_check_webhook_subscriptions(self):
        """Daily: repair missing / wrong subscriptions of every connected store."""
        stores = self.search([("state", "in", ("connected", "error"))])
        # A background cron's bounded client (lib/circuit.py): it shares the worker.
        self.browse(stores.ids).with_context(
            shopify_client_defaults=CRON_CLIENT_OPTIONS
        )._shopify_check_webhooks()
