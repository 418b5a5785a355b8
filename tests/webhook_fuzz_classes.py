"""Correctly signed but hostile deliveries for the webhook fuzz test (issue 14).

The HMAC covers the body only, so whoever captured one genuine delivery can send
it again with any headers. Each class builds such requests (seeded, reproducible)
and says what the route must answer and whether it may store an event:

- nul: NUL characters (or lone surrogates) in JSON strings, ids or keys -> 400,
  not stored;
- method: OPTIONS / HEAD / GET / PUT / DELETE / PATCH -> 405, not stored;
- shape: a body sent under another topic (an order as app/uninstalled, a product
  update as products/delete...) -> 200 (acknowledged), not stored;
- stale: X-Shopify-Triggered-At far outside the 48 h window or in the future
  -> 200, not stored;
- replay: a delivered event id under a new webhook id -> 200, not stored again;
- short: a body shorter than its Content-Length -> 400, not stored;
- genuine: a new order -> 200, stored.
"""

import json
import socket
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from .test_webhook_controller import delivery_headers, order_payload

METHODS = ("OPTIONS", "HEAD", "GET", "PUT", "DELETE", "PATCH")

# class -> (answers allowed, stores an event)
EXPECTED = {
    "nul": ({400}, False),
    "method": ({405}, False),
    "shape": ({200}, False),
    "stale": ({200}, False),
    "replay": ({200}, False),
    "short": ({400}, False),
    "genuine": ({200}, True),
}


def _product(pid):
    return {
        "id": pid,
        "admin_graphql_api_id": "gid://shopify/Product/%d" % pid,
        "title": "Shirt %d" % pid,
        "variants": [{"id": pid * 10, "sku": "SKU-%d" % pid}],
    }


def _shop(store):
    return {"id": 1, "name": "Shop", "myshopify_domain": store.shop_domain}


class SignedFuzzer:
    def __init__(self, rng, store):
        self.rng = rng
        self.store = store
        self.delivered = []  # (body, event id) of genuine deliveries
        self.order_seq = 10**9

    def _uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def _headers(self, body, **overrides):
        overrides.setdefault("Event_Id", self._uuid())
        return delivery_headers(body, self.store, webhook_id=self._uuid(), **overrides)

    def _new_order(self):
        self.order_seq += 1
        return order_payload(self.order_seq)

    def request(self, kind):
        """(method, body, headers) of one request of class `kind`."""
        return getattr(self, "_" + kind)()

    def _genuine(self):
        body = json.dumps(self._new_order()).encode()
        headers = self._headers(body)
        self.delivered.append((body, headers["X-Shopify-Event-Id"]))
        return "POST", body, headers

    def _nul(self):
        payload = self._new_order()
        where = self.rng.randrange(6)
        if where == 0:
            payload["admin_graphql_api_id"] += "\x00"
        elif where == 1:
            payload["name"] = "#1\x00" + "x" * self.rng.randrange(10)
        elif where == 2:
            payload["a\x00b"] = 1
        elif where == 3:
            payload["line_items"] = [{"title": "\x00", "sku": "A"}]
        elif where == 4:
            payload["note"] = "\x00" * self.rng.randrange(1, 50)
        else:  # a lone surrogate: valid JSON, not storable text
            payload["admin_graphql_api_id"] += "\ud800"
        body = json.dumps(payload).encode()  # "\u0000" escapes: valid JSON
        return "POST", body, self._headers(body)

    def _method(self):
        body = json.dumps(self._new_order()).encode()
        return self.rng.choice(METHODS), body, self._headers(body)

    def _shape(self):
        choices = (
            ("app/uninstalled", self._new_order()),
            ("products/delete", _product(self.rng.randrange(1, 10**9))),
            ("products/update", self._new_order()),
            ("orders/create", _shop(self.store)),
            ("orders/updated", _product(self.rng.randrange(1, 10**9))),
            ("refunds/create", self._new_order()),
            ("inventory_levels/update", self._new_order()),
            ("app/uninstalled", dict(_shop(self.store), myshopify_domain="x.com")),
        )
        topic, payload = choices[self.rng.randrange(len(choices))]
        body = json.dumps(payload).encode()
        return "POST", body, self._headers(body, Topic=topic)

    def _stale(self):
        now = datetime.utcnow()
        roll = self.rng.randrange(4)
        if roll == 0:
            when = datetime(2019, 1, 1) + timedelta(seconds=self.rng.randrange(10**8))
        elif roll == 1:
            when = now - timedelta(hours=49 + self.rng.randrange(10**4))
        elif roll == 2:
            when = now + timedelta(hours=1 + self.rng.randrange(10**4))
        else:
            when = None
        body = json.dumps(self._new_order()).encode()
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.123456789Z") if when else "garbage"
        return "POST", body, self._headers(body, Triggered_At=stamp)

    def _replay(self):
        if not self.delivered:
            return self._genuine()  # pragma: no cover - first requests are genuine
        body, event_id = self.delivered[self.rng.randrange(len(self.delivered))]
        return "POST", body, self._headers(body, Event_Id=event_id)

    def _short(self):
        body = json.dumps(self._new_order()).encode()
        return "POST", body, self._headers(body)


def send_short(base_url, path, body, headers, missing):
    """POST `body` minus its last `missing` bytes, announcing the full length, then
    half-close: what a client that hangs up mid-body looks like. Returns the status."""
    parts = urlsplit(base_url)
    lines = ["POST %s HTTP/1.1" % path, "Host: %s" % parts.netloc]
    headers = dict(headers, **{"Content-Length": str(len(body)), "Connection": "close"})
    lines += ["%s: %s" % item for item in headers.items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body[:-missing]
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 else 0
