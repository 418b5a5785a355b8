"""One process of Odoo's own sale flow (bench_orders.py --floor-workers, _floor.py):
opens the database's registry, says `ready`, waits for `go` on stdin, then creates
and confirms --count plain sale orders of the products of --skus, ten per
transaction. Prints one JSON object as _drain_child.py does: orders processed, this
process's CPU seconds, each batch's seconds, the wall time it ended (time.time()).

usage: python tools/bench/_floor_child.py --db NAME --count N --skus A,B,C,D,E
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _floor import confirm_orders, floor_setup  # noqa: E402
from _harness import Harness  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--skus", required=True)
    # Given by _parallel.run_workers to every child; a floor has no inbox.
    parser.add_argument("--since-id", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--log-level", default="warn")
    args = parser.parse_args()
    h = Harness(db=args.db, odoo_log_level=args.log_level)
    h.open_registry()
    with h.env() as env:  # the registry's caches warm, a pooled connection open
        partner_id, product_ids = floor_setup(env, args.skus.split(","))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "go":
        return 1
    cpu_started, began = time.process_time(), time.monotonic()
    confirm_orders(h.env, partner_id, product_ids, args.count)
    json.dump(
        {
            "processed": args.count,
            "cpu": time.process_time() - cpu_started,
            "runs": [round(time.monotonic() - began, 3)],
            "last_done": time.time(),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    h.close_registry()
    return 0


if __name__ == "__main__":
    sys.exit(main())
