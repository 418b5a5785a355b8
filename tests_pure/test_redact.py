"""lib.redact: no secret survives into a stored payload, and the result is bounded."""

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lib.redact import REDACTED, is_sensitive_key, redact, truncate

secrets_ = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=40
)
sensitive_keys = st.sampled_from(
    [
        "access_token",
        "client_secret",
        "api_secret",
        "password",
        "X-Shopify-Access-Token",
        "X-Shopify-Hmac-Sha256",
        "Authorization",
        "ACCESS-TOKEN",
        "legacy_api_secret",
        "previous_client_secret",
    ]
)
plain = st.text(alphabet=" abcdefghijklmnopqrstuvwxyz.,", max_size=30)


@pytest.mark.parametrize(
    "key",
    ["access_token", "X-Shopify-Hmac-Sha256", "Authorization", "client_secret", "hmac"],
)
def test_sensitive_keys(key):
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key", ["sku", "id", "title", "client_id", "inventory_item_id", None]
)
def test_ordinary_keys(key):
    assert not is_sensitive_key(key)


def test_nested_structure_keeps_data_and_drops_secrets():
    payload = {
        "headers": {"X-Shopify-Access-Token": "tok-123456789", "Content-Type": "json"},
        "body": {"client_id": "cid", "client_secret": "sec-987654321"},
        "variants": [{"sku": "A-1", "password": "pw-55555"}],
    }
    out = redact(payload)
    data = json.loads(out)
    assert data["headers"]["X-Shopify-Access-Token"] == REDACTED
    assert data["headers"]["Content-Type"] == "json"
    assert data["body"] == {"client_id": "cid", "client_secret": REDACTED}
    assert data["variants"][0] == {"sku": "A-1", "password": REDACTED}
    for secret in ("tok-123456789", "sec-987654321", "pw-55555"):
        assert secret not in out


def test_free_text_patterns():
    text = (
        "GET /x?access_token=abcdef123&page=2 Authorization: Bearer eyJhbGciOi.xyz "
        "token shpat_0123456789abcdef0123456789abcdef and shpss_feedbeef"
    )
    out = redact(text)
    for secret in ("abcdef123", "eyJhbGciOi", "shpat_0123", "shpss_feedbeef"):
        assert secret not in out
    assert "page=2" in out


def test_json_text_is_redacted_by_key():
    out = redact('{"client_secret": "with spaces inside", "sku": "A"}')
    assert "with spaces inside" not in out
    assert json.loads(out)["sku"] == "A"


def test_bytes_and_none():
    assert "shpat_abc" not in redact(b"x shpat_abc y")
    assert redact(None) == ""


@given(sensitive_keys, secrets_, plain, st.integers(0, 3))
def test_secret_under_sensitive_key_never_survives(key, secret, filler, depth):
    assume(secret not in filler)
    obj = {key: secret, "note": filler}
    for _ in range(depth):
        obj = {"wrapper": [obj, filler]}
    for rendered in (obj, json.dumps(obj)):
        assert secret not in redact(rendered, max_len=None)


@given(
    plain,
    st.text(alphabet="0123456789abcdef", min_size=8, max_size=40),
    st.sampled_from(["shpat_", "shpss_", "shpca_", "shppa_", "shpua_"]),
    plain,
)
def test_token_shaped_strings_never_survive(before, body, prefix, after):
    token = prefix + body
    assume(token not in before + after)
    assert token not in redact(before + " " + token + " " + after, max_len=None)
    assert token not in redact({"message": before + token + after}, max_len=None)


@given(st.text(max_size=3000), st.integers(40, 2000))
def test_output_is_bounded(text, max_len):
    assert len(redact(text, max_len=max_len)) <= max_len


def test_truncate_says_how_much_was_dropped():
    out = truncate("x" * 1000, 100)
    assert len(out) == 100
    assert out.endswith("[truncated 900 chars]")
    assert truncate("short", 100) == "short"
