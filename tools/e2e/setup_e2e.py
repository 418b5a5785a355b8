"""End-to-end setup test, as a user would do it (issue 11, item 5).

    ~/.cache/shopify_sync/venv/bin/python tools/e2e/setup_e2e.py --seeds 0-4
        [--events 30] [--hard] [--webhook-faults duplicate=0.1,reorder=1]
        [--keep-db] [--template auto|none|DB] [--canary] [--verbose]
        [--servers 2 [--workers 2] [--cron-workers 1]]

A fresh database with shopify_sync, a real `odoo-bin` serving HTTP with two cron
threads, the Shopify emulator in this process. Per seed: three new shops of one app
(alpha with two locations; shared and store-specific SKUs; one SKU Odoo does not
know), a second Odoo warehouse, products and inventory counts, and the three stores
set up only through the Guided Setup and the store form's buttons over the web
client's JSON-RPC (tools/e2e/world.py), every press working the first time. Then a
seeded mix of orders, cancellations, fulfilments, refunds with restock, store edits,
Odoo receipts and Reconcile now (tools/e2e/scenario.py); quiescence; Reconcile now
on every store; quiescence; and the checks of tools/e2e/checks.py.

--servers N (N >= 2): N `odoo-bin` servers in prefork mode (--workers, and
--cron-workers cron worker processes on each) on the one database, behind a
round-robin HTTP proxy started here (tools/bench/_proxy.py, the load balancer):
the web client and the emulator's webhook deliveries go through it, so requests
and webhooks spread over every server and any cron job runs on any of them. Every
server's log is checked.

--hard sets SHOPIFY_SYNC_EMULATOR_HARD=1 for the emulator (and passes hard=True to
each shop when the emulator accepts it). The last line is "N passed, N failed"
(one per seed); the exit code is non-zero when a seed failed.
"""

import argparse
import os
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "bench")]

import checks  # noqa: E402
import scenario  # noqa: E402
import world as worlds  # noqa: E402
from _harness import REPO, Harness  # noqa: E402
from template import ensure_template  # noqa: E402
from webclient import WebClient  # noqa: E402

HARD_ENV = "SHOPIFY_SYNC_EMULATOR_HARD"
LOG = REPO / ".cache" / "logs" / "e2e-odoo.log"


def server_logs(count):
    """One log per server: e2e-odoo.log alone, or e2e-odoo-1.log, e2e-odoo-2.log..."""
    if count <= 1:
        return [LOG]
    return [LOG.with_name("e2e-odoo-%d.log" % (n + 1)) for n in range(count)]


QUIET_TIMEOUT = 180  # seconds


def say(text):
    print(text, flush=True)  # pylint: disable=print-used


def parse_seeds(text):
    seeds = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def parse_faults(text):
    if not text or text == "none":
        return {}
    faults = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        faults[key] = bool(int(value)) if key == "reorder" else float(value)
    return faults


def unabsorbed_marks(h, store_ids):
    """Stock changes marked for the push but not absorbed into `dirty` yet (a table
    without a model: read directly, it is only observed)."""
    with h.env(commit=False) as env:
        env.cr.execute(
            """
            SELECT count(*) FROM shopify_inventory_level_mark m
              JOIN shopify_inventory_level l ON l.id = m.level_id
             WHERE l.store_id IN %s
            """,
            (tuple(store_ids),),
        )
        count = env.cr.fetchone()[0]
    return ["%d stock mark(s) not absorbed by the push" % count] if count else []


def per_server(proxy, served, logs, offsets):
    """Lines saying how one seed's work spread over the servers: requests and
    webhooks each answered through the proxy (since `served`), each one's Shopify
    cron runs and the ERROR lines of each log (since `offsets`)."""
    now = (proxy.counts, proxy.webhooks, proxy.failures)
    spread = tuple(
        "/".join("%d" % (a - b) for a, b in zip(x, y, strict=True))
        for x, y in zip(now, served, strict=True)
    )
    runs = [checks.cron_runs(log, o) for log, o in zip(logs, offsets, strict=True)]
    names = sorted({n for r in runs for n in r if n.startswith("Shopify")})
    errors = [checks.count_errors(log, o) for log, o in zip(logs, offsets, strict=True)]
    return [
        "    per server through the proxy: requests %s; webhooks %s; unanswered %s"
        % spread,
        "    Shopify cron runs per server: %s"
        % "; ".join(
            "%s %s"
            % (n.replace("Shopify: ", ""), "/".join(str(r.get(n, 0)) for r in runs))
            for n in names
        ),
        "    ERROR lines per server log: %s" % ", ".join(map(str, errors)),
    ]


