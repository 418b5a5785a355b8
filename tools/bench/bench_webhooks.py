"""Webhook ingest benchmark: a real `odoo-bin` with 2 HTTP workers and a cron worker,
bursts of signed deliveries from a few concurrent client threads on loopback, answer
latency p50 / p99 and events/s, then every event processed exactly once.

    ~/.cache/shopify_sync/venv/bin/python tools/bench/bench_webhooks.py [--json]
        [--deliveries 1200] [--bursts 4] [--threads 4] [--duplicates 0.05]
        [--no-outage] [--servers 2]

Targets: >= 100 deliveries/s answered, p99 <= 250 ms. Some deliveries are sent twice
(Shopify delivers at least once): the inbox must store each webhook id once and the
cron must process each stored event once (attempts = 1, final state).
`--servers 2`: two such servers on the database behind the harness's round-robin
proxy (tools/bench/_proxy.py): deliveries spread over both, the cron workers of
both process the inbox, and each event must still be processed exactly once.
Signatures are computed here with the standard library (HMAC-SHA256 of the raw body
with the store's client secret), independently of the addon's own code.
Then the outage phase (tools/bench/_outage.py, skipped with --no-outage): three more
stores, one answering 503 to every Admin API call, deliveries to all three; the
healthy stores' processing, the down store's events needing no API, cron runs
killed by Odoo's time limit, and the down store's recovery by itself.
"""

import base64
import hashlib
import hmac
import json
import random
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _outage  # noqa: E402
from _harness import Harness, Metric, base_arguments, report  # noqa: E402

TOPIC = "products/update"
TARGET_RATE = 100.0
TARGET_P99_MS = 250.0
PROCESS_TIMEOUT = 300  # seconds the cron may take to drain the inbox
REQUEST_TIMEOUT = 10


