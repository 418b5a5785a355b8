"""How the client proves who it is: a legacy static token or client-credentials grant.

An auth object gives the client the value of `X-Shopify-Access-Token` and, for the
client-credentials grant, fetches a new token before the current one expires (and once
more after a 401). Tokens and secrets never appear in reprs, logs or exceptions.
"""

import logging
import threading
import time
from datetime import datetime, timezone

import requests

from .errors import ShopifyAuthError, ShopifyRetryableError, redirect_error

_logger = logging.getLogger(__name__)


def _to_epoch(value):
    """datetime (naive = UTC, as in Odoo) / epoch number / None -> epoch float."""
    if value is None or value is False:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    return float(value)


def _to_naive_utc(epoch):
    return datetime.fromtimestamp(epoch, tz=timezone.utc).replace(tzinfo=None)


class StaticTokenAuth:
    """Legacy custom app (made before 2026): one Admin API token, never expires."""

    can_renew = False

    def __init__(self, token):
        if not token:
            raise ValueError("an access token is required")
        self._token = token

    def access_token(self, token_url, session, timeout):
        return self._token

    def invalidate(self, token):
        """Nothing to renew: a refused static token is an authentication error."""
        return False

    def secrets(self):
        return [self._token]

    def __repr__(self):
        return "StaticTokenAuth(token=<hidden>)"


class ClientCredentialsAuth:
    """Dev Dashboard app: `POST {shop}/admin/oauth/access_token` with
    grant_type=client_credentials gives a token valid ~24 h.

    The token is cached with its expiry and renewed `renew_margin` seconds before it
    expires (at most half-way through its life, so short test lifetimes still renew
    early), and once after a 401. One renewal at a time: threads that need a token while
    another thread renews wait for it and reuse the new token. `on_token(token,
    expires_at)` is called after each renewal (expires_at: naive UTC datetime) so the
    caller can persist it.
    """

    can_renew = True

    def __init__(
        self,
        client_id,
        client_secret,
        token=None,
        expires_at=None,
        on_token=None,
        renew_margin=300,
        *,
        clock=time.time,
    ):
        if not client_id or not client_secret:
            raise ValueError("client id and client secret are required")
        self.client_id = client_id
        self._client_secret = client_secret
        self._on_token = on_token
        self._renew_margin = float(renew_margin)
        self._clock = clock
        self._lock = threading.Lock()
        self._token = token or None
        self._expires_at = _to_epoch(expires_at) if token else None
        # A persisted token of unknown lifetime: renew `renew_margin` before expiry.
        self._renew_at = (
            self._expires_at - self._renew_margin if self._expires_at else None
        )
        self.renewals = 0

    @property
    def expires_at(self):
        return _to_naive_utc(self._expires_at) if self._expires_at else None

    def _fresh(self):
        if not self._token:
            return False
        return self._renew_at is None or self._clock() < self._renew_at

    def access_token(self, token_url, session, timeout):
        token = self._token
        if self._fresh():
            return token
        with self._lock:
            # Another thread may have renewed while we waited for the lock.
            if self._fresh():
                return self._token
            self._renew(token_url, session, timeout)
            return self._token

    def invalidate(self, token):
        """A call was refused with 401 using `token`: force a renewal, unless another
        thread already replaced that token. Returns True (a retry makes sense)."""
        with self._lock:
            if self._token == token:
                self._token = None
        return True

    def _renew(self, token_url, session, timeout):
        data = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        asked_at = self._clock()
        try:
            resp = session.post(
                token_url,
                data=data,
                headers={"Accept": "application/json"},
                timeout=timeout,
                # Never re-sent elsewhere: the body carries the client secret.
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ShopifyRetryableError(
                f"token endpoint unreachable: {type(exc).__name__}"
            ) from None
        if 300 <= resp.status_code < 400:
            raise redirect_error("token endpoint", resp, _logger)
        if resp.status_code in (429,) or resp.status_code >= 500:
            raise ShopifyRetryableError(
                f"token endpoint answered HTTP {resp.status_code}",
                status=resp.status_code,
            )
        if resp.status_code != 200:
            raise ShopifyAuthError(
                f"token endpoint refused the credentials (HTTP {resp.status_code})",
                status=resp.status_code,
            )
        try:
            body = resp.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise ShopifyAuthError("token endpoint answered without a token") from None
        lifetime = float(body.get("expires_in") or 86399)
        self._token = token
        self._expires_at = asked_at + lifetime
        self._renew_at = asked_at + lifetime - min(self._renew_margin, lifetime / 2)
        self.renewals += 1
        _logger.info("Shopify access token renewed, valid %d s", int(lifetime))
        if self._on_token:
            self._on_token(token, self.expires_at)

    def secrets(self):
        return [s for s in (self._client_secret, self._token) if s]

    def __repr__(self):
        return "ClientCredentialsAuth(client_id=<hidden>, client_secret=<hidden>)"
