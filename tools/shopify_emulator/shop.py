"""One emulated Shopify store: catalog, locations, inventory levels, orders, webhooks
subscriptions, faults, and the merchant / shopper actions that move quantities like
Shopify.

All state changes happen under `self.lock` (one RLock per shop); the GraphQL layer holds
it
for a whole request so a query sees one consistent state.
"""

import json
import secrets
import threading
import time

from . import fulfillment, order_edits, order_extras, transactions
from . import hard as hm
from . import orders as om
from .ids import gid, next_id, now, parse_gid
from .throttle import LeakyBucket

QUANTITY_NAMES = (
    "available",
    "committed",
    "reserved",
    "incoming",
    "damaged",
    "quality_control",
    "safety_stock",
)
UNAVAILABLE = ("reserved", "damaged", "quality_control", "safety_stock")
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


INVENTORY_POLICIES = ("CONTINUE", "DENY")  # enum ProductVariantInventoryPolicy


class CheckoutRefused(Exception):
    """A checkout Shopify does not accept: a DENY variant is out of stock."""

    def __init__(self, message, sku=None, available=None):
        super().__init__(message)
        self.sku = sku
        self.available = available


def _policy(value):
    value = str(value).upper()
    if value not in INVENTORY_POLICIES:
        raise ValueError("inventory policy is CONTINUE or DENY, got %r" % value)
    return value


def level_quantities(q):
    """All quantity names of one level, with Shopify's derived on_hand and
    unavailable."""
    out = dict(q)
    out["unavailable"] = sum(q[n] for n in UNAVAILABLE)
    out["on_hand"] = q["available"] + q["committed"] + out["unavailable"]
    return out


