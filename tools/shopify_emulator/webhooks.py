"""Webhook deliveries like Shopify's: POST of the REST-shaped JSON to every subscription
of the
topic, signed with the app's client secret, at least once (retries on non-2xx /
timeout), the
subscription deleted after `max_consecutive_failures` failed attempts in a row, and
switchable,
seeded faults (duplicate, delay, reorder, drop) to exercise the receiver."""

import base64
import contextlib
import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from .ids import iso_offset, now

API_VERSION = "2026-10"


def sign(secret, body):
    return base64.b64encode(
        hmac.new(secret.encode(), body, hashlib.sha256).digest()
    ).decode()


def encode(payload, sub):
    """Body and content type of one delivery: the subscription's `format` (JSON or
    XML) and `includeFields` ("Only the fields specified will be included")."""
    fields = sub.get("include_fields")
    if fields:
        payload = {k: v for k, v in payload.items() if k in fields}
    if sub.get("format") == "XML":
        return _xml(payload).encode(), "application/xml"
    return json.dumps(payload, separators=(",", ":")).encode(), "application/json"


def _xml(payload):
    from xml.sax.saxutils import escape

    def node(key, value):
        tag = str(key).replace("_", "-")
        if isinstance(value, dict):
            inner = "".join(node(k, v) for k, v in value.items())
        elif isinstance(value, list):
            inner = "".join(node(tag.rstrip("s") or "item", v) for v in value)
        else:
            inner = "" if value is None else escape(str(value))
        return f"<{tag}>{inner}</{tag}>"

    return '<?xml version="1.0" encoding="UTF-8"?>' + node("root", payload)


def topic_enum(topic):
    """`orders/create` -> `ORDERS_CREATE` (GraphQL WebhookSubscriptionTopic)."""
    return topic.replace("/", "_").upper()


