"""End-to-end chaos: three stores on the emulator, one Odoo, seeded random scenarios.

Per seed (fresh SKUs, so seeds are independent and a failure is reproducible alone:
SHOPIFY_SYNC_CHAOS_SEEDS=7 runs seed 7, "3,8" or "0-39" several): dozens of events --
orders in several stores, cancellations, fulfilments, refund restocks, manual edits in
every store, Odoo receipts and deliveries, webhook / push cycles in between -- with the
emulator's webhook faults on (duplicate, delay, reorder, drop) and API faults injected
(THROTTLED, 429, 5xx, timeouts). Then activity stops, webhooks are flushed and
processed, push and reconcile run, and I1-I6 are checked on Odoo's quants, moves and
sale orders and on the emulator's levels.

`TestChaosHard` runs other seeds (SHOPIFY_SYNC_CHAOS_HARD_SEEDS, default 100-105) on
the emulator's hard mode (tools/shopify_emulator/hard.py): shop timezones -05:00 and
+05:30 in payloads, large non-consecutive ids, other apps' subscriptions, mutation
costs below the requested ones, our own write's webhook before its answer, and every
second new item not stocked at the shop's location (the push must activate it).
"""

import itertools
import os
import random
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .stock_edits_common import START, StockEditsCommon

EVENTS_PER_SEED = 36
# Fulfilment sends: a "timeout" fault is a real timeout (the emulator holds 10 s).
FULFILMENT_CLIENT = {"timeout": (2, 3.0), "max_retry_seconds": 4, "backoff_base": 0.01}
API_FAULTS = ("throttled", "http429", "http500", "http503", "timeout")
MUTED = (
    "odoo.addons.shopify_sync.models.shopify_webhook_event",
    "odoo.addons.shopify_sync.models.shopify_inventory_level",
    "odoo.addons.shopify_sync.models.shopify_store_reconcile",
    "odoo.addons.shopify_sync.models.shopify_store_orders",
    "odoo.addons.shopify_sync.models.shopify_order_importer",
    "odoo.addons.shopify_sync.lib.client",
    # The injected API faults open and close the stores' breakers (warnings).
    "odoo.addons.shopify_sync.models.shopify_store_circuit",
)


def _inside(location, root):
    return location.parent_path.startswith(root.parent_path)


