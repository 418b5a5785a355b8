"""Webhook side of `shopify.store`: subscriptions, health counts, daily health cron.

`action_register_webhooks` makes the shop's subscriptions for this app match
exactly `lib.webhook_topics.TOPICS`, each once, pointing at
`{web.base.url}/shopify/webhook/{store.id}`. Subscriptions are "ours" when their
URI's path is this store's webhook path (whatever the host: a changed
`web.base.url` is repaired); any other URI is left alone.
"""

import logging
from urllib.parse import urlsplit

from odoo import _, api, fields, models

from ..controllers.main import ShopifyWebhookController
from ..lib import webhook_topics

_logger = logging.getLogger(__name__)


def _subscription_topic(sub):
    """REST topic of a listed subscription (GraphQL enum or REST spelling)."""
    raw = sub.get("topic") or ""
    return webhook_topics.enum_to_topic(raw) or (raw if "/" in raw else raw.lower())


def _subscription_gid(sub):
    return sub.get("gid") or sub.get("id")


def _subscription_uri(sub):
    uri = sub.get("uri") or sub.get("callbackUrl")
    if not uri:
        endpoint = sub.get("endpoint") or {}
        uri = endpoint.get("callbackUrl") or endpoint.get("uri")
    return uri or ""


def plan_subscriptions(subscriptions, url, path, topics=webhook_topics.TOPICS):
    """Decide which subscriptions to create / delete so `topics` point at `url` once.

    `subscriptions`: dicts with `gid` (or `id`), `topic`, `uri`. Returns
    `(to_create: [topic], to_delete: [sub], repaired: {topic})` — a repair is a
    delete of the wrong-URI subscription plus a create.
    """
    needed = set(topics)
    ours = [s for s in subscriptions if urlsplit(_subscription_uri(s)).path == path]
    # Exact URI first so that, among duplicates, a correct one is kept.
    ours.sort(key=lambda s: (_subscription_uri(s) != url, str(_subscription_gid(s))))
    kept, wrong_uri, to_delete = set(), {}, []
    for sub in ours:
        topic = _subscription_topic(sub)
        if topic not in needed or topic in kept or topic in wrong_uri:
            to_delete.append(sub)
        elif _subscription_uri(sub) != url:
            wrong_uri[topic] = sub
        else:
            kept.add(topic)
    repaired = set()
    for topic, sub in wrong_uri.items():
        to_delete.append(sub)
        if topic not in kept:
            repaired.add(topic)
    to_create = [t for t in topics if t not in kept]
    return to_create, to_delete, repaired


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
        return base.rstrip("/") + ShopifyWebhookController.webhook_path(self.id)

    def _shopify_sync_webhook_subscriptions(self):
        """Create / repair / remove this app's subscriptions; return a summary text.

        Raises the client's `ShopifyError` on API failure (callers record it).
        """
        self.ensure_one()
        client = self.sudo()._shopify_client()
        url = self._shopify_webhook_url()
        path = ShopifyWebhookController.webhook_path(self.id)
        to_create, to_delete, repaired = plan_subscriptions(
            list(client.webhook_subscriptions()), url, path
        )
        for sub in to_delete:
            client.delete_webhook(_subscription_gid(sub))
        for topic in to_create:
            client.create_webhook(topic, url)
        created = len([t for t in to_create if t not in repaired])
        removed = len(to_delete) - len(repaired)
        return (
            "%(total)s subscriptions point at %(url)s: %(created)s created, "
            "%(repaired)s repaired, %(removed)s removed."
        ) % {
            "total": len(webhook_topics.TOPICS),
            "url": url,
            "created": created,
            "repaired": len(repaired),
            "removed": removed,
        }, bool(to_create or to_delete)

    def _shopify_check_webhooks(self):
        """Run the subscription sync for each store and record the outcome.

        Returns `{store_id: error text}` for the stores that failed.
        """
        errors = {}
        for store in self:
            now = fields.Datetime.now()
            try:
                summary, changed = store._shopify_sync_webhook_subscriptions()
            except Exception as exc:  # noqa: BLE001 - recorded on the store and log
                # Client errors never carry secrets (lib.errors contract).
                message = "Webhook subscription check failed: %s" % (exc,)
                errors[store.id] = message
                store._shopify_health_record(
                    "set", webhook_status=message, webhook_checked_at=now
                )
                self.env["shopify.sync.log"]._log(
                    store=store,
                    direction="outbound",
                    operation="webhook_subscriptions",
                    state="error",
                    message=message,
                )
                _logger.warning(
                    "Shopify store %s: webhook subscription check failed (%s)",
                    store.id,
                    type(exc).__name__,
                )
                continue
            store._shopify_health_record(
                "set", webhook_status=summary, webhook_checked_at=now
            )
            self.env["shopify.sync.log"]._log(
                store=store,
                direction="outbound",
                operation="webhook_subscriptions",
                state="warning" if changed else "success",
                message=summary,
            )
        return errors

    def action_register_webhooks(self):
        self._shopify_check_access()
        errors = self._shopify_check_webhooks()
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
        self.browse(stores.ids)._shopify_check_webhooks()
