"""Fulfilment orders and fulfilments of the emulated shop, as the 2026-10 schema
describes them (each rule cites the sentence it comes from).

State lives on the shop (`shop.fulfillment_orders`, `shop.fulfillment_links`, made on
first use) and changes under the shop lock. Hooks: `Shop.place_order` opens the
fulfilment orders, `cancel_order` / `refund` close what is no longer to fulfil,
`fulfill_order` (staff in the admin) and the mutations below create fulfilments.
"""

from graphql import GraphQLError

from .ids import gid, iso, now, parse_gid

# "The `read_merchant_managed_fulfillment_orders` and
# `write_merchant_managed_fulfillment_orders` access scopes grant access to
# fulfillment orders assigned to merchant-managed locations." (FulfillmentOrder)
READ_SCOPES = (
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
)
WRITE_SCOPE = "write_merchant_managed_fulfillment_orders"
# FulfillmentOrderLineItemsInput.fulfillmentOrderLineItems: "Accepts a maximum of 512
# line items."
MAX_LINE_ITEMS = 512


def _state(shop):
    if not hasattr(shop, "fulfillment_orders"):
        shop.fulfillment_orders = {}  # fo id -> record
        shop.fulfillment_links = {}  # fulfilment id -> [(fo id, fo line id, line, q)]
    return shop.fulfillment_orders


def _new_fo(shop, order, location_id, lines):
    t = now()
    fo_id = shop.new_id()
    _state(shop)[fo_id] = {
        "id": fo_id,
        "order_id": order["id"],
        "location_id": location_id,
        "status": "OPEN",
        "holds": [],
        "created_at": t,
        "updated_at": t,
        "lines": [
            {"id": shop.new_id(), "line_id": line_id, "total": qty, "remaining": qty}
            for line_id, qty in lines
        ],
    }
    return fo_id


def open_for_order(shop, order):
    """ "Shopify creates fulfillment orders automatically when an order is created"
    ... "assigned to these locations": one per location the lines are committed at."""
    by_location = {}
    for item in order["line_items"]:
        by_location.setdefault(item["location_id"], []).append(
            (item["id"], item["quantity"])
        )
    for location_id, lines in sorted(by_location.items()):
        _new_fo(shop, order, location_id, lines)


def order_fos(shop, order_id):
    return [fo for fo in _state(shop).values() if fo["order_id"] == order_id]


def supported_actions(fo):
    """OPEN: "ready for fulfillment"; IN_PROGRESS: "being processed"; ON_HOLD: "The
    fulfillment process can't be initiated until the hold ... is released"; CLOSED /
    CANCELLED: nothing left to do."""
    if fo["status"] in ("OPEN", "IN_PROGRESS") and not fo["holds"]:
        return ["CREATE_FULFILLMENT", "HOLD"]
    if fo["status"] == "ON_HOLD":
        return ["RELEASE_HOLD"]
    return []


def _settle_status(fo):
    if fo["status"] == "ON_HOLD":
        return
    if all(fol["remaining"] == 0 for fol in fo["lines"]):
        fo["status"] = "CLOSED"  # "has been completed and closed"
    elif any(fol["remaining"] < fol["total"] for fol in fo["lines"]):
        fo["status"] = "IN_PROGRESS"
    fo["updated_at"] = now()


def _item(order, line_id):
    return next(i for i in order["line_items"] if i["id"] == line_id)


def _tracked(shop, item):
    return item["item_id"] and shop.items.get(item["item_id"], {}).get("tracked")


# -- shopper / merchant side ---------------------------------------------------------
def close_open(shop, order):
    """Order cancelled: nothing of it is to be fulfilled any more."""
    for fo in order_fos(shop, order["id"]):
        for fol in fo["lines"]:
            fol["remaining"] = 0
        if fo["status"] not in ("CLOSED", "CANCELLED"):
            fo["status"] = "CLOSED"
            fo["holds"] = []
            fo["updated_at"] = now()


def reduce_open(shop, order, line_id, quantity):
    """Refunded unfulfilled units leave the fulfilment orders."""
    for fo in order_fos(shop, order["id"]):
        for fol in fo["lines"]:
            if fol["line_id"] == line_id and quantity > 0 and fol["remaining"] > 0:
                take = min(quantity, fol["remaining"])
                fol["remaining"] -= take
                quantity -= take
        _settle_status(fo)


