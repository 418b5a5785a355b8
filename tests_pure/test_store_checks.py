"""The store's health verdict and Test connection's failure kinds
(lib/store_checks.py)."""

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lib import store_checks
from lib.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyRetryableError,
)
from lib.store_checks import Finding, StoreFacts, health_findings, verdict

NOW = datetime(2026, 6, 1, 12, 0, 0)
HOUR = timedelta(hours=1)


def codes(facts, **kw):
    return [f.code for f in health_findings(facts, NOW, **kw)]


def test_a_new_store_is_only_not_connected():
    findings = health_findings(StoreFacts(), NOW)
    assert findings == [Finding("warning", "not_connected")]
    assert verdict(findings) == "warning"


def test_a_healthy_connected_store_is_ok():
    facts = StoreFacts(
        state="connected",
        webhook_registered_at=NOW - 48 * HOUR,
        last_webhook_at=NOW - HOUR,
    )
    assert codes(facts) == []
    assert verdict([]) == "ok"


def test_archived_says_only_archived_but_an_open_circuit_first():
    facts = StoreFacts(active=False, state="error", consecutive_errors=9)
    assert codes(facts) == ["archived"]
    facts = StoreFacts(active=False, circuit_open=True)
    assert codes(facts) == ["circuit_open", "archived"]


def test_missing_scopes_are_not_repeated_over_a_connection_error():
    assert codes(StoreFacts(state="error", missing_scopes=True)) == ["connection_error"]
    assert codes(StoreFacts(state="connected", missing_scopes=True)) == [
        "missing_scopes"
    ]


def test_errors_in_a_row_thresholds():
    below = store_checks.ERRORS_WARNING - 1
    assert "errors_retried" not in codes(StoreFacts(consecutive_errors=below))
    assert "errors_retried" in codes(
        StoreFacts(consecutive_errors=store_checks.ERRORS_WARNING)
    )
    many = codes(StoreFacts(consecutive_errors=store_checks.ERRORS_ERROR))
    assert "errors_in_a_row" in many and "errors_retried" not in many


def test_webhook_silence_only_when_connected_and_expecting_orders():
    silent = StoreFacts(
        state="connected",
        webhook_registered_at=NOW - 72 * HOUR,
        last_webhook_at=NOW - 30 * HOUR,
    )
    assert codes(silent) == ["webhooks_silent"]
    assert codes(silent, silence_hours=48) == []
    assert codes(StoreFacts(**{**silent.__dict__, "import_orders": False})) == []
    assert codes(StoreFacts(**{**silent.__dict__, "state": "error"})) == [
        "connection_error"
    ]
    never = StoreFacts(state="connected", webhook_registered_at=NOW - 30 * HOUR)
    assert codes(never) == ["webhooks_never"]
    fresh = StoreFacts(state="connected", webhook_registered_at=NOW - HOUR)
    assert codes(fresh) == []


def test_late_pending_events_and_a_failed_check():
    facts = StoreFacts(
        state="connected",
        oldest_pending_at=NOW - timedelta(minutes=16),
        webhook_status=store_checks.WEBHOOK_CHECK_FAILED + ": HTTP 503",
        webhook_failed_count=2,
    )
    assert codes(facts) == [
        "webhook_check_failed",
        "webhook_events_failed",
        "webhook_events_late",
    ]
    assert codes(facts, late_minutes=20)[-1] == "webhook_events_failed"


facts_strategy = st.builds(
    StoreFacts,
    active=st.booleans(),
    state=st.sampled_from(["draft", "connected", "error", "disconnected"]),
    circuit_open=st.booleans(),
    missing_scopes=st.booleans(),
    consecutive_errors=st.integers(0, 10),
    webhook_lost_count=st.integers(0, 3),
    webhook_status=st.sampled_from(["", "ok", store_checks.WEBHOOK_CHECK_FAILED]),
    import_orders=st.booleans(),
    webhook_registered_at=st.none() | st.just(NOW - 50 * HOUR),
    last_webhook_at=st.none() | st.just(NOW - 30 * HOUR) | st.just(NOW - HOUR),
    webhook_failed_count=st.integers(0, 2),
    oldest_pending_at=st.none() | st.just(NOW - HOUR),
)


@given(facts_strategy)
def test_errors_come_first_and_decide_the_verdict(facts):
    findings = health_findings(facts, NOW)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities)  # "error" < "warning"
    assert len({f.code for f in findings}) == len(findings)
    expected = "error" if "error" in severities else "warning" if findings else "ok"
    assert verdict(findings) == expected
    if facts.circuit_open:
        assert findings[0].code == "circuit_open"
    if not facts.active:
        assert findings[-1] == Finding("warning", "archived")


def test_connection_failure_kinds():
    kind = store_checks.connection_failure_kind
    assert kind(ShopifyAuthError("x", status=404)) == "unknown_shop"
    assert kind(ShopifyAuthError("x", status=403)) == "access_denied"
    assert kind(ShopifyAuthError("ACCESS_DENIED: no", status=200)) == "access_denied"
    assert kind(ShopifyAuthError("refused", status=401)) == "credentials"
    assert kind(ShopifyRetryableError("x", status=429)) == "throttled"
    assert kind(ShopifyRetryableError("THROTTLED")) == "throttled"
    assert kind(ShopifyRetryableError("x", status=502)) == "shopify_down"
    assert kind(ShopifyRetryableError("ConnectTimeout")) == "network"
    assert kind(ShopifyError("x", status=404)) == "unknown_shop"
    denied = ShopifyGraphQLError(
        "x", errors=[{"message": "no", "extensions": {"code": "ACCESS_DENIED"}}]
    )
    assert kind(denied) == "access_denied"
    assert kind(ShopifyError("odd", status=200)) == "other"
