"""Odoo's own sale flow, with no Shopify import around it: the ceiling Odoo puts
on the order rate on this machine (bench_orders.py --floor, --floor-workers).

`confirm_orders` creates 5-line sale orders of the given products by one `create()`
per batch of 10 and confirms them by one `action_confirm()`, a transaction per
batch (this addon's stock hooks still run: it is installed). `odoo_floor` runs it
in the bench's process; `parallel_floor` in N processes of their own
(_floor_child.py, started like the inbox workers of _parallel.py), each on its
own SKU set, PostgreSQL's CPU sampled meanwhile: what Odoo alone reaches with
every core of the machine.
"""

import time
from pathlib import Path

from _parallel import loadavg, run_workers

CHILD = Path(__file__).resolve().parent / "_floor_child.py"


def floor_setup(env, skus):
    """(customer id, product ids of `skus`) of the floor's orders, before timing."""
    partner = env["res.partner"].create({"name": "Bench floor customer"})
    products = env["product.product"].search([("default_code", "in", skus)])
    return partner.id, products.ids


def confirm_orders(open_env, partner_id, product_ids, count, batch=10):
    """`count` plain sale orders of `product_ids`, in transactions of `batch`
    (`open_env()`: a context manager committing an Odoo env)."""
    for first in range(0, count, batch):
        with open_env() as env:
            vals = [
                {
                    "partner_id": partner_id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product_id,
                                "product_uom_qty": 1 + (n + i) % 3,
                                "price_unit": 12.5,
                            },
                        )
                        for i, product_id in enumerate(product_ids)
                    ],
                }
                for n in range(first, min(first + batch, count))
            ]
            env["sale.order"].create(vals).action_confirm()


def odoo_floor(h, count, skus, batch=10):
    """In this process: (orders/s, Odoo CPU ms per order, SQL statements per
    order)."""
    from odoo import sql_db

    with h.env() as env:
        partner_id, product_ids = floor_setup(env, skus)
    statements = [0]
    execute = sql_db.Cursor.execute

    def counting(self, query, params=None, log_exceptions=True):
        statements[0] += 1
        return execute(self, query, params, log_exceptions)

    started, cpu_started = time.monotonic(), time.process_time()
    sql_db.Cursor.execute = counting
    try:
        confirm_orders(h.env, partner_id, product_ids, count, batch)
    finally:
        sql_db.Cursor.execute = execute
    elapsed = time.monotonic() - started
    cpu_ms = 1000 * (time.process_time() - cpu_started) / max(count, 1)
    return count / elapsed, cpu_ms, statements[0] / max(count, 1)


def parallel_floor(h, count, sets):
    """`count` orders split over len(sets) processes, one SKU set each: (processes,
    orders/s, Odoo CPU ms per order, PostgreSQL CPU ms per order, load before/after
    as text)."""
    per = -(-count // len(sets))
    load_before = loadavg()
    result = run_workers(
        h,
        len(sets),
        0,
        child=CHILD,
        child_args=lambda n: ["--count", str(per), "--skus", ",".join(sets[n])],
    )
    load = "%s-%s" % (load_before, loadavg())
    done = max(result["processed"], 1)
    return (
        len(sets),
        result["processed"] / result["wall"] if result["wall"] else 0.0,
        1000 * result["cpu"] / done,
        1000 * result["sampler"].pg_cpu() / done,
        load,
    )