class Shop:
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
        self.stats = {"calls": 0, "points": 0, "throttled": 0}
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
    def add_location(self, name, active=True, ships_inventory=True):
        with self.lock:
            lid = self.new_id()
            self.locations[lid] = {
                "id": lid,
                "name": name,
                "active": active,
                "ships_inventory": ships_inventory,
                "created_at": now(),
            }
            if self.primary_location_id is None:
                self.primary_location_id = lid
        return gid("Location", lid)

    def set_primary_location(self, location):
        """The merchant picks another default location (None: the shop has none,
        as a shop whose primary concept no longer applies)."""
        with self.lock:
            self.primary_location_id = (
                parse_gid(location, "Location") if location else None
            )

    def add_product(self, title, variants=None, status="ACTIVE", vendor="Emulator"):
        with self.lock:
            pid = self.new_id()
            t = now()
            self.products[pid] = {
                "id": pid,
                "title": title,
                "status": status,
                "vendor": vendor,
                "handle": "-".join(title.lower().split()) + f"-{pid}",
                "created_at": t,
                "updated_at": t,
                "variant_ids": [],
            }
            for spec in variants or [{}]:
                self._new_variant(pid, spec)
            return self.product_dict(pid)

    def _new_variant(self, pid, spec):
        vid, iid, t = self.new_id(), self.new_id(), now()
        product = self.products[pid]
        self.variants[vid] = {
            "id": vid,
            "product_id": pid,
            "sku": spec.get("sku"),
            "title": spec.get("title", "Default Title"),
            "price": str(spec.get("price", "0.00")),
            "barcode": spec.get("barcode"),
            # ProductVariant.inventoryPolicy (see CheckoutRefused). The control API
            # keeps CONTINUE unless told: the scenarios written before it model
            # stores that keep selling (Shopify's own API default is DENY).
            "inventory_policy": _policy(spec.get("inventory_policy", "CONTINUE")),
            "item_id": iid,
            "created_at": t,
            "updated_at": t,
        }
        self.items[iid] = {
            "id": iid,
            "variant_id": vid,
            "tracked": spec.get("tracked", True),
            "created_at": t,
            "updated_at": t,
        }
        product["variant_ids"].append(vid)
        product["updated_at"] = t
        return vid

    def add_variant(self, product_gid, spec):
        pid = parse_gid(product_gid, "Product")
        with self.lock:
            vid = self._new_variant(pid, spec)
            self.emit("products/update", self.product_payload(pid))
            return self.variant_dict(vid)

    def update_variant(self, variant_gid, **changes):
        vid = parse_gid(variant_gid, "ProductVariant")
        with self.lock:
            var = self.variants[vid]
            for key in ("sku", "title", "price", "barcode"):
                if key in changes:
                    var[key] = changes[key]
            if "inventory_policy" in changes:
                var["inventory_policy"] = _policy(changes["inventory_policy"])
            if "tracked" in changes:
                self.items[var["item_id"]]["tracked"] = changes["tracked"]
            var["updated_at"] = self.products[var["product_id"]]["updated_at"] = now()
            self.emit("products/update", self.product_payload(var["product_id"]))
            return self.variant_dict(vid)

    def delete_product(self, product_gid):
        pid = parse_gid(product_gid, "Product")
        with self.lock:
            product = self.products.pop(pid)
            for vid in product["variant_ids"]:
                iid = self.variants.pop(vid)["item_id"]
                self.items.pop(iid, None)
                for key in [k for k in self.levels if k[0] == iid]:
                    del self.levels[key]
            self.emit("products/delete", {"id": pid})

    def variant_dict(self, vid):
        var = self.variants[vid]
        return {
            "id": gid("ProductVariant", vid),
            "sku": var["sku"],
            "title": var["title"],
            "price": var["price"],
            "inventory_item_id": gid("InventoryItem", var["item_id"]),
            "product_id": gid("Product", var["product_id"]),
            "tracked": self.items[var["item_id"]]["tracked"],
            "inventory_policy": var["inventory_policy"],
        }

    def product_dict(self, pid):
        product = self.products[pid]
        return {
            "id": gid("Product", pid),
            "title": product["title"],
            "variants": [self.variant_dict(v) for v in product["variant_ids"]],
        }

    def variant_by_sku(self, sku):
        for var in self.variants.values():
            if var["sku"] == sku:
                return var
        return None

    # -- inventory levels
    # -----------------------------------------------------------------
    def _ids(self, item_gid, loc_gid):
        iid = (
            parse_gid(item_gid, "InventoryItem")
            if isinstance(item_gid, str)
            else item_gid
        )
        lid = parse_gid(loc_gid, "Location") if isinstance(loc_gid, str) else loc_gid
        if iid not in self.items:
            raise KeyError(f"unknown inventory item {item_gid}")
        if lid not in self.locations:
            raise KeyError(f"unknown location {loc_gid}")
        return iid, lid

    def activate(self, iid, lid, available=None):
        level = self.levels.get((iid, lid))
        t = now()
        if level is None:
            level = {
                "q": dict.fromkeys(QUANTITY_NAMES, 0),
                "active": True,
                "created_at": t,
                "updated_at": t,
            }
            self.levels[(iid, lid)] = level
        level["active"] = True
        if available is not None:
            level["q"]["available"] = available
            level["updated_at"] = t
        return level

    def set_level(self, item_gid, loc_gid, available=0, emit=False, **others):
        """Admin set-up: activate the level and set quantities (no webhook unless
        emit)."""
        with self.lock:
            iid, lid = self._ids(item_gid, loc_gid)
            level = self.activate(iid, lid, available)
            for name, value in others.items():
                if name not in QUANTITY_NAMES:
                    raise ValueError(f"unknown quantity name {name}")
                level["q"][name] = value
            if emit:
                self.emit_level(iid, lid)
            return level_quantities(level["q"])

    def level(self, item_gid, loc_gid):
        with self.lock:
            iid, lid = self._ids(item_gid, loc_gid)
            level = self.levels.get((iid, lid))
            if level is None or not level["active"]:
                return None
            return level_quantities(level["q"])

    def manual_edit(self, item_gid, loc_gid, available):
        """The merchant types a new "Available" in the admin: available and on_hand move
        together.
        """
        with self.lock:
            iid, lid = self._ids(item_gid, loc_gid)
            level = self.activate(iid, lid)
            level["q"]["available"] = available
            level["updated_at"] = now()
            self.emit_level(iid, lid)
            return level_quantities(level["q"])

    def _move(self, iid, lid, **deltas):
        level = self.activate(iid, lid)
        for name, delta in deltas.items():
            level["q"][name] += delta
        level["updated_at"] = now()

    def emit_level(self, iid, lid):
        level = self.levels[(iid, lid)]
        self.emit(
            "inventory_levels/update",
            {
                "inventory_item_id": iid,
                "location_id": lid,
                "available": level["q"]["available"],
                "updated_at": self.rest_time(level["updated_at"]),
                "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{lid}?inventory_item_id={iid}",
            },
        )

    # -- orders
    # ---------------------------------------------------------------------------
    def place_order(
        self,
        lines,
        location=None,
        customer=None,
        email=None,
        discounts=None,
        shipping=None,
        taxes_included=False,
        tax_rate=None,
        tax_title="VAT",
        taxes=None,
        tip=None,
        currency=None,
        financial_status="paid",
        gateway="shopify_payments",
        billing_address=None,
        shipping_address=None,
        note=None,
        presentment_currency=None,
        presentment_rate="1",
        risk="LOW",
        additional_fees=None,
    ):
        """A shopper checks out. Tracked units move available → committed at once
        (before any webhook), at `location` (default: first location). A variant
        whose inventory policy is CONTINUE may oversell (available goes negative);
        one whose policy is DENY refuses the whole checkout with `CheckoutRefused`
        when its level's available is below the line's quantity (counted in
        `refused_checkouts`, nothing changes).

        `taxes`: [{"title", "rate"}] for several rates on every line (GST + PST);
        `tip`: the tip amount; a line spec's `gift_card: True` sells a gift card (no
        stock, no tax, no discount), its `duty` an import duty on that line; a discount
        with `target: "shipping_line"` discounts the shipping lines;
        `additional_fees`: [{"name", "price", "taxable"}] (order_extras.py).
        """
        with self.lock:
            self._check_deny(lines, location)
            lid = parse_gid(location, "Location") if location else min(self.locations)
            t = now()
            oid = self.new_id()
            number = self.next_order_number
            self.next_order_number += 1
            items = []
            for spec in lines:
                var = None
                if spec.get("variant_id"):
                    var = self.variants.get(
                        parse_gid(spec["variant_id"], "ProductVariant")
                    )
                elif spec.get("sku") is not None:
                    var = self.variant_by_sku(spec["sku"])
                product = self.products[var["product_id"]] if var else None
                title = spec.get("title") or (
                    product["title"] if product else "Custom item"
                )
                items.append(
                    {
                        "id": self.new_id(),
                        "variant_id": var["id"] if var else None,
                        "product_id": var["product_id"] if var else None,
                        "item_id": var["item_id"] if var else None,
                        "sku": var["sku"] if var else spec.get("sku"),
                        "title": title,
                        "variant_title": var["title"] if var else None,
                        "name": f"{title} - {var['title']}" if var else title,
                        "quantity": int(spec["quantity"]),
                        "price": str(
                            spec.get("price", var["price"] if var else "0.00")
                        ),
                        # a line may be committed at its own location (split order)
                        "location_id": parse_gid(spec["location"], "Location")
                        if spec.get("location")
                        else lid,
                        "fulfilled": 0,
                        "refunded": 0,
                        "restocked": 0,
                        "gift_card": bool(spec.get("gift_card")),
                        "duties": [{"id": self.new_id(), "price": str(spec["duty"])}]
                        if spec.get("duty")
                        else [],
                        "removed": 0,
                    }
                )
            customer_rec = None
            if customer:
                customer_rec = {
                    "id": customer.get("id") or self.new_id(),
                    "email": customer.get("email"),
                    "first_name": customer.get("first_name"),
                    "last_name": customer.get("last_name"),
                    "phone": customer.get("phone"),
                    "state": "enabled",
                    "currency": currency or self.currency,
                    "default_address": om.build_address(
                        customer.get("address"), customer
                    ),
                }
                customer_rec["admin_graphql_api_id"] = gid(
                    "Customer", customer_rec["id"]
                )
            ships = (
                shipping
                if isinstance(shipping, list)
                else ([shipping] if shipping else [])
            )
            shipping_lines = [
                {
                    "id": self.new_id(),
                    "title": sh.get("title", "Standard"),
                    "price": str(sh.get("price", "0.00")),
                }
                for sh in ships
            ]
            apps, codes, allocations = om.allocate_discounts(
                items, discounts, shipping_lines
            )
            for item, alloc in zip(items, allocations, strict=True):
                item["discount_allocations"] = alloc
            order = {
                "id": oid,
                "number": number,
                "name": f"#{number}",
                "created_at": t,
                "updated_at": t,
                "cancelled_at": None,
                "cancel_reason": None,
                "currency": currency or self.currency,
                "taxes_included": bool(taxes_included),
                "tax_rate": tax_rate,
                "tax_title": tax_title,
                "taxes": list(taxes or []),
                "tip": str(tip) if tip else None,
                "financial_status": financial_status,
                "email": email or (customer or {}).get("email"),
                "customer": customer_rec,
                "billing_address": om.build_address(billing_address, customer),
                "shipping_address": om.build_address(shipping_address, customer),
                "discount_applications": apps,
                "discount_codes": codes,
                "line_items": items,
                "shipping_lines": shipping_lines,
                "additional_fees": order_extras.build_fees(self, additional_fees),
                "refunds": [],
                "fulfillments": [],
                "location_id": lid,
                "note": note,
                # the shopper's currency: amounts shown converted (orders.Currency)
                "presentment_currency": presentment_currency,
                "presentment_rate": presentment_rate,
            }
            om.compute_totals(order)
            order_edits.start_risk(order, risk)
            order["gateways"] = [gateway]
            transactions.open_for_order(self, order, financial_status, gateway)
            self.orders[oid] = order
            fulfillment.open_for_order(self, order)
            touched = set()
            for item in items:
                tracked = item["item_id"] and self.items[item["item_id"]]["tracked"]
                if tracked and not item["gift_card"]:
                    self._move(
                        item["item_id"],
                        item["location_id"],
                        available=-item["quantity"],
                        committed=item["quantity"],
                    )
                    touched.add((item["item_id"], item["location_id"]))
            payload = self.order_payload(oid)
            self.emit("orders/create", payload)
            if financial_status == "paid":
                self.emit("orders/paid", payload)
            for key in sorted(touched):
                self.emit_level(*key)
            return payload

    def _check_deny(self, lines, location):
        """ProductVariant.inventoryPolicy (schema 2026-10): "Whether customers are
        allowed to place an order for the product variant when it's out of stock."
        DENY: "Customers can't buy this product variant after it's out of stock."
        A tracked DENY variant is out of stock for a quantity its level's
        `available` does not cover (a missing or inactive level has none); the
        units of several lines of one variant at one level add up. Untracked
        items are never out of stock."""
        lid = parse_gid(location, "Location") if location else min(self.locations)
        wanted = {}
        for spec in lines:
            var = None
            if spec.get("variant_id"):
                var = self.variants.get(parse_gid(spec["variant_id"], "ProductVariant"))
            elif spec.get("sku") is not None:
                var = self.variant_by_sku(spec["sku"])
            if not var or var["inventory_policy"] != "DENY":
                continue
            if not self.items[var["item_id"]]["tracked"]:
                continue
            at = (
                parse_gid(spec["location"], "Location") if spec.get("location") else lid
            )
            key = (var["item_id"], at)
            wanted[key] = wanted.get(key, 0) + int(spec["quantity"])
        for key, quantity in wanted.items():
            level = self.levels.get(key)
            available = level["q"]["available"] if level and level["active"] else 0
            if available < quantity:
                self.refused_checkouts += 1
                raise CheckoutRefused(
                    "out of stock: %s unit(s) wanted, %s available"
                    % (quantity, available),
                    sku=self.variants[self.items[key[0]]["variant_id"]]["sku"],
                    available=available,
                )

    def order_payload(self, oid):
        return om.order_payload(self, self.orders[oid])

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
        return fulfillment.staff_fulfil(self, order_id, lines)

    def hold_fulfillment(self, order_id, reason="OTHER", notes=None):
        """The merchant puts the order's open fulfilment orders on hold."""
        fulfillment.hold(self, order_id, reason, notes)

    def release_fulfillment_hold(self, order_id):
        fulfillment.release_hold(self, order_id)

    def refund(self, order_id, lines=None, restock=True, shipping=False):
        """Refund lines (default: everything). With restock, fulfilled units come back
        (+available, +on_hand); unfulfilled ones move committed → available.

        The money (orders.refund_line_money, transactions.refund_money): each line's
        discounted amount and tax for the refunded units, `shipping` (True: all of
        it; an amount: that much of the first shipping line), returned through
        REFUND transactions of the captured payments."""
        with self.lock:
            order = self._order(order_id)
            wanted = {
                ln.get("line_item_id") or ln.get("sku"): ln["quantity"]
                for ln in lines or []
            }
            refund_lines, touched, amount = [], set(), om.Decimal("0")
            for item in order["line_items"]:
                left = order_edits.current_quantity(item)
                qty = (
                    left
                    if not lines
                    else min(left, wanted.get(item["id"], wanted.get(item["sku"], 0)))
                )
                if qty <= 0:
                    continue
                unfulfilled = max(
                    0, order_edits.current_quantity(item) - item["fulfilled"]
                )
                from_open = min(qty, unfulfilled)
                from_shipped = qty - from_open
                subtotal, tax = om.refund_line_money(order, item, qty)
                item["refunded"] += qty
                tracked = item["item_id"] and self.items.get(item["item_id"], {}).get(
                    "tracked"
                )
                key = (item["item_id"], item["location_id"])
                if from_open:
                    fulfillment.reduce_open(self, order, item["id"], from_open)
                if tracked and from_open:
                    # unshipped units are released whether or not the merchant
                    # "restocks"
                    self._move(
                        *key,
                        committed=-from_open,
                        available=from_open if restock else 0,
                    )
                    touched.add(key)
                if tracked and restock and from_shipped:
                    self._move(*key, available=from_shipped)
                    touched.add(key)
                amount += subtotal + (0 if order["taxes_included"] else tax)
                refund_lines.append(
                    {
                        "id": self.new_id(),
                        "line_item_id": item["id"],
                        "quantity": qty,
                        "restock_type": ("return" if from_shipped else "cancel")
                        if restock
                        else "no_restock",
                        "location_id": item["location_id"] if restock else None,
                        "subtotal": om.s(subtotal),
                        "total_tax": om.s(tax),
                        "subtotal_set": om.money_set(
                            subtotal, om.order_currency(order)
                        ),
                        "total_tax_set": om.money_set(tax, om.order_currency(order)),
                        "line_item": {
                            "id": item["id"],
                            "variant_id": item["variant_id"],
                            "sku": item["sku"],
                            "quantity": item["quantity"],
                        },
                    }
                )
            ship_lines, cur = [], om.order_currency(order)
            for ship, subtotal, tax in om.refund_shipping_money(order, shipping):
                amount += subtotal + (0 if order["taxes_included"] else tax)
                ship_lines.append(
                    {
                        "id": self.new_id(),
                        "shipping_line_id": ship["id"],
                        "subtotal_amount_set": om.money_set(subtotal, cur),
                        "tax_amount_set": om.money_set(tax, cur),
                    }
                )
            txns = transactions.refund_money(self, order, amount)
            rid = self.new_id()
            refund = {
                "id": rid,
                "admin_graphql_api_id": gid("Refund", rid),
                "order_id": order["id"],
                "created_at": self.rest_time(now()),
                "restock": restock,
                "note": None,
                "refund_line_items": refund_lines,
                "refund_shipping_lines": ship_lines,
                "transactions": [transactions.rest(order, t) for t in txns],
            }
            order["refunds"].append(refund)
            all_refunded = all(
                i["refunded"] >= i["quantity"] for i in order["line_items"]
            )
            order["financial_status"] = (
                "refunded" if all_refunded else "partially_refunded"
            )
            self._touch(order)
            self.emit("refunds/create", refund)
            self.emit("orders/updated", self.order_payload(order["id"]))
            for key in sorted(touched):
                self.emit_level(*key)
            return refund

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

    def product_payload(self, pid):
        product = self.products[pid]
        return {
            "id": pid,
            "admin_graphql_api_id": gid("Product", pid),
            "title": product["title"],
            "handle": product["handle"],
            "status": product["status"].lower(),
            "vendor": product["vendor"],
            "updated_at": self.rest_time(product["updated_at"]),
            "created_at": self.rest_time(product["created_at"]),
            "variants": [
                {
                    "id": v,
                    "admin_graphql_api_id": gid("ProductVariant", v),
                    "product_id": pid,
                    "sku": self.variants[v]["sku"],
                    "title": self.variants[v]["title"],
                    "price": self.variants[v]["price"],
                    "inventory_item_id": self.variants[v]["item_id"],
                    "inventory_management": "shopify"
                    if self.items[self.variants[v]["item_id"]]["tracked"]
                    else None,
                }
                for v in product["variant_ids"]
            ],
        }

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
