"""Typed errors raised by the Shopify client.

Messages are built only from Shopify's answer (codes, fields, messages) and our own
text: never from request headers, tokens or client secrets, so an exception can be
logged or shown to a user as is.
"""

from urllib.parse import urlsplit


class ShopifyError(Exception):
    """Base of every error the client raises. Never carries a secret."""

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


class ShopifyRetryableError(ShopifyError):
    """Shopify could not be reached or asked us to wait (network, timeout, 429, 5xx,
    THROTTLED) for longer than the client's retry budget. Trying later is safe.

    `retry_after`: seconds Shopify (or our backoff) suggested waiting, when known.
    """

    def __init__(
        self, message, *, status=None, retry_after=None, attempts=0, sent=True
    ):
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.attempts = attempts
        # False: refused locally before anything was sent (pacing beyond the retry
        # budget, open circuit): says nothing about Shopify's health.
        self.sent = sent


class ShopifyRateLimited(ShopifyRetryableError):
    """Shopify asked us to wait (THROTTLED, HTTP 429), or our model of the store's
    cost bucket says the call must wait, for longer than the caller's retry budget.

    Flow control, not an outage: Shopify answered (or nothing was sent), so the
    store's circuit breaker does not count it, and the caller defers the work by
    `retry_after` (the seconds Shopify's throttleStatus or Retry-After names)
    without counting a failed attempt."""


class ShopifyBusy(ShopifyRetryableError):
    """Another transaction of ours holds the work (an order being imported, a level
    being classified), or committed what this one's snapshot cannot see yet.
    Nothing is wrong with Shopify, the store or the work: retried in a few seconds
    from a fresh snapshot, silently, without counting a failed attempt or an
    outage (a contention, like a serialization failure)."""

    def __init__(self, message, *, retry_after=5):
        super().__init__(message, retry_after=retry_after, sent=False)


class ShopifyCircuitOpen(ShopifyRetryableError):
    """The store's circuit breaker is open (`lib/circuit.py`): nothing was sent.
    `retry_after`: seconds until the next probe may go."""

    def __init__(self, message, *, retry_after=None):
        super().__init__(message, retry_after=retry_after, sent=False)


class ShopifyAuthError(ShopifyError):
    """401 / 403, or the token endpoint refused the credentials."""


class ShopifyRedirectError(ShopifyError):
    """Shopify's API never redirects: a 3xx is refused, never followed, so the token
    and the client secret are never sent to whatever host it points at."""


class ShopifyGraphQLError(ShopifyError):
    """Top-level GraphQL `errors` other than THROTTLED (bad query, access denied...)."""

    def __init__(self, message, *, errors=None, status=None):
        super().__init__(message, status=status)
        self.errors = list(errors or [])

    @property
    def codes(self):
        return [((e.get("extensions") or {}).get("code")) for e in self.errors]


class ShopifyUserError(ShopifyError):
    """A mutation answered with `userErrors`. `.code`, `.field`, `.message` describe the
    first one; `.errors` holds all of them as dicts {code, field, message}.
    """

    def __init__(self, code, field, message, *, errors=None):
        text = f"{code or 'USER_ERROR'}: {message}"
        if field:
            text += f" (field: {'.'.join(str(f) for f in field)})"
        super().__init__(text)
        self.code = code
        self.field = list(field) if field else None
        self.message = message
        self.errors = list(
            errors or [{"code": code, "field": field, "message": message}]
        )

    @classmethod
    def from_user_errors(cls, user_errors, **kwargs):
        first = user_errors[0]
        return cls(
            first.get("code"),
            first.get("field"),
            first.get("message") or "",
            errors=user_errors,
            **kwargs,
        )


def raise_user_errors(payload):
    """Raise `ShopifyUserError` for a mutation payload's `userErrors`, if any."""
    errs = (payload or {}).get("userErrors") or []
    if errs:
        raise ShopifyUserError.from_user_errors(errs)


class ShopifyStaleQuantityError(ShopifyUserError):
    """`CHANGE_FROM_QUANTITY_STALE`: the level changed since we last read it.

    `.stale`: the `lib.stock.LevelKey`s of the batch Shopify refused as stale; the
    call is atomic: nothing of the batch was written.
    """

    def __init__(self, stale, *, errors=None):
        pairs = ", ".join(f"{lv.item} @ {lv.location}" for lv in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        super().__init__(
            "CHANGE_FROM_QUANTITY_STALE",
            None,
            f"inventory changed since it was read: {pairs}{more}",
            errors=errors,
        )
        self.stale = list(stale)


class ShopifyBulkOperationError(ShopifyError):
    """A bulk operation ended without a result (FAILED, CANCELED, EXPIRED) or did not
    finish in time. `.bulk_status` and `.error_code` are Shopify's (`errorCode` may be
    None); `.operation_gid` names the operation."""

    def __init__(
        self, message, *, operation_gid=None, bulk_status=None, error_code=None
    ):
        super().__init__(message)
        self.operation_gid = operation_gid
        self.bulk_status = bulk_status
        self.error_code = error_code


def redirect_error(what, response, logger=None):
    """The `ShopifyRedirectError` for a 3xx `response`, logged (target host only)."""
    location = response.headers.get("Location") or ""
    try:
        target = urlsplit(location).netloc.rsplit("@", 1)[-1] or "(same host)"
    except ValueError:
        target = "(unparsable)"
    message = (
        f"{what}: HTTP {response.status_code} redirect to {target} refused "
        "(redirects are never followed)"
    )
    if logger is not None:
        logger.warning("Shopify client: %s", message)
    return ShopifyRedirectError(message, status=response.status_code)
