"""The Emulator: a threaded HTTP server on loopback hosting several shops."""

import threading
from http.server import ThreadingHTTPServer

from . import hard as hm
from .server import Handler
from .shop import Shop
from .webhooks import Dispatcher


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Emulator:
    def __init__(self, host="127.0.0.1", port=0, hard=None):
        """`hard`: every shop in hard mode (hard.py); None reads
        SHOPIFY_SYNC_EMULATOR_HARD from the environment."""
        self.hard = hm.from_env() if hard is None else bool(hard)
        self.host = host
        self.port = port
        self.shops = {}
        self.token_ttl = 86399
        self.timeout_hold = 10.0  # seconds a "timeout" fault keeps the client waiting
        self.dispatcher = Dispatcher(self)
        self._server = None
        self._thread = None

    # configuration proxied to the dispatcher so tests can speed retries up
    @property
    def retry_delays(self):
        return self.dispatcher.retry_delays

    @retry_delays.setter
    def retry_delays(self, value):
        self.dispatcher.retry_delays = list(value)

    @property
    def webhook_timeout(self):
        return self.dispatcher.timeout

    @webhook_timeout.setter
    def webhook_timeout(self, value):
        self.dispatcher.timeout = value

    @property
    def deliveries(self):
        return self.dispatcher.deliveries

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self):
        self._server = _Server((self.host, self.port), Handler)
        self._server.emulator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="shopify-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self.dispatcher.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def add_shop(self, domain, client_id=None, client_secret=None, hard=None, **kwargs):
        if domain in self.shops:
            raise ValueError(f"shop {domain} exists")
        hard = self.hard if hard is None else bool(hard)
        shop = Shop(
            self,
            domain,
            client_id=client_id or f"cid-{domain.split('.')[0]}",
            client_secret=client_secret or f"csecret-{domain.split('.')[0]}",
            hard=hard,
            **kwargs,
        )
        if hard:
            hm.add_other_apps(shop)
        self.shops[domain] = shop
        return shop

    def webhook_faults(
        self, duplicate=0.0, delay=0.0, reorder=False, drop=0.0, seed=None
    ):
        self.dispatcher.set_faults(
            duplicate=duplicate, delay=delay, reorder=reorder, drop=drop, seed=seed
        )

    def flush_webhooks(self, timeout=10):
        return self.dispatcher.flush(timeout)
