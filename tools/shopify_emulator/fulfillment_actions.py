"""Fulfilments created, tracked and cancelled: by staff in the admin (`staff_fulfil`)
and by the app's mutations (fulfillmentCreate, fulfillmentTrackingInfoUpdate,
fulfillmentCancel), as the 2026-10 schema describes them (each rule cites the sentence
it comes from)."""

from .fulfillment import (
    check_scope,
    find,
    line_item,
    new_fo,
    order_fos,
    settle_status,
    state,
    supported_actions,
    tracked,
)
from .fulfillment_views import fulfillment_view
from .ids import gid, now, parse_gid

# FulfillmentOrderLineItemsInput.fulfillmentOrderLineItems: "Accepts a maximum of 512
# line items."
MAX_LINE_ITEMS = 512


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
                item = line_item(order, fol["line_id"])
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
    fos = state(shop)
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
        item = line_item(order, fol["line_id"])
        item["fulfilled"] += qty
        lines[item["id"]] = lines.get(item["id"], 0) + qty
        links.append((fo["id"], fol["id"], item["id"], qty))
        if tracked(shop, item):
            # stock-truth: "Fulfilling moves `committed` out of `on_hand`"
            shop._move(item["item_id"], location_id, committed=-qty)
            touched.add((item["item_id"], location_id))
    for fo in chosen.values():
        settle_status(fo)
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
            {"id": line_id, "quantity": qty, "sku": line_item(order, line_id)["sku"]}
            for line_id, qty in lines.items()
        ],
        **_tracking_fields(fulfillment.get("trackingInfo")),
    }
    if message:
        rec["message"] = message
    order["fulfillments"].append(rec)
    shop.fulfillment_links[fid] = links
    return _announce(shop, order, "fulfillments/create", rec, touched)


def _announce(shop, order, topic, rec, touched):
    """The webhooks of a fulfilment that moved stock: its own, orders/updated, then
    inventory_levels/update of each level touched. -> (rec, no userErrors)."""
    shop._touch(order)
    shop.emit(topic, rec)
    shop.emit("orders/updated", shop.order_payload(order["id"]))
    for key in sorted(touched):
        shop.emit_level(*key)
    return rec, []


def update_tracking(shop, fulfillment_gid, tracking, notify=None):
    """fulfillmentTrackingInfoUpdate: "Updates tracking information for a
    fulfillment, including the carrier name, tracking numbers, and tracking URLs."."""
    order, rec = find(shop, fulfillment_gid)
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
    order, rec = find(shop, fulfillment_gid)
    if rec is None:
        return None, [_err("Fulfillment does not exist.", "id")]
    if rec["status"] == "cancelled":
        return None, [_err("Fulfillment is already cancelled.", "id")]
    fos = state(shop)
    reopened, touched = {}, set()
    for fo_id, fol_id, line_id, qty in shop.fulfillment_links.get(rec["id"], []):
        fo = fos[fo_id]
        item = line_item(order, line_id)
        item["fulfilled"] -= qty
        if tracked(shop, item):
            shop._move(item["item_id"], rec["location_id"], committed=qty)
            touched.add((item["item_id"], rec["location_id"]))
        if fo["status"] == "CLOSED":
            reopened.setdefault(fo["location_id"], []).append((line_id, qty))
        else:
            fol = next(f for f in fo["lines"] if f["id"] == fol_id)
            fol["remaining"] += qty
            fo["updated_at"] = now()
    for location_id, lines in sorted(reopened.items()):
        new_fo(shop, order, location_id, lines)
    rec.update(status="cancelled", updated_at=shop.rest_time(now()))
    return _announce(shop, order, "fulfillments/update", rec, touched)


# -- GraphQL resolvers (graphql_api.Root delegates here) -----------------------------
def _answer(shop, name, variables, rec, errors, logged=None):
    """Log the mutation, answer its payload: the fulfilment's view and userErrors."""
    shop.log_mutation(name, variables, None, dict(logged or {}, userErrors=errors))
    return {
        "fulfillment": fulfillment_view(shop, rec) if rec else None,
        "userErrors": errors,
    }


def create_mutation(shop, fulfillment, message=None):
    check_scope(shop, write=True)
    rec, errors = create(shop, fulfillment, message)
    return _answer(
        shop,
        "fulfillmentCreate",
        {"fulfillment": fulfillment, "message": message},
        rec,
        errors,
        {"fulfillment": rec and gid("Fulfillment", rec["id"])},
    )


def tracking_mutation(shop, fulfillment_gid, tracking, notify=None):
    check_scope(shop, write=True)
    rec, errors = update_tracking(shop, fulfillment_gid, tracking, notify)
    return _answer(
        shop,
        "fulfillmentTrackingInfoUpdate",
        {"fulfillmentId": fulfillment_gid, "trackingInfoInput": tracking},
        rec,
        errors,
    )


def cancel_mutation(shop, fulfillment_gid):
    check_scope(shop, write=True)
    rec, errors = cancel(shop, fulfillment_gid)
    return _answer(shop, "fulfillmentCancel", {"id": fulfillment_gid}, rec, errors)
