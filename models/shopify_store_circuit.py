"""Per-store circuit breaker around every Admin API call, and bounded clients.

`_shopify_client()` is the one client factory; this layer gives each client:

- a breaker hook (`StoreCircuit`): before a call it asks `lib/circuit.before()` with
  the store's state (kept on `shopify.store.health`); an open breaker refuses at once
  with `ShopifyCircuitOpen` (nothing sent; the caller backs off until the next
  probe), half-open lets exactly one probe through (compare-and-set on
  `circuit_open_until`). Each outcome updates the state on a side cursor (its own
  short transaction), so a rolled-back handler still counts its failure;
- default options from the context `shopify_client_defaults` (explicit arguments
  win): the webhook cron asks for a zero retry budget and short timeouts, buttons
  for short timeouts and a few seconds of retries.

Webhooks are still accepted and stored while a breaker is open (the controller makes
no API call); the work waiting on the store resumes by itself once a probe succeeds.
Test Connection always calls (context `shopify_circuit_force`): it is the merchant's
own probe, and its success closes the breaker.
"""

import logging
import time
from datetime import datetime, timezone

import psycopg2

from odoo import SUPERUSER_ID, _, api, fields, models

from ..lib import circuit
from ..lib.errors import (
    ShopifyCircuitOpen,
    ShopifyRateLimited,
)
from ..lib.params import number
from .odoo_platform import side_cursor, side_memo, side_replay

_logger = logging.getLogger(__name__)

POLICY_PARAMS = {
    "threshold": "shopify_sync.circuit_threshold",
    "base": "shopify_sync.circuit_base_seconds",
    "cap": "shopify_sync.circuit_max_seconds",
    "probe_lease": "shopify_sync.circuit_probe_seconds",
}
COLUMNS = ("circuit_failures", "circuit_openings", "circuit_open_until")
REPLAY_KEY = "shopify_sync.circuit_replay"


def _epoch(dt):
    return dt.replace(tzinfo=timezone.utc).timestamp() if dt else None


def _naive(ts):
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).replace(tzinfo=None)


def _state(row):
    if not row:
        return circuit.CLOSED
    return circuit.State(
        failures=row[0] or 0, openings=row[1] or 0, open_until=_epoch(row[2])
    )


