"""An order edit's shipping changes, applied to a confirmed sale order (issue 17.3).

Pure: no odoo. Shopify's words (official Admin schema, 2026-10):

- `orderEditAddShippingLine`: "Adds a custom shipping line ... Specify the shipping
  title and price"; `orderEditUpdateShippingLine` (`price`, `title`);
  `orderEditRemoveShippingLine`: "Removes a shipping line from an existing order".
- `Order.shippingLines(includeRemovals)`: "Whether results should contain removed
  shipping lines" (false by default): the current shipping lines are the listed ones.

The sale order's shipping lines (and their discount lines, `lib.order_content`) are
brought to the `ContentLine`s the import would make from Shopify's current version:
a line Shopify lists and Odoo lacks is added, one whose quantity, price or discount
differs is rewritten, and one Shopify no longer lists goes to quantity 0 (Odoo refuses
to delete a confirmed line). The plan compares states, not events, so applying the
same version twice (webhook, reconcile, redelivery) plans nothing: each edit changes
the order once.
"""

from dataclasses import dataclass
from decimal import Decimal

ALIGNED_KINDS = ("shipping", "shipping_discount")
PREFIXES = tuple("%s:" % kind for kind in ALIGNED_KINDS)


@dataclass(frozen=True)
class OdooContent:
    key: str  # sale.order.line.shopify_line_id
    quantity: Decimal
    price_unit: Decimal
    discount: Decimal


@dataclass(frozen=True)
class ContentAction:
    kind: str  # "add", "update" or "zero"
    key: str
    line: object = None  # the ContentLine to add or to update to (None: zero)


def aligned(key):
    """Whether a sale-order line of this `shopify_line_id` is aligned by edits."""
    return bool(key) and key.startswith(PREFIXES)


def _same(a, b, digits=6):
    q = Decimal(1).scaleb(-digits)
    return Decimal(str(a)).quantize(q) == Decimal(str(b)).quantize(q)


def plan(content, odoo):
    """Actions bringing `odoo` (`OdooContent` of the aligned lines) to `content` (the
    `ContentLine`s of Shopify's current version; other kinds are ignored)."""
    want = {}
    for line in content:
        if line.kind in ALIGNED_KINDS:
            want.setdefault(line.key, line)
    have = {}
    for line in odoo:
        if aligned(line.key):
            have.setdefault(line.key, line)
    actions = []
    for key in sorted(want):
        line, mine = want[key], have.get(key)
        if mine is None:
            actions.append(ContentAction("add", key, line))
        elif not (
            _same(mine.quantity, line.quantity)
            and _same(mine.price_unit, line.price_unit)
            and _same(mine.discount, line.discount)
        ):
            actions.append(ContentAction("update", key, line))
    for key in sorted(set(have) - set(want)):
        if not _same(have[key].quantity, 0):
            actions.append(ContentAction("zero", key))
    return actions
