"""Run the emulator standalone (demo, benchmarks): prints shops, credentials and URLs as
JSON.

python -m tools.shopify_emulator --port 8090 --shops alpha,beta,gamma --skus 50 \
    --locations alpha:2 --bucket 2000 --restore-rate 100 --seed 1 [--hard]
"""

import argparse
import contextlib
import json
import random
import signal
import sys
import threading

from .emulator import Emulator

CENTS = ["00", "50", "90"]


def build(args):
    # --hard, else SHOPIFY_SYNC_EMULATOR_HARD from the environment (hard.py)
    emu = Emulator(host=args.host, port=args.port, hard=args.hard or None)
    emu.token_ttl = args.token_ttl
    rng = random.Random(args.seed)
    loc_counts = {}
    for spec in filter(None, (args.locations or "").split(",")):
        name, _, count = spec.partition(":")
        loc_counts[name] = int(count or 1)
    for name in filter(None, args.shops.split(",")):
        domain = name if "." in name else f"{name}.myshopify.com"
        short = domain.split(".")[0]
        shop = emu.add_shop(
            domain,
            client_id=f"cid-{short}",
            client_secret=f"csecret-{short}",
            access_token=f"shpat_legacy_{short}" if args.legacy_tokens else None,
            bucket=args.bucket,
            restore_rate=args.restore_rate,
        )
        locations = [
            shop.add_location("Main warehouse" if i == 0 else f"Location {i + 1}")
            for i in range(loc_counts.get(short, 1))
        ]
        for n in range(1, args.skus + 1):
            product = shop.add_product(
                f"Product {n:05d}",
                variants=[
                    {
                        "sku": f"SKU-{n:05d}",
                        "price": f"{rng.randint(5, 200)}.{rng.choice(CENTS)}",
                        "title": "Default Title",
                        "tracked": True,
                    }
                ],
            )
            item = product["variants"][0]["inventory_item_id"]
            for loc in locations:
                shop.set_level(item, loc, available=rng.randint(0, args.max_qty))
    return emu


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m tools.shopify_emulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument("--shops", default="alpha", help="comma-separated names or domains")
    p.add_argument(
        "--skus", type=int, default=20, help="products (one variant each) per shop"
    )
    p.add_argument(
        "--locations", default="", help="per-shop location counts, e.g. alpha:2,beta:3"
    )
    p.add_argument("--bucket", type=int, default=2000)
    p.add_argument("--restore-rate", type=float, default=100)
    p.add_argument("--max-qty", type=int, default=50)
    p.add_argument("--token-ttl", type=int, default=86399)
    p.add_argument(
        "--legacy-tokens",
        action="store_true",
        help="also accept a static token per shop",
    )
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--hard",
        action="store_true",
        help="hard mode: shop timezones, large ids, other apps, early webhooks",
    )
    args = p.parse_args(argv)
    emu = build(args).start()
    from .control import shop_info

    print(  # pylint: disable=print-used
        json.dumps(
            {
                "url": emu.url,
                "control": f"{emu.url}/_control",
                "shops": [shop_info(s) for s in emu.shops.values()],
            },
            indent=2,
        ),
        flush=True,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