class StoreCircuit:
    """The client's breaker hook for one store (see the module docstring)."""

    def __init__(self, store, force=False):
        self.env = store.env
        self.store = store
        self.force = force
        self.policy = store._shopify_circuit_policy()
        self.env["shopify.store.health"].flush_model()
        mine = self._read(self.env.cr)
        # Also the committed state: a breaker another worker (or this transaction's
        # own side cursor, for an earlier event of the same run) opened after the
        # caller's snapshot was taken must be seen, or every event of the run calls
        # again and opens it again, longer each time. The later opening wins.
        stored_until = self._stored_until
        with side_cursor(self.env) as cr:
            committed = self._read(cr)
        if (mine.open_until or 0) > (committed.open_until or 0):
            self.state, self._stored_until = mine, stored_until
        else:
            self.state = committed

    def _read(self, cr, lock=False):
        cr.execute(
            "SELECT circuit_failures, circuit_openings, circuit_open_until "
            "FROM shopify_store_health WHERE store_id = %s"
            + (" FOR UPDATE" if lock else ""),
            [self.store.id],
        )
        row = cr.fetchone()
        self._stored_until = row[2] if row else None  # exact value for the CAS
        return _state(row)

    def before(self, op):
        if self.force:
            return
        verdict, new, wait = circuit.before(self.state, time.time(), self.policy)
        if verdict == circuit.ALLOW:
            return
        if verdict == circuit.PROBE and self._claim_probe(new):
            _logger.info("Shopify store %s: probing with %s", self.store.id, op)
            return
        raise ShopifyCircuitOpen(
            self.store._shopify_circuit_message(self.state.open_until),
            retry_after=max(wait, 1.0),
        )

    def _claim_probe(self, new):
        """Compare-and-set: only the caller that moves `open_until` probes."""
        try:
            return self._claim_probe_once(new)
        except psycopg2.Error as exc:
            _logger.info("breaker probe not claimed: %s", type(exc).__name__)
            return False

    def _claim_probe_once(self, new):
        with side_cursor(self.env) as cr:
            cr.execute(
                "UPDATE shopify_store_health SET circuit_open_until = %s "
                "WHERE store_id = %s AND circuit_open_until = %s",
                [_naive(new.open_until), self.store.id, self._stored_until],
            )
            won = cr.rowcount == 1
            if won:
                self.state, self._stored_until = new, _naive(new.open_until)
                self._remember({"circuit_open_until": self._stored_until})
            else:
                self.state = self._read(cr)
        self.env["shopify.store.health"].invalidate_model(list(COLUMNS))
        return won

    def record(self, error, sent=True):
        if not sent or (error is None and self.state == circuit.CLOSED):
            return
        if isinstance(error, ShopifyRateLimited):
            if not self.state.closed:
                self._probe_rate_limited(error)
            return
        try:
            self._record(error)
        except psycopg2.Error as exc:
            # Bookkeeping only (e.g. a store not committed yet): never fail the
            # caller's own outcome for it.
            _logger.info("breaker state not recorded: %s", type(exc).__name__)

    def _probe_rate_limited(self, error):
        """Our probe met a rate limit: no verdict. Give the lease back (compare-and-
        set on it) so the next probe goes once Shopify's wait is over."""
        new = circuit.on_rate_limited(self.state, time.time(), error.retry_after)
        try:
            with side_cursor(self.env) as cr:
                cr.execute(
                    "UPDATE shopify_store_health SET circuit_open_until = %s "
                    "WHERE store_id = %s AND circuit_open_until = %s",
                    [_naive(new.open_until), self.store.id, self._stored_until],
                )
                if cr.rowcount == 1:
                    self.state, self._stored_until = new, _naive(new.open_until)
                    self._remember({"circuit_open_until": self._stored_until})
        except psycopg2.Error as exc:
            _logger.info("breaker probe lease not given back: %s", type(exc).__name__)
        self.env["shopify.store.health"].invalidate_model(list(COLUMNS))

    def _record(self, error):
        now = time.time()
        with side_cursor(self.env) as cr:
            cr.execute(
                "INSERT INTO shopify_store_health (store_id, create_uid, write_uid, "
                "create_date, write_date) VALUES (%s, 1, 1, now() at time zone 'UTC', "
                "now() at time zone 'UTC') ON CONFLICT (store_id) DO NOTHING",
                [self.store.id],
            )
            old = self._read(cr, lock=True)
            if error is None:
                new = circuit.on_success(old)
            else:
                new = circuit.on_failure(old, now, self.policy)
            vals = {
                "circuit_failures": new.failures,
                "circuit_openings": new.openings,
                "circuit_open_until": _naive(new.open_until),
            }
            if error is not None:
                kind = circuit.failure_kind(error.status, error.message)
                vals["circuit_last_error"] = self.store._shopify_outage_text(kind)
                if not old.failures:
                    vals["circuit_failing_since"] = _naive(now)
            elif old != circuit.CLOSED:
                vals.update(circuit_failing_since=None, circuit_last_error=None)
            cr.execute(
                "UPDATE shopify_store_health SET %s, write_date = now() at time zone "
                "'UTC' WHERE store_id = %%s" % ", ".join("%s = %%s" % k for k in vals),
                [*vals.values(), self.store.id],
            )
        self.state, self._stored_until = new, vals["circuit_open_until"]
        self._remember(vals)
        self.env["shopify.store.health"].invalidate_model()
        self.store.invalidate_recordset()
        self._log_transition(old, new, vals.get("circuit_last_error"))
        if new.closed and not old.closed:
            self._resume()

    def _resume(self):
        """Shopify answers again: the store's waiting work is due now, not at the end
        of its backoff. SKIP LOCKED: rows the caller's own transaction holds are
        being processed already (and waiting on them here would never end)."""
        now = fields.Datetime.now()
        with side_cursor(self.env) as cr:
            for table, where in (
                ("shopify_inventory_level", "active AND dirty"),
                ("shopify_webhook_event", "state = 'pending'"),
            ):
                cr.execute(
                    "UPDATE %(t)s SET next_attempt_at = %%(now)s WHERE id IN ("
                    "SELECT id FROM %(t)s WHERE store_id = %%(store)s AND %(w)s "
                    "AND next_attempt_at > %%(now)s FOR UPDATE SKIP LOCKED)"
                    % {"t": table, "w": where},
                    {"now": now, "store": self.store.id},
                )
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["shopify.inventory.level"]._shopify_trigger_push()
            env["shopify.webhook.event"]._shopify_trigger_processing()
        for model in ("shopify.inventory.level", "shopify.webhook.event"):
            self.env[model].invalidate_model(["next_attempt_at"])

    def _remember(self, vals):
        """What the side cursor wrote, for `_shopify_circuit_replay()`."""
        side_memo(self.env, REPLAY_KEY, self.store.id, vals)

    def _log_transition(self, old, new, reason):
        if old.closed == new.closed and not (old.openings < new.openings):
            return
        if new.closed:
            message = "Shopify answers again: calls of this store resumed."
            state = "success"
        else:
            message = "Shopify calls of this store paused until %s UTC: %s" % (
                fields.Datetime.to_string(_naive(new.open_until)),
                reason,
            )
            state = "error"
        _logger.warning("Shopify store %s: %s", self.store.id, message)
        self.env["shopify.sync.log"]._log(
            store=self.store,
            direction="outbound",
            operation="circuit",
            state=state,
            message=message,
            facts={
                "until": _naive(new.open_until)
                and "%s UTC" % _naive(new.open_until).strftime("%H:%M")
            },
        )


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    circuit_failures = fields.Integer(
        string="API Failures in a Row", compute="_compute_shopify_bookkeeping"
    )
    circuit_openings = fields.Integer(compute="_compute_shopify_bookkeeping")
    circuit_open_until = fields.Datetime(
        string="API Calls Paused Until",
        compute="_compute_shopify_bookkeeping",
        help="Shopify stopped answering: this store's API work waits until then, "
        "then one call probes whether Shopify is back. Webhooks are still received.",
    )
    circuit_failing_since = fields.Datetime(
        string="Failing Since", compute="_compute_shopify_bookkeeping"
    )
    circuit_last_error = fields.Char(
        string="Last API Error", compute="_compute_shopify_bookkeeping"
    )

    @api.model
    def _shopify_circuit_policy(self):
        """The breaker's policy; ir.config_parameter overrides the defaults."""
        params = self.env["ir.config_parameter"].sudo()
        values = {}
        for key, param in POLICY_PARAMS.items():
            value = number(params.get_param(param), 0, float)
            if value > 0:
                values[key] = int(value) if key == "threshold" else value
        return circuit.Policy(**values)

    def _shopify_client(self, **kwargs):
        options = dict(self.env.context.get("shopify_client_defaults") or {})
        options.update(kwargs)
        if "circuit" not in options:
            options["circuit"] = StoreCircuit(
                self.sudo(), force=bool(self.env.context.get("shopify_circuit_force"))
            )
        return super()._shopify_client(**options)

    @api.model
    def _shopify_circuit_replay(self):
        """The breaker state a rolled-back savepoint took from the side cursor,
        written again: only ever something in tests (`odoo_platform.side_memo`)."""
        memo = side_replay(self.env, REPLAY_KEY)
        if not memo:
            return
        self.env["shopify.store.health"]._shopify_apply(
            self.env.cr, [(store_id, "set", vals) for store_id, vals in memo.items()]
        )
        self.env["shopify.store.health"].invalidate_model()
        self.invalidate_model()

    def _shopify_outage_text(self, kind):
        texts = {
            "rate_limited": _("Shopify is limiting this app's calls (rate limit)."),
            "shopify_down": _("Shopify answered with a server error (it is down or "
                              "overloaded)."),
            "timeout": _("Shopify did not answer in time."),
            "network": _("Odoo could not reach Shopify (network error)."),
        }  # fmt: skip
        return texts.get(kind) or texts["network"]

    def _shopify_circuit_message(self, open_until):
        return _(
            "Shopify is not answering for %(store)s (%(reason)s): Odoo pauses this "
            "store's calls until %(until)s UTC and then retries by itself. Webhooks "
            "are still received and kept.",
            store=self.name,
            reason=self.circuit_last_error or _("repeated failures"),
            until=fields.Datetime.to_string(_naive(open_until)) if open_until else "?",
        )

    def _shopify_circuit_text(self):
        """The breaker's sentence for the health verdict, from the cached values."""
        return self._shopify_circuit_message(_epoch(self.circuit_open_until))

    def _shopify_circuit_note(self):
        """The breaker's sentence when this store's calls are paused, else ""."""
        self.ensure_one()
        self.invalidate_recordset(list(COLUMNS) + ["circuit_last_error"])
        if not self.circuit_open_until:
            return ""
        return self._shopify_circuit_message(_epoch(self.circuit_open_until))
