"""The client never follows a redirect: a loopback "shop" answering 307 towards
another loopback port is refused with a typed error, and the second server never
receives a request, so never the access token nor the client secret (issue 14)."""

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lib.auth import ClientCredentialsAuth, StaticTokenAuth
from lib.client import ShopifyClient
from lib.errors import ShopifyError, ShopifyRedirectError

TOKEN = "shpat_secret_token_value"
SECRET = "client-secret-value"


class _Server:
    """A real HTTP server on 127.0.0.1 recording every request (path, headers, body)."""

    def __init__(self, status=200, location=None, body=b"{}"):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                outer.requests.append((self.path, dict(self.headers), data))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *_args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def received(self, text):
        return any(
            text in data.decode("latin-1")
            or any(text in str(v) for v in headers.values())
            or text in path
            for path, headers, data in self.requests
        )


@pytest.fixture(params=[301, 302, 303, 307, 308])
def servers(request):
    thief = _Server(body=b'{"access_token": "stolen", "expires_in": 3600}')
    shop = _Server(
        status=request.param, location=thief.url + "/admin/oauth/access_token"
    )
    yield shop, thief
    shop.close()
    thief.close()


def _client(shop, auth):
    return ShopifyClient(
        "acme.myshopify.com",
        auth=auth,
        base_url=shop.url + "/shops/acme.myshopify.com",
        max_retry_seconds=2,
        sleep=lambda _s: None,
    )


def test_graphql_call_is_not_redirected(servers, caplog):
    shop, thief = servers
    caplog.set_level(logging.WARNING)
    client = _client(shop, StaticTokenAuth(TOKEN))
    with client, pytest.raises(ShopifyRedirectError) as info:
        client.shop_info()
    assert len(shop.requests) == 1  # refused, not retried
    assert shop.received(TOKEN)  # the shop itself got the call
    assert thief.requests == []
    assert "127.0.0.1:%d" % thief.httpd.server_address[1] in info.value.message
    assert isinstance(info.value, ShopifyError)
    assert TOKEN not in caplog.text and TOKEN not in str(info.value)
    assert "redirect" in caplog.text


def test_token_request_is_not_redirected(servers, caplog):
    shop, thief = servers
    caplog.set_level(logging.WARNING)
    auth = ClientCredentialsAuth("client-id", SECRET)
    with _client(shop, auth) as client, pytest.raises(ShopifyRedirectError):
        client.shop_info()
    assert shop.received(SECRET)
    assert thief.requests == []
    assert SECRET not in caplog.text


def test_bulk_result_download_is_not_redirected(servers):
    shop, thief = servers
    client = _client(shop, StaticTokenAuth(TOKEN))
    with client, pytest.raises(ShopifyRedirectError):
        list(client._iter_jsonl(shop.url + "/bulk/result.jsonl"))
    assert len(shop.requests) == 1
    assert thief.requests == []
