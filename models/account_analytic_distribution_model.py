"""Analytic distribution models, looked for only when there are any (issue 20.1).

Odoo computes every sale order line's analytic distribution by searching the
distribution models matching the line's product, category, partner and company
(`_get_distribution`): one query per line, six per imported 5-line order with its
shipping line, although most databases have no distribution model at all. Whether
any exists is kept in the registry's cache (cleared when one is created or deleted,
and after that commit, and so, through Odoo's cache signalling, in every worker and
server at its next request or job, as Odoo's own caches are): without any,
Odoo's search could only find nothing, and the result is the same empty
distribution; with one or more, Odoo's own search runs unchanged.
"""

from odoo import api, models, tools


class AccountAnalyticDistributionModel(models.Model):
    _inherit = "account.analytic.distribution.model"

    @api.model
    def _get_distribution(self, vals):
        if not self._shopify_any_distribution_model():
            return {}
        return super()._get_distribution(vals)

    @api.model
    @tools.ormcache()
    def _shopify_any_distribution_model(self):
        Model = self.sudo().with_context(active_test=False)
        return bool(Model.search_count([], limit=1))

    @api.model_create_multi
    def create(self, vals_list):
        self._shopify_forget_any()
        return super().create(vals_list)

    def unlink(self):
        self._shopify_forget_any()
        return super().unlink()

    def _shopify_forget_any(self):
        # Now for this transaction, and again once committed: a thread of this
        # process may have cached the answer from a snapshot without the change.
        self.env.registry.clear_cache()
        self.env.cr.postcommit.add(self.env.registry.clear_cache)
