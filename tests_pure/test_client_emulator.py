"""The client against the Shopify emulator over real HTTP on loopback.

Each test makes its own shop, so counters (`shop.stats`, `shop.mutations`) are its own.
"""

import http.server
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from lib.auth import ClientCredentialsAuth, StaticTokenAuth
from lib.client import ShopifyClient
from lib.errors import (
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyRateLimited,
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
)
from lib.stock import LevelKey
from lib.stock_push import WriteIntent, batch_writes, intent_key
from lib.webhook import verify
from tools.shopify_emulator import Emulator
from tools.shopify_emulator import server as emulator_server

TOKEN = "shpat_test_static_token_0123456789"
SECRET = "csecret-very-private"


@pytest.fixture(scope="module")
def emu():
    # The emulator writes headers and body in two sends: with Nagle on, each answer
    # waits ~40 ms for the client's delayed ACK (a 10,000-call burst would take 7 min).
    # Shopify has no such stall; until the emulator sets this itself, the test does.
    emulator_server.Handler.disable_nagle_algorithm = True
    emulator = Emulator()
    emulator.start()
    yield emulator
    emulator.stop()


def new_shop(emu, **kw):
    kw.setdefault("access_token", TOKEN)
    domain = f"t{uuid.uuid4().hex[:10]}.myshopify.com"
    return emu.add_shop(domain, client_id="cid", client_secret=SECRET, **kw)


def client_for(shop, auth=None, **kw):
    kw.setdefault("backoff_base", 0.05)
    kw.setdefault("max_retry_seconds", 20)
    return ShopifyClient(
        shop.domain, auth=auth or StaticTokenAuth(TOKEN), base_url=shop.base_url, **kw
    )


def stocked_items(shop, n, available=10, location=None, prefix="SKU"):
    loc = location or shop.add_location("Main")
    items = []
    for start in range(0, n, 50):
        variants = [
            {"sku": f"{prefix}-{i}", "price": "1.00", "tracked": True}
            for i in range(start, min(n, start + 50))
        ]
        prod = shop.add_product(f"P{start}", variants=variants)
        for v in prod["variants"]:
            shop.set_level(v["inventory_item_id"], loc, available=available)
            items.append(v["inventory_item_id"])
    return loc, items


class StatusRecorder:
    """A requests.Session that remembers (method, path tail, status) of every answer."""

    def __init__(self):
        self.session = requests.Session()
        self.seen = []
        self.session.hooks["response"].append(self._hook)

    def _hook(self, resp, *args, **kwargs):
        self.seen.append((resp.request.url.rsplit("/", 1)[-1], resp.status_code))

    def count(self, tail, status=None):
        return sum(
            1 for t, s in self.seen if t == tail and (status is None or s == status)
        )


PING = "query Ping { shop { id } }"


# -- throttling ----------------------------------------------------------------
def test_throttled_answers_are_waited_out_not_raised(emu):
    shop = new_shop(emu)
    client = client_for(shop)
    shop.inject("throttled", count=3)
    info = client.shop_info()
    assert info["myshopify_domain"] == shop.domain
    assert shop.stats["throttled"] >= 3
    assert client.stats["throttled"] == 3


class _Breaker:
    """A breaker hook that records what the client reports."""

    def __init__(self):
        self.recorded = []

    def before(self, op):
        pass

    def record(self, error, sent=True):
        self.recorded.append((error, sent))


