"""One full inventory push in a process of its own, so that Odoo's memory is
measured apart from the emulator and the bench's setup (bench_scale.py runs it).

usage: python tools/bench/_push_child.py --db NAME
Prints one JSON object: the push's summed run summary, its wall time, this process's
resident memory once the registry is loaded and its peak (VmHWM) after the push.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Harness  # noqa: E402
from bench_inventory import sum_runs  # noqa: E402


def _status_mb(key):
    """VmRSS / VmHWM of this process, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    h = Harness(db=args.db, odoo_log_level="warn")
    h.open_registry()
    loaded = _status_mb("VmRSS")
    with h.env() as env:
        started = time.monotonic()
        results = env["shopify.inventory.level"]._cron_push_inventory()
        wall = time.monotonic() - started
    h.close_registry()
    doc = sum_runs(results)
    doc.update(wall=round(wall, 2), loaded_mb=loaded, peak_mb=_status_mb("VmHWM"))
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
