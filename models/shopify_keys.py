"""The one shape of an Odoo record keyed by a Shopify object, exactly once per
company: a payment by its transaction (account_payment.py), a credit note by its
refund and a fee entry by its transaction (account_move.py).

Field factories, not a mixin: an account.payment `_inherits` its account.move, so
the two models must keep fields of different names (a shared name would be
written on both records).
"""

from odoo import fields


def gid_field(string):
    """The Shopify gid a record is keyed by."""
    return fields.Char(string, index=True, readonly=True, copy=False)


def company_field():
    """The company the key is unique in (a gid is unique per shop, and a shop's
    store belongs to one company)."""
    return fields.Many2one("res.company", readonly=True, copy=False, index=True)


def order_field():
    """The sale order the keyed record belongs to (kept when the order goes)."""
    return fields.Many2one(
        "sale.order", readonly=True, copy=False, index=True, ondelete="set null"
    )


def unique_per_company(name, company, gid, message):
    """The `_sql_constraints` entry making `gid` unique per `company`."""
    return (name, "unique(%s, %s)" % (company, gid), message)
