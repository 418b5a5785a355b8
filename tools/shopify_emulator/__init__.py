"""Shopify emulator: an independent witness of Shopify's behaviour for tests, demo and
benchmarks.

Never imports `lib/` (it must not share the client's bugs) nor odoo.
"""

from .emulator import Emulator
from .checkout import CheckoutRefused
from .shop import Shop
from .webhooks import sign as sign_webhook

__all__ = ["CheckoutRefused", "Emulator", "Shop", "sign_webhook"]