def sign(body, secret):
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def make_delivery(n, domain, secret):
    product_id = 7_000_000 + n
    body = json.dumps(
        {
            "id": product_id,
            "admin_graphql_api_id": "gid://shopify/Product/%d" % product_id,
            "title": "Bench product %d" % n,
            "updated_at": "2026-11-01T10:00:00Z",
            "variants": [],
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": TOPIC,
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        # Within Shopify's 48 h retry window: older deliveries are refused.
        "X-Shopify-Triggered-At": datetime.now(timezone.utc).isoformat(),
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Hmac-Sha256": sign(body, secret),
    }
    return body, headers


def send_burst(url, deliveries, threads):
    """Send `deliveries` from `threads` keep-alive clients; return (latencies, codes,
    seconds)."""
    latencies, codes, lock = [], [], threading.Lock()
    chunks = [deliveries[i::threads] for i in range(threads)]
    start_gate = threading.Barrier(threads + 1)

    def worker(chunk):
        session = requests.Session()
        start_gate.wait()
        for body, headers in chunk:
            t0 = time.perf_counter()
            try:
                code = session.post(
                    url, data=body, headers=headers, timeout=REQUEST_TIMEOUT
                ).status_code
            except requests.RequestException:
                code = 0
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                codes.append(code)
        session.close()

    workers = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    return latencies, codes, time.perf_counter() - t0


def percentile(values, pct):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def inbox_counts(h, store_id):
    with h.env(commit=False) as env:
        env.cr.execute(
            """SELECT state, attempts, count(*), count(DISTINCT webhook_id)
                 FROM shopify_webhook_event WHERE store_id = %s
                GROUP BY state, attempts""",
            (store_id,),
        )
        return env.cr.fetchall()


def main():
    parser = base_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=1200)
    parser.add_argument("--bursts", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--duplicates", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-outage", action="store_true", help="skip the one-store-down phase"
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="odoo-bin servers behind a proxy"
    )
    args = parser.parse_args()
    deliveries = max(1, min(args.deliveries, 20000))  # bounded on purpose
    rng = random.Random(args.seed)

    with Harness(db=args.db, template=args.template, keep_db=args.keep_db) as h:
        ((store_id, shop),) = h.create_stores(1, prefix="hooks")
        if args.servers > 1:
            h.start_servers(args.servers, workers=2, cron_threads=1)
        else:
            h.start_server(workers=2, cron_threads=1)
        url = "http://127.0.0.1:%d/shopify/webhook/%d" % (h.server_port, store_id)

        # Warm up each worker (registry, routing) outside the measurement.
        warm = [
            make_delivery(-i - 1, shop.domain, shop.client_secret) for i in range(20)
        ]
        send_burst(url, warm, args.threads)

        unique = [
            make_delivery(n, shop.domain, shop.client_secret) for n in range(deliveries)
        ]
        sent = list(unique)
        sent += rng.sample(unique, int(len(unique) * args.duplicates))
        rng.shuffle(sent)
        latencies, codes, seconds = [], [], 0.0
        per_burst = -(-len(sent) // args.bursts)
        first_sent = time.monotonic()
        for b in range(args.bursts):
            chunk = sent[b * per_burst : (b + 1) * per_burst]
            if not chunk:
                break
            lat, cod, took = send_burst(url, chunk, args.threads)
            latencies += lat
            codes += cod
            seconds += took
            time.sleep(0.5)  # a pause between bursts, as Shopify's traffic has

        # Wait for the processing cron (woken by the deliveries' trigger).
        expected = len(unique) + len(warm)
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while time.monotonic() < deadline:
            rows = inbox_counts(h, store_id)
            if sum(r[2] for r in rows if r[0] != "pending") >= expected:
                break
            time.sleep(0.5)
        drained = time.monotonic() - first_sent
        rows = inbox_counts(h, store_id)
        served = list(h.proxy.webhooks) if h.proxy else []
        outage_metrics, outage_notes = [], []
        if not args.no_outage:
            outage_metrics, outage_notes = _outage.run(
                h, args, make_delivery, sign, send_burst, percentile
            )

    stored = sum(r[2] for r in rows)
    final = sum(r[2] for r in rows if r[0] in ("done", "ignored"))
    once = sum(r[2] for r in rows if r[0] in ("done", "ignored") and r[1] == 1)
    bad_codes = len([c for c in codes if c != 200])
    rate = len(sent) / seconds if seconds else 0.0
    p50 = percentile(latencies, 50) * 1000
    p99 = percentile(latencies, 99) * 1000
    metrics = [
        Metric("deliveries answered / s", ">= %d" % TARGET_RATE, round(rate, 1),
               rate >= TARGET_RATE, "/s"),
        Metric("answer p50", "-", round(p50, 1), None, " ms"),
        Metric("answer p99", "<= %d ms" % TARGET_P99_MS, round(p99, 1),
               p99 <= TARGET_P99_MS, " ms"),
        Metric("answers not 200", "0", bad_codes, bad_codes == 0),
        Metric("events stored (unique webhook ids)", "= %d" % expected, stored,
               stored == expected),
        Metric("events processed exactly once", "= %d" % expected, once,
               once == expected and final == expected),
        Metric("inbox drained after first delivery", "-", round(drained, 1), None,
               " s"),
        *outage_metrics,
    ]  # fmt: skip
    extra = {
        "notes": [
            "%d deliveries (%d duplicates) in %d bursts from %d threads, "
            "%d server(s) of 2 HTTP workers + 1 cron worker%s; inbox states: %s"
            % (len(sent), len(sent) - len(unique), args.bursts, args.threads,
               args.servers,
               "" if args.servers < 2 else " behind a round-robin proxy "
               "(answered per server: %s)" % "/".join(map(str, served)),
               ", ".join("%s/attempts=%s: %d" % (r[0], r[1], r[2]) for r in rows)),
            *outage_notes,
        ]
    }  # fmt: skip
    ok = report(metrics, title="webhook ingest", as_json=args.json, extra=extra)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
