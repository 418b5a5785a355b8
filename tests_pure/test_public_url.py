"""web.base.url must be a public HTTPS address for Shopify's webhooks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.public_url import public_https_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example-shop.com",
        "https://erp.example-shop.com/",
        "https://odoo.shop.co.uk:8443",
        "https://8.8.8.8",
        "https://[2001:4860:4860::8888]",
    ],
)
def test_public_https_addresses_pass(url):
    assert public_https_problem(url) is None


@pytest.mark.parametrize(
    "url, says",
    [
        ("", "empty"),
        ("http://erp.example-shop.com", "HTTPS"),
        ("ftp://erp.example-shop.com", "HTTPS"),
        ("https://localhost:8069", "only this network"),
        ("https://odoo", "only this network"),
        ("https://odoo.local", "only this network"),
        ("https://erp.corp", "only this network"),
        ("https://127.0.0.1:8069", "private or local"),
        ("https://10.0.0.5", "private or local"),
        ("https://192.168.1.20", "private or local"),
        ("https://[::1]:8069", "private or local"),
        ("https://host:99999", "not a valid address"),
        ("https://", "no host"),
    ],
)
def test_unreachable_addresses_say_why(url, says):
    problem = public_https_problem(url)
    assert problem and says in problem


@given(st.text(max_size=60))
def test_never_raises(text):
    problem = public_https_problem(text)
    assert problem is None or isinstance(problem, str)


@given(st.from_regex(r"\Ahttp://[a-z]{1,10}\.[a-z]{2,5}\Z"))
def test_plain_http_never_passes(url):
    assert public_https_problem(url)
