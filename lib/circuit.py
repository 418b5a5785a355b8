"""Circuit breaker of one store's Admin API: closed / open until T / half-open.

Pure: no odoo, no I/O, times are plain numbers (epoch seconds). The Odoo side
(`models/shopify_store_circuit.py`) keeps a `State` per store on its health row and
asks these functions what to do before a call and after its outcome.

- closed: calls go through; `threshold` retryable failures IN A ROW open it.
- open until T: calls are refused at once (no network), the caller backs off until T.
  Each opening lasts `base * 2 ** (openings - 1)` seconds, at most `cap`.
- half-open (now >= T): ONE caller gets the probe: `before()` returns "probe" and a
  state open until now + `probe_lease` (so a probe whose worker dies frees the slot
  by itself); every other caller is refused until then. The probe's success closes
  the breaker (openings back to 0); its failure opens it again, for longer.

Only retryable failures count (network, timeouts, 5xx): any answer from Shopify
(data, a GraphQL or user error, 401/403) proves it is reachable. A rate limit
(THROTTLED, HTTP 429: `ShopifyRateLimited`) counts as neither: it is flow control
with a stated wait, which the caller honours for that call (counted as an outage, a
burst of rate-limited calls paused the whole store for minutes, longer each time;
counted as a success, it would break the streak of a storm mixing 5xx and THROTTLED).
"""

from dataclasses import dataclass, replace

ALLOW, PROBE, REJECT = "allow", "probe", "reject"

# Client options per caller (`ShopifyClient` keyword arguments); see
# docs/ARCHITECTURE.md "Outages".
# Inside the webhook cron (claimed events, row locks): never sleep, fail fast.
HANDLER_CLIENT_OPTIONS = {"timeout": (3, 8), "max_retry_seconds": 0}
# A merchant in front of a button: a few seconds, then a clear message (the
# breaker opens after `threshold` such failures, so a long action stops early).
BUTTON_CLIENT_OPTIONS = {"timeout": (3, 5), "max_retry_seconds": 3}
# Background crons (order / stock reconcile, the inventory push): they wait for
# the cost bucket (pacing, Shopify's rate limits) up to 10 s, but retry a failed
# answer (5xx, timeout, connection error) for 2 s only. They share Odoo's cron
# worker with the webhook cron: a push retrying a store that is down for 10 s
# kept every other store's events waiting (bench_webhooks' outage phase: a
# healthy event's p95 2 s -> 8 s); the breaker and the next run are the long retry.
CRON_CLIENT_OPTIONS = {
    "timeout": (5, 15),
    "max_retry_seconds": 10,
    "max_failure_seconds": 2,
}


@dataclass(frozen=True)
class Policy:
    threshold: int = 3  # retryable failures in a row that open the breaker
    base: float = 30.0  # first opening, seconds
    cap: float = 600.0  # longest opening, seconds
    probe_lease: float = 60.0  # how long one probe keeps the others out

    def opening(self, openings):
        """Seconds the `openings`-th opening in a row lasts (1 -> base)."""
        return min(self.base * 2 ** max(openings - 1, 0), self.cap)


@dataclass(frozen=True)
class State:
    failures: int = 0  # retryable failures in a row
    openings: int = 0  # openings in a row (backoff exponent), 0 once closed
    open_until: float | None = None  # None: closed

    @property
    def closed(self):
        return self.open_until is None


CLOSED = State()


def status(state, now):
    """The breaker's status for Health: closed, open or half_open."""
    if state.open_until is None:
        return "closed"
    return "open" if now < state.open_until else "half_open"


def before(state, now, policy=Policy()):
    """(verdict, new state, seconds to wait) before one call.

    ALLOW: go ahead (state unchanged). PROBE: go ahead as the one probe; the new state
    must be stored (compare-and-set on `open_until`) before calling, and a caller
    that loses that race is refused. REJECT: do not call; retry in `wait` seconds.
    """
    if state.open_until is None:
        return ALLOW, state, 0.0
    if now < state.open_until:
        return REJECT, state, state.open_until - now
    return PROBE, replace(state, open_until=now + policy.probe_lease), 0.0


def on_success(state):
    """Shopify answered: closed, counters reset."""
    return CLOSED if state != CLOSED else state


def on_rate_limited(state, now, wait):
    """Shopify asked for `wait` seconds (THROTTLED, 429): neither a failure nor a
    success. Closed stays closed, counters untouched; a probe that met it gives its
    lease back, so the next probe goes once the wait is over instead of after the
    whole lease."""
    if state.open_until is None:
        return state
    return replace(state, open_until=now + max(wait or 0.0, 0.0))


def on_failure(state, now, policy=Policy()):
    """A retryable failure: count it; open (longer each time) at the threshold, or at
    once when the failed call was the half-open probe (the breaker was open)."""
    failures = state.failures + 1
    if state.open_until is not None or failures >= policy.threshold:
        openings = state.openings + 1
        return State(
            failures=failures,
            openings=openings,
            open_until=now + policy.opening(openings),
        )
    return replace(state, failures=failures)


def failure_kind(status_code, message):
    """What kind of outage a retryable failure is, for a merchant-facing text:
    "rate_limited", "shopify_down", "timeout" or "network"."""
    text = (message or "").lower()
    if status_code == 429 or "throttled" in text or "rate limit" in text:
        return "rate_limited"
    if status_code and status_code >= 500:
        return "shopify_down"
    if "timeout" in text or "timed out" in text:
        return "timeout"
    return "network"
