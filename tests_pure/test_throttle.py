"""Throttle arithmetic: Shopify's wait formula, backoff, Retry-After, local bucket."""

import email.utils
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.throttle import (
    FULL_JITTER,
    REFILL_MARGIN_SECONDS,
    Backoff,
    CostBucket,
    parse_retry_after,
    throttled_wait,
    wait_delay,
)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def status(available, maximum=2000, rate=100, requested=10, actual=8):
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": maximum,
            "currentlyAvailable": available,
            "restoreRate": rate,
        },
    }


def test_throttled_wait_is_missing_points_over_restore_rate():
    assert throttled_wait(500, 100, 100) == pytest.approx(4 + REFILL_MARGIN_SECONDS)
    assert throttled_wait(50, 100, 100) == pytest.approx(REFILL_MARGIN_SECONDS)
    assert throttled_wait(10, 0, 0) == 1.0  # unknown rate: a conservative second


def test_full_jitter_backoff_grows_and_is_capped():
    client = Backoff(0.5, 30.0, FULL_JITTER)
    assert client.delay(1, rng=lambda: 1.0) == 0.5
    assert client.delay(4, rng=lambda: 1.0) == 4.0
    assert client.delay(31, rng=lambda: 1.0) == 30
    assert client.delay(4, rng=lambda: 0.0) == 0.0
    assert all(0 <= client.delay(5) <= 8 for _ in range(100))


@given(
    st.floats(0.01, 100),
    st.floats(0.01, 10_000),
    st.integers(0, 40),
    st.floats(0, 1, exclude_max=True),
)
def test_one_formula_for_every_policy(base, cap, attempts, r):
    """The three formulas this replaced give the same delays, float for float."""
    full = Backoff(base, cap, FULL_JITTER).delay(attempts + 1, rng=lambda: r)
    assert full == r * min(cap, base * (2 ** max(0, attempts)))  # the client's
    exact = Backoff(base, cap).delay(attempts)
    assert exact == min(base * 2 ** max(attempts - 1, 0), cap)  # queued work's
    spread = Backoff(base, math.inf, (0.5, 1.5)).delay(attempts + 1, rng=lambda: r)
    assert spread == base * 2**attempts * (0.5 + r)  # a transaction conflict's


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(30)


def test_no_pacing_before_first_answer():
    bucket = CostBucket(clock=FakeClock())
    assert bucket.reserve("Q") == 0.0


def test_bucket_refills_at_restore_rate_and_caps_at_maximum():
    clock = FakeClock()
    bucket = CostBucket(clock=clock)
    bucket.observe(status(100), "Q")
    assert bucket.available() == 100
    clock.now += 3
    assert bucket.available() == 400
    clock.now += 100
    assert bucket.available() == 2000


def test_paces_when_next_cost_exceeds_model_and_debits_locally():
    clock = FakeClock()
    bucket = CostBucket(clock=clock)
    bucket.observe(status(25, maximum=100, rate=10, requested=20, actual=5), "Q")
    assert bucket.estimate("Q") == 20  # admission is on the requested cost
    assert bucket.reserve("Q") == 0.0  # 25 >= 20
    # 5 left in the local model: the next call must wait for 15 points = 1.5 s
    assert bucket.reserve("Q") == pytest.approx(1.5 + REFILL_MARGIN_SECONDS)
    # and a third, reserved at the same instant, queues behind it
    assert bucket.reserve("Q") == pytest.approx(3.5 + REFILL_MARGIN_SECONDS, abs=0.01)


