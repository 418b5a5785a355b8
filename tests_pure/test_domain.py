"""lib.domain: shop domain normalisation and the loopback-only http override."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain import (
    is_loopback_host,
    normalize_shop_domain,
    validate_base_url_override,
)

handles = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?\Z")


@pytest.mark.parametrize(
    "raw",
    [
        "acme",
        "ACME",
        " acme ",
        "acme.myshopify.com",
        "Acme.MyShopify.com",
        "acme.myshopify.com/",
        "https://acme.myshopify.com",
        "https://acme.myshopify.com/",
        "https://acme.myshopify.com/admin",
        "https://ACME.myshopify.com/admin/products?x=1",
        "http://acme.myshopify.com/admin/",
        "https://admin.shopify.com/store/acme",
        "admin.shopify.com/store/acme/products",
    ],
)
def test_accepted_shapes_normalise_to_one_domain(raw):
    assert normalize_shop_domain(raw) == "acme.myshopify.com"


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("shop.example.com", "not a myshopify.com domain"),
        ("acme.myshopify.com.evil.com", "not a myshopify.com domain"),
        ("acme.shopify.com", "not a myshopify.com domain"),
        ("my shop", "spaces"),
        ("user@acme.myshopify.com", "'@'"),
        ("acme.myshopify.com:443", "port"),
        ("-acme", "not a valid shop name"),
        ("acme_shop", "not a valid shop name"),
        ("ácme", "not a valid shop name"),
        ("ftp://acme.myshopify.com", "must be an https:// URL"),
        ("a" * 64, "not a valid shop name"),
    ],
)
def test_rejected_domains_say_why(raw, fragment):
    with pytest.raises(ValueError) as info:
        normalize_shop_domain(raw)
    assert fragment in str(info.value)
    assert "myshopify.com" in str(info.value)


@given(
    handles,
    st.sampled_from(["", "https://", "http://", "HTTPS://"]),
    st.sampled_from(["", ".myshopify.com", ".MYSHOPIFY.COM"]),
    st.sampled_from(["", "/", "/admin", "/admin/orders?page=2"]),
)
def test_normalisation_is_idempotent_and_case_insensitive(handle, scheme, suffix, path):
    raw = scheme + handle.upper() + suffix + (path if suffix else "")
    result = normalize_shop_domain(raw)
    assert result == handle + ".myshopify.com"
    assert normalize_shop_domain(result) == result


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "LOCALHOST", "::1", "[::1]"]
)
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.2", "0.0.0.0", "localhost.evil.com", "10.0.0.1", "", None, "example.com"],
)
def test_non_loopback_hosts(host):
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "http://127.0.0.1:8765/shops/acme.myshopify.com/",
            "http://127.0.0.1:8765/shops/acme.myshopify.com",
        ),
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://[::1]:9000/x", "http://[::1]:9000/x"),
        ("https://127.0.0.1:8443/shopify", "https://127.0.0.1:8443/shopify"),
        ("  https://localhost  ", "https://localhost"),
    ],
)
def test_valid_overrides(url, expected):
    assert validate_base_url_override(url) == expected


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("http://example.com", "only allowed for 127.0.0.1"),
        ("http://10.0.0.5:8080", "only allowed for 127.0.0.1"),
        ("http://localhost.evil.com", "only allowed for 127.0.0.1"),
        ("http://127.0.0.1.nip.io", "only allowed for 127.0.0.1"),
        # Internal hosts (the probes), https included: never.
        ("https://169.254.169.254", "only allowed for 127.0.0.1"),
        ("https://10.0.0.1:8443", "only allowed for 127.0.0.1"),
        ("https://172.16.0.1", "only allowed for 127.0.0.1"),
        ("https://172.31.255.1", "only allowed for 127.0.0.1"),
        ("https://192.168.1.1", "only allowed for 127.0.0.1"),
        ("https://[fe80::1]", "only allowed for 127.0.0.1"),
        ("https://[fd00::1]", "only allowed for 127.0.0.1"),
        ("https://[::ffff:10.0.0.1]", "only allowed for 127.0.0.1"),
        ("https://proxy.example.com", "only allowed for 127.0.0.1"),
        ("https://acme.myshopify.com", "only allowed for 127.0.0.1"),
        ("https://0.0.0.0", "only allowed for 127.0.0.1"),
        ("https://2130706433", "only allowed for 127.0.0.1"),
        ("ftp://127.0.0.1", "must start with https://"),
        ("127.0.0.1:8000", "must start with https://"),
        ("https://user:pw@example.com", "credentials"),
        ("http://evil.com@127.0.0.1", "credentials"),
        ("https://example.com/?a=1", "query"),
        ("https://example.com/#frag", "query"),
        ("http://evil.com\\@127.0.0.1", "spaces or"),
        ("https://", "no host"),
        ("http://127.0.0.1:notaport", "not a valid URL"),
        ("", "empty"),
    ],
)
def test_invalid_overrides(url, fragment):
    with pytest.raises(ValueError) as info:
        validate_base_url_override(url)
    assert fragment in str(info.value)


@given(st.from_regex(r"\A[a-z]{1,10}\.(com|net|io)\Z"), st.integers(1, 65535))
def test_public_names_never_accepted(host, port):
    for scheme in ("http", "https"):
        with pytest.raises(ValueError):
            validate_base_url_override(f"{scheme}://{host}:{port}")


@given(st.ip_addresses())
def test_only_loopback_addresses_accepted(address):
    host = f"[{address}]" if address.version == 6 else str(address)
    accepted = str(address) in ("127.0.0.1", "::1")
    for scheme in ("http", "https"):
        if accepted:
            assert validate_base_url_override(f"{scheme}://{host}:1")
        else:
            with pytest.raises(ValueError):
                validate_base_url_override(f"{scheme}://{host}:1")
