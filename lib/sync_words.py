"""The merchant's sentence that opens every sync-log line (issue 19.3).

`sentence(operation, state, store, facts)` says in shop words what happened, and for
a warning or an error what to do; the log writes "<sentence> — <technical message>".
One entry per log operation (`ENTRIES`; "webhook:<topic>" falls back to "webhook:*"),
each answering every state. Facts are the numbers and names the call site already
logs (counts, SKU, location, order and sale order names): missing or malformed facts
give a vaguer sentence, never an exception. Values are flattened to one short line
(`sync_words_format.py`); the log redacts the sentence and the message afterwards, as
before. Stock operations' entries live in `sync_words_stock.py`.
"""

from . import sync_words_stock as stock
from .sync_words_format import RETRIES, fact_text, number, plural

STATES = ("success", "warning", "error")
SEPARATOR = " — "

TOPICS = {
    "orders/create": "new order",
    "orders/updated": "order update",
    "orders/paid": "order payment",
    "orders/cancelled": "order cancellation",
    "orders/edited": "order edit",
    "orders/risk_assessment_changed": "fraud risk verdict",
    "refunds/create": "refund",
    "inventory_levels/update": "stock change",
    "products/update": "product update",
    "products/delete": "product deletion",
    "app/uninstalled": "app uninstall",
}


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
    until = fact_text(f, "until")
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
        return (
            "Odoo registered or corrected the webhook subscriptions of %s; nothing "
            "to do" % store
        )
    return "The webhooks of %s are in place" % store


def _webhook_refused(store, state, f):
    if state == "success":
        return "%s sent a notification Odoo accepted" % store
    return (
        "Odoo refused a notification claiming to come from %s; nothing to do "
        "unless it repeats, then press Register Webhooks" % store
    )


def _webhook(store, state, f):
    topic = fact_text(f, "topic")
    what = TOPICS.get(topic, "%s notification" % (topic or "Shopify"))
    if state == "success":
        return "Processed a %s from %s" % (what, store)
    if state == "warning":
        return "Odoo ignored a %s from %s (reason below); nothing to do" % (what, store)
    attempts = number(f, "attempts")
    return (
        "Odoo could not process a %s from %s%s; open Webhook Events, fix the cause "
        "below and press Retry"
        % (what, store, " after %s" % plural(attempts, "attempt") if attempts else "")
    )


def _uninstalled(store, state, f):
    return (
        "The app was uninstalled from %s in Shopify: Odoo disconnected the store and "
        "stopped syncing it. Install the app again and run the Guided Setup to "
        "resume" % store
    )


# ---------------------------------------------------------------------- orders
def _order(f):
    """ "order #1001" when the facts name the order, else "an order"."""
    order = fact_text(f, "order")
    return "order %s" % order if order else "an order"


def _registered(what, which, store, f):
    """The sentence of a payment or refund registered in a journal."""
    gateway, journal = fact_text(f, "gateway"), fact_text(f, "journal")
    return "Registered %s for %s from %s%s%s" % (
        what,
        which,
        store,
        " through %s" % gateway if gateway else "",
        " in %s" % journal if journal else "",
    )


def _import(store, state, f):
    so = fact_text(f, "sale_order")
    text = "Imported %s from %s%s" % (
        _order(f),
        store,
        " as %s" % so if so else "",
    )
    if state == "success":
        return text
    return (
        "%s, but it needs attention: open it, fix what is named below and "
        "confirm it" % text
    )


def _edit(store, state, f):
    so = fact_text(f, "sale_order")
    text = "Applied an edit of %s made in %s%s" % (
        _order(f),
        store,
        " to %s" % so if so else "",
    )
    if state == "success":
        return text
    return (
        "%s, but it removed goods Odoo already delivered: open the order, return "
        "them or correct it" % text
    )


def _risk(store, state, f):
    what, so = _order(f), fact_text(f, "sale_order")
    if state == "success":
        return (
            "%s no longer rates %s high risk: Odoo released the hold and confirms "
            "it when the store's policy allows" % (store, what)
        )
    return (
        "%s rates %s high risk: Odoo keeps %s a quotation holding its units; "
        "check it and confirm or cancel it" % (store, what, so or "it")
    )


def _reconcile_orders(store, state, f):
    if fact_text(f, "order"):
        return (
            "Could not import order %s from %s; Odoo tries again at the next run. If "
            "it keeps failing, the reason is below" % (fact_text(f, "order"), store)
        )
    text = (
        "Checked %s for new or changed orders: %d imported or updated, %d "
        "unchanged" % (store, number(f, "imported"), number(f, "unchanged"))
    )
    if number(f, "busy"):
        text += ", %d being imported by a webhook" % number(f, "busy")
    if state != "success":
        text += "; %s could not be imported, Odoo tries again at the next run" % (
            plural(number(f, "errors"), "order")
        )
    return text