def test_a_sequence_of_calls_never_overdraws_a_simulated_shopify_bucket():
    """Simulate Shopify's bucket; the client's model must get every call admitted."""
    clock = FakeClock()
    bucket = CostBucket(clock=clock)
    shop_available, rate, maximum, cost = 50.0, 10.0, 50.0, 7
    last = clock.now
    for _ in range(500):
        clock.now += bucket.reserve("Q")
        shop_available = min(maximum, shop_available + (clock.now - last) * rate)
        last = clock.now
        assert shop_available >= cost, "Shopify would have answered THROTTLED"
        shop_available -= cost
        clock.now += 0.001  # network time
        bucket.observe(status(shop_available, maximum, rate, cost, cost), "Q")
    # it ran at the restore rate, not slower
    assert (clock.now - 1000.0) == pytest.approx((500 * cost - 50) / rate, rel=0.05)


def test_unknown_operation_uses_default_estimate_capped_at_bucket():
    clock = FakeClock()
    bucket = CostBucket(clock=clock)
    bucket.observe(status(0, maximum=5, rate=1))
    assert bucket.reserve("Never seen") == pytest.approx(5 + REFILL_MARGIN_SECONDS)


# --- Backoff without jitter: queued work (outbox rows, events, levels) --------------


def test_exact_backoff_doubles_from_base_up_to_cap():
    got = [Backoff(60, 3600).delay(n) for n in range(9)]
    assert got == [60, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.parametrize(
    "retry_after, expected",
    [(None, 120), ("soon", 120), (30, 120), (500, 500), (10_000, 3600)],
)
def test_exact_backoff_honours_retry_after_within_the_cap(retry_after, expected):
    assert Backoff(60, 3600).delay(2, retry_after=retry_after) == expected


# -- waiting for our own in-flight work: bounded by time, never by attempts ---------
WAIT = {"limit": 3600, "floor": 5, "cap": 60}


def test_wait_delay_doubles_the_looks_up_to_the_cap_then_gives_up():
    looks, waited = [], 0
    while (delay := wait_delay(waited, **WAIT)) is not None:
        looks.append(delay)
        waited += delay
    assert looks[:6] == [5, 5, 10, 20, 40, 60]
    assert set(looks[6:]) == {60}
    assert 3600 < waited <= 3600 + 60
    assert wait_delay(3600, **WAIT) == 60 and wait_delay(3601, **WAIT) is None


@given(
    waited=st.floats(0, 10_000, allow_nan=False),
    retry_after=st.one_of(st.none(), st.floats(0, 600, allow_nan=False)),
)
def test_wait_delay_is_bounded_and_gives_up_only_past_the_limit(waited, retry_after):
    delay = wait_delay(waited, retry_after=retry_after, **WAIT)
    if waited > WAIT["limit"]:
        assert delay is None
    else:
        assert WAIT["floor"] <= delay <= WAIT["cap"]
        assert delay >= min(waited, WAIT["cap"])
        if retry_after is not None:
            assert delay >= min(retry_after, WAIT["cap"])


def test_calls_that_got_no_answer_give_their_points_back():
    # A 503 storm: every call reserves points, none is charged by Shopify. Without
    # give_back the model drained and the next calls of the shop waited for nothing.
    clock = FakeClock()
    bucket = CostBucket(clock=clock)
    bucket.observe(status(25, maximum=100, rate=10, requested=20, actual=5), "Q")
    for _ in range(50):
        assert bucket.reserve("Q") == 0.0
        bucket.give_back("Q")
    assert bucket.available() == pytest.approx(25)


def test_a_wait_beyond_the_callers_budget_debits_nothing():
    clock = FakeClock()
    bucket = CostBucket(clock=clock)
    bucket.observe(status(5, maximum=100, rate=10, requested=20, actual=5), "Q")
    for _ in range(10):
        assert bucket.reserve("Q", max_wait=0) > 0  # deferred, not sent
    assert bucket.available() == pytest.approx(5)
    assert bucket.reserve("Q") == pytest.approx(1.5 + REFILL_MARGIN_SECONDS)


def test_clients_of_one_shop_share_one_model():
    assert CostBucket.of_shop("https://a.example/x") is CostBucket.of_shop(
        "https://a.example/x"
    )
    assert CostBucket.of_shop("https://a.example/x") is not CostBucket.of_shop(
        "https://b.example/x"
    )
