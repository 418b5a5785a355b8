"""Test helpers around the emulator that share nothing with `lib/`: a raw Admin API
caller and a
local webhook receiver recording every POST (body, headers) and answering a chosen
status."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class RawAdmin:
    """Minimal raw-HTTP Admin GraphQL caller (deliberately not the project's client)."""

    def __init__(self, shop, version="2026-10", token=None):
        self.shop = shop
        self.url = f"{shop.base_url}/admin/api/{version}/graphql.json"
        self.token = token or self.fetch_token()
        self.http = requests.Session()

    def fetch_token(self):
        resp = requests.post(
            f"{self.shop.base_url}/admin/oauth/access_token",
            timeout=5,
            data={
                "grant_type": "client_credentials",
                "client_id": self.shop.client_id,
                "client_secret": self.shop.client_secret,
            },
        )
        resp.raise_for_status()
        return resp.json()["access_token"]

    def post(self, query, variables=None, timeout=10):
        return self.http.post(
            self.url,
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": self.token},
            timeout=timeout,
        )

    def __call__(self, query, variables=None):
        resp = self.post(query, variables)
        assert resp.status_code == 200, resp.text
        return resp.json()


class WebhookReceiver:
    """Loopback HTTP server that records webhook POSTs; `statuses` is consumed per
    request
    (then `default_status`)."""

    def __init__(self, default_status=200):
        self.received = []
        self.statuses = []
        self.default_status = default_status
        self.lock = threading.Lock()
        receiver = self

        class _H(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = (
                        receiver.statuses.pop(0)
                        if receiver.statuses
                        else receiver.default_status
                    )
                    receiver.received.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def payloads(self, topic=None):
        return [
            json.loads(r["body"])
            for r in self.received
            if topic is None or r["headers"].get("X-Shopify-Topic") == topic
        ]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
