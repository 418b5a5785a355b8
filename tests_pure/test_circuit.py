"""The per-store circuit breaker (lib/circuit.py) and the client's breaker hook."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import circuit
from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient
from lib.errors import ShopifyRetryableError

TOKEN = "shpat_circuit_test_token_0123456789"

POLICY = circuit.Policy(threshold=3, base=30, cap=600, probe_lease=60)


def test_closed_allows_and_threshold_opens():
    state = circuit.CLOSED
    for n in range(1, 3):
        state = circuit.on_failure(state, 100.0, POLICY)
        assert state.closed and state.failures == n
        assert circuit.before(state, 100.0, POLICY)[0] == circuit.ALLOW
    state = circuit.on_failure(state, 100.0, POLICY)
    assert state.open_until == 130.0 and state.openings == 1
    verdict, _same, wait = circuit.before(state, 110.0, POLICY)
    assert (verdict, wait) == (circuit.REJECT, 20.0)
    assert circuit.status(state, 110.0) == "open"


def test_half_open_gives_one_probe_then_closes_or_reopens_longer():
    state = circuit.State(failures=3, openings=1, open_until=130.0)
    assert circuit.status(state, 130.0) == "half_open"
    verdict, probing, _ = circuit.before(state, 131.0, POLICY)
    assert verdict == circuit.PROBE and probing.open_until == 191.0
    # while the probe runs, everyone else is refused
    assert circuit.before(probing, 140.0, POLICY)[0] == circuit.REJECT
    assert circuit.on_success(probing) == circuit.CLOSED
    again = circuit.on_failure(probing, 135.0, POLICY)
    assert again.openings == 2 and again.open_until == 135.0 + 60


def test_success_resets_a_streak():
    state = circuit.on_failure(circuit.CLOSED, 1.0, POLICY)
    assert circuit.on_success(state) == circuit.CLOSED
    assert circuit.on_success(circuit.CLOSED) is circuit.CLOSED


@pytest.mark.parametrize(
    "status,message,kind",
    [
        (429, "HTTP 429", "rate_limited"),
        (200, "ShopInfo: THROTTLED; gave up", "rate_limited"),
        (None, "rate limit needs 3.0s", "rate_limited"),
        (503, "HTTP 503", "shopify_down"),
        (None, "ReadTimeout talking to Shopify", "timeout"),
        (None, "ConnectionError talking to Shopify", "network"),
    ],
)
def test_failure_kind(status, message, kind):
    assert circuit.failure_kind(status, message) == kind


events = st.lists(
    st.tuples(
        st.sampled_from(["ok", "fail", "call"]),
        st.floats(min_value=0, max_value=900, allow_nan=False),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(events)
def test_properties(steps):
    """Whatever happens: a closed breaker never refuses; an open one never lets a
    call through before its time; one success always closes it; an opening never
    exceeds the cap; at most one probe per lease; below the threshold it stays
    closed."""
    state, now = circuit.CLOSED, 0.0
    streak = 0
    for kind, dt in steps:
        now += dt
        if kind == "ok":
            state = circuit.on_success(state)
            streak = 0
            assert state.closed and state.failures == 0 and state.openings == 0
        elif kind == "fail":
            was_open = not state.closed
            state = circuit.on_failure(state, now, POLICY)
            streak += 1
            if not was_open and streak < POLICY.threshold:
                assert state.closed
            else:
                assert not state.closed
                assert now < state.open_until <= now + POLICY.cap
        else:
            verdict, new, wait = circuit.before(state, now, POLICY)
            if state.closed:
                assert verdict == circuit.ALLOW and new == state
            elif now < state.open_until:
                assert verdict == circuit.REJECT and 0 < wait <= POLICY.cap
                assert new == state
            else:
                assert verdict == circuit.PROBE
                assert new.open_until == now + POLICY.probe_lease
                # a second caller at the same instant is refused
                assert circuit.before(new, now, POLICY)[0] == circuit.REJECT
                state = new


class _Hook:
    def __init__(self, refuse=False):
        self.refuse = refuse
        self.records = []

    def before(self, op):
        if self.refuse:
            raise ShopifyRetryableError("open", sent=False)

    def record(self, error, sent=True):
        self.records.append((type(error).__name__ if error else None, sent))


@pytest.fixture
def shop(emu):
    domain = f"c{uuid.uuid4().hex[:10]}.myshopify.com"
    return emu.add_shop(domain, client_id="cid", client_secret="cs", access_token=TOKEN)


def _client(shop, hook, **kw):
    return ShopifyClient(
        shop.domain,
        auth=StaticTokenAuth(TOKEN),
        base_url=shop.base_url,
        circuit=hook,
        timeout=(2, 1.0),
        backoff_base=0.01,
        backoff_cap=0.02,
        **kw,
    )


def test_client_reports_outcomes_to_the_hook(shop):
    hook = _Hook()
    client = _client(shop, hook, max_retry_seconds=0)
    client.shop_info()
    shop.inject("http503", count=1)
    with pytest.raises(ShopifyRetryableError):
        client.shop_info()
    assert hook.records == [(None, True), ("ShopifyRetryableError", True)]
    assert client.stats["calls"] == 2, "zero budget: a 503 is not retried"


def test_refusing_hook_sends_nothing(shop):
    hook = _Hook(refuse=True)
    client = _client(shop, hook)
    with pytest.raises(ShopifyRetryableError):
        client.shop_info()
    assert client.stats["calls"] == 0 and hook.records == []


def test_a_rate_limit_is_no_verdict_and_gives_a_probes_lease_back():
    from lib.circuit import on_rate_limited

    closed = circuit.State(failures=2)
    assert on_rate_limited(closed, 100.0, 3.0) == closed, "counters untouched"
    probing = circuit.State(failures=3, openings=2, open_until=160.0)  # lease
    after = on_rate_limited(probing, 100.0, 3.0)
    assert (after.failures, after.openings, after.open_until) == (3, 2, 103.0)
    assert circuit.before(after, 104.0)[0] == circuit.PROBE
