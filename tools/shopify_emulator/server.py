"""HTTP front of the emulator: routes, auth, injected API faults, token endpoint,
control API.
"""

import hmac
import json
import re
import socket
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from . import bulk, control, graphql_api

API_PATH = re.compile(r"^/shops/([^/]+)/admin/api/([^/]+)/graphql\.json$")
BULK_PATH = re.compile(r"^/_bulk/(\d+)\.jsonl$")
TOKEN_PATH = re.compile(r"^/shops/([^/]+)/admin/oauth/access_token$")
VERSIONS = {"2026-04", "2026-07", "2026-10"}
INVALID_TOKEN = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header + body writes would otherwise wait ~40 ms
    server_version = "ShopifyEmulator/1.0"

    def log_message(self, *args):  # keep test output quiet; headers may hold tokens
        pass

    @property
    def emulator(self):
        return self.server.emulator

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload, headers=None):
        raw = (
            json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        )
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, str(value))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = (
                True  # the client gave up (timeout fault): nothing to do
            )

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_DELETE(self):
        self._route("DELETE")

    def _route(self, method):
        parts = urlsplit(self.path)
        raw = self._body()
        if parts.path.startswith("/_control"):
            status, payload = control.dispatch(
                self.emulator, method, parts.path, parse_qs(parts.query), raw
            )
            return self._send(status, payload)
        m = API_PATH.match(parts.path)
        if m and method == "POST":
            return self._graphql(m.group(1), m.group(2), raw)
        m = BULK_PATH.match(parts.path)
        if m and method == "GET":
            return self._bulk_file(int(m.group(1)))
        m = TOKEN_PATH.match(parts.path)
        if m and method == "POST":
            return self._token(m.group(1), raw)
        self._send(404, {"errors": "Not Found"})

    def _graphql(self, domain, version, raw):
        shop = self.emulator.shops.get(domain)
        if shop is None or version not in VERSIONS:
            return self._send(404, {"errors": "Not Found"})
        kind, opts = shop.take_fault()
        if kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if kind == "http429":
            return self._send(
                429,
                {
                    "errors": "Exceeded 2 calls per second for api client. "
                    "Reduce request rates to resume uninterrupted service."
                },
                {"Retry-After": opts.get("retry_after", 1)},
            )
        if kind in ("http500", "http503"):
            return self._send(
                int(kind[4:]),
                {
                    "errors": "Internal Server Error"
                    if kind == "http500"
                    else "Service Unavailable"
                },
            )
        if kind == "slow":
            time.sleep(opts.get("delay", 1.0))
        if not shop.token_valid(self.headers.get("X-Shopify-Access-Token")):
            return self._send(401, {"errors": INVALID_TOKEN})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._send(400, {"errors": "Bad Request: invalid JSON"})
        if kind == "throttled":
            return self._send(200, graphql_api.throttled(shop, opts.get("cost", 10)))
        if kind == "timeout" and opts.get("apply", "before") == "never":
            time.sleep(opts.get("hold", self.emulator.timeout_hold))
            self.close_connection = True
            return None
        if kind == "timeout" and opts.get("apply") == "after":
            time.sleep(
                opts.get("hold", self.emulator.timeout_hold)
            )  # applied after the client left
        answer = graphql_api.handle(shop, body)
        if (
            kind == "timeout" and opts.get("apply", "before") == "before"
        ):  # applied, but the client gives up before the answer comes
            time.sleep(opts.get("hold", self.emulator.timeout_hold))
        return self._send(200, answer)

    def _bulk_file(self, op_id):
        # Like Shopify's signed storage URL: no access token needed.
        shop = bulk.find(self.emulator, op_id)
        data = None
        if shop is not None:
            with shop.lock:
                data = bulk.jsonl(shop, op_id)
        if data is None:
            return self._send(404, {"errors": "Not Found"})
        return self._send(200, data)

    def _token(self, domain, raw):
        shop = self.emulator.shops.get(domain)
        if shop is None:
            return self._send(404, {"errors": "Not Found"})
        ctype = self.headers.get("Content-Type", "")
        try:
            if "json" in ctype:
                data = json.loads(raw or b"{}")
            else:
                data = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        except ValueError:
            return self._send(400, {"error": "invalid_request"})
        if data.get("grant_type") != "client_credentials":
            return self._send(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
            )
        if not (
            hmac.compare_digest(str(data.get("client_id", "")), shop.client_id)
            and hmac.compare_digest(
                str(data.get("client_secret", "")), shop.client_secret
            )
        ):
            return self._send(
                400,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed.",
                },
            )
        if not shop.installed:
            # An uninstalled app gets no token. Shopify does not document this
            # answer; the emulator refuses like a failed client authentication.
            return self._send(
                400,
                {
                    "error": "invalid_client",
                    "error_description": "The app is not installed on this shop.",
                },
            )
        token = shop.issue_token()
        return self._send(
            200,
            {
                "access_token": token,
                "scope": ",".join(shop.scopes),
                "expires_in": int(self.emulator.token_ttl),
            },
        )
