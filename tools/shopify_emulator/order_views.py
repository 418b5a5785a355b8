"""GraphQL views of orders: the order, its line items, money bags, addresses, tax lines
and refunds."""

from decimal import Decimal

from .catalog_views import LocationView, ProductView, VariantView
from .ids import gid, iso, parse_gid
from .order_edits import current_quantity, risk_view
from .orders import order_currency
from .views import View, connection, sub_connection

FINANCIAL = {
    "pending": "PENDING",
    "authorized": "AUTHORIZED",
    "partially_paid": "PARTIALLY_PAID",
    "paid": "PAID",
    "partially_refunded": "PARTIALLY_REFUNDED",
    "refunded": "REFUNDED",
    "voided": "VOIDED",
    "expired": "EXPIRED",
}


def _money_bag(amount, currency):
    """shopMoney and presentmentMoney (orders.Currency: the order's presentment)."""
    from .orders import presentment

    shown, code = presentment(amount, currency)
    return {
        "shopMoney": {"amount": str(amount), "currencyCode": str(currency)},
        "presentmentMoney": {"amount": str(shown), "currencyCode": str(code)},
    }


class OrderView(View):
    TYPE = "Order"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        cur = order_currency(rec)
        self.name = rec["name"]
        self.email = rec["email"]
        self.test = False
        self.closed = False
        self.taxesIncluded = rec["taxes_included"]
        self.currencyCode = str(cur)
        self.presentmentCurrencyCode = cur.presentment
        self.displayFinancialStatus = FINANCIAL.get(rec["financial_status"])
        self.cancelReason = (
            rec["cancel_reason"].upper() if rec["cancel_reason"] else None
        )
        self.totalPriceSet = _money_bag(rec["total_price"], cur)
        self.subtotalPriceSet = _money_bag(rec["subtotal_price"], cur)
        self.totalTaxSet = _money_bag(rec["total_tax"], cur)
        self.totalDiscountsSet = _money_bag(rec["total_discounts"], cur)
        self.totalShippingPriceSet = _money_bag(rec["total_shipping"], cur)

    def processedAt(self, info):
        return iso(self.rec["created_at"])

    def cancelledAt(self, info):
        return iso(self.rec["cancelled_at"])

    def displayFulfillmentStatus(self, info):
        done = sum(i["fulfilled"] for i in self.rec["line_items"])
        want = sum(current_quantity(i) for i in self.rec["line_items"])
        if done == 0:
            return "UNFULFILLED"
        return "FULFILLED" if done >= want else "PARTIALLY_FULFILLED"

    def lineItems(self, info, first=None, after=None):
        return connection(
            self.rec["line_items"],
            lambda r: [r["id"]],
            first,
            after,
            wrap=lambda r: LineItemView(self.shop, r, order_currency(self.rec)),
        )

    # -- the full order (OrderForImport), read from the webhook-shaped payload
    def _rest(self):
        if not hasattr(self, "_rest_cache"):
            from .order_rest import order_payload

            self._rest_cache = order_payload(self.shop, self.rec)
        return self._rest_cache

    def note(self, info):
        return self.rec.get("note")

    def tags(self, info):
        return []

    def sourceName(self, info):
        return "web"

    def totalTipReceivedSet(self, info):
        """schema: "The sum of all tip amounts for the order, in shop and presentment
        currencies." (non-null: 0.00 without a tip)."""
        return _money_bag(self.rec.get("total_tip") or "0.00", order_currency(self.rec))

    def originalTotalDutiesSet(self, info):
        """schema: "The total amount of duties calculated when an order was created,
        before any modifications." Null without duties (**not documented**; the
        nullable field of an order that has none)."""
        duties = self._rest()["original_total_duties_set"]
        return self._duties_bag(duties)

    def currentTotalDutiesSet(self, info):
        """schema: "The current total duties amount for an order, after any returns or
        modifications." Refunded duties are not emulated: the original total."""
        return self._duties_bag(self._rest()["current_total_duties_set"])

    def additionalFees(self, info):
        """order_extras.py (cited there)."""
        from .order_extras import fee_views

        return fee_views(self.rec, _money_bag, _tax_lines)

    def originalTotalAdditionalFeesSet(self, info):
        return self._duties_bag(self._rest()["original_total_additional_fees_set"])

    def currentTotalAdditionalFeesSet(self, info):
        return self._duties_bag(self._rest()["current_total_additional_fees_set"])

    def totalCashRoundingAdjustment(self, info):
        """order_extras.py (cited there): Σ of the transactions' roundings."""
        from .order_extras import rounding_view

        return rounding_view(self.rec, _money_bag)

    def _duties_bag(self, duties):
        if duties is None:
            return None
        return _money_bag(duties["shop_money"]["amount"], order_currency(self.rec))

    def customer(self, info):
        cust = self.rec["customer"]
        if not cust:
            return None
        return {
            "id": gid("Customer", cust["id"]),
            "email": cust.get("email"),
            "firstName": cust.get("first_name"),
            "lastName": cust.get("last_name"),
            "phone": cust.get("phone"),
        }

    def billingAddress(self, info):
        return _address(self.rec["billing_address"])

    def shippingAddress(self, info):
        return _address(self.rec["shipping_address"])

    def shippingLines(self, info, first=None, after=None):
        cur = order_currency(self.rec)
        return connection(
            self._rest()["shipping_lines"],
            lambda r: [r["id"]],
            first,
            after,
            wrap=lambda r: {
                "id": gid("ShippingLine", r["id"]),
                "title": r["title"],
                "code": r.get("code"),
                "source": r.get("source"),
                "originalPriceSet": _money_bag(r["price"], cur),
                "discountedPriceSet": _money_bag(r["discounted_price"], cur),
                "taxLines": _tax_lines(r["tax_lines"], cur),
            },
        )

    def transactions(self, info, first=None):
        from .transactions import view

        records = self.rec.get("transactions", [])[:first]
        return [view(self.rec, t) for t in records]

    def refunds(self, info, first=None):
        return [
            _refund_view(self.shop, r, self.rec) for r in self.rec["refunds"][:first]
        ]

    def fulfillments(self, info, first=None):
        from .fulfillment_views import fulfillment_view

        records = self.rec["fulfillments"][:first]
        return [fulfillment_view(self.shop, f) for f in records]

    def edited(self, info):
        return bool(self.rec.get("edits"))

    def risk(self, info):
        return risk_view(self.rec)

    def fulfillmentOrders(self, info, first=None, after=None):
        from .fulfillment_views import order_fulfillment_orders

        return order_fulfillment_orders(self.shop, self.rec, first, after)