def chaos_seeds(env="SHOPIFY_SYNC_CHAOS_SEEDS", default=range(20)):
    value = os.environ.get(env, "").strip()
    if not value:
        return list(default)
    seeds = []
    for part in value.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds.extend(range(int(low), int(high) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


@tagged("post_install", "-at_install")
class TestChaos(StockEditsCommon):
    def setUp(self):
        super(StockEditsCommon, self).setUp()  # SKUs are made per seed
        self.truth_resends = 0
        self.env["ir.config_parameter"].sudo().set_param(
            "shopify_sync.stock_activity_overlap_seconds", "20"
        )

    # ------------------------------------------------------------------ one seed
    def _run_seed(self, seed):
        rng = random.Random(seed)
        skus = self._add_skus(2)
        self.emulator.webhook_faults(
            duplicate=0.25, delay=0.02, reorder=True, drop=0.1, seed=seed
        )
        truth = {
            "odoo_moves": {},  # (location id, sku) -> net receipts - deliveries
            "edits": [],  # (store n, sku, delta)
            "orders": [],  # (store n, order id)
        }
        for _ in range(EVENTS_PER_SEED):
            self._chaos_event(rng, skus, truth)
        # activity stops
        self.emulator.webhook_faults()
        for shop in self.shops:
            shop.faults.clear()
        self._settle_hard()
        for store in self.stores:
            store._shopify_reconcile_inventory()
        self._settle_hard()
        return skus, truth

    def _chaos_event(self, rng, skus, truth):
        kind = rng.choice(
            (
                "order",
                "order",
                "order",
                "cancel",
                "fulfil",
                "refund",
                "edit",
                "edit",
                "receipt",
                "delivery",
                "cycle",
                "cycle",
                "fault",
                "ship",
                "ship",
                "resend",
            )
        )
        sku = rng.choice(skus)
        n = rng.randrange(3)
        shop = self.shops[n]
        mine = [(m, oid) for m, oid in truth["orders"]]
        if kind == "order":
            level = shop.level(self.items[n][sku], self.locs[n])
            qty = rng.randint(1, 2)
            if level["available"] >= qty:
                order = shop.place_order(
                    [{"sku": sku, "quantity": qty}], location=self.locs[n]
                )
                truth["orders"].append((n, order["id"]))
        elif kind in ("cancel", "fulfil", "refund") and mine:
            m, oid = rng.choice(mine)
            order = self.shops[m].orders[oid]
            if order["cancelled_at"]:
                return
            if kind == "cancel" and not any(
                i["fulfilled"] for i in order["line_items"]
            ):
                self.shops[m].cancel_order(oid)
            elif kind == "fulfil":
                self.shops[m].fulfill_order(oid)
            elif kind == "refund" and any(i["fulfilled"] for i in order["line_items"]):
                self.shops[m].refund(oid, restock=True)
        elif kind == "edit":
            level = shop.level(self.items[n][sku], self.locs[n])
            new = max(0, level["available"] + rng.randint(-3, 3))
            if new != level["available"]:
                shop.manual_edit(self.items[n][sku], self.locs[n], new)
                truth["edits"].append((n, sku, new - level["available"]))
        elif kind in ("receipt", "delivery"):
            location = rng.choice(self.stock_locations)
            product = self.products[sku]
            qty = rng.randint(1, 3)
            if kind == "delivery":
                # computed quantities are cached per env: read them fresh
                self.env.invalidate_all()
                free = int(product.with_context(location=location.id).free_qty)
                qty = -min(qty, max(0, free - 2))
            if qty:
                self.env["stock.quant"]._update_available_quantity(
                    product, location, qty
                )
                key = (location.id, sku)
                truth["odoo_moves"][key] = truth["odoo_moves"].get(key, 0) + qty
        elif kind == "cycle":
            self._deliver(timeout=2)
            self.Level._cron_push_inventory()
        elif kind == "fault":
            shop.inject(rng.choice(API_FAULTS), count=rng.randint(1, 2))
        elif kind == "ship" and mine:
            self._ship(rng, *rng.choice(mine))
        elif kind == "resend":
            self._forget_a_sent_fulfilment(rng)

    # ------------------------------------------------------------------ fulfilments
    def _ship(self, rng, n, oid):
        """Odoo validates the order's delivery: all of it, or part (backorder)."""
        so = self.env["sale.order"].search(
            [
                ("shopify_store_id", "=", self.stores[n].id),
                ("shopify_order_gid", "=", "gid://shopify/Order/%s" % oid),
                ("state", "=", "sale"),
            ]
        )
        pickings = so.picking_ids.filtered(
            lambda p: p.state == "assigned" and p.picking_type_code == "outgoing"
        )
        if not pickings:
            return
        picking = pickings[0]
        partial = rng.random() < 0.4
        for move in picking.move_ids:
            qty = move.product_uom_qty
            if partial and qty > 1:
                qty = rng.randint(1, int(qty) - 1)
            move.quantity = qty
            move.picked = True
        # the backorder, when partial, is what a later "ship" delivers
        picking.with_context(cancel_backorder=False)._action_done()
        if rng.random() < 0.5:
            self._send_fulfilments()

    def _forget_a_sent_fulfilment(self, rng):
        """A crash after Shopify created the fulfilment, before its id was
        committed: the row is pending again and knows no fulfilment."""
        rows = self.env["shopify.fulfillment"].search([("state", "=", "sent")])
        if rows:
            row = rng.choice(rows)
            row.write(
                {
                    "state": "pending",
                    "fulfillment_gids": False,
                    "next_attempt_at": False,
                }
            )
            self.truth_resends += 1

    def _send_fulfilments(self):
        Fulfilment = self.env["shopify.fulfillment"]
        Fulfilment.search([("state", "in", ("pending", "failed"))]).write(
            {"next_attempt_at": False}
        )
        Fulfilment.with_context(
            shopify_client_options=FULFILMENT_CLIENT
        )._cron_send_fulfillments(limit=1000)

    def _check_fulfilments(self):
        """F1: every fulfilment we created is recorded by exactly one delivery, and
        we never created two for one delivery's units (resends adopted, not resent).
        F2: every delivery ended sent, skipped or needs attention with a reason."""
        problems = []
        created = [
            m["result"]["fulfillment"]
            for shop in self.shops
            for m in shop.mutations
            if m["name"] == "fulfillmentCreate" and m["result"].get("fulfillment")
        ]
        rows = self.env["shopify.fulfillment"].search([])
        recorded = [g for r in rows for g in (r.fulfillment_gids or "").split()]
        if sorted(created) != sorted(recorded):
            problems.append(
                "F1: created %s, recorded %s" % (sorted(created), sorted(recorded))
            )
        for row in rows:
            if row.state in ("pending", "failed") or (
                row.state == "needs_attention" and not row.last_error
            ):
                problems.append(
                    "F2: %s %s %s" % (row.picking_id.name, row.state, row.last_error)
                )
        return problems

    def _settle_hard(self):
        """Every webhook in, every retry due now, push, until nothing moves."""
        for _ in range(8):
            # Waits are compressed: a breaker opened by the faults probes now.
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE shopify_store_health SET circuit_open_until = %s "
                "WHERE circuit_open_until > %s",
                [fields.Datetime.now() - timedelta(seconds=1), fields.Datetime.now()],
            )
            self._send_fulfilments()
            self.emulator.flush_webhooks(10)
            self.env["shopify.webhook.event"].sudo().search(
                [("state", "=", "pending")]
            ).write({"next_attempt_at": False})
            self.Level.search([("dirty", "=", True)]).write({"next_attempt_at": False})
            got = self._deliver()
            self.Level._cron_push_inventory()
            self.emulator.flush_webhooks(10)
            if not got and len(self.receiver.received) == self.delivered:
                pending = self.env["shopify.webhook.event"].search_count(
                    [("state", "=", "pending")]
                )
                if not pending:
                    return

    # ------------------------------------------------------------------ checks
    def _check(self, seed, skus, truth):
        problems = []
        self.env.invalidate_all()  # qty_available / free_qty are cached computes
        Move = self.env["stock.move"]
        for sku in skus:
            product = self.products[sku]
            for w, location in enumerate(self.stock_locations):
                # I2: each accepted edit -> exactly one adjustment of its delta there
                expected_edits = sorted(
                    d
                    for n, s, d in truth["edits"]
                    if s == sku and self.stores[n].accept_store_edits and w == 0
                )
                moves = Move.search(
                    [
                        ("product_id", "=", product.id),
                        ("is_inventory", "=", True),
                        ("state", "=", "done"),
                        "|",
                        ("location_id", "child_of", location.id),
                        ("location_dest_id", "child_of", location.id),
                    ]
                )
                got_edits = sorted(
                    m.quantity if _inside(m.location_dest_id, location) else -m.quantity
                    for m in moves
                )
                if sum(got_edits) != sum(expected_edits) or len(got_edits) > len(
                    expected_edits
                ):
                    # Two edits between two reads are one adjustment of their sum.
                    problems.append(
                        "I1/I2 %s@%s: adjustments %s, edits %s"
                        % (sku, location.name, got_edits, expected_edits)
                    )
                # I1: on hand moved only by our moves, edits and the SOs' pickings
                done = Move.search(
                    [
                        ("product_id", "=", product.id),
                        ("state", "=", "done"),
                        ("is_inventory", "=", False),
                        ("sale_line_id", "!=", False),
                    ]
                )
                shipped = sum(
                    m.quantity for m in done if _inside(m.location_id, location)
                ) - sum(
                    m.quantity for m in done if _inside(m.location_dest_id, location)
                )
                expected = (
                    START
                    + truth["odoo_moves"].get((location.id, sku), 0)
                    + sum(expected_edits)
                    - shipped
                )
                on_hand = product.with_context(location=location.id).qty_available
                if round(on_hand) != expected:
                    problems.append(
                        "I1 %s@%s: on hand %s, expected %s"
                        % (sku, location.name, on_hand, expected)
                    )
            # I3 + never above sellable
            for n in range(3):
                shown = self._available(n, sku)
                published = self._sellable(n, sku)
                if shown != published:
                    problems.append(
                        "I3 store %d %s shows %s, Odoo publishes %s"
                        % (n + 1, sku, shown, published)
                    )
        # I6: one SO per Shopify order
        for n, oid in truth["orders"]:
            gid = "gid://shopify/Order/%s" % oid
            count = self.env["sale.order"].search_count(
                [
                    ("shopify_store_id", "=", self.stores[n].id),
                    ("shopify_order_gid", "=", gid),
                ]
            )
            if count != 1:
                problems.append("I6 order %s of store %d: %d SOs" % (oid, n + 1, count))
        return problems

    def _sellable(self, n, sku):
        """What Odoo can still promise, from Odoo's own stock figures (independent
        of the push's own computation): free stock less the confirmed outgoing
        demand not reserved yet -- outgoing_qty minus the reserved units, when
        deliveries are the only reservations, so never above on hand minus all open
        outgoing demand -- less held unconfirmed Shopify SOs and the buffer, floored
        at 0."""
        location = self.stores[n].location_ids.stock_location_id
        product = self.products[sku].with_context(location=location.id)
        held = sum(
            self.env["sale.order.line"]
            .search(
                [
                    ("product_id", "=", product.id),
                    ("order_id.shopify_store_id", "!=", False),
                    ("order_id.state", "in", ("draft", "sent")),
                    ("order_id.warehouse_id.lot_stock_id", "=", location.id),
                ]
            )
            .mapped("product_uom_qty")
        )
        promised = min(product.free_qty, product.qty_available - product.outgoing_qty)
        return max(0, int(promised - held - self.stores[n].safety_buffer))

    def _quiet_and_replay_safe(self, seed, skus):
        """I4: a further cycle and reconcile send no writes and adjust nothing.
        I5: every delivery of the seed re-sent as new deliveries changes nothing."""
        problems = []
        writes = self._mutations()
        adjustments = self.env["stock.move"].search_count([("is_inventory", "=", True)])
        for store in self.stores:
            store._shopify_reconcile_inventory()
        self._settle_hard()
        if self._mutations() != writes:
            problems.append(
                "I4: %d writes in a quiet cycle" % (self._mutations() - writes)
            )
        self._redeliver(min(len(self.receiver.received), 120))
        self._settle_hard()
        if self._mutations() != writes:
            problems.append("I5: replayed webhooks wrote")
        if (
            self.env["stock.move"].search_count([("is_inventory", "=", True)])
            != adjustments
        ):
            problems.append("I4/I5: new adjustments when quiet / replayed")
        return problems

    def _seeds(self):
        return chaos_seeds()

    def test_chaos_seeds(self):
        results = {}
        with mute_logger(*MUTED):
            for seed in self._seeds():
                skus, truth = self._run_seed(seed)
                problems = self._check(seed, skus, truth)
                problems += self._quiet_and_replay_safe(seed, skus)
                problems += self._check_fulfilments()
                results[seed] = problems
        failed = {s: p for s, p in results.items() if p}
        # pylint: disable=print-used
        # (printing is what SHOPIFY_SYNC_CHAOS_DEBUG asks for on the command line)
        if failed and os.environ.get("SHOPIFY_SYNC_CHAOS_DEBUG"):
            print(self._log_text())  # noqa: T201 - asked for on the command line
            for move in self.env["stock.move"].search([("state", "=", "done")]):
                print(  # noqa: T201
                    "MOVE",
                    move.product_id.default_code,
                    move.location_id.complete_name,
                    move.location_dest_id.complete_name,
                    move.quantity,
                    move.is_inventory,
                    move.origin,
                    move.reference,
                )
            for n, shop in enumerate(self.shops):
                for oid, order in shop.orders.items():
                    print(
                        "ORDER",
                        n,
                        oid,
                        order["cancelled_at"],
                        [  # noqa: T201
                            (i["sku"], i["quantity"], i["fulfilled"], i["refunded"])
                            for i in order["line_items"]
                        ],
                        [
                            [
                                (
                                    r["line_item"]["sku"],
                                    r["quantity"],
                                    r["restock_type"],
                                )
                                for r in rf["refund_line_items"]
                            ]
                            for rf in order["refunds"]
                        ],
                    )
        self.assertFalse(
            failed,
            "chaos seeds failed (rerun one with SHOPIFY_SYNC_CHAOS_SEEDS=<seed>): %s"
            % "\n".join("seed %s: %s" % (s, "; ".join(p)) for s, p in failed.items()),
        )


@tagged("post_install", "-at_install")
class TestChaosHard(TestChaos):
    """The same scenarios and invariants against the emulator's hard mode."""

    @classmethod
    def _start_emulator(cls):
        from ..tools.shopify_emulator import Emulator

        emulator = Emulator(host="127.0.0.1", port=0, hard=True)
        emulator.start()
        cls.addClassCleanup(emulator.stop)
        return emulator

    @classmethod
    def _add_skus(cls, count, start=START):
        """Every second new item has no level at the shop's location yet."""
        counter = itertools.count()
        for shop in cls.shops:
            stock = shop.set_level

            def set_level(item, loc, available=0, _stock=stock, **others):
                if next(counter) % 2:
                    return None
                return _stock(item, loc, available=available, **others)

            shop.set_level = set_level
        try:
            return super()._add_skus(count, start)
        finally:
            for shop in cls.shops:
                del shop.set_level  # the class's method again

    def _seeds(self):
        return chaos_seeds("SHOPIFY_SYNC_CHAOS_HARD_SEEDS", range(100, 106))

    def _run_seed(self, seed):
        from ..tools.shopify_emulator import hard

        hard.seed(seed)
        result = super()._run_seed(seed)
        # the mode really is on: items were activated, each with its @idempotent key
        self.assertTrue(all(shop.hard for shop in self.shops))
        activations = [
            m
            for shop in self.shops
            for m in shop.mutations
            if m["name"] == "inventoryActivate"
        ]
        self.assertTrue(activations)
        self.assertTrue(all(m["idempotency_key"] for m in activations))
        return result
