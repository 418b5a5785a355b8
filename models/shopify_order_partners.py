"""Who a Shopify order is for: the customer partner and its address contacts.

Shopper data is untrusted: the customer is found by the store's customer binding,
then by email among customer partners only (never a user's or a company's partner),
else created; addresses become child contacts of that customer. A partner made here
gets no "Contact created" note (mail.thread's creation log, `NO_CREATION_NOTE`):
the customer binding and the order's import note say where it came from (issue 20.1:
one message fewer per new customer and per new address).
"""

from odoo import _, api, models

NO_CREATION_NOTE = {"mail_create_nolog": True}


class ShopifyOrderImporter(models.AbstractModel):
    _inherit = "shopify.order.importer"

    # ------------------------------------------------------------------ partners
    @api.model
    def _shopify_partners(self, store, order):
        """(customer, invoice address, delivery address) partners."""
        customer = self._shopify_customer(store, order)
        invoice = self._shopify_address(customer, order.billing_address, "invoice")
        delivery = self._shopify_address(customer, order.shipping_address, "delivery")
        return customer, invoice or customer, delivery or invoice or customer

    @api.model
    def _shopify_customer(self, store, order):
        """By Shopify customer id, then normalised email, else new; never by name."""
        Partner = self.env["res.partner"].sudo().with_context(**NO_CREATION_NOTE)
        Binding = self.env["shopify.customer.binding"].sudo()
        info = order.customer
        if info.is_guest:
            return self._shopify_guest_partner(store)
        if info.gid:
            binding = Binding.search(
                [("store_id", "=", store.id), ("customer_gid", "=", info.gid)], limit=1
            )
            if binding:
                return binding.partner_id
        partner = Partner
        if info.email:
            partner = self._shopify_customer_by_email(store, info.email)
        if not partner:
            address = order.billing_address or order.shipping_address
            partner = Partner.create(
                {
                    "name": info.name
                    or (address and address.name)
                    or _(
                        "Shopify customer %(customer)s", customer=info.legacy_id or ""
                    ),
                    "email": info.email or False,
                    "phone": info.phone or False,
                    "company_id": False,
                    **self._shopify_address_vals(address),
                }
            )
        if info.gid:
            Binding.create(
                {
                    "store_id": store.id,
                    "customer_gid": info.gid,
                    "partner_id": partner.id,
                }
            )
        return partner

    @api.model
    def _shopify_customer_by_email(self, store, email):
        """The oldest customer partner with this email, never an internal one.

        The email of a Shopify order is typed by the shopper, unverified: a user's
        partner (employee, portal) or a company's partner is never reused, or a
        stranger's order and addresses would land on it. The case is logged and a
        new partner is created instead."""
        Partner = self.env["res.partner"].sudo()
        candidates = Partner.search(
            [
                ("email_normalized", "=", email),
                ("parent_id", "=", False),
                ("company_id", "in", (store.company_id.id, False)),
            ],
            order="id",
        )
        if not candidates:
            return Partner
        users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", candidates.ids)])
        )
        companies = (
            self.env["res.company"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", candidates.ids)])
        )
        internal = users.partner_id | companies.partner_id
        customers = candidates - internal
        if internal and not customers:
            self.env["shopify.sync.log"]._log(
                store=store,
                direction="inbound",
                operation="order:customer",
                state="warning",
                message="A Shopify order's customer email is the one of an internal "
                "partner (a user's or a company's, id %s): it is not reused, a "
                "separate customer partner is created." % internal[:1].id,
            )
        return customers[:1]

    @api.model
    def _shopify_guest_partner(self, store):
        if not store.guest_partner_id:
            store.guest_partner_id = (
                self.env["res.partner"]
                .sudo()
                .create(
                    {
                        "name": _("Shopify guest (%(store)s)", store=store.name),
                        "company_id": store.company_id.id,
                    }
                )
            )
        return store.guest_partner_id

    @api.model
    def _shopify_country(self, code, province_code=None):
        """(res.country, res.country.state) of ISO codes, each read once per cursor:
        every order names them in its addresses and tax lines (reference data; the
        cursor's cache is for such repeatable reads)."""
        cache = self.env.cr.cache.setdefault("shopify_sync.country", {})
        key = (code or "", province_code or "")
        if key not in cache:
            country = self.env["res.country"].search([("code", "=", key[0])], limit=1)
            state = self.env["res.country.state"]
            if country and key[1]:
                state = state.search(
                    [("country_id", "=", country.id), ("code", "=", key[1])], limit=1
                )
            cache[key] = (country.id, state.id)
        country_id, state_id = cache[key]
        return (
            self.env["res.country"].browse(country_id),
            self.env["res.country.state"].browse(state_id),
        )

    @api.model
    def _shopify_address_vals(self, address):
        if not address:
            return {}
        country, state = self._shopify_country(
            address.country_code, address.province_code
        )
        return {
            "street": address.street or False,
            "street2": address.street2 or False,
            "zip": address.zip or False,
            "city": address.city or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
        }

    @api.model
    def _shopify_address(self, customer, address, kind):
        """A child partner of `customer` for this address (reused when identical)."""
        if not address:
            return self.env["res.partner"]
        vals = self._shopify_address_vals(address)
        vals.update(
            name=address.name or customer.name,
            phone=address.phone or False,
            type=kind,
            parent_id=customer.id,
        )
        domain = [(k, "=", v) for k, v in vals.items()]
        Partner = self.env["res.partner"].sudo()
        existing = Partner.search(domain, limit=1)
        return existing or Partner.with_context(**NO_CREATION_NOTE).create(vals)
