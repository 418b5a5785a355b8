"""One emulated Shopify store: its state, tokens, faults and webhooks, and the
merchant's order actions (edit, cancel, fulfil, refund, capture, mark as paid).

The state's other jobs are one file each, mixed into `Shop`: `catalog.py` (locations,
products, variants), `stock_levels.py` (inventory levels), `checkout.py` (a shopper
places an order); `refunds.py` computes a refund.

All state changes happen under `self.lock` (one RLock per shop); the GraphQL layer holds
it for a whole request so a query sees one consistent state.
"""

import json
import secrets
import threading
import time

from . import (
    fulfillment,
    fulfillment_actions,
    order_edits,
    order_rest,
    refunds,
    transactions,
)
from . import hard as hm
from .catalog import Catalog
from .checkout import Checkout
from .ids import next_id, now, parse_gid
from .stock_levels import StockLevels
from .throttle import LeakyBucket

DEFAULT_SCOPES = [
    "read_products",
    "write_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_orders",
    "write_orders",
    "read_customers",
    "write_merchant_managed_fulfillment_orders",
]
FAULT_KINDS = {"throttled", "http429", "http500", "http503", "slow", "timeout", "drop"}


class Shop(Catalog, StockLevels, Checkout):
    def __init__(
        self,
        emulator,
        domain,
        *,
        client_id,
        client_secret,
        access_token=None,
        bucket=2000,
        restore_rate=100,
        plan="Basic",
        name=None,
        scopes=None,
        currency="EUR",
        timezone=None,
        hard=False,
    ):
        self.emulator = emulator
        self.domain = domain
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token = access_token
        self.plan = plan
        self.name = name or domain.split(".")[0].capitalize()
        self.scopes = list(scopes or DEFAULT_SCOPES)
        self.currency = currency
        self.hard = bool(hard)
        # REST payload times are UTC in the simple mode (a simplification), in the
        # shop's timezone in hard mode (as Shopify's are).
        self.timezone = timezone or (hm.next_timezone() if hard else "Europe/Brussels")
        self.id = self.new_id()
        self.lock = threading.RLock()
        self.bucket = LeakyBucket(bucket, restore_rate)
        # Shopify Payments' processing fee {"rate": "0.029", "flat": "0.30"} on each
        # successful payment through it (transactions.py), None: no fee reported.
        self.payments_fee = None
        self.tokens = {}  # token -> expiry (time.time())
        self.installed = True  # False after uninstall(): no new tokens either
        self.locations, self.products, self.variants, self.items = {}, {}, {}, {}
        # The shop's primary location (the merchant's "default" in the admin): the
        # first one added unless set_primary_location() says otherwise.
        self.primary_location_id = None
        self.levels = {}  # (item_id, location_id) -> level record
        self.refused_checkouts = 0  # checkouts refused: a DENY variant out of stock
        self.orders, self.subscriptions, self.groups = {}, {}, {}
        self.idempotency = {}  # key -> (fingerprint, result)
        self.mutations = []
        self.stats = {"calls": 0, "points": 0, "requested": 0, "throttled": 0}
        self.faults = []  # [kind, remaining, opts]
        self.next_order_number = 1001

    def __repr__(self):
        return f"<Shop {self.domain}>"  # never the secrets

    def new_id(self):
        """A numeric id unique across shops: large and with gaps in hard mode."""
        return hm.next_id() if self.hard else next_id()

    def rest_time(self, dt):
        """A REST-shaped (webhook payload) timestamp with an offset."""
        return hm.rest_time(dt, self.timezone if self.hard else None)

    def add_foreign_subscription(self, app, topic, uri):
        """A webhook subscription of another app: never listed to this app."""
        with self.lock:
            sid = self.new_id()
            self.subscriptions[sid] = {
                "id": sid,
                "topic": topic,
                "uri": uri,
                "format": "JSON",
                "filter": None,
                "include_fields": [],
                "created_at": now(),
                "updated_at": now(),
                "failures": 0,
                "app": app,
            }
            return sid

    @property
    def base_url(self):
        return f"{self.emulator.url}/shops/{self.domain}"

    # -- auth
    # -----------------------------------------------------------------------------
    def issue_token(self):
        token = "shpat_" + secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = time.time() + self.emulator.token_ttl
        return token

    def token_valid(self, token):
        if not token:
            return False
        if self.access_token and secrets.compare_digest(token, self.access_token):
            return True
        expiry = self.tokens.get(token)
        return expiry is not None and expiry > time.time()

    def uninstall(self):
        """The merchant uninstalls the app: tokens die, app/uninstalled is sent."""
        with self.lock:
            self.emit(
                "app/uninstalled",
                {
                    "id": self.id,
                    "name": self.name,
                    "domain": self.domain,
                    "myshopify_domain": self.domain,
                },
            )
            self.tokens.clear()
            self.installed = False
            self.access_token = None

    # -- faults
    # ---------------------------------------------------------------------------
    def inject(self, kind, count=1, **opts):
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault {kind!r}; use one of {sorted(FAULT_KINDS)}"
            )
        with self.lock:
            self.faults.append([kind, count, opts])

    def take_fault(self):
        with self.lock:
            while self.faults:
                fault = self.faults[0]
                if fault[1] <= 0:
                    self.faults.pop(0)
                    continue
                fault[1] -= 1
                return fault[0], fault[2]
        return None, None

    # -- catalog
    # --------------------------------------------------------------------------
    def order_payload(self, oid):
        return order_rest.order_payload(self, self.orders[oid])

    def _order(self, order_id):
        oid = parse_gid(order_id, "Order") if isinstance(order_id, str) else order_id
        return self.orders[oid]

    def _touch(self, order):
        order["updated_at"] = now()

    def edit_order(
        self, order_id, set_quantities=None, add=None, restock=True, shipping=None
    ):
        """A merchant edits the order (orderEditBegin / SetQuantity / AddVariant /
        Commit): see `order_edits.edit_order`. Emits orders/edited, orders/updated."""
        return order_edits.edit_order(
            self,
            order_id,
            set_quantities=set_quantities,
            add=add,
            restock=restock,
            shipping=shipping,
        )

    def assess_risk(self, order_id, level, provider=None, facts=()):
        """A new risk assessment (Shopify's, or a fraud app's): emits
        orders/risk_assessment_changed."""
        return order_edits.assess_risk(self, order_id, level, provider, facts)

    def cancel_order(self, order_id, restock=True, reason="customer"):
        """Cancel: unfulfilled committed units go back to available (restock) or leave
        stock.
        """
        with self.lock:
            order = self._order(order_id)
            touched = set()
            for item in order["line_items"]:
                open_qty = order_edits.current_quantity(item) - item["fulfilled"]
                if (
                    open_qty > 0
                    and item["item_id"]
                    and self.items.get(item["item_id"], {}).get("tracked")
                ):
                    key = (item["item_id"], item["location_id"])
                    if restock:
                        self._move(*key, committed=-open_qty, available=open_qty)
                    else:
                        self._move(*key, committed=-open_qty)
                    touched.add(key)
            fulfillment.close_open(self, order)
            order["cancelled_at"] = now()
            order["cancel_reason"] = reason
            if order["financial_status"] == "paid":
                order["financial_status"] = "refunded"
            elif order["financial_status"] in ("pending", "authorized"):
                transactions.void(self, order)
                order["financial_status"] = "voided"
            self._touch(order)
            payload = self.order_payload(order["id"])
            self.emit("orders/cancelled", payload)
            self.emit("orders/updated", payload)
            for key in sorted(touched):
                self.emit_level(*key)
            return payload

    def fulfill_order(self, order_id, lines=None):
        """Staff fulfil in the admin (every open fulfilment order, or `lines`):
        committed units leave on_hand (available unchanged). See fulfillment.py."""
        return fulfillment_actions.staff_fulfil(self, order_id, lines)

    def hold_fulfillment(self, order_id, reason="OTHER", notes=None):
        """The merchant puts the order's open fulfilment orders on hold."""
        fulfillment.hold(self, order_id, reason, notes)

    def release_fulfillment_hold(self, order_id):
        fulfillment.release_hold(self, order_id)

    def refund(self, order_id, lines=None, restock=True, shipping=False):
        """Refund lines (default: everything): see `refunds.refund`."""
        return refunds.refund(self, order_id, lines, restock, shipping)

    def capture_payment(self, order_id, amount=None, parent_id=None):
        """orderCapture (transactions.capture); orders/updated (+ orders/paid once
        fully paid). Returns the order payload."""
        with self.lock:
            order = self._order(order_id)
            transactions.capture(self, order, amount, parent_id)
            order["financial_status"] = transactions.financial_status(order)
            self._touch(order)
            payload = self.order_payload(order["id"])
            if order["financial_status"] == "paid":
                self.emit("orders/paid", payload)
            self.emit("orders/updated", payload)
            return payload

    def mark_paid(self, order_id, gateway="manual"):
        with self.lock:
            order = self._order(order_id)
            transactions.mark_paid(self, order, gateway)
            order["financial_status"] = transactions.financial_status(order)
            self._touch(order)
            payload = self.order_payload(order["id"])
            self.emit("orders/paid", payload)
            self.emit("orders/updated", payload)
            return payload

    # -- webhooks
    # -------------------------------------------------------------------------
    def emit(self, topic, payload):
        self.emulator.dispatcher.emit(self, topic, payload)

    def log_mutation(self, name, variables, key, result):
        self.mutations.append(
            {
                "name": name,
                "variables": json.loads(json.dumps(variables)),
                "idempotency_key": key,
                "result": result,
                "at": time.time(),
            }
        )