def test_throttled_beyond_a_zero_budget_is_a_rate_limit_not_an_outage(emu):
    # The webhook handler's budget is 0 s: a THROTTLED answer is raised at once, as
    # flow control with Shopify's stated wait, which the breaker does not count
    # (counted as an outage, a burst of such answers paused the store for minutes).
    shop = new_shop(emu)
    breaker = _Breaker()
    client = client_for(shop, max_retry_seconds=0, circuit=breaker)
    shop.inject("throttled", count=1)
    with pytest.raises(ShopifyRateLimited) as caught:
        client.execute(PING)
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    # The hook hears the rate limit itself (a probe gives its lease back), never
    # a failure or a success.
    assert breaker.recorded == [(caught.value, True)]
    shop.inject("http429", count=1)
    with pytest.raises(ShopifyRateLimited) as caught:
        client.execute(PING)
    assert breaker.recorded[-1] == (caught.value, True)
    # An outage still counts: a 5xx is not flow control.
    shop.inject("http503", count=1)
    with pytest.raises(ShopifyRetryableError) as caught:
        client.execute(PING)
    assert not isinstance(caught.value, ShopifyRateLimited)
    assert breaker.recorded[-1][0] is caught.value


def test_a_new_client_of_the_shop_knows_the_bucket_and_defers_without_sending(emu):
    # Each webhook event gets a client of its own: the bucket's model is the shop's,
    # so the next event's client waits or defers instead of meeting THROTTLED.
    shop = new_shop(emu, bucket=20, restore_rate=1)
    first = client_for(shop)
    for _ in range(20):
        first.execute(PING)
    throttled_before = shop.stats["throttled"]
    calls_before = shop.stats["calls"]
    second = client_for(shop, max_retry_seconds=0, circuit=_Breaker())
    with pytest.raises(ShopifyRateLimited) as caught:
        second.execute(PING)
    assert caught.value.sent is False
    assert caught.value.retry_after > 0
    assert second.circuit.recorded == []
    assert shop.stats["throttled"] == throttled_before
    assert shop.stats["calls"] == calls_before
    # Deferring spent nothing: the model does not make later calls wait for it.
    assert first.bucket.reserve("Ping", max_wait=0) > 0
    assert first.bucket.available() < 2


def test_two_clients_competing_for_a_small_bucket_both_finish(emu):
    # Two processes of the same app share Shopify's bucket but not our local model:
    # real THROTTLED answers happen, and are waited out.
    shop = new_shop(emu, bucket=20, restore_rate=200)
    clients = [client_for(shop), client_for(shop)]
    errors = []

    def run(c):
        try:
            for _ in range(60):
                c.execute(PING)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert shop.stats["calls"] >= 120


def test_burst_of_10000_calls_is_paced_and_never_throttled(emu):
    # Bucket/restore ratio chosen so the burst needs pacing (10,000 points > bucket)
    # yet fits in well under a minute: the client must run at the restore rate.
    shop = new_shop(emu, bucket=100, restore_rate=300)
    client = client_for(shop, max_retry_seconds=5)
    costs = []
    client.on_cost = costs.append
    started = time.monotonic()
    for _ in range(10_000):
        client.execute(PING)
    elapsed = time.monotonic() - started
    assert shop.stats["throttled"] == 0
    assert client.stats["throttled"] == 0
    assert client.stats["calls"] == 10_000
    points = sum(c["actualQueryCost"] for c in costs)
    assert points >= 10_000
    # it had to wait for the bucket to refill...
    assert client.stats["paced_seconds"] > 0
    assert elapsed >= (points - 100) / 300 * 0.9
    # ...but never longer than the refill needs: what the client slept is bounded by
    # the points beyond the bucket at the restore rate (a bound on the client's own
    # waits, not on the wall clock, so a loaded machine cannot fail it)
    assert client.stats["paced_seconds"] <= (points - 100) / 300 * 1.2 + 1


# -- retries -------------------------------------------------------------------
def test_429_retry_after_is_honoured(emu):
    shop = new_shop(emu)
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        time.sleep(seconds)

    client = client_for(shop, sleep=sleep)
    shop.inject("http429", count=2, retry_after=1)
    started = time.monotonic()
    assert client.shop_info()["name"]
    assert time.monotonic() - started >= 2.0
    assert [s for s in sleeps if s >= 1.0][:2] == [1.0, 1.0]
    assert client.stats["retries"] == 2


