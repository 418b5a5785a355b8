"""Shopify webhook endpoint: verify, store, trigger, answer — nothing else.

Shopify waits 5 s for a 2xx and redelivers otherwise, so the request does no
business work: it authenticates the raw body, stores the delivery in the
`shopify.webhook.event` inbox and wakes the processing cron.

Answers: 405 any method but POST (OPTIONS and HEAD included: never stored), 404
unknown / archived store, 413 body over the limit, 400 body shorter than its
Content-Length, 401 missing or bad signature / wrong shop / no secret configured
(fail closed), 400 malformed after a valid signature (not JSON, NUL characters,
missing headers), 200 stored, duplicate (same webhook id, or same event id and
topic), or refused as a replay (body not of its topic's shape, triggered-at
outside Shopify's 48 h retry window: logged, not stored). Bodies never carry
details; bad input never logs a traceback.
"""

import json
import logging
import time

from psycopg2 import errors as pg_errors
from werkzeug.exceptions import BadRequest

from odoo import fields, http
from odoo.http import request

from ..lib import webhook, webhook_checks, webhook_topics
from ..models.odoo_platform import auto_commit_allowed, raw_request_stream

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_HEADER_LENGTH = 255
# `last_webhook_at` is written at most this often (seconds) per store and process.
TOUCH_INTERVAL = 1.0
_last_touch = {}  # (dbname, store id) -> time.monotonic() of the last touch

# psycopg2 errors Odoo's request loop retries (`odoo.service.model.retrying`):
# re-raised untouched so a concurrent transaction just replays the request.
_RETRYABLE_DB_ERRORS = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
)


