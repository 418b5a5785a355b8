"""Real HTTP to the running test server: webhook route answers and storage."""

import json
import time
import uuid
from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.shopify_sync.controllers.main import (
    MAX_BODY_BYTES,
    ShopifyWebhookController,
)
from odoo.addons.shopify_sync.lib import webhook
from odoo.addons.shopify_sync.lib.webhook import sign

WEBHOOK_SECRET = "test-client-secret-for-webhooks"


def make_webhook_store(env, domain="hooks-test.myshopify.com", **vals):
    """A connected store whose webhooks are signed with WEBHOOK_SECRET."""
    values = {
        "name": domain.split(".")[0],
        "shop_domain": domain,
        "auth_method": "client_credentials",
        "client_id": "test-client-id",
        "client_secret": WEBHOOK_SECRET,
        "state": "connected",
    }
    values.update(vals)
    return env["shopify.store"].sudo().create(values)


def order_payload(order_id=1001, updated_at="2026-03-01T10:00:00-05:00", **extra):
    payload = {
        "id": order_id,
        "admin_graphql_api_id": "gid://shopify/Order/%d" % order_id,
        "name": "#%d" % order_id,
        "updated_at": updated_at,
        "financial_status": "paid",
        "line_items": [],
    }
    payload.update(extra)
    return payload


def recent_timestamp(seconds_ago=1):
    when = datetime.utcnow() - timedelta(seconds=seconds_ago)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789Z"


def delivery_headers(
    body,
    store,
    topic="orders/create",
    secret=WEBHOOK_SECRET,
    webhook_id=None,
    **overrides,
):
    """The headers Shopify sends with a delivery of `body` (bytes) to `store`."""
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": store.shop_domain,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        # Shopify's format (nanoseconds, Z), a second ago: within the 48 h window.
        "X-Shopify-Triggered-At": recent_timestamp(),
    }
    for key, value in overrides.items():
        header = "X-Shopify-" + key.replace("_", "-")
        if value is None:
            headers.pop(header, None)
        else:
            headers[header] = value
    return headers


