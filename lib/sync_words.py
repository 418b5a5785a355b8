"""The merchant's sentence that opens every sync-log line (issue 19.3).

`sentence(operation, state, store, facts)` says in shop words what happened, and for
a warning or an error what to do; the log writes "<sentence> — <technical message>".
One entry per log operation (`ENTRIES`; "webhook:<topic>" falls back to "webhook:*"),
each answering every state. Facts are the numbers and names the call site already
logs (counts, SKU, location, order and sale order names): missing or malformed facts
give a vaguer sentence, never an exception. Values are flattened to one short line;
the log redacts the whole text afterwards, as before.
"""

STATES = ("success", "warning", "error")
SEPARATOR = " — "
MAX_VALUE_CHARS = 80

RETRIES = "Odoo retries by itself"
TOPICS = {
    "orders/create": "new order",
    "orders/updated": "order update",
    "orders/paid": "order payment",
    "orders/cancelled": "order cancellation",
    "refunds/create": "refund",
    "inventory_levels/update": "stock change",
    "products/update": "product update",
    "products/delete": "product deletion",
    "app/uninstalled": "app uninstall",
}


# ---------------------------------------------------------------------- helpers
def _int(facts, key):
    try:
        return int(facts.get(key) or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _text(facts, key, default=""):
    value = facts.get(key)
    if value is None or value is False:
        return default
    value = " ".join(str(value).split())
    if len(value) > MAX_VALUE_CHARS:
        value = value[: MAX_VALUE_CHARS - 1] + "…"
    return value or default


def _n(count, singular, plural=None):
    return "%d %s" % (count, singular if count == 1 else plural or singular + "s")


def _signed(count):
    return "+%d" % count if count >= 0 else "−%d" % -count


def _levels(facts):
    """ "SKU-1 at Main, SKU-2 at Depot" from facts["levels"] (a list of pairs)."""
    pairs = facts.get("levels")
    if not isinstance(pairs, (list, tuple)):
        return ""
    shown = []
    for pair in pairs[:5]:
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            item = {"sku": pair[0], "location": pair[1]}
            shown.append(
                "%s at %s" % (_text(item, "sku", "?"), _text(item, "location", "?"))
            )
    if len(pairs) > 5:
        shown.append("%d more" % (len(pairs) - 5))
    return " (%s)" % ", ".join(shown) if shown else ""


def _count_levels(facts):
    pairs = facts.get("levels")
    return len(pairs) if isinstance(pairs, (list, tuple)) else _int(facts, "count")


# ---------------------------------------------------------------------- stock
def _push(store, state, f):
    written = _int(f, "written")
    sent = "Sent %s to %s" % (_n(written, "new stock level"), store)
    if f.get("refused") is not None:
        return (
            "%s refused %s; %s, sending each one alone. If it keeps refusing, open "
            "Inventory Levels and check the product is stocked at that location"
            % (store, _n(_int(f, "refused"), "stock level"), RETRIES)
        )
    if state == "error":
        head = (
            "%s; then the push stopped" % sent
            if written
            else ("Could not send stock levels to %s" % store)
        )
        return "%s. %s; if it keeps failing, press Test Connection on the store" % (
            head,
            RETRIES,
        )
    if state == "warning":
        problems = []
        if _int(f, "errors"):
            problems.append("%s could not be sent" % _n(_int(f, "errors"), "level"))
        if _int(f, "needs_classification"):
            problems.append(
                "%s changed in Shopify and wait to be checked"
                % _n(_int(f, "needs_classification"), "level")
            )
        return "%s; %s. %s; open Inventory Levels if it persists" % (
            sent,
            " and ".join(problems) or "some levels need another try",
            RETRIES,
        )
    if not written and _int(f, "in_sync"):
        return "%s already shows Odoo's stock for %s; nothing to send" % (
            store,
            _n(_int(f, "in_sync"), "level"),
        )
    return sent if written else "Nothing new to send to %s" % store


def _stale(store, state, f):
    return (
        "%s: %s at %s changed in Shopify (available %s → %s) in a way orders do not "
        "explain; Odoo leaves it as is and checks what happened before its next push"
        % (
            store,
            _text(f, "sku", "a product"),
            _text(f, "location", "a location"),
            _text(f, "before", "?"),
            _text(f, "after", "?"),
        )
    )


def _classify(store, state, f):
    sku, where = _text(f, "sku", "a product"), _text(f, "location", "a location")
    edit, adjust = _int(f, "manual_edit"), _int(f, "adjust_odoo")
    if edit:
        said = "%s: someone set %s to %s at %s" % (
            store,
            sku,
            _text(f, "after", "a new quantity"),
            where,
        )
        if adjust:
            return "%s; Odoo adjusted its stock by %s" % (said, _signed(adjust))
        return (
            "%s; this store does not accept edits, so Odoo sent its own number "
            "back" % said
        )
    if _int(f, "other_states"):
        return (
            "%s: %s at %s moved between stock states in Shopify; Odoo sent its own "
            "number back" % (store, sku, where)
        )
    return "%s: orders changed %s at %s by %s; the order import accounts for them" % (
        store,
        sku,
        where,
        _signed(_int(f, "orders")),
    )


def _edit(store, state, f):
    where = _text(f, "location", "a location")
    return (
        "%s: someone removed %s of %s at %s, but Odoo had %s there; Odoo "
        "adjusted by %s. Count the stock at %s and correct it in Odoo"
        % (
            store,
            _n(_int(f, "removed"), "unit"),
            _text(f, "sku", "a product"),
            where,
            "only %s" % _text(f, "had") if _text(f, "had") else "less",
            _signed(_int(f, "applied")),
            where,
        )
    )


def _settle(store, state, f):
    levels = _n(_count_levels(f), "stock level")
    if f.get("reason") == "abandoned":
        return (
            "%s never confirmed an update of %s%s; Odoo reads them again and sends "
            "them again by itself" % (store, levels, _levels(f))
        )
    return (
        "%s: Odoo reads %s%s again before sending them, as Shopify applied an older "
        "plan; nothing to do" % (store, levels, _levels(f))
    )


def _quarantine(store, state, f):
    return (
        "%s: Odoo set %s%s aside after an unexpected error and retries them one by "
        "one, later. If this repeats, send the technical text to your Odoo support"
        % (store, _n(_count_levels(f), "stock level"), _levels(f))
    )


def _reconcile(store, state, f):
    text = "Checked %s of %s against Odoo: %s" % (
        _n(_int(f, "levels"), "stock level"),
        store,
        _n(_int(f, "corrections"), "correction"),
    )
    if _int(f, "edits_applied"):
        text += ", %s accepted (%s units)" % (
            _n(_int(f, "edits_applied"), "store edit"),
            _signed(_int(f, "units_adjusted")),
        )
    if state != "success":
        text += "; %s were busy and are checked at the next run, nothing to do" % (
            _n(_int(f, "busy"), "level")
        )
    return text


def _locations(store, state, f):
    if state == "error":
        return (
            "Could not read the locations of %s; press Test Connection, then "
            "Fetch Locations again" % store
        )
    text = "Read the locations of %s: %d new, %d updated, %d archived" % (
        store,
        _int(f, "created"),
        _int(f, "updated"),
        _int(f, "archived"),
    )
    if state == "warning":
        text += "; check the location mapping in the Guided Setup"
    return text


def _match(store, state, f):
    if state == "error":
        return (
            "Could not read the products of %s; press Test Connection, then Match "
            "Products by SKU again" % store
        )
    text = "Matched the products of %s to Odoo by SKU: %d matched, %d new" % (
        store,
        _int(f, "matched"),
        _int(f, "created"),
    )
    if state == "warning" or _int(f, "conflicts"):
        text += (
            "; %s used by several Odoo products left unmatched: give each product "
            "its own Internal Reference, then match again"
            % _n(_int(f, "conflicts"), "SKU")
        )
    return text


# ---------------------------------------------------------------------- store
def _test_connection(store, state, f):
    if state == "success":
        return "%s answers: the connection works" % store
    return (
        "Odoo could not connect to %s; check the shop address and the app's "
        "credentials in the Guided Setup, then press Test Connection" % store
    )


def _circuit(store, state, f):
    if state == "success":
        return "%s answers again: Odoo resumed its calls" % store
    until = _text(f, "until")
    return "%s is not answering: Odoo paused its calls%s and retries by itself" % (
        store,
        " until %s" % until if until else "",
    )


def _subscriptions(store, state, f):
    if state == "error":
        return (
            "Odoo could not check the webhooks of %s; orders still arrive by the "
            "periodic import. Press Test Connection, then Register Webhooks" % store
        )
    if state == "warning":
        return "Odoo repaired the webhook subscriptions of %s; nothing to do" % store
    return "The webhooks of %s are in place" % store


def _webhook_refused(store, state, f):
    if state == "success":
        return "%s sent a notification Odoo accepted" % store
    return (
        "Odoo refused a notification claiming to come from %s; nothing to do "
        "unless it repeats, then press Register Webhooks" % store
    )


def _webhook(store, state, f):
    topic = _text(f, "topic")
    what = TOPICS.get(topic, "%s notification" % (topic or "Shopify"))
    if state == "success":
        return "Processed a %s from %s" % (what, store)
    if state == "warning":
        return (
            "Odoo ignored a %s from %s (a repeat or an older version); nothing "
            "to do" % (what, store)
        )
    attempts = _int(f, "attempts")
    return (
        "Odoo could not process a %s from %s%s; open Webhook Events, fix the cause "
        "below and press Retry"
        % (what, store, " after %s" % _n(attempts, "attempt") if attempts else "")
    )


def _uninstalled(store, state, f):
    return (
        "The app was uninstalled from %s in Shopify: Odoo disconnected the store and "
        "stopped syncing it. Install the app again and run the Guided Setup to "
        "resume" % store
    )


# ---------------------------------------------------------------------- orders
def _import(store, state, f):
    order, so = _text(f, "order"), _text(f, "sale_order")
    text = "Imported %s from %s%s" % (
        "order %s" % order if order else "an order",
        store,
        " as %s" % so if so else "",
    )
    if state == "success":
        return text
    return (
        "%s, but it needs attention: open it, fix what is named below and "
        "confirm it" % text
    )


def _reconcile_orders(store, state, f):
    if _text(f, "order"):
        return (
            "Could not import order %s from %s; Odoo tries again at the next run. If "
            "it keeps failing, the reason is below" % (_text(f, "order"), store)
        )
    text = (
        "Checked %s for new or changed orders: %d imported or updated, %d "
        "unchanged" % (store, _int(f, "imported"), _int(f, "unchanged"))
    )
    if _int(f, "busy"):
        text += ", %d being imported by a webhook" % _int(f, "busy")
    if state != "success":
        text += "; %s could not be imported, Odoo tries again at the next run" % (
            _n(_int(f, "errors"), "order")
        )
    return text


def _customer(store, state, f):
    return (
        "%s: an order's customer email belongs to an internal contact (a user or a "
        "company), so Odoo created a separate customer; nothing to do unless the "
        "email is wrong" % store
    )


def _fulfillment(store, state, f, tracking=False):
    picking = _text(f, "picking", "a delivery")
    order = _text(f, "order")
    of = "%s%s" % (picking, " (order %s)" % order if order else "")
    news = "the tracking number of %s" % of if tracking else "the shipment of %s" % of
    if state == "success":
        return "Told %s about %s" % (store, news)
    if state == "warning":
        return "Could not tell %s about %s yet; %s" % (store, news, RETRIES)
    return (
        "%s did not accept %s; open Fulfilments, fix the cause below and press Retry"
        % (store, news)
    )


ENTRIES = {
    "circuit": _circuit,
    "fulfillment:create": _fulfillment,
    "fulfillment:tracking": lambda s, st, f: _fulfillment(s, st, f, tracking=True),
    "inventory:classify": _classify,
    "inventory:edit": _edit,
    "inventory:push": _push,
    "inventory:quarantine": _quarantine,
    "inventory:reconcile": _reconcile,
    "inventory:settle": _settle,
    "inventory:stale": _stale,
    "locations:fetch": _locations,
    "order:customer": _customer,
    "order:import": _import,
    "order:reconcile": _reconcile_orders,
    "products:match": _match,
    "test_connection": _test_connection,
    "webhook": _webhook_refused,
    "webhook:*": _webhook,
    "webhook:app/uninstalled": _uninstalled,
    "webhook_subscriptions": _subscriptions,
}


def entry_for(operation):
    """The entry answering `operation`, or None."""
    operation = operation or ""
    if operation in ENTRIES:
        return ENTRIES[operation]
    if operation.startswith("webhook:"):
        return ENTRIES["webhook:*"]
    return None


def sentence(operation, state, store, facts=None):
    """The merchant's sentence for one log line; "" for an operation without one."""
    entry = entry_for(operation)
    if entry is None:
        return ""
    facts = dict(facts) if isinstance(facts, dict) else {}
    if operation.startswith("webhook:") and not facts.get("topic"):
        facts["topic"] = operation[len("webhook:") :]
    name = _text({"store": store}, "store")
    text = entry(name or "the store", state if state in STATES else "error", facts)
    text = text.strip()
    if not (name and text.startswith(name)):
        text = text[:1].upper() + text[1:]
    return text


def compose(words, message):
    """ "<sentence> — <technical message>", or either alone."""
    words, message = (words or "").strip(), (message or "").strip()
    if words and message:
        return words + SEPARATOR + message
    return words or message