def hold(shop, order_id, reason="OTHER", notes=None):
    """fulfillmentOrderHold: every open fulfilment order of the order goes ON_HOLD."""
    with shop.lock:
        order = shop._order(order_id)
        for fo in order_fos(shop, order["id"]):
            if fo["status"] in ("OPEN", "IN_PROGRESS"):
                fo["held_from"] = fo["status"]
                fo["status"] = "ON_HOLD"
                fo["holds"].append(
                    {"id": shop.new_id(), "reason": reason, "reasonNotes": notes}
                )
                fo["updated_at"] = now()


def release_hold(shop, order_id):
    with shop.lock:
        order = shop._order(order_id)
        for fo in order_fos(shop, order["id"]):
            if fo["status"] == "ON_HOLD":
                fo["status"] = fo.pop("held_from", "OPEN")
                fo["holds"] = []
                fo["updated_at"] = now()


def staff_fulfil(shop, order_id, lines=None):
    """The merchant fulfils in the admin: every fulfillable fulfilment order (or the
    given lines: [{line_item_id | sku, quantity}]), one fulfilment per location."""
    with shop.lock:
        order = shop._order(order_id)
        wanted = {
            ln.get("line_item_id") or ln.get("sku"): ln["quantity"]
            for ln in lines or []
        }
        by_location = {}
        for fo in order_fos(shop, order["id"]):
            if "CREATE_FULFILLMENT" not in supported_actions(fo):
                continue
            items = []
            for fol in fo["lines"]:
                item = _item(order, fol["line_id"])
                want = fol["remaining"]
                if lines:
                    want = wanted.get(item["id"], wanted.get(item["sku"], 0))
                qty = min(want, fol["remaining"])
                if qty > 0:
                    items.append(
                        {
                            "id": gid("FulfillmentOrderLineItem", fol["id"]),
                            "quantity": qty,
                        }
                    )
                    if lines:
                        key = item["id"] if item["id"] in wanted else item["sku"]
                        wanted[key] -= qty
            if items:
                by_location.setdefault(fo["location_id"], []).append(
                    {
                        "fulfillmentOrderId": gid("FulfillmentOrder", fo["id"]),
                        "fulfillmentOrderLineItems": items,
                    }
                )
        for _location, groups in sorted(by_location.items()):
            _rec, errors = create(shop, {"lineItemsByFulfillmentOrder": groups})
            if errors:
                raise ValueError(errors)
        return shop.order_payload(order["id"])


# -- mutations ---------------------------------------------------------------------
def check_scope(shop, write=False):
    wanted = (WRITE_SCOPE,) if write else READ_SCOPES
    if not any(s in shop.scopes for s in wanted):
        raise GraphQLError(
            "Access denied: requires %s access scope." % wanted[0],
            extensions={"code": "ACCESS_DENIED"},
        )


def _err(message, *field):
    return {"field": list(field) or None, "message": message}


def _tracking_errors(info, prefix):
    """FulfillmentTrackingInput: "If you provide the `url` field, you should not
    provide the `urls` field" / "... `number` ... `numbers`" / "If you provide the
    `url` field, you should provide the `number` field" / "... `urls` ... `numbers`"."""
    if not info:
        return []
    errors = []
    if info.get("url") and info.get("urls"):
        errors.append(_err("Provide url or urls, not both.", *prefix, "url"))
    if info.get("number") and info.get("numbers"):
        errors.append(_err("Provide number or numbers, not both.", *prefix, "number"))
    if info.get("url") and not info.get("number"):
        errors.append(_err("A tracking url needs a tracking number.", *prefix, "url"))
    if info.get("urls") and not info.get("numbers"):
        errors.append(_err("Tracking urls need tracking numbers.", *prefix, "urls"))
    for url in [info.get("url")] + list(info.get("urls") or []):
        # "The URL must be an RFC 3986 and RFC 3987-compliant URI string ... It
        # includes a scheme (`https`) and a host"
        if url and "://" not in url:
            errors.append(_err("Tracking url is not a valid URL.", *prefix, "url"))
    return errors


def _tracking_fields(info):
    info = info or {}
    single_number = [info["number"]] if info.get("number") else []
    single_url = [info["url"]] if info.get("url") else []
    numbers = list(info.get("numbers") or single_number)
    urls = list(info.get("urls") or single_url)
    return {
        "tracking_company": info.get("company"),
        "tracking_number": numbers[0] if numbers else None,
        "tracking_numbers": numbers,
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": urls,
    }


