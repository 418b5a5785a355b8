"""Reading a whole catalogue: paging below the threshold, one bulk operation above it
(bulkOperationRunQuery, polling, JSONL download), against the emulator over HTTP."""

import time
import uuid

import pytest

from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient
from lib.errors import ShopifyBulkOperationError, ShopifyUserError
from tools.shopify_emulator import Emulator, bulk

TOKEN = "shpat_bulk_test_token_0123456789"


@pytest.fixture(scope="module")
def emu():
    with Emulator() as emulator:
        yield emulator


def new_shop(emu, variants=0):
    shop = emu.add_shop(f"b{uuid.uuid4().hex[:10]}.myshopify.com", access_token=TOKEN)
    for start in range(0, variants, 50):
        shop.add_product(
            f"P{start}",
            variants=[
                {"sku": f"SKU-{i}", "price": "1.00", "tracked": i % 3 != 0}
                for i in range(start, min(variants, start + 50))
            ],
        )
    return shop


def client_for(shop):
    return ShopifyClient(
        shop.domain,
        auth=StaticTokenAuth(TOKEN),
        base_url=shop.base_url,
        backoff_base=0.05,
        max_retry_seconds=20,
    )


def test_variants_count_exact_and_capped(emu):
    shop = new_shop(emu, variants=120)
    with client_for(shop) as client:
        assert client.variants_count() == (120, True)
        assert client.variants_count(limit=101) == (101, False)
        assert client.variants_count(query="sku:SKU-7") == (1, True)


def test_bulk_returns_the_same_variants_as_paging(emu):
    shop = new_shop(emu, variants=300)
    with client_for(shop) as client:
        paged = list(client.iter_variants())
        calls_before = client.stats["calls"]
        bulked = list(client.iter_variants_bulk(poll_interval=0.01, timeout=10))
        bulk_calls = client.stats["calls"] - calls_before
    assert len(paged) == 300
    key = lambda v: v["variant_gid"]  # noqa: E731
    assert sorted(bulked, key=key) == sorted(paged, key=key)
    assert {v["tracked"] for v in bulked} == {True, False}
    # one start + polls until COMPLETED (CREATED / RUNNING answers in between)
    assert bulk_calls >= 2


def test_threshold_switches_between_paging_and_bulk(emu):
    shop = new_shop(emu, variants=150)
    with client_for(shop) as client:
        below = list(client.iter_all_variants(threshold=150))
        assert "bulkOperationRunQuery" not in str(shop.mutations)
        above = list(client.iter_all_variants(threshold=100, poll_interval=0.01))
        assert "bulkOperationRunQuery" in str(shop.mutations)
    key = lambda v: v["variant_gid"]  # noqa: E731
    assert len(below) == 150
    assert sorted(above, key=key) == sorted(below, key=key)


def test_empty_result_has_no_file(emu):
    shop = new_shop(emu, variants=0)
    with client_for(shop) as client:
        assert list(client.iter_variants_bulk(poll_interval=0.01)) == []


def test_failed_operation_raises_typed_error(emu):
    shop = new_shop(emu, variants=10)
    bulk.fail_next(shop, "TIMEOUT")
    with client_for(shop) as client:
        with pytest.raises(ShopifyBulkOperationError) as caught:
            list(client.iter_variants_bulk(poll_interval=0.01, timeout=10))
        assert caught.value.bulk_status == "FAILED"
        assert caught.value.error_code == "TIMEOUT"
        assert caught.value.operation_gid.startswith("gid://shopify/BulkOperation/")
        # the shop is free again: the next bulk read works
        assert len(list(client.iter_variants_bulk(poll_interval=0.01))) == 10


def test_operation_in_progress_is_a_user_error(emu):
    shop = new_shop(emu, variants=5)
    gate = bulk.hold(shop)
    with client_for(shop) as client:
        with pytest.raises(ShopifyBulkOperationError) as late:
            # timeout shorter than one poll: the operation is left CREATED
            client.run_bulk_query(
                "{ productVariants { edges { node { id } } } }",
                poll_interval=1,
                timeout=0.5,
            )
        assert late.value.bulk_status == "CREATED"
        with pytest.raises(ShopifyUserError) as caught:
            list(client.iter_variants_bulk(poll_interval=0.01))
        assert caught.value.code == "OPERATION_IN_PROGRESS"
        gate.set()
        op = _wait_done(client, late.value.operation_gid)
        assert op["status"] == "COMPLETED" and op["objectCount"] == "5"
        # the shop is free again
        assert len(list(client.iter_variants_bulk(poll_interval=0.01))) == 5


POLL = """query Poll($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount url completedAt }
}"""


def _wait_done(client, op_gid, seconds=10):
    deadline = time.monotonic() + seconds
    while True:
        op = client.execute(POLL, {"id": op_gid})["bulkOperation"]
        if op["status"] not in ("CREATED", "RUNNING") or time.monotonic() > deadline:
            return op
        time.sleep(0.01)


def test_operation_runs_in_the_background_and_the_shop_keeps_answering(emu):
    """The mutation answers CREATED at once; the operation moves on without being
    polled (RUNNING, a growing objectCount, COMPLETED with a url), and other calls are
    answered while it runs."""
    shop = new_shop(emu, variants=1000)
    gate = bulk.hold(shop)
    with client_for(shop) as client:
        started = client.execute(
            "BulkOperationRunQuery",
            {"query": "{ productVariants { edges { node { id sku } } } }"},
        )["bulkOperationRunQuery"]["bulkOperation"]
        assert started["status"] == "CREATED"
        gate.set()
        seen = set()
        while True:
            op = client.execute(POLL, {"id": started["id"]})["bulkOperation"]
            seen.add(op["status"])
            assert client.variants_count() == (1000, True)  # answered meanwhile
            if op["status"] not in ("CREATED", "RUNNING"):
                break
            assert op["url"] is None and int(op["objectCount"]) <= 1000
        assert op["status"] == "COMPLETED"
        assert op["objectCount"] == "1000" and op["url"]
        assert op["completedAt"] is not None
        assert seen <= {"CREATED", "RUNNING", "COMPLETED"}
        rows = list(client._iter_jsonl(op["url"]))
    assert sorted(r["sku"] for r in rows) == sorted(f"SKU-{i}" for i in range(1000))
    assert len({r["id"] for r in rows}) == 1000


def test_a_failed_operation_has_no_completion_time(emu):
    shop = new_shop(emu, variants=3)
    bulk.fail_next(shop)
    with client_for(shop) as client:
        started = client.execute(
            "BulkOperationRunQuery",
            {"query": "{ productVariants { nodes { id } } }"},
        )["bulkOperationRunQuery"]["bulkOperation"]
        op = _wait_done(client, started["id"])
    assert op["status"] == "FAILED" and op["errorCode"] == "INTERNAL_SERVER_ERROR"
    assert op["completedAt"] is None and op["url"] is None


def test_bulk_file_needs_no_token_and_unknown_ids_are_404(emu):
    import requests

    shop = new_shop(emu, variants=3)
    with client_for(shop) as client:
        op = client.run_bulk_query(
            "{ productVariants { nodes { id sku } } }", poll_interval=0.01
        )
    resp = requests.get(op["url"], timeout=5)
    assert resp.status_code == 200
    assert len(resp.text.splitlines()) == 3 == int(op["objectCount"])
    assert requests.get(f"{emu.url}/_bulk/1.jsonl", timeout=5).status_code == 404
