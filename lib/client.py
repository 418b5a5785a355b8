"""The one Shopify Admin API client: every call to Shopify goes through `execute()`.

Why `requests` and not ShopifyAPI's transport: `shopify.GraphQL().execute` goes through
`urllib.request.urlopen` without a timeout (a stalled shop hangs a cron worker forever),
has no retry and no THROTTLED handling, and keeps the active session in global,
per-thread state (`ShopifyResource.activate_session`), which is wrong for a process
serving many shops at once. So ShopifyAPI does what it does well -- validating the API
version and building the Admin API path (`ApiVersion`), the shop URL (`Session`) -- and
one pooled `requests.Session` per client carries the calls, with (connect, read)
timeouts.

`execute()` adds, around each call:
- the access token from the auth object (renewed before expiry, and once after a 401);
- proactive pacing against a local model of Shopify's cost bucket
  (`throttle.CostBucket`), so a long sync runs at the restore rate instead of hitting
  THROTTLED;
- waiting and retrying on THROTTLED, 429 (Retry-After honoured), 5xx, timeouts and
  connection errors, with exponential backoff + full jitter, within `max_retry_seconds`;
  after that a `ShopifyRetryableError`;
- typed errors (`errors.py`). Headers are never logged; messages never contain secrets.

A mutation without `@idempotent` is retried only when Shopify surely did not run it
(429, THROTTLED, connection refused): after a timeout or a 5xx it may have been applied,
so the caller gets `ShopifyRetryableError` and decides (e.g. lists webhooks before
re-creating one).
"""

import json
import logging
import random
import threading
import time
from datetime import timedelta, timezone

import requests
import shopify
from requests.adapters import HTTPAdapter
from shopify.api_version import InvalidVersionError, VersionNotFoundError

from . import API_VERSION, documents, inventory, order_read
from .domain import normalize_shop_domain, validate_base_url_override
from .errors import (
    ShopifyAuthError,
    ShopifyBulkOperationError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
    ShopifyUserError,
    redirect_error,
)
from .throttle import CostBucket, backoff_delay, parse_retry_after, throttled_wait
from .webhook_topics import topic_to_enum

_logger = logging.getLogger(__name__)

PAGE_SIZE = 250  # Shopify's maximum `first`
# InventoryItems per levels query: ~3 points each keeps a query far below the 1000 cap.
LEVELS_PER_QUERY = 100
SKUS_PER_QUERY = 50
# Above this many variants one bulk operation beats ~100+ paged calls (issue 5).
BULK_THRESHOLD = 25000
BULK_DONE = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
# Bulk queries take no `first`/`after`: Shopify walks the whole connection itself.
BULK_VARIANTS = """{
  productVariants(query: %s) {
    edges {
      node {
        id
        sku
        title
        inventoryItem { id tracked }
        product { id title }
      }
    }
  }
}"""
_SKU_SPECIAL = set(" :\"'\\()")


def _quote_search_value(value):
    """A value for Shopify's search syntax: quoted (with escapes) when it needs it."""
    value = str(value)
    if value and not (_SKU_SPECIAL & set(value)) and not value.startswith("-"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utc_z(dt):
    """datetime (naive = UTC) -> '2026-01-02T03:04:05Z'."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return (
        dt.astimezone(timezone.utc)
        .replace(microsecond=0)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def _surely_unsent(exc):
    """True when a requests exception proves the request never reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc.args[0]) if exc.args else ""
    return "NewConnectionError" in text or "ConnectionRefused" in text