def _address(addr):
    if not addr:
        return None
    return {
        "id": gid("MailingAddress", abs(hash(addr.get("address1") or "")) % 10**9),
        "firstName": addr.get("first_name"),
        "lastName": addr.get("last_name"),
        "name": addr.get("name"),
        "company": addr.get("company"),
        "address1": addr.get("address1"),
        "address2": addr.get("address2"),
        "city": addr.get("city"),
        "zip": addr.get("zip"),
        "provinceCode": addr.get("province_code"),
        "countryCodeV2": addr.get("country_code"),
        "phone": addr.get("phone"),
    }


def _tax_lines(tax_lines, currency):
    return [
        {
            "title": t["title"],
            "rate": t["rate"],
            "priceSet": _money_bag(t["price"], currency),
        }
        for t in tax_lines
    ]


def _refund_view(shop, refund, order):
    """A Refund: its lines, shipping, transactions (kind REFUND, see transactions.py)
    and totalRefundedSet, "The total amount across all transactions for the
    refund"."""
    from .transactions import view as txn_view

    currency = order_currency(order)
    items = []
    for ln in refund["refund_line_items"]:
        loc = ln.get("location_id")
        items.append(
            {
                "id": gid("RefundLineItem", ln["id"]),
                "quantity": ln["quantity"],
                "restockType": (ln.get("restock_type") or "no_restock").upper(),
                "location": LocationView(shop, shop.locations[loc]) if loc else None,
                "lineItem": {"id": gid("LineItem", ln["line_item_id"])},
                "subtotalSet": _money_bag(ln["subtotal"], currency),
                "totalTaxSet": _money_bag(ln["total_tax"], currency),
            }
        )
    ships = {sh["id"]: sh for sh in order["shipping_lines"]}
    shipping = [
        {
            "id": gid("RefundShippingLine", r["id"]),
            "shippingLine": {
                "id": gid("ShippingLine", r["shipping_line_id"]),
                "title": ships.get(r["shipping_line_id"], {}).get("title"),
            },
            "subtotalAmountSet": _money_bag(
                r["subtotal_amount_set"]["shop_money"]["amount"], currency
            ),
            "taxAmountSet": _money_bag(
                r["tax_amount_set"]["shop_money"]["amount"], currency
            ),
        }
        for r in refund.get("refund_shipping_lines") or []
    ]
    by_id = {t["id"]: t for t in order.get("transactions", [])}
    txns = [
        txn_view(order, by_id[t["id"]])
        for t in refund.get("transactions") or []
        if t["id"] in by_id
    ]
    total = sum(
        (
            by_id[t["id"]]["amount"]
            for t in refund.get("transactions") or []
            if t["id"] in by_id and by_id[t["id"]]["status"] == "SUCCESS"
        ),
        Decimal("0"),
    )
    return {
        "_type": "Refund",  # for the Node interface (node / nodes)
        "id": gid("Refund", refund["id"]),
        "createdAt": refund["created_at"],
        "note": refund.get("note"),
        "refundLineItems": sub_connection(items),
        "refundShippingLines": sub_connection(shipping),
        "transactions": sub_connection(txns),
        "totalRefundedSet": _money_bag(str(total), currency),
    }


