"""Auth, token expiry, cost-based throttling and injected API faults of the emulator."""

import time
import uuid

import pytest
import requests

from tools.shopify_emulator import Emulator
from tools.shopify_emulator.testing import RawAdmin

PING = "{ shop { id name } }"
INVALID = "[API] Invalid API key or access token (unrecognized login or wrong password)"


@pytest.fixture(scope="module")
def emu():
    with Emulator() as e:
        e.timeout_hold = 1.5
        yield e


@pytest.fixture
def shop(emu):
    return emu.add_shop(
        f"a{uuid.uuid4().hex[:8]}.myshopify.com",
        client_id="cid",
        client_secret="csecret",
        access_token="shpat_static",
    )


def gql(shop, token, query=PING, version="2026-10", timeout=5):
    return requests.post(
        f"{shop.base_url}/admin/api/{version}/graphql.json",
        json={"query": query},
        headers={"X-Shopify-Access-Token": token},
        timeout=timeout,
    )


# -- auth
# --------------------------------------------------------------------------------------
def test_client_credentials_token_works_and_bad_tokens_get_401(shop):
    resp = requests.post(
        f"{shop.base_url}/admin/oauth/access_token",
        timeout=5,
        data={
            "grant_type": "client_credentials",
            "client_id": "cid",
            "client_secret": "csecret",
        },
    )
    body = resp.json()
    assert resp.status_code == 200 and body["access_token"].startswith("shpat_")
    assert body["expires_in"] == 86399 and "write_inventory" in body["scope"]
    assert gql(shop, body["access_token"]).status_code == 200
    assert gql(shop, "shpat_static").status_code == 200
    bad = gql(shop, "shpat_nope")
    assert bad.status_code == 401 and bad.json() == {"errors": INVALID}


def test_token_endpoint_rejects_wrong_secret_and_json_body_works(shop):
    wrong = requests.post(
        f"{shop.base_url}/admin/oauth/access_token",
        timeout=5,
        data={
            "grant_type": "client_credentials",
            "client_id": "cid",
            "client_secret": "x",
        },
    )
    assert wrong.status_code == 400
    ok = requests.post(
        f"{shop.base_url}/admin/oauth/access_token",
        timeout=5,
        json={
            "grant_type": "client_credentials",
            "client_id": "cid",
            "client_secret": "csecret",
        },
    )
    assert ok.status_code == 200


