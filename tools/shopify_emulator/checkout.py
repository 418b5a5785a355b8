"""A shopper's checkout: the order record a new order starts as, the DENY policy's
refusal, the stock it commits and the webhooks it sends (orders/create, orders/paid)."""

from . import fulfillment, order_edits, order_extras, transactions
from . import orders as om
from .ids import gid, now, parse_gid


class CheckoutRefused(Exception):
    """A checkout Shopify does not accept: a DENY variant is out of stock."""

    def __init__(self, message, sku=None, available=None):
        super().__init__(message)
        self.sku = sku
        self.available = available


class Checkout:
    """The checkout half of `Shop`."""

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
                var = self._line_variant(spec)
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
                    "default_address": build_address(customer.get("address"), customer),
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
                "billing_address": build_address(billing_address, customer),
                "shipping_address": build_address(shipping_address, customer),
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

    def _line_variant(self, spec):
        """The variant a checkout line names (by id, else by SKU), None: a custom
        item."""
        if spec.get("variant_id"):
            return self.variants.get(parse_gid(spec["variant_id"], "ProductVariant"))
        if spec.get("sku") is not None:
            return self.variant_by_sku(spec["sku"])
        return None

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
            var = self._line_variant(spec)
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


def build_address(data, customer):
    if data is None and customer is None:
        return None
    data = dict(data or {})
    base = {
        "first_name": (customer or {}).get("first_name"),
        "last_name": (customer or {}).get("last_name"),
        "address1": "1 Main Street",
        "address2": None,
        "city": "Brussels",
        "zip": "1000",
        "province": None,
        "province_code": None,
        "country": "Belgium",
        "country_code": "BE",
        "phone": None,
        "company": None,
    }
    base.update(data)
    base["name"] = " ".join(
        x for x in (base.get("first_name"), base.get("last_name")) if x
    )
    return base