class ShopifyClient:
    """Admin GraphQL API client for one shop. Thread-safe; one pooled HTTP session."""

    def __init__(
        self,
        shop_domain,
        *,
        auth,
        api_version=API_VERSION,
        base_url=None,
        timeout=(5, 30),
        session=None,
        max_retry_seconds=60,
        on_cost=None,
        sleep=time.sleep,
        clock=time.monotonic,
        rng=random.random,
        backoff_base=0.5,
        backoff_cap=30.0,
        circuit=None,
    ):
        self.shop_domain = normalize_shop_domain(shop_domain)
        try:
            self.api_version = shopify.ApiVersion.coerce_to_version(api_version)
        except (VersionNotFoundError, InvalidVersionError):
            raise ValueError(f"unknown Shopify API version {api_version!r}") from None
        if base_url:
            self.base_url = validate_base_url_override(base_url)
        else:
            self.base_url = f"https://{self.shop_domain}"
        if base_url:
            api_root = self.api_version.api_path(self.base_url)
        else:
            # ShopifyAPI's own rule for the shop's admin site (https://x.myshopify.com/...).
            api_root = shopify.Session(self.shop_domain, self.api_version.name).site
        self.graphql_url = f"{api_root}/graphql.json"
        self.token_url = f"{self.base_url}/admin/oauth/access_token"
        self.auth = auth
        self.timeout = timeout
        self.max_retry_seconds = max_retry_seconds
        self.on_cost = on_cost
        # Optional breaker hook: `.before(op)` may raise (nothing is sent), then
        # `.record(error, sent=True)` once per execute(): error None = answered.
        self.circuit = circuit
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self.bucket = CostBucket(clock=clock)
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=16)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self._session = session
        self._stats_lock = threading.Lock()
        self.stats = {"calls": 0, "retries": 0, "throttled": 0, "paced_seconds": 0.0}

    def __repr__(self):
        return (
            f"ShopifyClient(shop={self.shop_domain!r}, "
            f"api_version={self.api_version.name!r}, auth={self.auth!r})"
        )

    def close(self):
        if self._own_session:
            self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ core
    def _scrub(self, text):
        text = str(text)
        for secret in self.auth.secrets():
            if secret and secret in text:
                text = text.replace(secret, "<hidden>")
        return text

    def _count(self, key, value=1):
        with self._stats_lock:
            self.stats[key] += value

    def execute(self, document_or_name, variables=None):
        """Send one GraphQL operation; return its `data`. See the module docstring."""
        if self.circuit is None:
            return self._execute(document_or_name, variables)
        self.circuit.before(document_or_name)
        try:
            data = self._execute(document_or_name, variables)
        except ShopifyRetryableError as exc:
            self.circuit.record(exc, sent=exc.sent)
            raise
        except ShopifyError:
            self.circuit.record(None)  # Shopify answered (an error is an answer)
            raise
        self.circuit.record(None)
        return data

    def _execute(self, document_or_name, variables=None):
        if documents.is_name(document_or_name):
            document = documents.load(document_or_name)
        else:
            document = document_or_name
        kind, name = documents.operation_of(document)
        unsafe_to_resend = kind == "mutation" and not documents.is_idempotent(document)
        payload = {"query": document, "variables": variables or {}}
        if name:
            payload["operationName"] = name
        op = name or "anonymous"
        started = self._clock()
        deadline = started + self.max_retry_seconds
        attempt = 0
        renewed = False
        while True:
            pace = self.bucket.reserve(op)
            if pace > 0:
                if self._clock() + pace > deadline:
                    raise ShopifyRetryableError(
                        f"{op}: rate limit needs {pace:.1f}s, beyond the retry budget",
                        retry_after=pace,
                        attempts=attempt,
                        sent=attempt > 0,
                    )
                self._count("paced_seconds", pace)
                self._sleep(pace)
            outcome = self._send_once(op, payload, unsafe_to_resend, renewed)
            if outcome[0] == "data":
                return outcome[1]
            if outcome[0] == "renewed":
                renewed = True
                continue
            _, message, delay, status = outcome
            if delay is None:
                delay = backoff_delay(
                    attempt,
                    base=self._backoff_base,
                    cap=self._backoff_cap,
                    rng=self._rng,
                )
            elapsed = self._clock() - started
            if self._clock() + delay > deadline:
                raise ShopifyRetryableError(
                    f"{op}: {message}; gave up after {attempt + 1} attempt(s) "
                    f"in {elapsed:.1f}s",
                    status=status,
                    retry_after=delay,
                    attempts=attempt + 1,
                )
            # THROTTLED is routine flow control; anything else deserves a warning.
            _logger.log(
                logging.INFO if message == "THROTTLED" else logging.WARNING,
                "Shopify %s on %s: %s; retry %d in %.2fs",
                op,
                self.shop_domain,
                message,
                attempt + 1,
                delay,
            )
            self._count("retries")
            self._sleep(delay)
            attempt += 1

    def _send_once(self, op, payload, unsafe_to_resend, renewed):
        """One HTTP exchange. Returns ("data", data) | ("renewed",) |
        ("retry", message, delay_or_None, status); raises what must not be retried."""
        try:
            token = self.auth.access_token(self.token_url, self._session, self.timeout)
        except ShopifyRetryableError as exc:
            return ("retry", self._scrub(exc.message), None, exc.status)
        self._count("calls")
        try:
            resp = self._session.post(
                self.graphql_url,
                json=payload,
                headers={
                    "X-Shopify-Access-Token": token,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                timeout=self.timeout,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            message = f"{type(exc).__name__} talking to Shopify"
            if unsafe_to_resend and not _surely_unsent(exc):
                raise ShopifyRetryableError(
                    f"{op}: {message}; not resent (the mutation may have been applied)"
                ) from None
            return ("retry", message, None, None)

        status = resp.status_code
        if 300 <= status < 400:
            raise redirect_error(op, resp, _logger)
        if status == 401:
            if self.auth.can_renew and not renewed:
                self.auth.invalidate(token)
                return ("renewed",)
            raise ShopifyAuthError(
                f"{op}: Shopify refused the access token (HTTP 401)", status=401
            )
        if status == 403:
            raise ShopifyAuthError(
                f"{op}: access denied (HTTP 403): check the app's access scopes",
                status=403,
            )
        if status == 429:
            # Shopify did not run the call: safe to resend even a plain mutation.
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            return ("retry", "HTTP 429 Too Many Requests", retry_after, 429)
        if status >= 500:
            if unsafe_to_resend:
                raise ShopifyRetryableError(
                    f"{op}: HTTP {status}; not resent (it may have been applied)",
                    status=status,
                )
            return ("retry", f"HTTP {status}", None, status)
        if status != 200:
            raise ShopifyError(f"{op}: unexpected HTTP {status}", status=status)
        try:
            body = resp.json()
        except ValueError:
            if unsafe_to_resend:
                raise ShopifyRetryableError(
                    f"{op}: unreadable answer; not resent", status=status
                ) from None
            return ("retry", "unreadable JSON answer", None, status)

        cost = (body.get("extensions") or {}).get("cost")
        if cost:
            self.bucket.observe(cost, op)
            if self.on_cost:
                self.on_cost(cost)
        errors = body.get("errors")
        if errors:
            if isinstance(errors, str | dict):
                errors = [errors if isinstance(errors, dict) else {"message": errors}]
            codes = [(e.get("extensions") or {}).get("code") for e in errors]
            if "THROTTLED" in codes:
                self._count("throttled")
                status_ = (cost or {}).get("throttleStatus") or {}
                delay = throttled_wait(
                    (cost or {}).get("requestedQueryCost") or self.bucket.estimate(op),
                    status_.get("currentlyAvailable") or 0,
                    status_.get("restoreRate") or self.bucket.restore_rate or 50,
                )
                return ("retry", "THROTTLED", delay, status)
            if "ACCESS_DENIED" in codes:
                raise ShopifyAuthError(
                    f"{op}: {self._scrub(errors[0].get('message'))}", status=status
                )
            text = "; ".join(self._scrub(e.get("message") or "?") for e in errors[:3])
            raise ShopifyGraphQLError(f"{op}: {text}", errors=errors, status=status)
        return ("data", body.get("data") or {})

    # ------------------------------------------------------------------ paging
    def _paginate(self, name, root, variables=None, page_size=PAGE_SIZE):
        after = None
        while True:
            data = self.execute(
                name, {**(variables or {}), "first": page_size, "after": after}
            )
            conn = data[root]
            yield from conn["nodes"]
            info = conn["pageInfo"]
            if not info["hasNextPage"]:
                return
            after = info["endCursor"]

    # ------------------------------------------------------------------ reads
    def shop_info(self):
        data = self.execute("ShopInfo")
        shop = data["shop"]
        plan = shop.get("plan") or {}
        scopes = (data.get("currentAppInstallation") or {}).get("accessScopes") or []
        return {
            "gid": shop.get("id"),
            "name": shop["name"],
            "myshopify_domain": shop["myshopifyDomain"],
            "currency": shop["currencyCode"],
            "plan": plan.get("publicDisplayName"),
            "shopify_plus": plan.get("shopifyPlus"),
            "partner_development": plan.get("partnerDevelopment"),
            "scopes": sorted(s["handle"] for s in scopes),
        }

    def product_exists(self, product_gid):
        """False only when Shopify says the product is gone (`product` is null):
        a products/delete webhook is acted on after this confirms it."""
        data = self.execute("ProductExists", {"id": product_gid})
        return bool((data.get("product") or {}).get("id"))

    def locations(self):
        return [
            {
                "gid": n["id"],
                "name": n["name"],
                "active": n["isActive"],
                "fulfills_online_orders": n.get("fulfillsOnlineOrders"),
                "ships_inventory": n.get("shipsInventory"),
            }
            for n in self._paginate("Locations", "locations")
        ]

    def primary_location(self):
        """The gid of the shop's primary location, or None. `location` without an id
        "returns the primary location of the Shop" (QueryRoot.location); the
        deprecated `Location.isPrimary` is not used."""
        data = self.execute("PrimaryLocation")
        return (data.get("location") or {}).get("id")

    @staticmethod
    def _variant(node):
        item = node.get("inventoryItem") or {}
        product = node.get("product") or {}
        return {
            "product_gid": product.get("id"),
            "variant_gid": node["id"],
            "inventory_item_gid": item.get("id"),
            "sku": node.get("sku") or "",
            "tracked": bool(item.get("tracked")),
            "title": node.get("title"),
            "product_title": product.get("title"),
        }

    def iter_variants(self, query="sku:*", page_size=PAGE_SIZE):
        """Every variant matching `query` (default: all, empty SKUs included), paged."""
        for node in self._paginate(
            "ProductVariants", "productVariants", {"query": query}, page_size
        ):
            yield self._variant(node)

    def variants_count(self, query="sku:*", limit=None):
        """(count, exact) of the variants matching `query`. Shopify stops counting at
        `limit` (None = no limit) and then answers AT_LEAST, i.e. exact=False."""
        data = self.execute("ProductVariantsCount", {"query": query, "limit": limit})
        count = data["productVariantsCount"]
        return count["count"], count["precision"] == "EXACT"

    def iter_all_variants(
        self, query="sku:*", threshold=BULK_THRESHOLD, poll_interval=2.0, timeout=3600
    ):
        """Every variant, as `iter_variants` yields them: paged for a catalogue up to
        `threshold` variants, one bulk operation above it."""
        count, _ = self.variants_count(query, limit=threshold + 1)
        if count > threshold:
            _logger.info(
                "Shopify %s: more than %d variants, reading them in bulk",
                self.shop_domain,
                threshold,
            )
            yield from self.iter_variants_bulk(
                query, poll_interval=poll_interval, timeout=timeout
            )
        else:
            yield from self.iter_variants(query=query)

    def iter_variants_bulk(self, query="sku:*", poll_interval=2.0, timeout=3600):
        """Every variant matching `query`, read by one bulk operation (a JSONL file)."""
        # A JSON string literal is a valid GraphQL string literal.
        operation = self.run_bulk_query(
            BULK_VARIANTS % json.dumps(query),
            poll_interval=poll_interval,
            timeout=timeout,
        )
        for node in self._iter_jsonl(operation.get("url")):
            yield self._variant(node)

    def run_bulk_query(self, bulk_query, poll_interval=2.0, timeout=3600):
        """Start a bulk query and poll it until it ends; the COMPLETED operation
        {id, status, errorCode, objectCount, url}. `ShopifyBulkOperationError` when it
        fails or outlasts `timeout` seconds; `ShopifyUserError` when Shopify refuses
        it (e.g. OPERATION_IN_PROGRESS: one bulk query per app and shop at a time)."""
        payload = self.execute("BulkOperationRunQuery", {"query": bulk_query})[
            "bulkOperationRunQuery"
        ]
        self._raise_user_errors(payload)
        operation = payload["bulkOperation"]
        deadline = self._clock() + timeout
        while operation["status"] not in BULK_DONE:
            if self._clock() + poll_interval > deadline:
                raise ShopifyBulkOperationError(
                    f"bulk operation {operation['id']} still {operation['status']} "
                    f"after {timeout}s",
                    operation_gid=operation["id"],
                    bulk_status=operation["status"],
                )
            self._sleep(poll_interval)
            operation = self.execute("BulkOperation", {"id": operation["id"]})[
                "bulkOperation"
            ]
        if operation["status"] != "COMPLETED":
            raise ShopifyBulkOperationError(
                f"bulk operation {operation['id']} ended {operation['status']}"
                f" ({operation.get('errorCode') or 'no error code'})",
                operation_gid=operation["id"],
                bulk_status=operation["status"],
                error_code=operation.get("errorCode"),
            )
        return operation

    def _iter_jsonl(self, url):
        """The objects of a bulk result file, one per line. No URL = no result.

        The URL is a signed link to Shopify's storage: it gets no access token, and it
        is never put in a message (the signature grants access)."""
        if not url:
            return
        try:
            with self._session.get(
                url, timeout=self.timeout, stream=True, allow_redirects=False
            ) as resp:
                if 300 <= resp.status_code < 400:
                    raise redirect_error("bulk result download", resp, _logger)
                if resp.status_code != 200:
                    raise ShopifyRetryableError(
                        f"bulk result download: HTTP {resp.status_code}",
                        status=resp.status_code,
                    )
                for line in resp.iter_lines():
                    if line.strip():
                        yield json.loads(line)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ShopifyRetryableError(
                f"bulk result download: {type(exc).__name__}"
            ) from None

    def variants_by_sku(self, skus):
        """{sku: [variant dicts]} of exact SKU matches (Shopify's search is fuzzier)."""
        wanted = [s for s in dict.fromkeys(skus) if s]
        found = {s: [] for s in wanted}
        for i in range(0, len(wanted), SKUS_PER_QUERY):
            chunk = wanted[i : i + SKUS_PER_QUERY]
            query = " OR ".join(f"sku:{_quote_search_value(s)}" for s in chunk)
            for variant in self.iter_variants(query=query):
                if variant["sku"] in found:
                    found[variant["sku"]].append(variant)
        return found

    def inventory_levels(self, item_gids, location_gids):
        """{(item_gid, location_gid): {"available", "on_hand", "committed"}}.

        One query per location and per `LEVELS_PER_QUERY` items (`nodes(ids:)` with
        `inventoryLevel(locationId:)`). Pairs with no level (item not stocked there, or
        unknown item) are absent.
        """
        items = list(dict.fromkeys(item_gids))
        levels = {}
        for loc in dict.fromkeys(location_gids):
            for i in range(0, len(items), LEVELS_PER_QUERY):
                data = self.execute(
                    "InventoryLevelsAtLocation",
                    {"ids": items[i : i + LEVELS_PER_QUERY], "locationId": loc},
                )
                for node in data["nodes"]:
                    level = (node or {}).get("inventoryLevel")
                    if not level:
                        continue
                    q = {x["name"]: x["quantity"] for x in level["quantities"]}
                    levels[(node["id"], loc)] = {
                        "available": q.get("available"),
                        "on_hand": q.get("on_hand"),
                        "committed": q.get("committed"),
                    }
        return levels

    def iter_orders_updated_since(
        self, dt_utc, overlap=timedelta(minutes=5), page_size=100
    ):
        """Orders with `updated_at >= dt_utc - overlap`, oldest update first.

        Filters and sorts on the same field (UPDATED_AT) so paging cannot skip an order;
        the overlap absorbs clock skew and orders committed late on Shopify's side.
        """
        since = _utc_z(dt_utc - (overlap or timedelta(0)))
        yield from self._paginate(
            "OrdersUpdatedSince",
            "orders",
            {"query": f"updated_at:>='{since}'"},
            page_size,
        )

    def order_for_import(self, order_gid):
        """One full order (lines, shipping, taxes, refunds, fulfilments) in the REST
        shape `payloads.parse_order` reads, every page read (`order_read.py`); None
        when the order does not exist."""
        return order_read.read_order(self.execute, order_gid)

    def webhook_subscriptions(self):
        return [
            {
                "gid": n["id"],
                "topic": n["topic"],
                "uri": n.get("uri"),
                "format": n.get("format"),
                "filter": n.get("filter"),
                "include_fields": n.get("includeFields") or [],
            }
            for n in self._paginate("WebhookSubscriptions", "webhookSubscriptions")
        ]

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _raise_user_errors(payload):
        errs = (payload or {}).get("userErrors") or []
        if errs:
            raise ShopifyUserError.from_user_errors(errs)

    def create_webhook(self, topic, uri):
        """Subscribe `uri` to `topic` ("orders/create" or "ORDERS_CREATE"), as JSON."""
        enum = topic if topic.isupper() else topic_to_enum(topic)
        data = self.execute(
            "WebhookSubscriptionCreate",
            {"topic": enum, "webhookSubscription": {"uri": uri, "format": "JSON"}},
        )
        payload = data["webhookSubscriptionCreate"]
        self._raise_user_errors(payload)
        sub = payload["webhookSubscription"]
        return {
            "gid": sub["id"],
            "topic": sub["topic"],
            "uri": sub.get("uri"),
            "format": sub.get("format"),
        }

    def update_webhook(self, gid, uri, format="JSON"):
        """Point an existing subscription at `uri` (same id: never re-created)."""
        data = self.execute(
            "WebhookSubscriptionUpdate",
            {"id": gid, "webhookSubscription": {"uri": uri, "format": format}},
        )
        payload = data["webhookSubscriptionUpdate"]
        self._raise_user_errors(payload)
        sub = payload["webhookSubscription"]
        return {
            "gid": sub["id"],
            "topic": sub["topic"],
            "uri": sub.get("uri"),
            "format": sub.get("format"),
        }

    def delete_webhook(self, gid):
        payload = self.execute("WebhookSubscriptionDelete", {"id": gid})[
            "webhookSubscriptionDelete"
        ]
        self._raise_user_errors(payload)
        return payload["deletedWebhookSubscriptionId"]

    def activate_inventory(self, item_gid, location_gid, *, intent_salt=None):
        """Stock an item at a location (needed before its level can be set).

        Carries the `@idempotent` key Shopify requires (2026-04+), derived from the
        intent (`inventory.activation_key`): a retry sends the same key.
        """
        key = inventory.activation_key(
            self.shop_domain, item_gid, location_gid, salt=intent_salt
        )
        payload = self.execute(
            "InventoryActivate",
            {
                "inventoryItemId": item_gid,
                "locationId": location_gid,
                "idempotencyKey": key,
            },
        )["inventoryActivate"]
        self._raise_user_errors(payload)
        return (payload.get("inventoryLevel") or {}).get("id")

    def _set_quantities_once(self, variables):
        """One batch; waits while Shopify is still running an earlier attempt of the
        same key (IDEMPOTENCY_CONCURRENT_REQUEST), then gets its result by replay."""
        deadline = self._clock() + self.max_retry_seconds
        attempt = 0
        while True:
            payload = self.execute("InventorySetQuantities", variables)[
                "inventorySetQuantities"
            ]
            codes = {e.get("code") for e in payload.get("userErrors") or []}
            if inventory.CONCURRENT_CODE not in codes:
                return payload
            delay = backoff_delay(
                attempt, base=self._backoff_base, cap=self._backoff_cap, rng=self._rng
            )
            if self._clock() + delay > deadline:
                raise ShopifyRetryableError(
                    "InventorySetQuantities: an earlier attempt with the same "
                    "idempotency key is still running",
                    retry_after=delay,
                    attempts=attempt + 1,
                )
            self._sleep(delay)
            attempt += 1

    def set_inventory(
        self,
        quantities,
        *,
        name="available",
        reason="correction",
        reference_document_uri=None,
        idempotency_key=None,
        intent_salt=None,
    ):
        """Set absolute quantities with compare-and-swap, ≤ 250 per call, idempotently.

        `quantities`: dicts {inventory_item_id, location_id, quantity, change_from}
        (change_from None = explicit null, no compare). Each batch carries an
        idempotency key derived from the intent (`inventory.idempotency_key`), or from
        `idempotency_key` when given. Returns one result per batch. Stale levels raise
        `ShopifyStaleQuantityError` (after every batch was tried) with `.stale` and
        `.applied` (the batches written); other user errors raise `ShopifyUserError`.
        """
        results = []
        stale, stale_errors = [], []
        groups = inventory.batches(quantities)
        for index, batch in enumerate(groups):
            if idempotency_key:
                key = (
                    idempotency_key
                    if len(groups) == 1
                    else f"{idempotency_key}-{index}"
                )
            else:
                key = inventory.idempotency_key(
                    self.shop_domain, batch, name=name, reason=reason, salt=intent_salt
                )
            variables = {
                "idempotencyKey": key,
                "input": {
                    "name": name,
                    "reason": reason,
                    "referenceDocumentUri": reference_document_uri,
                    "quantities": inventory.to_input(batch),
                },
            }
            payload = self._set_quantities_once(variables)
            errs = payload.get("userErrors") or []
            if errs and all(e.get("code") == inventory.STALE_CODE for e in errs):
                # Nothing of this batch was written; try the others, report at the end.
                stale.extend(inventory.stale_pairs(errs, batch))
                stale_errors.extend(errs)
                continue
            if errs:
                raise ShopifyUserError.from_user_errors(errs, applied=results)
            group = payload.get("inventoryAdjustmentGroup") or {}
            results.append(
                {
                    "idempotency_key": key,
                    "count": len(batch),
                    "adjustment_group_gid": group.get("id"),
                    "changes": group.get("changes") or [],
                    "quantities": batch,
                }
            )
        if stale:
            raise ShopifyStaleQuantityError(stale, errors=stale_errors, applied=results)
        return results
