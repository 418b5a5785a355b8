"""Sending one fulfilment outbox row: look before you write.

Every attempt first reads the order's fulfilment orders and fulfilments
(OrderFulfillmentState). Fulfilments this row already created, or one an earlier
attempt created although its answer was lost (`lib.fulfillment_plan.adoptable`: only
after an attempt, only fulfilments made since, not claimed by another delivery, made
of what we still want), count as done; only the rest is planned and sent. So a resend
after a timeout or a crash never creates a second fulfilment -- fulfillmentCreate
supports no `@idempotent` in the 2026-10 schema, so this read is the guard.
"""

import json
import math
import time
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib import fulfillment_client as fc
from ..lib import fulfillment_plan as fp
from ..lib.circuit import CRON_CLIENT_OPTIONS
from ..lib.errors import ShopifyError, ShopifyRetryableError
from ..lib.redact import redact
from .odoo_platform import auto_commit_allowed
from .shopify_fulfillment import MAX_ATTEMPTS

# Clock skew between Odoo and Shopify tolerated when adopting a lost answer.
ADOPT_SKEW = timedelta(minutes=2)


class ShopifyFulfillment(models.Model):
    _inherit = "shopify.fulfillment"

    # ------------------------------------------------------------------ inputs
    def _shopify_wanted(self, net=True):
        """{Shopify line item legacy id: units} this delivery fulfils.

        Per sale line with a Shopify line item: the done quantity of the picking's
        moves of that line, in the line's unit, minus what was returned from them
        (a return validated before the fulfilment was sent is not fulfilled; with
        `net=False` the returns are not subtracted: what the delivery shipped).
        A kit line (its moves carry the components) counts the line's own delivered
        quantity (Odoo's kit rule) minus what other deliveries already recorded.
        Services and shipping lines have no moves and are never sent.
        """
        self.ensure_one()
        wanted = {}
        moves = self.picking_id.move_ids.filtered(lambda m: m.state == "done")
        for line in moves.mapped("sale_line_id"):
            if not (line.shopify_line_id or "").isdigit():
                continue
            line_moves = moves.filtered(lambda m, ln=line: m.sale_line_id == ln)
            if any(m.product_id != line.product_id for m in line_moves):
                qty = line.qty_delivered - self._shopify_recorded(line)
            else:
                qty = 0.0
                for move in line_moves:
                    returned = net and sum(
                        r.quantity for r in move.returned_move_ids if r.state == "done"
                    )
                    qty += move.product_uom._compute_quantity(
                        move.quantity - returned, line.product_uom
                    )
            units = int(round(qty))
            if units > 0:
                wanted[int(line.shopify_line_id)] = units
        return wanted

    def _shopify_recorded(self, line):
        """Units of `line` other deliveries of the order already fulfil."""
        total = 0
        others = self.search(
            [("sale_order_id", "=", self.sale_order_id.id), ("id", "!=", self.id)]
        )
        for other in others.filtered(lambda r: r.state == "sent"):
            total += json.loads(other.quantities or "{}").get(line.shopify_line_id, 0)
        return total

    def _shopify_locations(self):
        """Shopify locations of the store mapped inside the picking's warehouse."""
        warehouse = self.picking_id.picking_type_id.warehouse_id
        root = warehouse.view_location_id.parent_path or "?"
        return {
            loc.shopify_gid
            for loc in self.store_id.location_ids
            if loc.active
            and loc.stock_location_id
            and (loc.stock_location_id.parent_path or "").startswith(root)
        }

    def _shopify_claimed(self):
        others = self.search(
            [("sale_order_id", "=", self.sale_order_id.id), ("id", "!=", self.id)]
        )
        return {gid for row in others for gid in (row.fulfillment_gids or "").split()}

    # ------------------------------------------------------------------ send
    def _shopify_send_one(self, previous_first_attempt=None):
        """One attempt for this row; the outcome is written on the row and logged."""
        self.ensure_one()
        row = self.sudo()
        started = time.monotonic()
        tracking_only = row.state == "sent" and row.tracking_pending
        operation = "fulfillment:tracking" if tracking_only else "fulfillment:create"
        # Short retry budget inside the cron; longer waits are the row's backoff.
        options = dict(
            CRON_CLIENT_OPTIONS,
            **(self.env.context.get("shopify_client_options") or {}),
        )
        try:
            with row.store_id._shopify_client(**options) as client:
                if tracking_only:
                    state, message = row._shopify_push_tracking(client)
                else:
                    state, message = row._shopify_fulfil(client, previous_first_attempt)
        except ShopifyRetryableError as exc:
            state, message = row._shopify_retry_later(exc)
        except (ShopifyError, UserError) as exc:
            state = "error"
            message = redact(str(exc))
            vals = {"last_error": message, "next_attempt_at": False}
            if tracking_only:
                # the fulfilment stands; only its tracking update failed
                vals["tracking_pending"] = False
            else:
                vals["state"] = "needs_attention"
            row.write(vals)
        self.env["shopify.sync.log"]._log(
            store=row.store_id,
            direction="outbound",
            operation=operation,
            state=state,
            message="%s (%s): %s"
            % (
                row.picking_id.name,
                row.sale_order_id.shopify_order_name or "",
                message,
            ),
            res_model=row._name,
            res_id=row.id,
            facts={
                "picking": row.picking_id.name,
                "order": row.sale_order_id.shopify_order_name,
                "retry": bool(row.next_attempt_at),
                "skipped": row.state == "skipped",
            },
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        return state

    def _shopify_retry_later(self, exc):
        message = redact(str(exc))
        if not exc.sent:
            # Nothing reached Shopify (the store's breaker is open): the claim's
            # attempt is given back, the row waits for the probe.
            delay = math.ceil(exc.retry_after or 60) + 1
            at = fields.Datetime.now() + timedelta(seconds=delay)
            self.write(
                {
                    "attempts": max(self.attempts - 1, 0),
                    "last_error": message,
                    "next_attempt_at": at,
                }
            )
            self._shopify_trigger_send(at=at)
            return "warning", "store paused, retry in %ss: %s" % (delay, message)
        delay = self._shopify_backoff(self.attempts)
        at = fields.Datetime.now() + timedelta(seconds=delay)
        vals = {"last_error": message, "next_attempt_at": at}
        if self.attempts >= MAX_ATTEMPTS and self.state != "sent":
            # Shown as failing, never abandoned: an earlier attempt may have created
            # the fulfilment (its answer lost), and only a later read of the order
            # can recognise it. It keeps trying at the capped backoff.
            vals["state"] = "failed"
        self.write(vals)
        self._shopify_trigger_send(at=at)
        if self.attempts >= MAX_ATTEMPTS:
            return "error", "still failing after %s attempts, next try in %ss: %s" % (
                self.attempts,
                delay,
                message,
            )
        return "warning", "will retry in %ss: %s" % (delay, message)

    def _shopify_attention(self, reason):
        self.write(
            {"state": "needs_attention", "last_error": reason, "next_attempt_at": False}
        )
        return "error", reason

    def _shopify_fulfil(self, client, previous_first_attempt):
        shipped = self._shopify_wanted(net=False)
        wanted = self._shopify_wanted()
        self.quantities = json.dumps({str(k): v for k, v in sorted(wanted.items())})
        if not wanted and not self.fulfillment_gids and not previous_first_attempt:
            self.write(
                {
                    "state": "skipped",
                    "next_attempt_at": False,
                    "note": "Nothing to fulfil: no shipped Shopify line left "
                    "(services, shipping, or returned before it was sent).",
                }
            )
            return "success", "nothing to fulfil"
        locations = self._shopify_locations()
        if not locations:
            return self._shopify_attention(
                "No Shopify location of %s is mapped to warehouse %s."
                % (
                    self.store_id.name,
                    self.picking_id.picking_type_id.warehouse_id.name,
                )
            )
        state = fc.order_state(client, self.sale_order_id.shopify_order_gid)
        if state is None:
            return self._shopify_attention("The order no longer exists in Shopify.")
        fos, fulfillments, cancelled = state
        ours = (self.fulfillment_gids or "").split()
        since = previous_first_attempt - ADOPT_SKEW if previous_first_attempt else None
        # Adopt against what the delivery shipped: a return made after Shopify
        # fulfilled it does not unmake that fulfilment.
        adopted = fp.adoptable(
            fulfillments,
            shipped,
            ours=ours,
            claimed=self._shopify_claimed(),
            since=since,
            locations=locations,
        )
        ours += adopted
        # Returned before it was sent: only the rest is fulfilled. Once Shopify has
        # a fulfilment of this delivery, a return is Shopify's refund flow.
        need = fp.outstanding(shipped if ours else wanted, fulfillments, ours)
        notes = []
        if adopted:
            notes.append(
                "Recognised %s as ours (an earlier answer was lost)."
                % ", ".join(adopted)
            )
        tracking = self.picking_id._shopify_tracking_input()
        if need:
            if cancelled:
                return self._shopify_attention("The order is cancelled in Shopify.")
            plan = fp.plan(need, fos, locations)
            if plan.attention:
                self.fulfillment_gids = " ".join(ours) or False
                return self._shopify_attention(plan.attention)
            for _location, groups in plan.groups:
                ful = fc.create(
                    client,
                    groups,
                    tracking=tracking,
                    notify_customer=self.store_id.fulfillment_notify_customer,
                    message="Odoo delivery %s" % self.picking_id.name,
                )
                ours.append(ful.gid)
                self.fulfillment_gids = " ".join(ours)
                if auto_commit_allowed(self.env):
                    # The new fulfilment's id is durable before the next call: a
                    # crash now cannot make us forget a fulfilment we created.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            if plan.skipped:
                notes.append(
                    "Already fulfilled in Shopify, not sent again: %s."
                    % ", ".join(
                        "line %s × %s" % kv for kv in sorted(plan.skipped.items())
                    )
                )
        elif adopted and tracking:
            by_gid = {f.gid: f for f in fulfillments}
            self._shopify_update_tracking(
                client,
                [g for g in adopted if not fp.same_tracking(by_gid[g], tracking)],
                tracking,
            )
        self.write(
            {
                "state": "sent" if ours else "skipped",
                "fulfillment_gids": " ".join(ours) or False,
                "next_attempt_at": False,
                "last_error": False,
                "tracking_pending": False,
                "note": " ".join(notes) or False,
                **self._shopify_tracking_vals(tracking),
            }
        )
        return "success", (
            "fulfilled in Shopify: %s" % " ".join(ours)
        ) if ours else "already fulfilled in Shopify"

    @staticmethod
    def _shopify_tracking_vals(tracking):
        tracking = tracking or {}
        return {
            "tracking_number": tracking.get("number") or False,
            "tracking_company": tracking.get("company") or False,
            "tracking_url": tracking.get("url") or False,
        }

    def _shopify_update_tracking(self, client, gids, tracking):
        """Send `tracking` to each Shopify fulfilment of `gids`, telling the
        customer as the store says."""
        for gid in gids:
            fc.update_tracking(
                client,
                gid,
                tracking,
                notify_customer=self.store_id.fulfillment_notify_customer,
            )

    def _shopify_push_tracking(self, client):
        tracking = self.picking_id._shopify_tracking_input()
        if self._shopify_tracking_vals(tracking) == {
            "tracking_number": self.tracking_number,
            "tracking_company": self.tracking_company,
            "tracking_url": self.tracking_url,
        }:
            self.write({"tracking_pending": False, "next_attempt_at": False})
            return "success", "tracking unchanged"
        if not tracking:
            self.write(
                {
                    "tracking_pending": False,
                    "next_attempt_at": False,
                    "note": "Tracking removed in Odoo: Shopify keeps the last one.",
                }
            )
            return "warning", "tracking removed in Odoo; Shopify keeps the last one"
        self._shopify_update_tracking(
            client, (self.fulfillment_gids or "").split(), tracking
        )
        self.write(
            {
                "tracking_pending": False,
                "next_attempt_at": False,
                "last_error": False,
                **self._shopify_tracking_vals(tracking),
            }
        )
        return "success", "tracking %s sent" % tracking["number"]