class LineItemView(View):
    TYPE = "LineItem"

    def __init__(self, shop, rec, currency):
        super().__init__(shop, rec)
        self.sku = rec["sku"]
        self.name = rec["name"]
        self.title = rec["title"]
        self.quantity = rec["quantity"]
        self.currentQuantity = current_quantity(rec)
        self.originalUnitPriceSet = _money_bag(rec["price"], currency)
        self._currency = currency

    def variant(self, info):
        var = self.shop.variants.get(self.rec["variant_id"])
        return VariantView(self.shop, var) if var else None

    def variantTitle(self, info):
        return self.rec.get("variant_title")

    def requiresShipping(self, info):
        return not self.rec.get("gift_card")

    def taxable(self, info):
        return bool(self.rec.get("tax_lines"))

    def isGiftCard(self, info):
        """schema: "Whether the line item represents the purchase of a gift card."."""
        return bool(self.rec.get("gift_card"))

    def duties(self, info):
        """schema, `LineItem.duties`: "The duties associated with the line item."; a
        `Duty` has `price` "The amount of the duty." and `taxLines` "A list of taxes
        charged on the duty." (none emulated)."""
        return [
            {
                "id": gid("Duty", duty["id"]),
                "price": _money_bag(duty["price"], self._currency),
                "taxLines": [],
                "harmonizedSystemCode": duty.get("harmonized_system_code"),
                "countryCodeOfOrigin": None,
            }
            for duty in self.rec.get("duties") or []
        ]

    def product(self, info):
        prod = self.shop.products.get(self.rec["product_id"])
        return ProductView(self.shop, prod) if prod else None

    def discountAllocations(self, info):
        return [
            {"allocatedAmountSet": _money_bag(a["amount"], self._currency)}
            for a in self.rec["discount_allocations"]
        ]

    def taxLines(self, info):
        return _tax_lines(self.rec.get("tax_lines") or [], self._currency)

    def discountedTotalSet(self, info, withCodeDiscounts=None):
        from .orders import money

        disc = sum(money(a["amount"]) for a in self.rec["discount_allocations"])
        return _money_bag(
            money(self.rec["price"]) * self.rec["quantity"] - disc, self._currency
        )


def refund_by_gid(shop, value):
    """The root `refund(id:)`: a refund of any order of the shop, or None."""
    num = parse_gid(value, "Refund")
    for order in shop.orders.values():
        for refund in order["refunds"]:
            if refund["id"] == num:
                return _refund_view(shop, refund, order)
    return None
