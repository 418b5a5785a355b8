"""The sync log's merchant sentences for stock operations (pushes, store edits,
settling, reconcile, locations, product matching); see `lib/sync_words.py`."""

from .sync_words_format import (
    RETRIES,
    fact_text,
    level_count,
    levels_text,
    number,
    plural,
    signed,
)


def push(store, state, f):
    written = number(f, "written")
    sent = "Sent %s to %s" % (plural(written, "new stock level"), store)
    if f.get("refused") is not None:
        return (
            "%s refused %s; %s, sending each one alone. If it keeps refusing, open "
            "Inventory Levels and check the product is stocked at that location"
            % (store, plural(number(f, "refused"), "stock level"), RETRIES)
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
        if number(f, "errors"):
            problems.append(
                "%s could not be sent" % plural(number(f, "errors"), "level")
            )
        if number(f, "needs_classification"):
            problems.append(
                "%s changed in Shopify and wait to be checked"
                % plural(number(f, "needs_classification"), "level")
            )
        return "%s; %s. %s; open Inventory Levels if it persists" % (
            sent,
            " and ".join(problems) or "some levels need another try",
            RETRIES,
        )
    if not written and number(f, "in_sync"):
        return "%s already shows Odoo's stock for %s; nothing to send" % (
            store,
            plural(number(f, "in_sync"), "level"),
        )
    return sent if written else "Nothing new to send to %s" % store


def stale(store, state, f):
    return (
        "%s: %s at %s changed in Shopify (available %s → %s) in a way orders do not "
        "explain; Odoo leaves it as is and checks what happened before its next push"
        % (
            store,
            fact_text(f, "sku", "a product"),
            fact_text(f, "location", "a location"),
            fact_text(f, "before", "?"),
            fact_text(f, "after", "?"),
        )
    )


def classify(store, state, f):
    sku = fact_text(f, "sku", "a product")
    where = fact_text(f, "location", "a location")
    edit, adjust = number(f, "manual_edit"), number(f, "adjust_odoo")
    if edit:
        said = "%s: someone set %s to %s at %s" % (
            store,
            sku,
            fact_text(f, "after", "a new quantity"),
            where,
        )
        if adjust:
            return "%s; Odoo adjusted its stock by %s" % (said, signed(adjust))
        return (
            "%s; this store does not accept edits, so Odoo sent its own number "
            "back" % said
        )
    if number(f, "other_states"):
        return (
            "%s: %s at %s moved between stock states in Shopify; Odoo sent its own "
            "number back" % (store, sku, where)
        )
    return "%s: orders changed %s at %s by %s; the order import accounts for them" % (
        store,
        sku,
        where,
        signed(number(f, "orders")),
    )


def edit(store, state, f):
    where = fact_text(f, "location", "a location")
    return (
        "%s: someone removed %s of %s at %s, but Odoo had %s there; Odoo "
        "adjusted by %s. Count the stock at %s and correct it in Odoo"
        % (
            store,
            plural(number(f, "removed"), "unit"),
            fact_text(f, "sku", "a product"),
            where,
            "only %s" % fact_text(f, "had") if fact_text(f, "had") else "less",
            signed(number(f, "applied")),
            where,
        )
    )


def settle(store, state, f):
    levels = plural(level_count(f), "stock level")
    if f.get("reason") == "abandoned":
        return (
            "%s never confirmed an update of %s%s; Odoo reads them again and sends "
            "them again by itself" % (store, levels, levels_text(f))
        )
    return (
        "%s: Odoo reads %s%s again before sending them, as Shopify applied an older "
        "plan; nothing to do" % (store, levels, levels_text(f))
    )


def quarantine(store, state, f):
    return (
        "%s: Odoo set %s%s aside after an unexpected error and retries them one by "
        "one, later. If this repeats, send the technical text to your Odoo support"
        % (store, plural(level_count(f), "stock level"), levels_text(f))
    )


def reconcile(store, state, f):
    text = "Checked %s of %s against Odoo: %s" % (
        plural(number(f, "levels"), "stock level"),
        store,
        plural(number(f, "corrections"), "correction"),
    )
    if number(f, "edits_applied"):
        text += ", %s accepted (%s units)" % (
            plural(number(f, "edits_applied"), "store edit"),
            signed(number(f, "units_adjusted")),
        )
    if state != "success":
        text += "; %s were busy and are checked at the next run, nothing to do" % (
            plural(number(f, "busy"), "level")
        )
    return text


def locations(store, state, f):
    if state == "error":
        return (
            "Could not read the locations of %s; press Test Connection, then "
            "Fetch Locations again" % store
        )
    text = "Read the locations of %s: %d new, %d updated, %d archived" % (
        store,
        number(f, "created"),
        number(f, "updated"),
        number(f, "archived"),
    )
    if state == "warning":
        text += "; check the location mapping in the Guided Setup"
    return text


def match(store, state, f):
    if state == "error":
        return (
            "Could not read the products of %s; press Test Connection, then Match "
            "Products by SKU again" % store
        )
    text = "Matched the products of %s to Odoo by SKU: %d matched, %d new" % (
        store,
        number(f, "matched"),
        number(f, "created"),
    )
    if state == "warning" or number(f, "conflicts"):
        text += (
            "; %s used by several Odoo products left unmatched: give each product "
            "its own Internal Reference, then match again"
            % plural(number(f, "conflicts"), "SKU")
        )
    return text
