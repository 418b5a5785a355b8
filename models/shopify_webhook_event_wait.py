"""Inbox events that wait for OUR OWN in-flight work, not for the store.

An inventory_levels/update can meet a write of ours to its level that is still
pending (the push sent it and has no answer yet: webhooks are asynchronous and the
echo of a write often arrives before its HTTP answer; or the answer was lost and the
batch waits for its resend). The level cannot be classified then (the write may be
applied already and would look like a store edit), so the handler raises
ShopifyLevelPending, whose `waits_on_own_work` says so.

Nothing is wrong with the event and it has not failed: it waits, and its attempt is
given back. It is made due the moment a push settles the store's writes
(`_shopify_wake_waiting_on_writes`), else it looks again after 5 s, 5 s, 10 s, 20 s
... (lib.throttle.wait_delay: at most 60 s; a look is one locked row, no API call).
Bounded by time, not attempts: after `shopify_sync.webhook_wait_seconds` (default
one hour, longer than an uncertain batch takes to be resent until given up) it is
failed, saying what it waited for, in the sync log; the reconcile reads the level.
"""

from datetime import timedelta

from odoo import api, fields, models

from ..lib.params import number
from ..lib.throttle import wait_delay
from .shopify_store_health import side_cursor
from .shopify_webhook_event import _error_text, _logger

WAIT_MIN_SECONDS = 5
WAIT_RECHECK_MAX_SECONDS = 60
DEFAULT_WAIT_SECONDS = 3600


def waits_on_own_work(exc):
    """True for a handler failure that only means "a write of ours is in flight"."""
    return bool(getattr(exc, "waits_on_own_work", False))


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    waiting_since = fields.Datetime(
        readonly=True,
        help="Since when the event waits for a write of ours to its object to "
        "settle (not counted as attempts; failed after "
        "shopify_sync.webhook_wait_seconds).",
    )

    @api.model
    def _shopify_max_wait_seconds(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("shopify_sync.webhook_wait_seconds")
        )
        return number(value, DEFAULT_WAIT_SECONDS, float, 1.0)

    def _shopify_wait_own_work(self, exc, attempts, now):
        """The handler needs a write of ours settled first: wait (attempt given
        back), or fail the event once it waited longer than allowed."""
        self.ensure_one()
        since = self.waiting_since or now
        waited = (now - since).total_seconds()
        delay = wait_delay(
            waited,
            limit=self._shopify_max_wait_seconds(),
            floor=WAIT_MIN_SECONDS,
            cap=WAIT_RECHECK_MAX_SECONDS,
            retry_after=getattr(exc, "retry_after", None),
        )
        if delay is None:
            error = (
                "Waited %(minutes)d min for a write of ours to settle, longer than "
                "allowed; the reconcile reads the level again. Last: %(error)s"
                % {"minutes": waited // 60, "error": _error_text(exc)}
            )
            self.write(
                {
                    "state": "failed",
                    "attempts": attempts,
                    "last_error": error,
                    "next_attempt_at": False,
                    "processed_at": now,
                }
            )
            _logger.warning(
                "Shopify webhook event %s (%s) failed: %s", self.id, self.topic, error
            )
            self._shopify_log_failure(error)
            return
        at = now + timedelta(seconds=delay)
        self.write(
            {
                "attempts": attempts,
                "waiting_since": since,
                # `_shopify_wake_waiting_on_writes` finds the event by this text.
                "last_error": _error_text(exc),
                "next_attempt_at": at,
            }
        )
        _logger.info(
            "Shopify webhook event %s (%s) waits for a write of ours (%ds so far), "
            "looks again in %ss: %s",
            self.id,
            self.topic,
            waited,
            delay,
            _error_text(exc),
        )
        self._shopify_trigger_at(at)

    @api.model
    def _shopify_wake_waiting_on_writes(self, store):
        """A push settled writes of `store`: its inventory_levels/update events that
        wait because a write of ours to their level was still pending
        (ShopifyLevelPending) are due now: the store's edit reaches Odoo seconds
        after our write settles.

        On a READ COMMITTED side cursor, rows being processed skipped: no conflict
        with the inbox's workers. A leased event woken here is at worst leased
        again; its first worker then finds the attempt is not its own and skips it.
        """
        with side_cursor(self.env) as cr:
            cr.execute(
                """
                UPDATE shopify_webhook_event SET next_attempt_at = NULL
                 WHERE id IN (
                        SELECT id FROM shopify_webhook_event
                         WHERE store_id = %s AND state = 'pending'
                           AND topic = 'inventory_levels/update'
                           AND next_attempt_at > (now() AT TIME ZONE 'UTC')
                           AND last_error LIKE %s
                           FOR UPDATE SKIP LOCKED)
                """,
                [store.id, "ShopifyLevelPending%"],
            )
            woken = cr.rowcount
        if woken:
            self.invalidate_model(["next_attempt_at"])
            self._shopify_trigger_processing()
        return woken
