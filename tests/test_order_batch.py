"""Consecutive orders/create events of one store imported in one transaction
(models/shopify_webhook_event_batch.py): one confirmation for the batch, each event
its own outcome; a bad order fails alone, a failed shared confirmation falls back to
one by one."""

import copy
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib import payloads
from .order_common import OrderCommon, fixture

QUEUE_LOGGER = "odoo.addons.shopify_sync.models.shopify_webhook_event"


def _order(number):
    """A distinct paid order (confirmed on import) numbered `number`."""
    data = copy.deepcopy(fixture("order_us_taxes_excluded.json"))
    legacy = 5890123457000 + number
    data.update(
        id=legacy,
        admin_graphql_api_id="gid://shopify/Order/%d" % legacy,
        name="#B%d" % number,
        order_number=9000 + number,
    )
    return data


@tagged("post_install", "-at_install")
class TestOrderBatch(OrderCommon):
    def setUp(self):
        super().setUp()
        self.confirm_calls = []
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder.action_confirm
        calls = self.confirm_calls

        def counting(records):
            calls.append(records.mapped("shopify_order_name"))
            return original(records)

        patcher = patch.object(SaleOrder, "action_confirm", counting)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _run(self):
        self.env["shopify.webhook.event"]._cron_process_webhook_events(limit=50)
        self.env.invalidate_all()

    def _so(self, payload):
        return self.env["sale.order"].search(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )

    def test_batch_confirms_once(self):
        orders = [_order(n) for n in range(3)]
        events = [self._event(p) for p in orders]
        self._run()
        self.assertEqual(
            [e.state for e in events], ["done"] * 3, [e.last_error for e in events]
        )
        self.assertEqual([e.attempts for e in events], [1, 1, 1])
        self.assertEqual([self._so(p).state for p in orders], ["sale"] * 3)
        self.assertEqual(
            self.confirm_calls, [["#B0", "#B1", "#B2"]], "one confirmation"
        )
        for payload in orders:
            so = self._so(payload)
            self.assertEqual(len(so), 1)
            self.assertTrue(so.picking_ids, "each order got its delivery")
            self.assertEqual(
                so.picking_ids.move_ids.sale_line_id.order_id, so, "moves not mixed"
            )

    def test_one_bad_order_fails_alone(self):
        orders = [_order(n) for n in range(3)]
        events = [self._event(p) for p in orders]
        Importer = type(self.env["shopify.order.importer"])
        parse = Importer._shopify_parse

        def failing(importer, payload):
            if payload.get("name") == "#B1":
                raise payloads.PayloadError("bad order")
            return parse(importer, payload)

        with (
            patch.object(Importer, "_shopify_parse", failing),
            mute_logger(QUEUE_LOGGER),
        ):
            self._run()
        self.assertEqual([e.state for e in events], ["done", "pending", "done"])
        self.assertIn("bad order", events[1].last_error)
        self.assertEqual(events[1].attempts, 1)
        self.assertFalse(self._so(orders[1]))
        self.assertEqual(self._so(orders[0]).state, "sale")
        self.assertEqual(self._so(orders[2]).state, "sale")
        self.assertEqual(self.confirm_calls, [["#B0", "#B2"]])

    def test_failed_shared_confirmation_runs_one_by_one(self):
        orders = [_order(n) for n in range(3)]
        events = [self._event(p) for p in orders]
        SaleOrder = type(self.env["sale.order"])
        counting = SaleOrder.action_confirm

        def refusing(records):
            if "#B2" in records.mapped("shopify_order_name"):
                raise RuntimeError("cannot confirm #B2")
            return counting(records)

        with (
            patch.object(SaleOrder, "action_confirm", refusing),
            mute_logger(QUEUE_LOGGER),
        ):
            self._run()
        self.assertEqual([e.state for e in events], ["done", "done", "pending"])
        self.assertIn("cannot confirm #B2", events[2].last_error)
        self.assertEqual([e.attempts for e in events], [1, 1, 1])
        self.assertEqual([len(self._so(p)) for p in orders], [1, 1, 0])
        self.assertEqual([self._so(p).state for p in orders[:2]], ["sale"] * 2)
        self.assertEqual(self.confirm_calls, [["#B0"], ["#B1"]], "one by one")

    def test_batch_size_one_is_one_by_one(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "shopify_sync.webhook_order_batch", 1
        )
        orders = [_order(n) for n in range(2)]
        events = [self._event(p) for p in orders]
        self._run()
        self.assertEqual([e.state for e in events], ["done", "done"])
        self.assertEqual(self.confirm_calls, [["#B0"], ["#B1"]])

    def test_same_order_twice_never_in_one_batch(self):
        payload = _order(7)
        first, second = self._event(payload), self._event(payload)
        self._run()
        self.assertEqual((first.state, second.state), ("done", "done"))
        self.assertEqual(len(self._so(payload)), 1)
        self.assertEqual(self.confirm_calls, [["#B7"]])
