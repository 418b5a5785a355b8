"""Scale benchmark (a script, not a test): a full push of N SKUs x 3 stores for N in
--sizes (default 1,000 / 10,000 / 100,000), each on a fresh database.

For each size: the catalogue in Odoo and in three emulated shops (one location each,
Standard limits: bucket 2000, restore 100 points/s), the first sync done (levels read
and written once, limits lifted: setup), then every product's stock changes and one
full push runs in an Odoo process of its own (tools/bench/_push_child.py): API calls,
points, wall time split into Odoo computation and API time, and that process's peak
resident memory (VmHWM; the emulator lives in this process, not in Odoo's). Targets:
growth linear in the number of levels (time per level at the largest size within 1.5x
of the 10,000 size's), and 300,000 levels pushed in <= 120 s with Odoo <= 1 GB.

The stores are pushed side by side (one thread and cursor each; the addon's default,
`shopify_sync.push_parallel_stores`); `--push-threads 1` measures them one after the
other. `--profile DIR` writes the push's cProfile (per thread) there.

Each size runs in a process of its own; the setup writes mappings and levels with SQL
(`--check-setup N` compares its rows with Match Products'; `--orm-setup` uses that).

usage: python tools/bench/bench_scale.py [--sizes 1000,10000,100000] [--template T]
       [--push-threads N] [--profile DIR] [--orm-setup] [--check-setup N] [--json]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Harness, Metric, base_arguments, report  # noqa: E402
from _scale_setup import fast_catalogue  # noqa: E402
from bench_inventory import STORES, setup_catalogue  # noqa: E402

HERE = Path(__file__).resolve().parent
LEVEL = "shopify.inventory.level"


def _one_size(args, skus):
    """Set up `skus` x 3 stores on a fresh database; push once in a child process."""
    with Harness(
        template=args.template, keep_db=args.keep_db, odoo_log_level=args.log_level
    ) as h:
        stores = h.create_stores(STORES)
        started = time.monotonic()
        with h.env() as env:
            make = setup_catalogue if args.orm_setup else fast_catalogue
            products, _location = make(h, env, stores, skus)
        for _sid, shop in stores:
            shop.bucket.configure(maximum=1e9, restore_rate=1e9, available=1e9)
        with h.env() as env:
            env[LEVEL]._cron_push_inventory()
        for _sid, shop in stores:
            shop.bucket.configure(maximum=2000, restore_rate=100, available=2000)
        with h.env() as env:
            env.cr.execute(
                "UPDATE stock_quant SET quantity = quantity + 5 WHERE product_id IN %s",
                [tuple(products.ids)],
            )
            env.invalidate_all()
            env[LEVEL]._shopify_mark_dirty(products)
            if args.push_threads:
                env["ir.config_parameter"].set_param(
                    "shopify_sync.push_parallel_stores", str(args.push_threads)
                )
        setup = time.monotonic() - started
        child = [h._found()["python"], str(HERE / "_push_child.py"), "--db", h.db]
        if args.profile:
            child += ["--profile", "%s/push-%d" % (args.profile, skus)]
        # The push runs in Odoo's own process: this one holds the emulator (its
        # registry stays open, idle, for the check below).
        out = subprocess.run(
            child,
            check=False,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        sys.stderr.write(out.stderr)
        if out.returncode:
            raise SystemExit("the push process failed (exit %d)" % out.returncode)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        with h.env() as env:
            env.cr.execute(
                "SELECT count(*) FROM shopify_inventory_level WHERE active AND dirty"
            )
            run["left_dirty"] = env.cr.fetchone()[0]
        run.update(skus=skus, levels=skus * STORES, setup=round(setup))
        run["load"] = os.getloadavg()[0]
        return run


MAPPING_COLS = (
    "store_id, company_id, product_id, sku, title, product_gid, variant_gid,"
    " inventory_item_gid, tracked, state, conflict_reason"
)
LEVEL_COLS = (
    "store_id, company_id, product_id, stock_location_id, shopify_location_id,"
    " inventory_item_gid, location_gid, active, active_in_shopify, dirty, dirty_seq,"
    " classification_needed, attempts, seen_at IS NOT NULL, last_published_qty,"
    " published_key"
)


def _setup_rows(args, skus, make):
    """Every column the setup writes, after the setup and after the first push, for
    one setup function (both databases are clones of one template: same ids)."""
    out = {}
    with Harness(template=args.template, odoo_log_level=args.log_level) as h:
        stores = h.create_stores(STORES)
        with h.env() as env:
            make(h, env, stores, skus)
        for stage in ("setup", "first push"):
            if stage == "first push":
                for _sid, shop in stores:
                    shop.bucket.configure(maximum=1e9, restore_rate=1e9, available=1e9)
                with h.env() as env:
                    env[LEVEL]._cron_push_inventory()
            with h.env() as env:
                rows = []
                for table, cols in (
                    ("shopify_product_mapping", MAPPING_COLS),
                    ("shopify_inventory_level", LEVEL_COLS),
                ):
                    env.cr.execute(
                        "SELECT %s FROM %s ORDER BY %s" % (cols, table, cols)
                    )
                    rows.append([tuple(map(str, r)) for r in env.cr.fetchall()])
                out[stage] = rows
    return out


def _check_setup(args, skus):
    """The SQL setup makes the rows Match Products makes (before and after the first
    push): each in a process of its own (one Odoo registry per process); fails loudly
    otherwise."""
    dumps = {}
    for name in ("sql", "orm"):
        cmd = [sys.executable, __file__, "--dump-setup", str(skus)]
        cmd += ["--orm-setup"] if name == "orm" else []
        cmd += ["--template", args.template] if args.template else []
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        dumps[name] = json.loads(out.stdout.strip().splitlines()[-1])
    bad = 0
    for stage in ("setup", "first push"):
        for i, name in enumerate(("mappings", "levels")):
            a, b = dumps["sql"][stage][i], dumps["orm"][stage][i]
            bad += a != b
            print(
                "%s, %s: %d rows SQL, %d rows ORM, %s"
                % (stage, name, len(a), len(b), "identical" if a == b else "DIFFERENT")
            )
            if a != b:
                diff = [(x, y) for x, y in zip(a, b, strict=False) if x != y][:3]
                print("  first differences (SQL, ORM):", diff)
    raise SystemExit(1 if bad else 0)


def _size_in_child(skus):
    argv = [a for a in sys.argv[1:] if not a.startswith("--sizes")]
    if "--sizes" in sys.argv:  # "--sizes X" form: drop its value too
        i = sys.argv.index("--sizes")
        argv = sys.argv[1:i] + sys.argv[i + 2 :]
    argv = [a for a in argv if a != "--json"]
    out = subprocess.run(
        [sys.executable, __file__, *argv, "--one-size", str(skus)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = base_arguments(__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--push-threads", type=int, help="stores pushed at once")
    parser.add_argument(
        "--orm-setup",
        action="store_true",
        help="set up through the addon's Match Products (slow at 100,000)",
    )
    parser.add_argument("--dump-setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--check-setup",
        type=int,
        metavar="N",
        help="only compare the SQL setup's rows with Match Products' at N SKUs",
    )
    parser.add_argument("--profile", help="directory for the push's cProfile files")
    args = parser.parse_args()
    if args.dump_setup:
        make = setup_catalogue if args.orm_setup else fast_catalogue
        print(json.dumps(_setup_rows(args, args.dump_setup, make)))
        return None
    if args.check_setup:
        return _check_setup(args, args.check_setup)
    if args.one_size:
        print(json.dumps(_one_size(args, args.one_size)))
        return None
    sizes = sorted(int(s) for s in args.sizes.split(","))
    # One process per size: Odoo's configuration opens once per process.
    runs = [_size_in_child(skus) for skus in sizes]
    metrics, notes = [], []
    for r in runs:
        label = "%s SKUs x %d (%s levels)" % (
            format(r["skus"], ","),
            STORES,
            format(r["levels"], ","),
        )
        ok = r["written"] == r["levels"] and r["left_dirty"] == 0
        metrics += [
            Metric(label + ": levels written", "= %d" % r["levels"], r["written"], ok),
            Metric(label + ": API calls", "", r["calls"], None),
            Metric(
                # Odoo and API time are summed over the stores (side by side,
                # their sum exceeds the wall time).
                label + ": wall (Odoo / API, summed over the stores)",
                "",
                "%.1f s (%.1f / %.1f)"
                % (r["wall"], r["odoo_seconds"], r["api_seconds"]),
                None,
            ),
            Metric(
                label + ": Odoo peak memory (registry loaded)",
                "",
                "%.0f MB (%.0f)" % (r["peak_mb"], r["loaded_mb"]),
                None,
            ),
        ]
        notes.append(
            "%s: setup %s s (not measured); load average %.1f at the end"
            % (label, r["setup"], r["load"])
        )
    largest = runs[-1]
    if largest["levels"] >= 300000:
        metrics += [
            Metric(
                "300,000 levels: wall time",
                "<= 120 s",
                largest["wall"],
                largest["wall"] <= 120,
                " s",
            ),
            Metric(
                "300,000 levels: Odoo peak memory",
                "<= 1024 MB",
                largest["peak_mb"],
                largest["peak_mb"] <= 1024,
                " MB",
            ),
        ]
    ref = next((r for r in runs if r["skus"] == 10000), None)
    if ref and largest is not ref:
        ratio = (largest["wall"] / largest["levels"]) / (ref["wall"] / ref["levels"])
        metrics.append(
            Metric(
                "time per level, largest vs 10,000 SKUs",
                "<= 1.5x (linear)",
                round(ratio, 2),
                ratio <= 1.5,
                "x",
            )
        )
    ok = report(metrics, title="bench_scale", as_json=args.json, extra={"notes": notes})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