@tagged("post_install", "-at_install")
class TestWebhookController(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.store = make_webhook_store(cls.env)
        cls.Event = cls.env["shopify.webhook.event"].sudo()
        cls.cron = cls.env.ref("shopify_sync.ir_cron_shopify_webhook_process")

    def _url(self, store_id):
        return ShopifyWebhookController.webhook_path(store_id)

    def _post(self, body, headers, store=None, store_id=None):
        store_id = store_id if store_id is not None else (store or self.store).id
        return self.opener.post(
            self.base_url() + self._url(store_id),
            data=body,
            headers=headers,
            timeout=10,
            allow_redirects=False,
        )

    def _events(self, store=None):
        self.env.invalidate_all()
        return self.Event.search([("store_id", "=", (store or self.store).id)])

    def _assert_rejected(self, response, status, store=None):
        self.assertEqual(response.status_code, status, response.text)
        self.assertFalse(self._events(store), "a rejected delivery must not be stored")
        self.assertNotIn("Traceback", response.text)
        self.assertNotIn('File "', response.text)
        # Short generic text (werkzeug's own 413 page when it refuses the body first).
        self.assertLess(len(response.content), 400, "answers carry no detail")

    def test_url_pattern_is_shared(self):
        self.assertEqual(ShopifyWebhookController.webhook_path(7), "/shopify/webhook/7")
        # the route the controller serves is the path the store subscribes
        self.assertEqual(
            webhook.WEBHOOK_ROUTE.replace("<int:store_id>", "7"),
            webhook.webhook_path(7),
        )

    def test_valid_delivery_is_stored_and_triggers_processing(self):
        triggers_before = self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )
        body = json.dumps(order_payload()).encode()
        headers = delivery_headers(body, self.store, webhook_id="wh-valid-1")
        triggered = datetime.utcnow().replace(microsecond=0) - timedelta(hours=47)
        headers["X-Shopify-Triggered-At"] = triggered.isoformat() + ".123456789Z"
        started = time.monotonic()
        response = self._post(body, headers)
        elapsed = time.monotonic() - started
        self.assertEqual(response.status_code, 200, response.text)
        self.assertLess(elapsed, 1.0, "Shopify waits 5 s; we answer well under 1 s")
        event = self._events()
        self.assertEqual(len(event), 1)
        self.assertRecordValues(
            event,
            [
                {
                    "topic": "orders/create",
                    "webhook_id": "wh-valid-1",
                    "event_id": headers["X-Shopify-Event-Id"],
                    "api_version": "2026-10",
                    "state": "pending",
                    "attempts": 0,
                    "object_gid": "gid://shopify/Order/1001",
                    "object_updated_at": fields.Datetime.to_datetime(
                        "2026-03-01 15:00:00"
                    ),
                }
            ],
        )
        self.assertEqual(event.payload.encode(), body, "raw payload kept verbatim")
        self.assertEqual(event.triggered_at.replace(microsecond=0), triggered)
        self.assertTrue(self.store.last_webhook_at)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers_before,
            "the processing cron is triggered",
        )

    def test_duplicate_webhook_id_is_acknowledged_not_stored_twice(self):
        body = json.dumps(order_payload()).encode()
        headers = delivery_headers(body, self.store, webhook_id="wh-dup-1")
        self.assertEqual(self._post(body, headers).status_code, 200)
        # Shopify's retry: same webhook id (fresh HMAC of the same body).
        self.assertEqual(self._post(body, headers).status_code, 200)
        self.assertEqual(len(self._events()), 1)

    def test_same_webhook_id_on_another_store_is_another_event(self):
        other = make_webhook_store(self.env, "hooks-other.myshopify.com")
        body = json.dumps(order_payload()).encode()
        self._post(body, delivery_headers(body, self.store, webhook_id="wh-shared"))
        response = self._post(
            body, delivery_headers(body, other, webhook_id="wh-shared"), store=other
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(len(self._events(other)), 1)

    def test_bad_signature(self):
        body = json.dumps(order_payload()).encode()
        headers = delivery_headers(body, self.store, secret="not-the-secret")
        self._assert_rejected(self._post(body, headers), 401)

    def test_missing_signature(self):
        body = json.dumps(order_payload()).encode()
        headers = delivery_headers(body, self.store, Hmac_Sha256=None)
        self._assert_rejected(self._post(body, headers), 401)

    def test_signature_of_another_body(self):
        body = json.dumps(order_payload()).encode()
        other_body = json.dumps(order_payload(order_id=2)).encode()
        headers = delivery_headers(body, self.store)
        self._assert_rejected(self._post(other_body, headers), 401)

    def test_wrong_shop_domain(self):
        body = json.dumps(order_payload()).encode()
        headers = delivery_headers(
            body, self.store, Shop_Domain="someone-else.myshopify.com"
        )
        self._assert_rejected(self._post(body, headers), 401)
        headers = delivery_headers(body, self.store, Shop_Domain=None)
        self._assert_rejected(self._post(body, headers), 401)

    def test_unknown_store(self):
        body = json.dumps(order_payload()).encode()
        headers = delivery_headers(body, self.store)
        missing_id = self.store.search([], order="id desc", limit=1).id + 1000
        response = self._post(body, headers, store_id=missing_id)
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.Event.search_count([]))

    def test_archived_store(self):
        self.store.active = False
        self.env.flush_all()
        body = json.dumps(order_payload()).encode()
        self._assert_rejected(self._post(body, delivery_headers(body, self.store)), 404)

    def test_oversize_body(self):
        body = b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}'
        headers = delivery_headers(body, self.store)
        self._assert_rejected(self._post(body, headers), 413)

    def test_oversize_chunked_body_without_content_length(self):
        chunk = b"x" * (256 * 1024)

        def chunks():
            for _i in range(10):  # 2.5 MiB, sent with Transfer-Encoding: chunked
                yield chunk

        headers = delivery_headers(chunk * 10, self.store)
        self._assert_rejected(self._post(chunks(), headers), 413)

    def test_body_at_the_limit_is_accepted(self):
        filler = "x" * (MAX_BODY_BYTES - 200)
        body = json.dumps(order_payload(note=filler)).encode()
        self.assertLessEqual(len(body), MAX_BODY_BYTES)
        response = self._post(body, delivery_headers(body, self.store))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self._events()), 1)

    def test_malformed_json_after_valid_signature(self):
        log_count = (
            self.env["shopify.sync.log"]
            .sudo()
            .search_count([("store_id", "=", self.store.id)])
        )
        for body in (b'{"id": 1,', b"[1, 2]", b"\xff\xfe{}", b""):
            response = self._post(body, delivery_headers(body, self.store))
            self._assert_rejected(response, 400)
        self.env.invalidate_all()
        self.assertGreater(
            self.env["shopify.sync.log"]
            .sudo()
            .search_count([("store_id", "=", self.store.id)]),
            log_count,
            "a signed but malformed delivery leaves a log entry",
        )

    def test_signed_delivery_without_webhook_id_or_topic(self):
        body = json.dumps(order_payload()).encode()
        headers = delivery_headers(body, self.store, Webhook_Id=None)
        self._assert_rejected(self._post(body, headers), 400)
        headers = delivery_headers(body, self.store, Topic="../../etc")
        self._assert_rejected(self._post(body, headers), 400)

    def test_no_secret_configured_fails_closed(self):
        store = make_webhook_store(
            self.env, "hooks-nosecret.myshopify.com", client_secret=False
        )
        body = json.dumps(order_payload()).encode()
        # Even an "empty key" signature must not pass.
        headers = delivery_headers(body, store, secret="")
        self._assert_rejected(self._post(body, headers, store=store), 401, store)

    def test_previous_secret_accepted_during_rotation_only(self):
        self.store.write(
            {
                "client_secret": "new-secret",
                "previous_client_secret": WEBHOOK_SECRET,
                "previous_secret_valid_until": fields.Datetime.now()
                + timedelta(hours=1),
            }
        )
        self.env.flush_all()
        body = json.dumps(order_payload()).encode()
        response = self._post(
            body, delivery_headers(body, self.store, secret="new-secret")
        )
        self.assertEqual(response.status_code, 200)
        response = self._post(body, delivery_headers(body, self.store))
        self.assertEqual(response.status_code, 200, "old secret still valid")
        self.store.previous_secret_valid_until = fields.Datetime.now() - timedelta(
            minutes=1
        )
        self.env.flush_all()
        response = self._post(body, delivery_headers(body, self.store))
        self.assertEqual(response.status_code, 401, "old secret expired")
        self.assertEqual(len(self._events()), 2)

    def test_get_is_not_allowed(self):
        response = self.opener.get(
            self.base_url() + self._url(self.store.id), timeout=10
        )
        self.assertEqual(response.status_code, 405)