def test_5xx_and_timeouts_are_retried(emu):
    shop = new_shop(emu)
    client = client_for(shop, timeout=(2, 0.5))
    shop.inject("http500", count=1)
    shop.inject("http503", count=1)
    shop.inject("timeout", count=1, hold=1.5)
    shop.inject("slow", count=1, delay=1.5)
    shop.inject("drop", count=1)
    assert client.locations() == []
    assert client.stats["retries"] == 5
    assert client.stats["calls"] == 6


def test_gives_up_cleanly_after_the_retry_budget(emu):
    shop = new_shop(emu)
    client = client_for(shop, max_retry_seconds=1.5, backoff_base=0.2)
    shop.inject("http503", count=10_000)
    started = time.monotonic()
    with pytest.raises(ShopifyRetryableError) as info:
        client.shop_info()
    assert time.monotonic() - started < 3
    assert info.value.status == 503
    assert info.value.attempts >= 2
    assert TOKEN not in str(info.value)


def test_failures_have_their_own_shorter_budget_than_rate_limits(emu):
    # A background cron waits for the bucket up to max_retry_seconds, but retries a
    # store that answers 5xx for max_failure_seconds only: the worker is shared.
    shop = new_shop(emu)
    slept = []
    client = client_for(
        shop,
        max_retry_seconds=30,
        max_failure_seconds=1.0,
        backoff_base=0.2,
        sleep=lambda s: (slept.append(s), time.sleep(s)),
    )
    shop.inject("http503", count=10_000)
    started = time.monotonic()
    with pytest.raises(ShopifyRetryableError) as info:
        client.shop_info()
    assert not isinstance(info.value, ShopifyRateLimited)
    assert sum(slept) <= 1.0
    assert time.monotonic() - started < 3
    shop.faults.clear()
    # Rate limits still get the long budget: 429 with Retry-After 1, three times.
    shop.inject("http429", count=3, retry_after=1)
    assert client.shop_info()["name"]
    assert client.stats["retries"] >= 3


def test_plain_mutation_not_resent_when_it_may_have_been_applied(emu):
    shop = new_shop(emu)
    client = client_for(shop)
    shop.inject("http500", count=1)
    with pytest.raises(ShopifyRetryableError, match="not resent"):
        client.create_webhook("orders/create", "https://example.com/hook")
    assert client.stats["calls"] == 1


# -- inventory writes ----------------------------------------------------------
def writes(shop, items, loc, quantity, change_from, version=0):
    """The intents of setting `items` at `loc` from `change_from` to `quantity`."""
    out = []
    for item in items:
        level = LevelKey(shop.domain, item, loc)
        key = intent_key(level, quantity, change_from, version)
        out.append(WriteIntent(level, quantity, change_from, key))
    return out


def one_batch(shop, items, loc, quantity, change_from, version=0):
    (batch,) = batch_writes(writes(shop, items, loc, quantity, change_from, version))
    return batch


def test_stale_compare_and_swap_names_the_stale_items(emu):
    shop = new_shop(emu)
    loc, items = stocked_items(shop, 3)
    shop.manual_edit(items[1], loc, available=7)  # the merchant edits one of them
    client = client_for(shop)
    batch = one_batch(shop, items, loc, 12, 10)
    with pytest.raises(ShopifyStaleQuantityError) as info:
        client.set_inventory(batch)
    assert info.value.stale == [LevelKey(shop.domain, items[1], loc)]
    # atomic per call: nothing of that batch was written, the manual edit stands
    assert [shop.level(i, loc)["available"] for i in items] == [10, 7, 10]


