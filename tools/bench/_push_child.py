"""One full inventory push in a process of its own, so that Odoo's memory is
measured apart from the emulator and the bench's setup (bench_scale.py runs it).

usage: python tools/bench/_push_child.py --db NAME [--profile PREFIX]
With --profile, cProfile of the push: PREFIX.main.prof, and one PREFIX.<thread>.prof
per push thread (the stores pushed side by side).
Prints one JSON object: the push's summed run summary, its wall time, this process's
resident memory once the registry is loaded and its peak (VmHWM) after the push.
"""

import argparse
import cProfile
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


def _profile_threads(h, prefix):
    """Profile each push thread of the stores side by side (a profiler per thread)."""
    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    profiles = {}
    Model = h.registry["shopify.inventory.level"]  # the registry's class
    original = Model._shopify_push_store_apart

    def profiled(level, store_id, cache):
        prof = cProfile.Profile()
        profiles["store%d" % store_id] = prof
        prof.enable()
        try:
            return original(level, store_id, cache)
        finally:
            prof.disable()

    Model._shopify_push_store_apart = profiled
    return profiles


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--profile")
    args = parser.parse_args()
    h = Harness(db=args.db, odoo_log_level="warn")
    h.open_registry()
    loaded = _status_mb("VmRSS")
    profiles = _profile_threads(h, args.profile) if args.profile else None
    with h.env() as env:
        started = time.monotonic()
        if profiles is not None:
            profiles["main"] = prof = cProfile.Profile()
            prof.enable()
        results = env["shopify.inventory.level"]._cron_push_inventory()
        wall = time.monotonic() - started
    h.close_registry()
    for name, prof in (profiles or {}).items():
        prof.disable()
        prof.dump_stats("%s.%s.prof" % (args.profile, name))
    doc = sum_runs(results)
    doc.update(wall=round(wall, 2), loaded_mb=loaded, peak_mb=_status_mb("VmHWM"))
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
