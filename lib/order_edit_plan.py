"""Orders edited in Shopify after the sale order was confirmed (issue 17.3).

Pure: no odoo. Shopify's words (official Admin schema, 2026-10):

- `LineItem.quantity`: "The number of units ordered, including refunded and removed
  units."
- `LineItem.currentQuantity`: "The number of units ordered, excluding refunded and
  removed units." (REST `current_quantity`: the quantity "after removals",
  changelog "Addition of LineItem current_quantity on Admin REST API".)
- `orderEditSetQuantity`: "Setting the quantity to zero effectively removes the line
  item from the order. The item still exists as a data structure with zero quantity."
- `orderEditCommit`: "You can only edit unfulfilled line items."

So what an edit left of a line is `currentQuantity + refunded units`: refunds are
applied to the sale order on their own (`_shopify_apply_refunds`) and must not be
counted again here. The sale order line keeps the edited quantity it was last aligned
to (its *baseline*); an edit moves the line by `edited - baseline`, which makes
applying the same Shopify version twice (webhook and reconcile, a redelivery) a no-op
and lets versions be applied in any number of steps. A line Odoo already delivered
cannot shrink below what it delivered: it shrinks to that and needs attention.
"""

from dataclasses import dataclass

KINDS = ("add", "increase", "decrease", "remove", "attention")


@dataclass(frozen=True)
class ShopifyLine:
    key: str  # the legacy line id, as sale.order.line.shopify_line_id stores it
    quantity: int  # Shopify's `quantity` (ordered, removed and refunded included)
    edited: int  # what the edits left: currentQuantity + refunded


@dataclass(frozen=True)
class OdooLine:
    key: str
    ordered: float  # product_uom_qty
    delivered: float  # qty_delivered
    baseline: int | None  # the edited quantity last applied; None: never recorded


@dataclass(frozen=True)
class Action:
    kind: str  # one of KINDS
    key: str
    quantity: float  # the line's new product_uom_qty (add: the new line's quantity)
    edited: int  # the new baseline
    short: float = 0  # units Shopify removed that Odoo had already delivered


def edited_quantity(line, refunded=0):
    """What the order edits left of one parsed `OrderLine`: Shopify's current quantity
    plus its refunded units (bounded by the ordered quantity, never negative)."""
    if line.current_quantity is None:
        return max(int(line.quantity), 0)
    value = int(line.current_quantity) + int(refunded or 0)
    return max(min(value, int(line.quantity)), 0)


def shopify_lines(order):
    """`ShopifyLine`s of a parsed `Order` (lines without a legacy id are skipped:
    nothing in Odoo refers to them)."""
    refunded = order.refunded_quantities()
    out = []
    for line in order.lines:
        if line.line_id is None:
            continue
        out.append(
            ShopifyLine(
                key=str(line.line_id),
                quantity=int(line.quantity),
                edited=edited_quantity(line, refunded.get(line.line_id, 0)),
            )
        )
    return out


def plan(shopify, odoo):
    """Actions that bring the Odoo lines to Shopify's edited quantities.

    `shopify`: iterable of `ShopifyLine`; `odoo`: iterable of `OdooLine` (lines of
    the sale order with a Shopify line id). Odoo lines Shopify does not list
    (shipping, a line of another version) are left alone; a Shopify line Odoo does
    not have is added when the edit left units on it. A line without a recorded
    baseline (imported before edits were tracked) was imported with Shopify's
    `quantity`.
    """
    by_key = {}
    for line in odoo:
        by_key.setdefault(line.key, line)
    actions = []
    for line in sorted(shopify, key=lambda s: s.key):
        mine = by_key.get(line.key)
        if mine is None:
            if line.edited > 0:
                actions.append(Action("add", line.key, line.edited, line.edited))
            continue
        baseline = mine.baseline if mine.baseline is not None else line.quantity
        delta = line.edited - baseline
        if delta == 0:
            continue
        target = mine.ordered + delta
        floor = max(mine.delivered, 0)
        if target < floor:
            actions.append(
                Action("attention", line.key, floor, line.edited, short=floor - target)
            )
        elif target <= 0:
            actions.append(Action("remove", line.key, 0, line.edited))
        elif delta > 0:
            actions.append(Action("increase", line.key, target, line.edited))
        else:
            actions.append(Action("decrease", line.key, target, line.edited))
    return actions