class _Reject(Exception):
    """Stop handling a delivery and answer `status` (the text is for our log only)."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ShopifyWebhookController(http.Controller):
    @staticmethod
    def webhook_path(store_id):
        return webhook.webhook_path(store_id)

    @http.route(
        webhook.WEBHOOK_ROUTE,
        type="http",
        auth="public",
        csrf=False,
        methods=["POST"],
        save_session=False,
        # Defence in depth: werkzeug refuses bigger form bodies before we run.
        max_content_length=MAX_BODY_BYTES,
    )
    def shopify_webhook(self, store_id, **_kwargs):
        try:
            if request.httprequest.method != "POST":
                # Odoo adds OPTIONS to every route's methods: refuse it here.
                raise _Reject(405, "method %s" % request.httprequest.method)
            status = self._shopify_receive(store_id)
        except _Reject as rejection:
            _logger.info(
                "Shopify webhook for store %s rejected (%s): %s",
                store_id,
                rejection.status,
                rejection.reason,
            )
            status = rejection.status
        except _RETRYABLE_DB_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - never leak internals to the caller
            _logger.exception(
                "Shopify webhook for store %s: unexpected error", store_id
            )
            # Authenticated deliveries only get here on our own failure: 503 makes
            # Shopify redeliver. Unauthenticated ones never reach storage.
            status = 503
        return self._shopify_answer(status)

    # ------------------------------------------------------------------

    @staticmethod
    def _shopify_answer(status):
        texts = {
            200: "ok",
            400: "bad request",
            401: "unauthorized",
            404: "not found",
            405: "method not allowed",
            413: "payload too large",
            503: "unavailable",
        }
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        if status == 405:
            headers.append(("Allow", "POST"))
        return request.make_response(
            texts.get(status, "error"), headers=headers, status=status
        )

    @staticmethod
    def _shopify_header(name):
        value = request.httprequest.headers.get(name)
        if value is None:
            return None
        value = value.strip()
        if not value or len(value) > MAX_HEADER_LENGTH or not value.isprintable():
            return None
        return value

    @staticmethod
    def _shopify_read_body():
        """Read at most MAX_BODY_BYTES + 1 bytes of the raw body (413 above that).

        Content-Length is checked first; the bounded read also covers chunked
        bodies, which carry no length. Odoo's request wrapper does not expose the
        werkzeug stream, hence the unwrapping.
        """
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise _Reject(413, "content-length over the limit")
        stream = raw_request_stream(httprequest)
        try:
            if stream is not None:
                body = stream.read(MAX_BODY_BYTES + 1)
            else:  # pragma: no cover - other request wrappers
                body = httprequest.get_data(cache=False)
        except BadRequest:
            # werkzeug: the client sent less than its Content-Length and hung up.
            raise _Reject(400, "body shorter than its Content-Length") from None
        if len(body) > MAX_BODY_BYTES:
            raise _Reject(413, "body over the limit")
        if length is not None and len(body) != length:
            raise _Reject(400, "body shorter than its Content-Length")
        return body

    def _shopify_receive(self, store_id):
        if not 0 < store_id < 2**31:  # the route accepts any int; ids are int4
            raise _Reject(404, "store id out of range")
        env = request.env(su=True)
        # One small query: this runs for every delivery (and every forged one).
        auth = env["shopify.store"]._shopify_webhook_auth(store_id)
        if auth is None or not auth[0]:
            raise _Reject(404, "unknown or archived store")
        _active, store_domain, secrets = auth

        raw_body = self._shopify_read_body()

        secrets = [s for s in secrets if s]
        if not secrets:
            raise _Reject(401, "no webhook secret configured")
        signature = request.httprequest.headers.get("X-Shopify-Hmac-Sha256")
        if not signature or not webhook.verify(raw_body, signature, secrets):
            raise _Reject(401, "missing or invalid signature")
        shop_domain = (self._shopify_header("X-Shopify-Shop-Domain") or "").lower()
        if shop_domain != (store_domain or "").lower():
            raise _Reject(401, "shop domain does not match the store")

        # Authenticated from here on: refusals are logged for the merchant.
        store = env["shopify.store"].browse(store_id)
        topic = self._shopify_header("X-Shopify-Topic")
        webhook_id = self._shopify_header("X-Shopify-Webhook-Id")
        try:
            # Strict UTF-8 first: json.loads(bytes) would also accept UTF-16/32.
            payload_text = raw_body.decode("utf-8")
            payload = json.loads(payload_text)
        except (ValueError, RecursionError):
            payload_text, payload = None, None
        problem = None
        if not isinstance(payload, dict):
            problem = "Body is not a JSON object."
        elif webhook_checks.has_nul(payload):
            problem = "NUL character in the JSON body."
        elif not webhook_topics.is_valid_topic(topic):
            problem = "Missing or malformed X-Shopify-Topic header."
        elif not webhook_id:
            problem = "Missing or malformed X-Shopify-Webhook-Id header."
        if problem:
            env["shopify.sync.log"]._log(
                store=store,
                direction="inbound",
                operation="webhook",
                state="error",
                message="Signed webhook delivery refused: %s" % problem,
            )
            raise _Reject(400, problem)

        triggered_at = webhook_topics.parse_timestamp(
            self._shopify_header("X-Shopify-Triggered-At")
        )
        # The signature covers the body only: a captured body replayed under
        # another topic or an old date is acknowledged (Shopify must not retry a
        # genuine one forever) but never stored.
        replay = webhook_checks.delivery_age_problem(
            triggered_at, fields.Datetime.now()
        ) or webhook_checks.shape_problem(topic, payload, store_domain)
        if replay:
            env["shopify.sync.log"]._log(
                store=store,
                direction="inbound",
                operation="webhook:%s" % topic,
                state="warning",
                message="Signed webhook delivery %s ignored: %s."
                % (webhook_id, replay),
            )
            _logger.info(
                "Shopify webhook for store %s ignored (%s): %s", store_id, topic, replay
            )
            env.cr.commit()
            return 200
        event = env["shopify.webhook.event"]._shopify_store_delivery(
            store,
            topic,
            webhook_id,
            payload_text,
            payload,
            event_id=self._shopify_header("X-Shopify-Event-Id"),
            triggered_at=triggered_at,
            api_version=self._shopify_header("X-Shopify-API-Version"),
        )
        if not event:
            return 200  # duplicate delivery: already stored, acknowledge
        event._shopify_trigger_processing()
        self._shopify_touch_store(env, store)
        # Durable before we answer 200 (Shopify will not redeliver); the commit
        # hooks then wake a cron worker and record `last_webhook_at` in their own
        # short transaction, so the health touch can never roll the event back.
        env.cr.commit()
        return 200

    @staticmethod
    def _shopify_touch_store(env, store):
        """Record `last_webhook_at`, at most once a second per store and process:
        a burst of deliveries needs one health write, not one per delivery."""
        key = (env.cr.dbname, store.id)
        now = time.monotonic()
        # Not under tests: their rollbacks undo a touch this memo would remember.
        if auto_commit_allowed(env):
            if now - _last_touch.get(key, -TOUCH_INTERVAL) < TOUCH_INTERVAL:
                return
            _last_touch[key] = now
        store._shopify_health_record(last_webhook_at=fields.Datetime.now())
