"""What the store's checks conclude, from plain facts (no Odoo).

- `connection_failure_kind(exc)`: why Test connection failed, as the kind whose
  sentence tells the merchant what to do (models/shopify_store_setup.py says it).
- `health_findings(facts, now, ...)`: the store's health verdict as findings, most
  serious first; `verdict(findings)` is "ok", "warning" or "error". The model
  (models/shopify_store_verdict.py) gathers the facts and words each finding.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import ShopifyAuthError, ShopifyGraphQLError, ShopifyRetryableError

# Health thresholds (ir.config_parameter overrides the first two).
WEBHOOK_SILENCE_HOURS = 24
PENDING_LATE_MINUTES = 15
ERRORS_WARNING = 1
ERRORS_ERROR = 5

WEBHOOK_CHECK_FAILED = "Webhook subscription check failed"


def connection_failure_kind(exc):
    """The kind of a client error (`lib.errors`) met by Test connection."""
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


@dataclass(frozen=True)
class StoreFacts:
    """What the health verdict looks at (datetimes naive UTC, None when unknown)."""

    active: bool = True
    state: str = "draft"  # draft | connected | error | disconnected
    circuit_open: bool = False
    missing_scopes: bool = False
    consecutive_errors: int = 0
    webhook_lost_count: int = 0
    webhook_status: str = ""
    import_orders: bool = True
    webhook_registered_at: datetime | None = None
    last_webhook_at: datetime | None = None
    webhook_failed_count: int = 0
    oldest_pending_at: datetime | None = None


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning"
    code: str


def health_findings(
    facts,
    now,
    silence_hours=WEBHOOK_SILENCE_HOURS,
    late_minutes=PENDING_LATE_MINUTES,
):
    """The findings on a store, errors first (each group in a fixed order)."""
    errors, warnings = [], []
    if facts.circuit_open:
        errors.append("circuit_open")
    if not facts.active:
        return _findings(errors, ["archived"])
    if facts.state == "draft":
        warnings.append("not_connected")
    elif facts.state == "disconnected":
        errors.append("disconnected")
    elif facts.state == "error":
        errors.append("connection_error")
    if facts.missing_scopes and facts.state != "error":
        errors.append("missing_scopes")
    if facts.consecutive_errors >= ERRORS_ERROR:
        errors.append("errors_in_a_row")
    elif facts.consecutive_errors >= ERRORS_WARNING:
        warnings.append("errors_retried")
    if facts.webhook_lost_count:
        errors.append("webhooks_lost")
    if (facts.webhook_status or "").startswith(WEBHOOK_CHECK_FAILED):
        warnings.append("webhook_check_failed")
    if facts.state == "connected":
        warnings += _webhook_silence(facts, now, silence_hours)
    if facts.webhook_failed_count:
        warnings.append("webhook_events_failed")
    oldest = facts.oldest_pending_at
    if oldest and oldest < now - timedelta(minutes=late_minutes):
        warnings.append("webhook_events_late")
    return _findings(errors, warnings)


def _webhook_silence(facts, now, silence_hours):
    """Webhooks stopped arriving (or never came) while orders are expected."""
    if not facts.import_orders or not facts.webhook_registered_at:
        return []
    limit = now - timedelta(hours=silence_hours)
    last = facts.last_webhook_at
    if last and last < limit:
        return ["webhooks_silent"]
    if not last and facts.webhook_registered_at < limit:
        return ["webhooks_never"]
    return []


def _findings(errors, warnings):
    return [Finding("error", c) for c in errors] + [
        Finding("warning", c) for c in warnings
    ]


def verdict(findings):
    """The health state of a store with these findings."""
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "error"
    return "warning" if severities else "ok"