def create(shop, fulfillment, message=None):
    """fulfillmentCreate -> (REST fulfilment record or None, userErrors).

    "Creates a fulfillment for one or more FulfillmentOrder objects. The fulfillment
    orders are associated with the same Order and are assigned to the same Location."
    Everything is checked before anything changes: one error, no effect.
    """
    fos = _state(shop)
    pairs = fulfillment.get("lineItemsByFulfillmentOrder") or []
    base = ("fulfillment", "lineItemsByFulfillmentOrder")
    errors = list(_tracking_errors(fulfillment.get("trackingInfo"), ("fulfillment",)))
    if not pairs:
        errors.append(_err("Line items by fulfillment order can't be blank.", *base))
    todo = []  # (fo, fol, qty)
    for index, pair in enumerate(pairs):
        fo = fos.get(parse_gid(pair["fulfillmentOrderId"], "FulfillmentOrder"))
        where = (*base, str(index))
        if fo is None:
            errors.append(_err("Fulfillment order does not exist.", *where))
            continue
        if "CREATE_FULFILLMENT" not in supported_actions(fo):
            # supportedActions: "The actions that can be performed on this
            # fulfillment order."
            errors.append(
                _err(
                    "Fulfillment order %s can't be fulfilled (status %s)."
                    % (pair["fulfillmentOrderId"], fo["status"]),
                    *where,
                )
            )
            continue
        items = pair.get("fulfillmentOrderLineItems")
        if items and len(items) > MAX_LINE_ITEMS:
            errors.append(_err("At most 512 line items per fulfillment order.", *where))
            continue
        by_id = {fol["id"]: fol for fol in fo["lines"]}
        if not items:
            # "If left blank, all line items of the fulfillment order will be
            # fulfilled."
            todo += [(fo, f, f["remaining"]) for f in fo["lines"] if f["remaining"]]
            continue
        for item in items:
            fol = by_id.get(parse_gid(item["id"], "FulfillmentOrderLineItem"))
            qty = item["quantity"]
            if fol is None:
                errors.append(_err("Invalid fulfillment order line item id.", *where))
            elif qty <= 0 or qty > fol["remaining"]:
                # remainingQuantity: "The number of units remaining to be fulfilled."
                errors.append(
                    _err(
                        "Invalid fulfillment order line item quantity requested "
                        "(%s, %s remaining)." % (qty, fol["remaining"]),
                        *where,
                    )
                )
            else:
                todo.append((fo, fol, qty))
    chosen = {fo["id"]: fo for fo, _fol, _q in todo}
    if len({fo["order_id"] for fo in chosen.values()}) > 1:
        errors.append(_err("Fulfillment orders must belong to the same order.", *base))
    if len({fo["location_id"] for fo in chosen.values()}) > 1:
        errors.append(
            _err("Fulfillment orders must be assigned to the same location.", *base)
        )
    if not errors and not todo:
        errors.append(_err("Nothing left to fulfill.", *base))
    if errors:
        return None, errors
    order = shop.orders[next(iter(chosen.values()))["order_id"]]
    location_id = next(iter(chosen.values()))["location_id"]
    fid, t = shop.new_id(), now()
    lines, touched, links = {}, set(), []
    for fo, fol, qty in todo:
        fol["remaining"] -= qty
        item = _item(order, fol["line_id"])
        item["fulfilled"] += qty
        lines[item["id"]] = lines.get(item["id"], 0) + qty
        links.append((fo["id"], fol["id"], item["id"], qty))
        if _tracked(shop, item):
            # stock-truth: "Fulfilling moves `committed` out of `on_hand`"
            shop._move(item["item_id"], location_id, committed=-qty)
            touched.add((item["item_id"], location_id))
    for fo in chosen.values():
        _settle_status(fo)
    rec = {
        "id": fid,
        "admin_graphql_api_id": gid("Fulfillment", fid),
        "order_id": order["id"],
        "name": "%s-F%d" % (order["name"], len(order["fulfillments"]) + 1),
        "status": "success",
        "location_id": location_id,
        "created_at": shop.rest_time(t),
        "updated_at": shop.rest_time(t),
        "notify_customer": bool(fulfillment.get("notifyCustomer")),
        "line_items": [
            {"id": line_id, "quantity": qty, "sku": _item(order, line_id)["sku"]}
            for line_id, qty in lines.items()
        ],
        **_tracking_fields(fulfillment.get("trackingInfo")),
    }
    if message:
        rec["message"] = message
    order["fulfillments"].append(rec)
    shop.fulfillment_links[fid] = links
    shop._touch(order)
    shop.emit("fulfillments/create", rec)
    shop.emit("orders/updated", shop.order_payload(order["id"]))
    for key in sorted(touched):
        shop.emit_level(*key)
    return rec, []


