"""Resolver objects: one class per GraphQL type, methods named like the fields.

graphql-core's default resolver reads an attribute of the source and calls it with the
field's
arguments when it is callable, so each method below IS the resolver of its field.
"""

from decimal import Decimal

from graphql import GraphQLError

from . import hard, search
from .ids import decode_cursor, encode_cursor, gid, gid_kind, iso, now, parse_gid
from .order_edits import current_quantity, risk_view
from .orders import order_currency
from .stock_levels import level_quantities

MAX_PAGE = 250
# `first` of a bulk query's top-level connection (graphql_api._BulkRoot): every record.
EVERY = object()
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


def connection(records, key, first, after, reverse=False, wrap=lambda r: r):
    """Relay connection over `records` ordered by `key(record)` (a JSON-able, unique
    tuple).
    """
    every = first is EVERY
    if not every and first is None:
        raise GraphQLError("you must provide one of first or last")
    if not every and (first < 0 or first > MAX_PAGE):
        raise GraphQLError(f"The first argument must be between 0 and {MAX_PAGE}.")
    ordered = sorted(records, key=key, reverse=bool(reverse))
    if every:
        first = len(ordered)
    start = 0
    if after:
        try:
            mark = decode_cursor(after)
        except ValueError:
            raise GraphQLError("Invalid cursor for current pagination sort.") from None
        mark = tuple(mark)
        start = len(ordered)
        for i, rec in enumerate(ordered):  # O(n) is fine at emulator sizes
            k = tuple(key(rec))
            if (k < mark) if reverse else (k > mark):
                start = i
                break
    page = ordered[start : start + first]
    edges = [{"cursor": encode_cursor(list(key(r))), "node": wrap(r)} for r in page]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": start + first < len(ordered),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _ts(dt):
    return dt.isoformat()


class View:
    TYPE = None

    def __init__(self, shop, rec):
        self.shop = shop
        self.rec = rec

    @property
    def _id(self):
        return self.rec["id"]

    def id(self, info):
        return gid(self.TYPE, self._id)

    def legacyResourceId(self, info):
        return str(self._id)

    def createdAt(self, info):
        return iso(self.rec["created_at"])

    def updatedAt(self, info):
        return iso(self.rec.get("updated_at") or self.rec["created_at"])


class ShopView(View):
    TYPE = "Shop"

    def __init__(self, shop):
        super().__init__(shop, {"id": shop.id})
        self.name = shop.name
        self.email = f"owner@{shop.domain}"
        self.myshopifyDomain = shop.domain
        self.currencyCode = shop.currency
        self.ianaTimezone = shop.timezone
        self.plan = {
            "displayName": shop.plan,
            "publicDisplayName": shop.plan,
            "partnerDevelopment": shop.plan == "Development",
            "shopifyPlus": shop.plan.startswith("Plus"),
        }

    def timezoneAbbreviation(self, info):
        # resolved only when asked: a zone lookup per `shop { id }` would cost
        return hard.abbreviation(self.shop.timezone, now())


class AppInstallationView(View):
    TYPE = "AppInstallation"

    def accessScopes(self, info):
        return [
            {"handle": s, "description": s.replace("_", " ")} for s in self.shop.scopes
        ]


class LocationView(View):
    TYPE = "Location"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.name = rec["name"]
        self.isActive = rec["active"]
        self.fulfillsOnlineOrders = True
        # "Legacy field indicating this location was designated for shipping."
        self.shipsInventory = rec.get("ships_inventory", True)

    def inventoryLevel(self, info, inventoryItemId, includeInactive=False):
        iid = parse_gid(inventoryItemId, "InventoryItem")
        return level_view(self.shop, iid, self._id, includeInactive)


def level_view(shop, iid, lid, include_inactive=False):
    level = shop.levels.get((iid, lid))
    if level is None or not (level["active"] or include_inactive):
        return None
    return LevelView(shop, iid, lid, level)


class LevelView:
    TYPE = "InventoryLevel"

    def __init__(self, shop, iid, lid, level):
        self.shop, self.iid, self.lid, self.rec = shop, iid, lid, level
        self.isActive = level["active"]
        self.canDeactivate = True

    def id(self, info):
        return f"gid://shopify/InventoryLevel/{self.lid}?inventory_item_id={self.iid}"

    def createdAt(self, info):
        return iso(self.rec["created_at"])

    def updatedAt(self, info):
        return iso(self.rec["updated_at"])

    def item(self, info):
        return ItemView(self.shop, self.shop.items[self.iid])

    def location(self, info):
        return LocationView(self.shop, self.shop.locations[self.lid])

    def quantities(self, info, names):
        q = level_quantities(self.rec["q"])
        out = []
        for name in names:
            if name not in q:
                raise GraphQLError(f"Invalid quantity name: {name}")
            out.append(
                {
                    "id": f"gid://shopify/InventoryQuantity/{self.lid}?inventory_item_id="
                    f"{self.iid}&name={name}",
                    "name": name,
                    "quantity": q[name],
                    "updatedAt": iso(self.rec["updated_at"]),
                }
            )
        return out


class ItemView(View):
    TYPE = "InventoryItem"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.tracked = rec["tracked"]

    def sku(self, info):
        return self.shop.variants[self.rec["variant_id"]]["sku"]

    def variant(self, info):
        return VariantView(self.shop, self.shop.variants[self.rec["variant_id"]])

    def inventoryLevel(self, info, locationId, includeInactive=False):
        return level_view(
            self.shop, self._id, parse_gid(locationId, "Location"), includeInactive
        )

    def inventoryLevels(self, info, first=None, after=None):
        lids = [
            lid
            for lid in self.shop.locations
            if (self._id, lid) in self.shop.levels
            and self.shop.levels[(self._id, lid)]["active"]
        ]
        return connection(
            lids,
            lambda lid: [lid],
            first,
            after,
            wrap=lambda lid: LevelView(
                self.shop, self._id, lid, self.shop.levels[(self._id, lid)]
            ),
        )