def run_seed(seed, h, web, args, crons):
    rng = random.Random(seed)
    tail = "".join(c for c in h.db[-5:].lower() if c.isalnum())
    shops = worlds.make_shops(h.emulator, seed, tail, hard=args.hard)
    products, stock, warehouses, initial = worlds.make_odoo_stock(web, seed, shops, rng)
    world = worlds.World(seed, rng, shops, products, stock, warehouses, initial)
    timings = {}
    started = time.monotonic()
    for plan in shops:
        if plan.via == "wizard":
            worlds.setup_with_wizard(web, plan, world)
        else:
            worlds.setup_with_buttons(web, plan, world)
        worlds.map_payment_gateway(web, plan, world)
        worlds.check_store_ready(web, plan, world)
    timings["setup"] = time.monotonic() - started
    store_ids = [p.store_id for p in shops]
    ledger = scenario.Ledger(initial=initial)
    faults = parse_faults(args.webhook_faults)
    h.emulator.webhook_faults(seed=seed, **faults)
    started = time.monotonic()
    hidden = scenario.run(world, web, ledger, args.events, canary=args.canary)
    if hidden:
        say("    canary: a store edit the ledger does not know: %s" % hidden)
    timings["scenario"] = time.monotonic() - started
    waited, left = checks.wait_quiet(
        web,
        h.emulator,
        store_ids,
        crons,
        QUIET_TIMEOUT,
        say if args.verbose else None,
        probe=lambda: unabsorbed_marks(h, store_ids),
    )
    timings["quiet"] = waited
    problems = ["not quiet after %ds: %s" % (waited, "; ".join(left))] if left else []
    # Informative: what the stores showed before the final reconcile corrected it.
    before = checks.check_levels(web, world)
    started = time.monotonic()
    summaries = ["%d level(s) differed before it" % len(before)] + before[:5]
    for plan in shops:
        _action, text = web.press(
            "shopify.store", plan.store_id, "action_reconcile_inventory_now"
        )
        summaries.append(text.replace("\n", " "))
    timings["reconcile"] = time.monotonic() - started
    waited, left = checks.wait_quiet(
        web,
        h.emulator,
        store_ids,
        crons,
        QUIET_TIMEOUT,
        say if args.verbose else None,
        probe=lambda: unabsorbed_marks(h, store_ids),
    )
    timings["quiet"] += waited
    if left:
        problems.append("not quiet after the reconcile: %s" % "; ".join(left))
    problems += checks.check_levels(web, world)
    problems += checks.check_stock(web, world, ledger)
    problems += checks.check_orders(web, world, ledger)
    h.emulator.webhook_faults()
    return world, ledger, problems, timings, summaries


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-4", help='e.g. "0-4" or "3,7"')
    parser.add_argument("--events", type=int, default=30, help="events per seed")
    parser.add_argument(
        "--hard",
        action="store_true",
        default=os.environ.get(HARD_ENV) == "1",
        help="emulator hard mode (%s=1)" % HARD_ENV,
    )
    parser.add_argument(
        "--webhook-faults",
        default="duplicate=0.1,reorder=1,delay=0.05",
        help='emulator webhook faults during a seed, or "none"',
    )
    parser.add_argument(
        "--template",
        default=os.environ.get("SHOPIFY_SYNC_BENCH_TEMPLATE") or "auto",
        help='database to clone (dependencies installed); "auto": a cached one '
        'built on first use (tools/e2e/template.py); "none": install from scratch',
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print every press")
    parser.add_argument(
        "--strict-log",
        action="store_true",
        help="count odoo.sql_db's ERROR lines of handled transaction conflicts too",
    )
    parser.add_argument(
        "--canary",
        action="store_true",
        help="make one store edit the ledger is not told about: every seed must FAIL",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="odoo-bin servers behind a round-robin proxy (2+: prefork mode)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="HTTP workers per server (--servers 2+)"
    )
    parser.add_argument(
        "--cron-workers",
        type=int,
        default=1,
        help="cron workers per server (--servers 2+; one server: 2 cron threads)",
    )
    args = parser.parse_args(argv)
    if args.hard:
        os.environ[HARD_ENV] = "1"
    seeds = parse_seeds(args.seeds)
    total = time.monotonic()
    results = {}
    logs = server_logs(args.servers)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    for log in logs:
        log.unlink(missing_ok=True)
    harness = Harness(db="e2e_%s" % time.strftime("%H%M%S"), keep_db=args.keep_db)
    if args.template == "auto":
        harness.template = ensure_template(harness)
    elif args.template != "none":
        harness.template = args.template
    with harness as h:
        ready = time.monotonic() - total
        if args.servers > 1:
            h.start_servers(
                args.servers,
                workers=args.workers,
                cron_threads=args.cron_workers,
                log_files=[str(p) for p in logs],
                # Which server ran which job (the "Job done" lines, at INFO).
                extra=("--log-handler=odoo.addons.base.models.ir_cron:INFO",),
            )
            where = "%d odoo-bin servers (%d workers, %d cron workers each) behind" % (
                args.servers,
                args.workers,
                args.cron_workers,
            )
        else:
            h.start_server(cron_threads=2, log_file=str(LOG))
            where = "odoo-bin at"
        url = "http://127.0.0.1:%d" % h.server_port
        web = WebClient(url, h.db)
        web.authenticate()
        # Settings > Technical > System Parameters: where Shopify delivers webhooks.
        web.call("ir.config_parameter", "set_param", "web.base.url", url)
        web.call("ir.config_parameter", "set_param", "web.base.url.freeze", "True")
        crons = checks.cron_ids(web)
        say(
            "e2e: database %s ready in %.0fs, %s %s (log %s), hard mode %s"
            % (
                h.db,
                ready,
                where,
                url,
                ", ".join(str(p) for p in logs),
                "on" if args.hard else "off",
            )
        )
        for seed in seeds:
            started = time.monotonic()
            offsets = [log.stat().st_size for log in logs]
            served = (
                (list(h.proxy.counts), list(h.proxy.webhooks), list(h.proxy.failures))
                if h.proxy
                else None
            )
            try:
                world, ledger, problems, timings, summaries = run_seed(
                    seed, h, web, args, crons
                )
            except Exception as exc:  # noqa: BLE001 - a failed press fails the seed
                world, ledger, timings, summaries = None, None, {}, []
                problems = ["%s: %s" % (type(exc).__name__, exc)]
                if args.verbose:
                    traceback.print_exc()
            time.sleep(0.5)  # let the server finish writing its log lines
            conflicts = 0
            for n, (log, offset) in enumerate(zip(logs, offsets, strict=True)):
                log_problems, found = checks.check_log(
                    log, offset, args.strict_log, warnings=not args.hard
                )
                if len(logs) > 1:
                    log_problems = ["server %d: %s" % (n + 1, p) for p in log_problems]
                problems += log_problems
                conflicts += found
            timings["conflicts logged"] = conflicts
            elapsed = time.monotonic() - started
            results[seed] = (problems, elapsed)
            say(
                "e2e seed %d: %s in %.0fs (%s)%s"
                % (
                    seed,
                    "FAIL" if problems else "PASS",
                    elapsed,
                    ", ".join(
                        "%s %.0f%s" % (k, v, "" if k == "conflicts logged" else "s")
                        for k, v in timings.items()
                    ),
                    "; events: %s" % dict(ledger.counts) if ledger else "",
                )
            )
            if args.verbose and world:
                say("\n".join(world.setup_log))
            if served is not None:
                for line in per_server(h.proxy, served, logs, offsets):
                    say(line)
            for line in summaries if args.verbose else summaries[:1]:
                say("    final reconcile: " + line)
            for problem in problems[:40]:
                say("    " + problem)
            if len(problems) > 40:
                say("    ... %d more" % (len(problems) - 40))
            if world:
                # Done with this seed's stores: archived, the crons skip them.
                web.call(
                    "shopify.store", "write", [p.store_id for p in world.shops],
                    {"active": False},
                )  # fmt: skip
    failed = [s for s, (p, _t) in results.items() if p]
    say(
        "e2e: %d seed(s) in %.0fs; failed seeds: %s"
        % (len(results), time.monotonic() - total, failed or "none")
    )
    say("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