def _invoice(store, state, f):
    which = _order(f)
    if state != "success":
        return (
            "%s: %s needs attention before it is invoiced: open it, fix what is "
            "named below and press Retry import" % (store, which)
        )
    if f.get("invoiced") is False:
        return "%s: %s is not invoiced yet (its invoice policy says when)" % (
            store,
            which,
        )
    invoice, amount = fact_text(f, "invoice"), fact_text(f, "amount")
    return "Invoiced %s from %s%s%s" % (
        which,
        store,
        " as %s" % invoice if invoice else "",
        " (%s)" % amount if amount else "",
    )


def _payment(store, state, f):
    which = _order(f)
    if state != "success":
        return (
            "%s: a payment of %s was not registered: give its payment gateway a "
            "journal (store › Accounting), then press Retry import" % (store, which)
        )
    amount = fact_text(f, "amount")
    return _registered("%s paid" % (amount or "a payment"), which, store, f)


def _refund(store, state, f):
    which = _order(f)
    amount = fact_text(f, "amount")
    if state != "success":
        return (
            "%s: a refund of %s needs attention before it is in the books: open the "
            "order, check the credit note or gateway named below, then press Retry "
            "import" % (store, which)
        )
    if f.get("waiting"):
        return (
            "%s: a refund of %s waits for the order's posted invoice; it is credited "
            "once the invoice exists" % (store, which)
        )
    if f.get("payment"):
        return _registered("%s refunded" % (amount or "a refund"), which, store, f)
    note = fact_text(f, "credit_note")
    return "Credited %s from %s%s%s" % (
        which,
        store,
        " with %s" % note if note else "",
        " (%s)" % amount if amount else "",
    )


def _fee(store, state, f):
    which = _order(f)
    if state != "success":
        return (
            "%s: a payment fee of %s was not booked: book it by hand (reason below)"
            % (store, which)
        )
    amount, account = fact_text(f, "amount"), fact_text(f, "account")
    return "Booked the %s fee of a payment of %s from %s%s" % (
        amount or "gateway",
        which,
        store,
        " to %s" % account if account else "",
    )


def _customer(store, state, f):
    return (
        "%s: an order's customer email belongs to an internal contact (a user or a "
        "company), so Odoo created a separate customer; nothing to do unless the "
        "email is wrong" % store
    )


def _fulfillment(store, state, f, tracking=False):
    picking = fact_text(f, "picking", "a delivery")
    order = fact_text(f, "order")
    of = "%s%s" % (picking, " (order %s)" % order if order else "")
    news = "the tracking number of %s" % of if tracking else "the shipment of %s" % of
    if f.get("skipped"):
        return (
            "Nothing of %s to tell %s: no shipped Shopify line left; nothing to "
            "do" % (of, store)
        )
    if state == "success":
        return "%s has %s" % (store, news)
    if state == "warning" and f.get("retry"):
        return "Could not tell %s about %s yet; %s" % (store, news, RETRIES)
    if state == "warning":
        return "%s keeps its own version of %s (see below); nothing to do" % (
            store,
            news,
        )
    if f.get("retry"):
        return (
            "%s still does not accept %s; %s, open Fulfilments to check the cause "
            "below" % (store, news, RETRIES)
        )
    return (
        "%s did not accept %s; open Fulfilments, fix the cause below and press Retry"
        % (store, news)
    )


ENTRIES = {
    "circuit": _circuit,
    "fulfillment:create": _fulfillment,
    "fulfillment:tracking": lambda s, st, f: _fulfillment(s, st, f, tracking=True),
    "inventory:classify": stock.classify,
    "inventory:edit": stock.edit,
    "inventory:push": stock.push,
    "inventory:quarantine": stock.quarantine,
    "inventory:reconcile": stock.reconcile,
    "inventory:settle": stock.settle,
    "inventory:stale": stock.stale,
    "locations:fetch": stock.locations,
    "order:customer": _customer,
    "order:edit": _edit,
    "order:import": _import,
    "order:invoice": _invoice,
    "order:payment": _payment,
    "order:refund": _refund,
    "order:fee": _fee,
    "order:reconcile": _reconcile_orders,
    "order:risk": _risk,
    "products:match": stock.match,
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
    name = fact_text({"store": store}, "store")
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