def _find(shop, fulfillment_gid):
    fid = parse_gid(fulfillment_gid, "Fulfillment")
    for order in shop.orders.values():
        for rec in order["fulfillments"]:
            if rec["id"] == fid:
                return order, rec
    return None, None


def update_tracking(shop, fulfillment_gid, tracking, notify=None):
    """fulfillmentTrackingInfoUpdate: "Updates tracking information for a
    fulfillment, including the carrier name, tracking numbers, and tracking URLs."."""
    order, rec = _find(shop, fulfillment_gid)
    if rec is None:
        return None, [_err("Fulfillment does not exist.", "fulfillmentId")]
    if rec["status"] == "cancelled":
        return None, [_err("Fulfillment is cancelled.", "fulfillmentId")]
    errors = _tracking_errors(tracking, ("trackingInfoInput",))
    if errors:
        return None, errors
    rec.update(_tracking_fields(tracking), updated_at=shop.rest_time(now()))
    # notifyCustomer: "If this field is left blank, then notifications won't be sent"
    rec["notify_customer"] = bool(notify)
    shop.emit("fulfillments/update", rec)
    return rec, []


def cancel(shop, fulfillment_gid):
    """fulfillmentCancel: "Cancels an existing Fulfillment and reverses its effects on
    associated FulfillmentOrder objects ... If a fulfillment order was entirely
    fulfilled, then it automatically closes. If a fulfillment order is partially
    fulfilled, then the remaining quantities adjust to include the cancelled items.
    The system creates new fulfillment orders at the original Location when items are
    still stocked there". The units are unfulfilled again: committed and on_hand come
    back at the location."""
    order, rec = _find(shop, fulfillment_gid)
    if rec is None:
        return None, [_err("Fulfillment does not exist.", "id")]
    if rec["status"] == "cancelled":
        return None, [_err("Fulfillment is already cancelled.", "id")]
    fos = _state(shop)
    reopened, touched = {}, set()
    for fo_id, fol_id, line_id, qty in shop.fulfillment_links.get(rec["id"], []):
        fo = fos[fo_id]
        item = _item(order, line_id)
        item["fulfilled"] -= qty
        if _tracked(shop, item):
            shop._move(item["item_id"], rec["location_id"], committed=qty)
            touched.add((item["item_id"], rec["location_id"]))
        if fo["status"] == "CLOSED":
            reopened.setdefault(fo["location_id"], []).append((line_id, qty))
        else:
            fol = next(f for f in fo["lines"] if f["id"] == fol_id)
            fol["remaining"] += qty
            fo["updated_at"] = now()
    for location_id, lines in sorted(reopened.items()):
        _new_fo(shop, order, location_id, lines)
    rec.update(status="cancelled", updated_at=shop.rest_time(now()))
    shop._touch(order)
    shop.emit("fulfillments/update", rec)
    shop.emit("orders/updated", shop.order_payload(order["id"]))
    for key in sorted(touched):
        shop.emit_level(*key)
    return rec, []


# -- views -------------------------------------------------------------------------
def fulfillment_view(shop, rec):
    from . import views

    items = [
        {
            "id": gid("FulfillmentLineItem", "%s%s" % (rec["id"], ln["id"])),
            "quantity": ln["quantity"],
            "lineItem": {"id": gid("LineItem", ln["id"])},
        }
        for ln in rec["line_items"]
    ]
    numbers = rec.get("tracking_numbers") or []
    urls = rec.get("tracking_urls") or []
    tracking = [
        {
            "company": rec.get("tracking_company"),
            "number": number,
            "url": urls[i] if i < len(urls) else None,
        }
        for i, number in enumerate(numbers)
    ]
    return {
        "_type": "Fulfillment",  # for the Node interface (node / nodes)
        "id": gid("Fulfillment", rec["id"]),
        "name": rec.get("name") or "#F%s" % rec["id"],
        "status": rec["status"].upper(),
        "createdAt": rec["created_at"],
        "updatedAt": rec.get("updated_at") or rec["created_at"],
        "totalQuantity": sum(ln["quantity"] for ln in rec["line_items"]),
        "location": views.LocationView(shop, shop.locations[rec["location_id"]]),
        "trackingInfo": lambda info, first=None: tracking[:first],
        "fulfillmentLineItems": views._sub_connection(items),
    }


