"""Which Odoo partner a Shopify customer of a given store is.

A person can be a customer of several stores, each with its own customer id, so the
id cannot live in one field on res.partner: one binding per (store, customer GID).
"""

from odoo import fields, models


class ShopifyCustomerBinding(models.Model):
    _name = "shopify.customer.binding"
    _description = "Shopify Customer Binding"
    _rec_name = "customer_gid"

    store_id = fields.Many2one(
        "shopify.store", required=True, index=True, ondelete="cascade"
    )
    customer_gid = fields.Char(string="Customer GID", required=True)
    partner_id = fields.Many2one(
        "res.partner", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="store_id.company_id", store=True)

    _sql_constraints = [
        (
            "store_customer_unique",
            "UNIQUE(store_id, customer_gid)",
            "A Shopify customer is bound to one partner per store.",
        ),
    ]
