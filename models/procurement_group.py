"""Odoo's stock rule search, once per distinct question within one procurement run
(issue 20.1).

`procurement.group.run` looks for the rule of every procurement on its own
(`_get_rule` -> `_search_rule`: a query per sale order line, walking up the
locations), although the lines of a confirmation ask the same few questions: the
answer depends only on the routes asked (the line's, its packaging's, its product's
and category's, the warehouse's), the warehouse, the location domain and who asks
(user, superuser, companies, active records). While the outermost `run` of a cursor
lasts, an answer is kept by exactly those (`_shopify_rule_key`) and reused; nothing
changes stock rules in the middle of a run, and the memo ends with the run (nested
runs, as a chain of make-to-order rules makes, share the outermost one's).
"""

from odoo import api, models

MEMO_KEY = "shopify_sync.rule_memo"


def _ids(records):
    return tuple(sorted(records.ids)) if records else ()


class ProcurementGroup(models.Model):
    _inherit = "procurement.group"

    @api.model
    def run(self, procurements, raise_user_error=True):
        cache = self.env.cr.cache
        if MEMO_KEY in cache:  # a nested run: the outermost one's memo
            return super().run(procurements, raise_user_error=raise_user_error)
        cache[MEMO_KEY] = {}
        try:
            return super().run(procurements, raise_user_error=raise_user_error)
        finally:
            cache.pop(MEMO_KEY, None)

    @api.model
    def _search_rule(self, route_ids, packaging_id, product_id, warehouse_id, domain):
        memo = self.env.cr.cache.get(MEMO_KEY)
        if memo is None:
            return super()._search_rule(
                route_ids, packaging_id, product_id, warehouse_id, domain
            )
        key = self._shopify_rule_key(
            route_ids, packaging_id, product_id, warehouse_id, domain
        )
        if key not in memo:
            memo[key] = (
                super()
                ._search_rule(route_ids, packaging_id, product_id, warehouse_id, domain)
                .ids
            )
        return self.env["stock.rule"].browse(memo[key])

    @api.model
    def _shopify_rule_key(
        self, route_ids, packaging_id, product_id, warehouse_id, domain
    ):
        """Everything Odoo's `_search_rule` answer depends on."""
        context = self.env.context
        return (
            self.env.uid,
            self.env.su,
            tuple(context.get("allowed_company_ids") or ()),
            context.get("active_test", True),
            _ids(route_ids),
            _ids(packaging_id),
            _ids(packaging_id.route_ids) if packaging_id else (),
            _ids(product_id.route_ids | product_id.categ_id.total_route_ids)
            if product_id
            else (),
            _ids(warehouse_id),
            repr(domain),
        )