def fulfillment_by_gid(shop, fulfillment_gid):
    """The root `fulfillment(id:)`: a fulfilment of any order of the shop, or None."""
    _order, rec = _find(shop, fulfillment_gid)
    return fulfillment_view(shop, rec) if rec else None


def fulfillment_order_view(shop, fo):
    from . import views

    order = shop.orders[fo["order_id"]]
    lines = [
        {
            "id": gid("FulfillmentOrderLineItem", fol["id"]),
            "remainingQuantity": fol["remaining"],
            "totalQuantity": fol["total"],
            "sku": _item(order, fol["line_id"])["sku"],
            "requiresShipping": True,
            "lineItem": views.LineItemView(
                shop, _item(order, fol["line_id"]), order["currency"]
            ),
        }
        for fol in fo["lines"]
    ]
    location = shop.locations[fo["location_id"]]
    return {
        "id": gid("FulfillmentOrder", fo["id"]),
        "TYPE": "FulfillmentOrder",
        "status": fo["status"],
        "requestStatus": "UNSUBMITTED",
        "orderId": gid("Order", fo["order_id"]),
        "createdAt": iso(fo["created_at"]),
        "updatedAt": iso(fo["updated_at"]),
        "assignedLocation": {
            "location": views.LocationView(shop, location),
            "name": location["name"],
            "countryCode": "BE",
        },
        "supportedActions": [
            {"action": a, "externalUrl": None} for a in supported_actions(fo)
        ],
        "fulfillmentHolds": [
            {
                "id": gid("FulfillmentHold", h["id"]),
                "reason": h["reason"],
                "reasonNotes": h.get("reasonNotes"),
                "displayReason": h["reason"].replace("_", " ").capitalize(),
                "handle": None,
                "heldByRequestingApp": False,
            }
            for h in fo["holds"]
        ],
        "lineItems": views._sub_connection(lines),
    }


def order_fulfillment_orders(shop, order, first, after):
    from . import views

    check_scope(shop)
    return views.connection(
        order_fos(shop, order["id"]),
        lambda r: [r["id"]],
        first,
        after,
        wrap=lambda r: fulfillment_order_view(shop, r),
    )


# -- GraphQL resolvers (graphql_api.Root delegates here) -----------------------------
def create_mutation(shop, fulfillment, message=None):
    check_scope(shop, write=True)
    rec, errors = create(shop, fulfillment, message)
    shop.log_mutation(
        "fulfillmentCreate",
        {"fulfillment": fulfillment, "message": message},
        None,
        {"fulfillment": rec and gid("Fulfillment", rec["id"]), "userErrors": errors},
    )
    return {
        "fulfillment": fulfillment_view(shop, rec) if rec else None,
        "userErrors": errors,
    }


def tracking_mutation(shop, fulfillment_gid, tracking, notify=None):
    check_scope(shop, write=True)
    rec, errors = update_tracking(shop, fulfillment_gid, tracking, notify)
    shop.log_mutation(
        "fulfillmentTrackingInfoUpdate",
        {"fulfillmentId": fulfillment_gid, "trackingInfoInput": tracking},
        None,
        {"userErrors": errors},
    )
    return {
        "fulfillment": fulfillment_view(shop, rec) if rec else None,
        "userErrors": errors,
    }


def cancel_mutation(shop, fulfillment_gid):
    check_scope(shop, write=True)
    rec, errors = cancel(shop, fulfillment_gid)
    shop.log_mutation(
        "fulfillmentCancel", {"id": fulfillment_gid}, None, {"userErrors": errors}
    )
    return {
        "fulfillment": fulfillment_view(shop, rec) if rec else None,
        "userErrors": errors,
    }
