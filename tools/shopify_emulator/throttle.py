"""Shopify's per-shop leaky bucket of query cost points."""

import threading
import time


class LeakyBucket:
    def __init__(self, maximum=2000, restore_rate=100):
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def _refill(self):
        t = time.monotonic()
        self._available = min(
            self.maximum, self._available + (t - self._at) * self.restore_rate
        )
        self._at = t

    def try_take(self, cost):
        """Take `cost` points if available; -> (ok, currently_available_after)."""
        with self._lock:
            self._refill()
            if self._available < cost:
                return False, self._available
            self._available -= cost
            return True, self._available

    def give_back(self, points):
        with self._lock:
            self._refill()
            self._available = min(self.maximum, self._available + points)

    def status(self):
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }

    def configure(self, maximum=None, restore_rate=None, available=None):
        with self._lock:
            self._refill()
            if maximum is not None:
                self.maximum = float(maximum)
            if restore_rate is not None:
                self.restore_rate = float(restore_rate)
            if available is not None:
                self._available = float(available)
            self._available = min(self._available, self.maximum)
