"""Replays of one Shopify event are stored once.

`X-Shopify-Event-Id` names the Shopify action behind a delivery; it is not signed,
but a body replayed under a new webhook id with its original event id must have no
effect. A unique index per (store, topic, event id) makes the controller's insert a
no-op for it (`ON CONFLICT DO NOTHING`, answered 200 like any duplicate).
"""

import logging

from odoo import models
from odoo.exceptions import UserError

from ..lib import webhook_checks
from ..lib.errors import ShopifyAuthError

_logger = logging.getLogger(__name__)

EVENT_INDEX = "shopify_webhook_event_event_uniq"


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def init(self):
        super().init()
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (EVENT_INDEX,))
        if cr.fetchone():
            return
        cr.execute(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM shopify_webhook_event WHERE event_id IS NOT NULL
                 GROUP BY store_id, topic, event_id HAVING count(*) > 1
            ) dup
            """
        )
        if cr.fetchone()[0]:
            _logger.warning(
                "shopify_webhook_event holds replays of one event id: unique index "
                "%s not created; remove the duplicates and update the module",
                EVENT_INDEX,
            )
            return
        cr.execute(
            """
            CREATE UNIQUE INDEX shopify_webhook_event_event_uniq
                ON shopify_webhook_event (store_id, topic, event_id)
             WHERE event_id IS NOT NULL
            """
        )

    # ------------------------------------------------------------------
    # Destructive topics: the Admin API decides, the webhook only asks
    # ------------------------------------------------------------------

    def _shopify_log_ignored(self, reason):
        """One log line for an event ignored because it proved to be no authority."""
        self.ensure_one()
        _logger.info(
            "Shopify webhook event %s (%s) ignored: %s", self.id, self.topic, reason
        )
        self.env["shopify.sync.log"]._log(
            store=self.store_id,
            direction="inbound",
            operation="webhook:%s" % self.topic,
            state="warning",
            message="Webhook event ignored: %s." % reason,
            res_model=self._name,
            res_id=self.id,
        )

    def _shopify_app_uninstall_confirmed(self):
        """True when Shopify confirms the app left the shop: the body is the shop
        object of this store and a call with the store's credentials is refused
        (401 / 403, or the token endpoint refuses the client credentials).

        Still accepted: the event is no authority (a replayed or misrouted body) and
        the store stays connected. Network or throttling errors propagate: the inbox
        retries the event."""
        self.ensure_one()
        store = self.store_id.sudo()
        problem = webhook_checks.shape_problem(
            "app/uninstalled", self._shopify_payload(), store.shop_domain
        )
        if problem:
            self._shopify_log_ignored(problem)
            return False
        if store.state == "disconnected":
            return True
        try:
            # The handler's client options (the cron's context): a store that is
            # down is asked once per run, the inbox retries the event.
            with store._shopify_client() as client:
                client.shop_info()
        except ShopifyAuthError:
            return True
        except UserError:
            # No credentials: nothing can be asked, and nothing is synchronised.
            return True
        self._shopify_log_ignored(
            "Shopify still accepts the app's credentials for %s: the app is "
            "installed, the store stays connected" % store.shop_domain
        )
        return False