class VariantView(View):
    TYPE = "ProductVariant"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.sku = rec["sku"]
        self.title = rec["title"]
        self.price = rec["price"]
        self.barcode = rec["barcode"]

    def displayName(self, info):
        product = self.shop.products[self.rec["product_id"]]
        return f"{product['title']} - {self.rec['title']}"

    def inventoryItem(self, info):
        return ItemView(self.shop, self.shop.items[self.rec["item_id"]])

    def product(self, info):
        return ProductView(self.shop, self.shop.products[self.rec["product_id"]])

    def inventoryQuantity(self, info):
        iid = self.rec["item_id"]
        return sum(
            lv["q"]["available"]
            for (i, _l), lv in self.shop.levels.items()
            if i == iid and lv["active"]
        )


class ProductView(View):
    TYPE = "Product"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.title = rec["title"]
        self.handle = rec["handle"]
        self.status = rec["status"]
        self.vendor = rec["vendor"]

    def tracksInventory(self, info):
        return any(
            self.shop.items[self.shop.variants[v]["item_id"]]["tracked"]
            for v in self.rec["variant_ids"]
        )

    def totalInventory(self, info):
        return sum(
            VariantView(self.shop, self.shop.variants[v]).inventoryQuantity(info)
            for v in self.rec["variant_ids"]
        )

    def variants(self, info, first=None, after=None):
        recs = [self.shop.variants[v] for v in self.rec["variant_ids"]]
        return connection(
            recs,
            lambda r: [r["id"]],
            first,
            after,
            wrap=lambda r: VariantView(self.shop, r),
        )


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
            from .orders import order_payload

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
        from .fulfillment import fulfillment_view

        records = self.rec["fulfillments"][:first]
        return [fulfillment_view(self.shop, f) for f in records]

    def edited(self, info):
        return bool(self.rec.get("edits"))

    def risk(self, info):
        return risk_view(self.rec)

    def fulfillmentOrders(self, info, first=None, after=None):
        from .fulfillment import order_fulfillment_orders

        return order_fulfillment_orders(self.shop, self.rec, first, after)


def _sub_connection(items):
    """Resolver of a nested connection over plain dicts that carry an `id`."""

    def resolve(info, first=None, after=None):
        return connection(items, lambda r: [r["id"]], first, after)

    return resolve


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
        "refundLineItems": _sub_connection(items),
        "refundShippingLines": _sub_connection(shipping),
        "transactions": _sub_connection(txns),
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


class WebhookView(View):
    TYPE = "WebhookSubscription"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.topic = rec["topic"]
        self.uri = rec["uri"]
        self.format = rec["format"]
        self.filter = rec.get("filter")
        self.includeFields = list(rec.get("include_fields") or [])


class AdjustmentGroupView(View):
    TYPE = "InventoryAdjustmentGroup"

    def __init__(self, shop, rec):
        super().__init__(shop, rec)
        self.reason = rec["reason"]
        self.referenceDocumentUri = rec["referenceDocumentUri"]

    def changes(
        self, info, inventoryItemIds=None, locationIds=None, quantityNames=None
    ):
        items = {parse_gid(i, "InventoryItem") for i in inventoryItemIds or []}
        locs = {parse_gid(i, "Location") for i in locationIds or []}
        out = []
        for ch in self.rec["changes"]:
            if (items and ch["item"] not in items) or (
                locs and ch["location"] not in locs
            ):
                continue
            if quantityNames and ch["name"] not in quantityNames:
                continue
            out.append(
                dict(
                    ch,
                    item=ItemView(self.shop, self.shop.items[ch["item"]])
                    if ch["item"] in self.shop.items
                    else None,
                    location=LocationView(
                        self.shop, self.shop.locations[ch["location"]]
                    ),
                )
            )
        return out


def node_by_gid(shop, value):
    """Resolve any supported global id to its view, or None (like Shopify's
    node/nodes)."""
    kind = gid_kind(value)
    num = parse_gid(value, kind) if kind else None
    if num is None:
        return None
    if kind == "Refund":
        return refund_by_gid(shop, value)
    if kind == "Fulfillment":
        from .fulfillment import fulfillment_by_gid

        return fulfillment_by_gid(shop, value)
    if kind == "InventoryLevel":
        iid = value.split("inventory_item_id=", 1)[-1]
        return level_view(shop, int(iid), num) if iid.isdigit() else None
    table = {
        "Location": (shop.locations, LocationView),
        "Product": (shop.products, ProductView),
        "ProductVariant": (shop.variants, VariantView),
        "InventoryItem": (shop.items, ItemView),
        "Order": (shop.orders, OrderView),
        "WebhookSubscription": (shop.subscriptions, WebhookView),
        "InventoryAdjustmentGroup": (shop.groups, AdjustmentGroupView),
    }
    if kind not in table or num not in table[kind][0]:
        return None
    records, cls = table[kind]
    return cls(shop, records[num])


def refund_by_gid(shop, value):
    """The root `refund(id:)`: a refund of any order of the shop, or None."""
    num = parse_gid(value, "Refund")
    for order in shop.orders.values():
        for refund in order["refunds"]:
            if refund["id"] == num:
                return _refund_view(shop, refund, order)
    return None


def filtered(records, query, fields_of):
    groups = search.parse(query)
    return (
        [r for r in records if search.matches(groups, fields_of(r))]
        if groups
        else list(records)
    )
