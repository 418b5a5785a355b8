"""The inbox's outcomes of a failed handler run: a failed attempt (backoff, or failed
for good once every attempt is used) or a busy worker met (retried in seconds, the
attempt given back). Called by `_shopify_settle_failure` (the queue module).
"""

from datetime import timedelta

from odoo import models

from .shopify_webhook_event import (
    CONTENTION_RETRY_MAX_SECONDS,
    CONTENTION_RETRY_SECONDS,
    _error_text,
    _logger,
)


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_failed(self, exc, attempts, now):
        error = _error_text(exc)
        max_attempts = self._shopify_max_attempts()
        vals = {"attempts": attempts, "last_error": error, "waiting_since": False}
        if attempts >= max_attempts:
            vals.update(state="failed", next_attempt_at=False, processed_at=now)
        else:
            delay = self._shopify_backoff(
                attempts, retry_after=getattr(exc, "retry_after", None)
            )
            vals["next_attempt_at"] = now + timedelta(seconds=delay)
        self.write(vals)
        _logger.warning(
            "Shopify webhook event %s (%s) attempt %s failed: %s",
            self.id,
            self.topic,
            attempts,
            error,
        )
        if vals.get("state") == "failed":
            self._shopify_log_failure(error)
        else:
            self._shopify_trigger_at(vals["next_attempt_at"])

    def _shopify_retry_soon(self, exc, attempts, now):
        """Another worker held what the handler needed (an order or level busy, a
        serialization failure): try again in seconds, not a failed attempt."""
        conflicts = self.conflicts + 1
        base = getattr(exc, "retry_after", None) or CONTENTION_RETRY_SECONDS
        delay = min(base * 2 ** (conflicts - 1), CONTENTION_RETRY_MAX_SECONDS)
        at = now + timedelta(seconds=delay)
        self.write(
            {
                "attempts": attempts,
                "conflicts": conflicts,
                "last_error": _error_text(exc),
                "next_attempt_at": at,
            }
        )
        _logger.info(
            "Shopify webhook event %s (%s) met a busy worker, retried in %ss: %s",
            self.id,
            self.topic,
            delay,
            _error_text(exc),
        )
        self._shopify_trigger_at(at)