def test_a_stale_batch_leaves_the_other_batches_of_the_push_applied(emu):
    shop = new_shop(emu)
    loc, items = stocked_items(shop, 300)
    shop.manual_edit(items[280], loc, available=3)
    client = client_for(shop)
    first, second = batch_writes(writes(shop, items, loc, 11, 10))
    answer = client.set_inventory(first)
    assert len(answer.available) == 250 and set(answer.available.values()) == {11}
    with pytest.raises(ShopifyStaleQuantityError) as info:
        client.set_inventory(second)
    assert info.value.stale == [LevelKey(shop.domain, items[280], loc)]
    assert shop.level(items[0], loc)["available"] == 11
    assert shop.level(items[280], loc)["available"] == 3
    assert shop.level(items[299], loc)["available"] == 10
    sent = [m for m in shop.mutations if m["name"] == "inventorySetQuantities"]
    assert [len(m["variables"]["input"]["quantities"]) for m in sent] == [250, 50]
    assert [m["idempotency_key"] for m in sent] == [first.key, second.key]
    for m in sent:
        assert all(
            "changeFromQuantity" in q for q in m["variables"]["input"]["quantities"]
        )


def _applied(shop):
    return [
        m
        for m in shop.mutations
        if m["name"] == "inventorySetQuantities"
        and not (m.get("result") or {}).get("replayed")
        and not (m.get("result") or {}).get("userErrors")
    ]


def test_lost_answer_is_retried_with_the_same_key_and_applied_once(emu):
    shop = new_shop(emu)
    loc, items = stocked_items(shop, 2)
    client = client_for(shop, timeout=(2, 0.5))
    # Shopify applies it, the answer never arrives in time
    shop.inject("timeout", count=1, hold=1.5)
    batch = one_batch(shop, items, loc, 4, 10)
    answer = client.set_inventory(batch)  # no stale error: the replay answered
    assert [shop.level(i, loc)["available"] for i in items] == [4, 4]
    sent = [m for m in shop.mutations if m["name"] == "inventorySetQuantities"]
    assert [m["idempotency_key"] for m in sent] == [batch.key, batch.key]
    assert answer.key == batch.key and answer.group
    assert answer.available == {i.level: 4 for i in batch.intents}
    assert answer.on_hand == {i.level: 4 for i in batch.intents}
    assert len(_applied(shop)) == 1


def test_same_intent_twice_is_not_applied_twice(emu):
    shop = new_shop(emu)
    loc, items = stocked_items(shop, 1)
    client = client_for(shop)
    batch = one_batch(shop, items, loc, 6, 10)
    first = client.set_inventory(batch)
    shop.manual_edit(items[0], loc, available=2)
    second = client.set_inventory(batch)  # e.g. a cron retrying after a crash
    assert first == second  # Shopify replayed its first answer
    assert shop.level(items[0], loc)["available"] == 2  # the replay wrote nothing
    assert len(_applied(shop)) == 1
    # a new intent (a later snapshot version) is a new key, checked against the level
    with pytest.raises(ShopifyStaleQuantityError):
        client.set_inventory(one_batch(shop, items, loc, 6, 10, version=1))


# -- token renewal -------------------------------------------------------------
@pytest.fixture
def short_tokens(emu):
    old = emu.token_ttl
    emu.token_ttl = 2
    yield
    emu.token_ttl = old


def test_client_credentials_token_renewed_before_expiry(emu, short_tokens):
    shop = new_shop(emu, access_token=None)
    persisted = []
    rec = StatusRecorder()
    auth = ClientCredentialsAuth(
        "cid", SECRET, on_token=lambda t, e: persisted.append((t, e))
    )
    client = client_for(shop, auth=auth, session=rec.session)
    client.shop_info()
    assert auth.renewals == 1 and len(persisted) == 1
    token, expires_at = persisted[0]
    assert expires_at > datetime.now(timezone.utc).replace(tzinfo=None)
    time.sleep(1.2)  # past half-life (renew point), before expiry
    client.shop_info()
    assert auth.renewals == 2 and persisted[1][0] != token
    assert rec.count("graphql.json", 401) == 0


def test_expired_token_renewed_once_after_401(emu, short_tokens):
    shop = new_shop(emu, access_token=None)
    rec = StatusRecorder()
    auth = ClientCredentialsAuth("cid", SECRET, renew_margin=0)
    client = client_for(shop, auth=auth, session=rec.session)
    client.shop_info()
    # a persisted token whose expiry we got wrong: Shopify says 401, we renew once
    auth._renew_at = time.time() + 3600
    time.sleep(2.3)
    client.shop_info()
    assert rec.count("graphql.json", 401) == 1
    assert rec.count("access_token") == 2
    assert auth.renewals == 2


