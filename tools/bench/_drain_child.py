"""One inbox worker in a process of its own (bench_orders.py --workers): opens the
database's registry, says `ready`, waits for `go` on stdin, then runs the webhook
cron's processing (`_cron_process_webhook_events`, each run in its own transaction
as Odoo's cron does) until no pending event with an id >= --since-id is left, or
--deadline seconds passed. Events another worker leased, or deferred (a busy
order, a rate limit), are waited for as the re-triggered cron would: polled.

usage: python tools/bench/_drain_child.py --db NAME --since-id N [--profile FILE]
Prints one JSON object: events processed, this process's CPU seconds, each run's
seconds, the wall time of the last run that processed something (time.time()).
"""

import argparse
import cProfile
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Harness  # noqa: E402

POLL = 0.1  # seconds between looks at events leased or deferred elsewhere


def pending_left(env, since_id):
    env.cr.execute(
        "SELECT count(*) FROM shopify_webhook_event"
        " WHERE id >= %s AND state = 'pending'",
        [since_id],
    )
    return env.cr.fetchone()[0]


def drain(h, since_id, deadline):
    processed, runs, last_done = 0, [], None
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        began = time.monotonic()
        with h.env() as env:
            done = env["shopify.webhook.event"]._cron_process_webhook_events(limit=500)
        runs.append(round(time.monotonic() - began, 3))
        if done:
            processed += done
            last_done = time.time()
            continue
        with h.env() as env:
            if not pending_left(env, since_id):
                break
        time.sleep(POLL)
    return processed, runs, last_done


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--since-id", type=int, required=True)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--log-level", default="warn")
    parser.add_argument("--profile")
    args = parser.parse_args()
    h = Harness(db=args.db, odoo_log_level=args.log_level)
    h.open_registry()
    with h.env() as env:  # the registry's caches warm, a pooled connection open
        pending_left(env, args.since_id)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "go":
        return 1
    cpu_started = time.process_time()
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    processed, runs, last_done = drain(h, args.since_id, args.deadline)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    cpu = time.process_time() - cpu_started
    h.close_registry()
    json.dump(
        {"processed": processed, "cpu": cpu, "runs": runs, "last_done": last_done},
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