def test_an_uninstalled_app_gets_no_new_token(shop):
    token = RawAdmin(shop).token
    shop.uninstall()
    assert gql(shop, token).status_code == 401
    again = requests.post(
        f"{shop.base_url}/admin/oauth/access_token",
        timeout=5,
        data={
            "grant_type": "client_credentials",
            "client_id": "cid",
            "client_secret": "csecret",
        },
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_client"


def test_tokens_really_expire(emu, shop):
    emu.token_ttl = 0.5
    try:
        token = RawAdmin(shop).token
        assert gql(shop, token).status_code == 200
        time.sleep(0.7)
        assert gql(shop, token).status_code == 401
    finally:
        emu.token_ttl = 86399


def test_unknown_version_and_shop_are_404(emu, shop):
    assert gql(shop, "shpat_static", version="2025-01").status_code == 404
    resp = requests.post(
        f"{emu.url}/shops/nope.myshopify.com/admin/api/2026-10/graphql.json",
        json={"query": PING},
        timeout=5,
    )
    assert resp.status_code == 404


def test_validation_errors_come_from_the_schema(shop):
    out = gql(shop, "shpat_static", "{ shop { nme } }").json()
    assert "Cannot query field 'nme'" in out["errors"][0]["message"]
    assert "cost" in out["extensions"]


# -- cost and throttling
# -----------------------------------------------------------------------
def test_every_answer_carries_the_cost_extension(shop):
    out = gql(
        shop, "shpat_static", "{ locations(first: 50) { nodes { id name } } }"
    ).json()
    cost = out["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 52  # 2 + 50 × 1
    assert cost["actualQueryCost"] == 2  # no location: unused points refunded
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 2000 and status["restoreRate"] == 100
    assert status["currentlyAvailable"] >= 1990


def test_throttled_answer_and_bucket_restore(emu):
    shop = emu.add_shop(
        f"t{uuid.uuid4().hex[:8]}.myshopify.com",
        access_token="shpat_t",
        bucket=50,
        restore_rate=50,
    )
    q = "{ productVariants(first: 20) { nodes { id product { id } } } }"  # 42 points
    first = gql(shop, "shpat_t", q).json()
    assert "errors" not in first
    gql(shop, "shpat_t", "{ shop { id } }")  # refunds keep the bucket partly full
    shop.bucket.configure(available=10)
    out = gql(shop, "shpat_t", q)
    body = out.json()
    assert out.status_code == 200
    assert body["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 42
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 42
    assert shop.stats["throttled"] == 1
    time.sleep((42 - 10) / 50 + 0.1)  # the bucket restores at restoreRate
    assert "errors" not in gql(shop, "shpat_t", q).json()


def test_query_over_1000_points_is_refused(shop):
    q = """{ productVariants(first: 250) { nodes { id product { id } inventoryItem {
      inventoryLevel(locationId: "gid://shopify/Location/1") { id } } } } }"""
    # cost: 2 + 250 × 4
    out = gql(shop, "shpat_static", q).json()
    assert out["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert out["extensions"]["cost"]["requestedQueryCost"] == 1002
    assert "data" not in out


def test_mutations_cost_ten(shop):
    q = """mutation { webhookSubscriptionDelete(
      id: "gid://shopify/WebhookSubscription/1") {
      userErrors { message } } }"""
    out = gql(shop, "shpat_static", q).json()
    assert out["extensions"]["cost"]["requestedQueryCost"] == 10
    assert out["data"]["webhookSubscriptionDelete"]["userErrors"]


# -- injected faults
# ---------------------------------------------------------------------------
def test_http_faults_then_recovery(shop):
    shop.inject("http429", count=1, retry_after=2)
    shop.inject("http500")
    shop.inject("http503")
    shop.inject("throttled")
    r429 = gql(shop, "shpat_static")
    assert r429.status_code == 429 and r429.headers["Retry-After"] == "2"
    assert gql(shop, "shpat_static").status_code == 500
    assert gql(shop, "shpat_static").status_code == 503
    thr = gql(shop, "shpat_static").json()
    assert thr["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert gql(shop, "shpat_static").json()["data"]["shop"]["id"]


def test_slow_timeout_and_drop_faults(shop):
    shop.inject("slow", delay=0.3)
    started = time.monotonic()
    assert gql(shop, "shpat_static").status_code == 200
    assert time.monotonic() - started >= 0.3
    shop.inject("timeout", hold=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        gql(shop, "shpat_static", timeout=0.5)
    shop.inject("drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        gql(shop, "shpat_static")
    assert gql(shop, "shpat_static").status_code == 200


def test_timeout_fault_applies_the_write_before_the_client_gives_up(shop):
    loc = shop.add_location("L")
    item = shop.add_product("X", variants=[{"sku": "X"}])["variants"][0][
        "inventory_item_id"
    ]
    shop.set_level(item, loc, available=5)
    shop.inject("timeout", hold=1.0)
    doc = """mutation S($i: InventorySetQuantitiesInput!) {
      inventorySetQuantities(input: $i)
      @idempotent(key: "k-1") { userErrors { code } } }"""
    variables = {
        "i": {
            "name": "available",
            "reason": "correction",
            "quantities": [
                {
                    "inventoryItemId": item,
                    "locationId": loc,
                    "quantity": 9,
                    "changeFromQuantity": 5,
                }
            ],
        }
    }
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{shop.base_url}/admin/api/2026-10/graphql.json",
            timeout=0.4,
            json={"query": doc, "variables": variables},
            headers={"X-Shopify-Access-Token": "shpat_static"},
        )
    assert (
        shop.level(item, loc)["available"] == 9
    )  # unknown outcome for the client: applied


def test_control_api_mirrors_the_python_api(emu, shop):
    loc = shop.add_location("Main")
    base = f"{emu.url}/_control/shops/{shop.domain}"
    prod = requests.post(
        f"{base}/add_product",
        timeout=5,
        json={"title": "Mug", "variants": [{"sku": "MUG", "price": "7.00"}]},
    ).json()["result"]
    item = prod["variants"][0]["inventory_item_id"]
    requests.post(
        f"{base}/set_level",
        json={"item_gid": item, "loc_gid": loc, "available": 4},
        timeout=5,
    )
    order = requests.post(
        f"{base}/place_order",
        timeout=5,
        json={"lines": [{"sku": "MUG", "quantity": 1}], "location": loc},
    ).json()["result"]
    assert order["line_items"][0]["sku"] == "MUG"
    level = requests.get(
        f"{base}/level", params={"item": item, "location": loc}, timeout=5
    ).json()
    assert (level["available"], level["committed"]) == (3, 1)
    shops = requests.get(f"{emu.url}/_control/shops", timeout=5).json()
    assert shop.domain in {s["domain"] for s in shops}
    bad = requests.post(f"{base}/no_such_action", json={}, timeout=5)
    assert bad.status_code == 404