def test_concurrent_callers_renew_once(emu, short_tokens):
    shop = new_shop(emu, access_token=None)
    rec = StatusRecorder()
    auth = ClientCredentialsAuth("cid", SECRET)
    client = client_for(shop, auth=auth, session=rec.session)
    barrier = threading.Barrier(8)
    errors = []

    def run():
        barrier.wait()
        try:
            client.shop_info()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert auth.renewals == 1
    assert rec.count("access_token") == 1


def test_wrong_credentials_are_an_auth_error_without_secrets(emu, caplog):
    caplog.set_level(logging.DEBUG)
    shop = new_shop(emu, access_token=None)
    bad_secret = "wrong-secret-do-not-leak"
    client = client_for(shop, auth=ClientCredentialsAuth("cid", bad_secret))
    with pytest.raises(ShopifyAuthError) as info:
        client.shop_info()
    bad_token = "shpat_wrong_token_do_not_leak"
    static = client_for(shop, auth=StaticTokenAuth(bad_token))
    with pytest.raises(ShopifyAuthError) as info2:
        static.shop_info()
    everything = " ".join(
        [
            str(info.value),
            repr(info.value),
            str(info2.value),
            repr(info2.value),
            repr(client),
            str(client),
            repr(static),
            caplog.text,
        ]
    )
    for secret in (bad_secret, bad_token, SECRET, TOKEN):
        assert secret not in everything


def test_secrets_not_logged_during_retries(emu, caplog):
    caplog.set_level(logging.DEBUG)
    shop = new_shop(emu, access_token=None)
    client = client_for(shop, auth=ClientCredentialsAuth("cid", SECRET))
    shop.inject("http503", count=2)
    client.shop_info()
    assert "retry" in caplog.text
    assert SECRET not in caplog.text
    assert "shpat_" not in caplog.text


# -- reads and pagination ------------------------------------------------------
def test_variants_paginate_past_250(emu):
    shop = new_shop(emu)
    loc, items = stocked_items(shop, 270)
    odd = shop.add_product(
        "Odd",
        variants=[
            {"sku": "A 1", "price": "1.00", "tracked": True},
            {"sku": "B:2", "price": "1.00", "tracked": False},
            {"sku": 'C"3', "price": "1.00", "tracked": True},
            {"sku": "", "price": "1.00", "tracked": True},
        ],
    )
    client = client_for(shop)
    variants = list(client.iter_variants())
    assert len(variants) == 274
    assert len({v["variant_gid"] for v in variants}) == 274
    first = variants[0]
    assert set(first) >= {
        "product_gid",
        "variant_gid",
        "inventory_item_gid",
        "sku",
        "tracked",
    }
    by_gid = {v["variant_gid"]: v for v in variants}
    assert by_gid[odd["variants"][1]["id"]]["tracked"] is False


def test_orders_updated_since_paginate_past_250(emu):
    shop = new_shop(emu)
    loc, items = stocked_items(shop, 1, available=1000)
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    for _ in range(260):
        shop.place_order(
            lines=[{"sku": "SKU-0", "quantity": 1, "price": "1.00"}], location=loc
        )
    client = client_for(shop)
    orders = list(client.iter_orders_updated_since(before, overlap=timedelta(0)))
    assert len(orders) == 260
    assert len({o["id"] for o in orders}) == 260
    stamps = [o["updatedAt"] for o in orders]
    assert stamps == sorted(stamps)
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert list(client.iter_orders_updated_since(future, overlap=timedelta(0))) == []


