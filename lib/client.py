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
  connection errors, with exponential backoff + full jitter, within `max_retry_seconds`
  (waits for the cost bucket and for Shopify's rate limits) and `max_failure_seconds`
  (retries of failed answers: 5xx, timeouts, connection errors; a worker retrying a
  store that is down would keep every other store waiting, the breaker and the
  caller's schedule are the long retry); after that a `ShopifyRetryableError`
  (`ShopifyRateLimited` when Shopify or the bucket asked for the wait: flow control,
  which the breaker does not count);
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

import requests
import shopify
from requests.adapters import HTTPAdapter
from shopify.api_version import InvalidVersionError, VersionNotFoundError

from . import API_VERSION, documents
from .client_reads import (  # noqa: F401  (importable from lib.client as before)
    BULK_DONE,
    BULK_THRESHOLD,
    BULK_VARIANTS,
    LEVELS_PER_QUERY,
    PAGE_SIZE,
    ShopifyReads,
    _utc_z,
)
from .client_writes import ShopifyWrites
from .domain import normalize_shop_domain, validate_base_url_override
from .errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyRateLimited,
    ShopifyRetryableError,
    redirect_error,
)
from .throttle import (
    FULL_JITTER,
    Backoff,
    CostBucket,
    parse_retry_after,
    throttled_wait,
)

_logger = logging.getLogger(__name__)


def _surely_unsent(exc):
    """True when a requests exception proves the request never reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc.args[0]) if exc.args else ""
    return "NewConnectionError" in text or "ConnectionRefused" in text


class ShopifyClient(ShopifyReads, ShopifyWrites):
    """Admin GraphQL API client for one shop. Thread-safe; one pooled HTTP session.

    This class is the transport (token, pacing, retries, typed errors, the bulk file
    download); what it reads and writes is in `client_reads.py` and `client_writes.py`.
    """

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
        max_failure_seconds=None,
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
        # None: failures are retried as long as rate limits are waited for.
        self.max_failure_seconds = (
            max_retry_seconds
            if max_failure_seconds is None
            else min(max_failure_seconds, max_retry_seconds)
        )
        self.on_cost = on_cost
        # Optional breaker hook: `.before(op)` may raise (nothing is sent), then
        # `.record(error, sent=True)` once per execute(): error None = answered.
        self.circuit = circuit
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._backoff = Backoff(backoff_base, backoff_cap, FULL_JITTER)
        # One model per shop on the real clock; an injected clock gets its own.
        if clock is time.monotonic:
            self.bucket = CostBucket.of_shop(self.graphql_url)
        else:
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
        except ShopifyRateLimited as exc:
            # Flow control: neither an outage nor proof of health (a storm mixes
            # THROTTLED with 5xx and timeouts: the streak of failures must go on);
            # the hook only hears it when the call was sent (a probe's lease).
            if exc.sent:
                self.circuit.record(exc, sent=True)
            raise
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
        limited = True  # nothing failed yet, or the last failure was a rate limit
        while True:
            pace = self.bucket.reserve(op, max_wait=deadline - self._clock())
            if pace > 0:
                if self._clock() + pace > deadline:
                    # After a failed attempt that was not a rate limit, the call's
                    # outcome is that failure (the breaker counts it).
                    refused = ShopifyRateLimited if limited else ShopifyRetryableError
                    raise refused(
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
            if message != "THROTTLED":  # a THROTTLED answer told the bucket's truth
                self.bucket.give_back(op)
            limited = status == 429 or message == "THROTTLED"
            if delay is None:
                delay = self._backoff.delay(attempt + 1, rng=self._rng)
            elapsed = self._clock() - started
            budget = deadline if limited else started + self.max_failure_seconds
            if self._clock() + delay > budget:
                error = ShopifyRateLimited if limited else ShopifyRetryableError
                raise error(
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