class Dispatcher:
    def __init__(self, emulator, workers=4):
        self.emulator = emulator
        self.retry_delays = [
            1,
            5,
            30,
            120,
            600,
            1800,
            3600,
            7200,
        ]  # Shopify: 8 retries / 4 h
        self.timeout = 5.0
        self.max_consecutive_failures = 8
        self.deliveries = []
        self._faults = {"duplicate": 0.0, "delay": 0.0, "reorder": False, "drop": 0.0}
        self._rng = random.Random()
        self._heap, self._seq = [], itertools.count()
        self._cond = threading.Condition()
        self._inflight = 0
        self._local = threading.local()  # webhook ids emitted by this request thread
        self._done = set()  # webhook ids whose first attempt has been made
        self._stop = False
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="emu-webhook"
        )
        self._thread = threading.Thread(
            target=self._run, name="emu-webhook-scheduler", daemon=True
        )
        self._thread.start()

    def set_faults(self, duplicate=0.0, delay=0.0, reorder=False, drop=0.0, seed=None):
        with self._cond:
            self._faults = {
                "duplicate": duplicate,
                "delay": delay,
                "reorder": reorder,
                "drop": drop,
            }
            self._rng = random.Random(seed)

    def emit(self, shop, topic, payload):
        """Queue one event for every subscription of `topic` (called under the shop
        lock).
        """
        enum = topic_enum(topic)
        subs = [s for s in shop.subscriptions.values() if s["topic"] == enum]
        if not subs:
            return
        event_id = str(uuid.uuid4())
        triggered = iso_offset(now())
        captured = getattr(self._local, "ids", None)
        with self._cond:
            f = self._faults
            for sub in subs:
                if sub.get("app") is not None:
                    # Another app's endpoint: delivered elsewhere, not by us.
                    self._log(
                        {
                            "shop": shop,
                            "topic": topic,
                            "uri": sub["uri"],
                            "webhook_id": None,
                            "event_id": event_id,
                            "attempt": 0,
                        },
                        "other app",
                    )
                    continue
                body, content_type = encode(payload, sub)
                delivery = {
                    "shop": shop,
                    "topic": topic,
                    "sub_id": sub["id"],
                    "uri": sub["uri"],
                    "body": body,
                    "content_type": content_type,
                    "webhook_id": str(uuid.uuid4()),
                    "event_id": event_id,
                    "triggered_at": triggered,
                    "attempt": 0,
                }
                if f["drop"] and self._rng.random() < f["drop"]:
                    self._log(delivery, "dropped")
                    continue
                copies = (
                    2 if f["duplicate"] and self._rng.random() < f["duplicate"] else 1
                )
                for copy in range(copies):
                    delay = f["delay"]
                    if f["reorder"]:
                        delay += self._rng.random() * max(0.3, f["delay"])
                    if captured is not None and copy == 0:
                        delay = 0.0  # hard mode: before the write's HTTP answer
                    self._push(time.monotonic() + delay, dict(delivery))
                if captured is not None:
                    captured.append(delivery["webhook_id"])
            self._cond.notify_all()

    @contextlib.contextmanager
    def capture(self):
        """Collect the webhook ids this thread emits (for `wait_delivered`)."""
        self._local.ids = ids = []
        try:
            yield ids
        finally:
            self._local.ids = None

    def wait_delivered(self, ids, timeout):
        """Wait until the first attempt of every webhook in `ids` has been made."""
        end = time.monotonic() + timeout
        with self._cond:
            while not self._done.issuperset(ids):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _push(self, due, delivery):
        heapq.heappush(self._heap, (due, next(self._seq), delivery))

    def _log(self, delivery, status):
        self.deliveries.append(
            {
                "topic": delivery["topic"],
                "shop": delivery["shop"].domain,
                "uri": delivery["uri"],
                "status": status,
                "webhook_id": delivery["webhook_id"],
                "event_id": delivery["event_id"],
                "attempt": delivery["attempt"],
                "at": time.time(),
            }
        )

    def _run(self):
        while True:
            with self._cond:
                while not self._stop and (
                    not self._heap or self._heap[0][0] > time.monotonic()
                ):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stop:
                    return
                _due, _seq, delivery = heapq.heappop(self._heap)
                self._inflight += 1
            self._pool.submit(self._deliver, delivery)

    def _deliver(self, delivery):
        shop = delivery["shop"]
        try:
            headers = {
                "Content-Type": delivery.get("content_type", "application/json"),
                "X-Shopify-Topic": delivery["topic"],
                "X-Shopify-Hmac-Sha256": sign(shop.client_secret, delivery["body"]),
                "X-Shopify-Shop-Domain": shop.domain,
                "X-Shopify-API-Version": API_VERSION,
                "X-Shopify-Webhook-Id": delivery["webhook_id"],
                "X-Shopify-Event-Id": delivery["event_id"],
                "X-Shopify-Triggered-At": delivery["triggered_at"],
                "User-Agent": "Shopify-Captain-Hook",
            }
            status = self._post(delivery["uri"], delivery["body"], headers)
            ok = isinstance(status, int) and 200 <= status < 300
            with self._cond:
                self._log(delivery, status)
                self._done.add(delivery["webhook_id"])
                self._cond.notify_all()
            self._after(delivery, ok)
        finally:
            with self._cond:
                self._inflight -= 1
                self._cond.notify_all()

    def _post(self, uri, body, headers):
        """POST with http.client (keeps Shopify's header spelling); -> status or error
        text.
        """
        parts = urlsplit(uri)
        conn_cls = (
            http.client.HTTPSConnection
            if parts.scheme == "https"
            else http.client.HTTPConnection
        )
        conn = conn_cls(parts.hostname, parts.port, timeout=self.timeout)
        try:
            path = parts.path or "/"
            conn.request(
                "POST", f"{path}?{parts.query}" if parts.query else path, body, headers
            )
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except (OSError, http.client.HTTPException) as exc:
            return f"error: {type(exc).__name__}"
        finally:
            conn.close()

    def _after(self, delivery, ok):
        shop = delivery["shop"]
        with shop.lock:
            sub = shop.subscriptions.get(delivery["sub_id"])
            if sub is None:
                return  # deleted meanwhile: Shopify stops delivering
            if ok:
                sub["failures"] = 0
                return
            sub["failures"] += 1
            if sub["failures"] >= self.max_consecutive_failures:
                del shop.subscriptions[delivery["sub_id"]]
                return
        attempt = delivery["attempt"]
        if attempt < len(self.retry_delays):
            retry = dict(
                delivery, attempt=attempt + 1
            )  # same webhook id, original payload
            with self._cond:
                self._push(time.monotonic() + self.retry_delays[attempt], retry)
                self._cond.notify_all()

    def flush(self, timeout=10.0):
        """Wait until nothing is queued or in flight; -> True if drained in time."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._inflight:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def stop(self):
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=2)
        self._pool.shutdown(wait=False, cancel_futures=True)