def test_inventory_levels_for_many_items_and_locations(emu):
    shop = new_shop(emu)
    main, items = stocked_items(shop, 150, available=10)
    second = shop.add_location("Second")
    for n, item in enumerate(items[:40]):
        shop.set_level(item, second, available=n)
    shop.place_order(
        lines=[{"sku": "SKU-3", "quantity": 2, "price": "1.00"}], location=main
    )
    costs = []
    client = client_for(shop, on_cost=costs.append)
    levels = client.inventory_levels(items, [main, second])
    assert len(levels) == 150 + 40
    assert levels[(items[3], main)] == {"available": 8, "on_hand": 10, "committed": 2}
    assert levels[(items[5], second)]["available"] == 5
    assert (items[100], second) not in levels  # not stocked there
    for key, value in levels.items():
        assert value == {
            k: shop.level(*key)[k] for k in ("available", "on_hand", "committed")
        }
    assert max(c["requestedQueryCost"] for c in costs) <= 1000


def test_shop_info_locations_webhooks_and_activation(emu):
    shop = new_shop(emu)
    loc = shop.add_location("Main")
    other = shop.add_location("Depot")
    prod = shop.add_product(
        "T", variants=[{"sku": "Z-1", "price": "1.00", "tracked": True}]
    )
    item = prod["variants"][0]["inventory_item_id"]
    client = client_for(shop)
    info = client.shop_info()
    assert info["myshopify_domain"] == shop.domain
    assert "write_inventory" in info["scopes"]
    assert info["currency"] and info["plan"]
    assert {x["gid"] for x in client.locations()} == {loc, other}

    created = client.create_webhook(
        "orders/create", "https://odoo.example.com/shopify/hook"
    )
    assert created["topic"] == "ORDERS_CREATE"
    assert [w["gid"] for w in client.webhook_subscriptions()] == [created["gid"]]
    assert client.delete_webhook(created["gid"]) == created["gid"]
    assert client.webhook_subscriptions() == []

    assert client.activate_inventory(item, other)
    client.set_inventory(one_batch(shop, [item], other, 5, 0))
    assert shop.level(item, other)["available"] == 5


def test_errors_are_typed(emu):
    shop = new_shop(emu)
    client = client_for(shop)
    with pytest.raises(ShopifyGraphQLError) as info:
        client.execute("query Broken { shop { noSuchField } }")
    assert "noSuchField" in str(info.value)
    assert client.stats["retries"] == 0  # a bad query is not retried


# -- webhook signatures, end to end ------------------------------------------------
class _Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((raw, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_deliveries_verify_with_current_or_previous_secret(emu):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _Receiver.received = []
        shop = new_shop(emu)
        loc, items = stocked_items(shop, 1, available=50)
        client = client_for(shop)
        url = f"http://127.0.0.1:{server.server_address[1]}/shopify/webhook"
        client.create_webhook("orders/create", url)
        shop.place_order(lines=[{"sku": "SKU-0", "quantity": 1, "price": "1.00"}])
        emu.dispatcher.flush()  # delivered (and signed) before the rotation
        old_secret = shop.client_secret
        shop.client_secret = "rotated-new-secret"  # the merchant rotates the secret
        shop.place_order(lines=[{"sku": "SKU-0", "quantity": 1, "price": "1.00"}])
        emu.dispatcher.flush()
        assert len(_Receiver.received) == 2
        (body1, head1), (body2, head2) = _Receiver.received
        sig = {k.lower(): v for k, v in head1.items()}["x-shopify-hmac-sha256"]
        sig2 = {k.lower(): v for k, v in head2.items()}["x-shopify-hmac-sha256"]
        # during the grace period both secrets are accepted...
        assert verify(body1, sig, ["rotated-new-secret", old_secret])
        assert verify(body2, sig2, ["rotated-new-secret", old_secret])
        # ...afterwards only the new one; a tampered body or a foreign secret never
        assert not verify(body1, sig, ["rotated-new-secret"])
        assert verify(body2, sig2, ["rotated-new-secret"])
        assert not verify(
            body1.replace(b'"quantity":1', b'"quantity":9'), sig, [old_secret]
        )
        assert not verify(body1, sig, ["someone-else"])
        assert not verify(body1, None, [old_secret])
    finally:
        server.shutdown()
        server.server_close()
