"""Screenshots of the running demo for the README, with headless Chromium over the
DevTools protocol (websocket-client): docs/screenshots/{store_form,mappings,logs,
health,overview,product_panel}.png.

    bash tools/demo            # in another terminal, let it run a minute
    ~/.cache/shopify_sync/venv/bin/python tools/screenshots.py [--odoo URL] [--db DB]

Logs in as admin / admin through /web/session/authenticate, hands the session cookie to
the browser (Network.setCookie), opens each page at 1400x900, waits until its content
is rendered, and captures it.
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
WIDTH, HEIGHT = 1400, 900
TIMEOUT = 30

# name -> (xml id of the action, extra URL fragment, CSS selector that proves content,
#          optionally a button to click then the selector of what it opens)
PAGES = {
    "store_form": (
        "shopify_sync.shopify_store_action",
        "view_type=form&model=shopify.store&id={store_id}",
        ".o_form_view .o_field_widget[name='name']",
    ),
    "mappings": (
        "shopify_sync.shopify_product_mapping_action",
        "view_type=list&model=shopify.product.mapping",
        ".o_list_view .o_data_row",
    ),
    "logs": (
        "shopify_sync.shopify_sync_log_action",
        "view_type=list&model=shopify.sync.log",
        ".o_list_view .o_data_row",
    ),
    "health": (
        "shopify_sync.shopify_store_health_action",
        "view_type=list&model=shopify.store",
        ".o_list_view .o_data_row",
    ),
    "overview": (
        "shopify_sync.shopify_overview_store_action",
        "view_type=kanban&model=shopify.store",
        ".o_kanban_view .o_kanban_record",
    ),
    # a product every demo store lists: its form, then its "Shopify" smart button
    "product_panel": (
        "stock.product_template_action_product",
        "view_type=form&model=product.template&id={product_id}",
        "button[name='action_view_shopify_levels']",
        "button[name='action_view_shopify_levels']",
        ".o_list_view .o_data_row",
    ),
}


def chromium():
    for name in (
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no chromium on PATH (Debian: apt-get install chromium)")


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="shopify_sync_shots_")
        self.proc = subprocess.Popen(
            [
                chromium(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--user-data-dir=%s" % self.profile,
                "--window-size=%d,%d" % (WIDTH, HEIGHT),
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = None
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and port is None:
            line = self.proc.stderr.readline()
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line or "")
            if found:
                port = int(found.group(1))
        if port is None:
            self.close()
            raise SystemExit("chromium did not open its DevTools port")
        pages = requests.get("http://127.0.0.1:%d/json" % port, timeout=TIMEOUT).json()
        target = next(p for p in pages if p.get("type") == "page")
        self.ws = websocket.create_connection(
            target["webSocketDebuggerUrl"], timeout=TIMEOUT, suppress_origin=True
        )
        self._id = 0

    def send(self, method, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def wait_for(self, selector, seconds=TIMEOUT):
        probe = "!!document.querySelector(%s)" % json.dumps(selector)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.evaluate(probe):
                return True
            time.sleep(0.3)
        return False

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def odoo_session(url, db):
    """Log in as admin; return (session id, requests session)."""
    http = requests.Session()
    resp = http.post(
        url + "/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "params": {"db": db, "login": "admin", "password": "admin"},
        },
        timeout=TIMEOUT,
    )
    resp.raise_for_status()
    if resp.json().get("error") or "session_id" not in http.cookies:
        raise SystemExit("admin / admin cannot log in to %s at %s" % (db, url))
    return http.cookies["session_id"], http


def call(http, url, model, method, *args, **kwargs):
    resp = http.post(
        url + "/web/dataset/call_kw",
        json={
            "jsonrpc": "2.0",
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs,
            },
        },
        timeout=TIMEOUT,
    )
    body = resp.json()
    if body.get("error"):
        raise SystemExit(
            "%s.%s: %s" % (model, method, body["error"]["data"]["message"])
        )
    return body["result"]


def res_id(http, url, xmlid):
    module, name = xmlid.split(".")
    rows = call(
        http, url, "ir.model.data", "search_read",
        [("module", "=", module), ("name", "=", name)], fields=["res_id"],
    )  # fmt: skip
    return rows[0]["res_id"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo", default="http://localhost:8069")
    parser.add_argument("--db", default="shopify_demo")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--only", help="comma-separated page names")
    args = parser.parse_args(argv)
    url = args.odoo.rstrip("/")
    session_id, http = odoo_session(url, args.db)
    stores = call(http, url, "shopify.store", "search_read", [], fields=["id"], limit=1)
    if not stores:
        raise SystemExit("no Shopify store in %s: run bash tools/demo first" % args.db)
    menu = res_id(http, url, "stock.menu_stock_root")
    # the product listed at the most store locations (a SKU shared by the stores)
    listed = call(
        http, url, "shopify.inventory.level", "search_read",
        [("active", "=", True), ("product_id", "!=", False)], fields=["product_id"],
    )  # fmt: skip
    counts = {}
    for row in listed:
        counts[row["product_id"][0]] = counts.get(row["product_id"][0], 0) + 1
    best = sorted(counts, key=lambda pid: (-counts[pid], pid))[:1]
    product = call(
        http, url, "product.product", "read", best, fields=["product_tmpl_id"]
    )
    os.makedirs(args.out, exist_ok=True)
    wanted = args.only.split(",") if args.only else list(PAGES)
    browser = Browser()
    try:
        browser.send("Network.enable")
        browser.send(
            "Network.setCookie", name="session_id", value=session_id, url=url + "/"
        )
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        for name in wanted:
            xmlid, fragment, selector, *click = PAGES[name]
            if "{product_id}" in fragment and not product:
                raise SystemExit("%s: no product is listed in a store yet" % name)
            target = "%s/web#action=%d&menu_id=%d&%s" % (
                url,
                res_id(http, url, xmlid),
                menu,
                fragment.format(
                    store_id=stores[0]["id"],
                    product_id=product[0]["product_tmpl_id"][0] if product else 0,
                ),
            )
            browser.send("Page.navigate", url=target)
            if not browser.wait_for(selector):
                raise SystemExit(
                    "%s: %s never appeared at %s" % (name, selector, target)
                )
            if click:
                button, opened = click
                browser.evaluate(
                    "document.querySelector(%s).click()" % json.dumps(button)
                )
                if not browser.wait_for(opened):
                    raise SystemExit("%s: %s never appeared" % (name, opened))
            time.sleep(1.5)  # late widgets (badges, chatter) settle
            shot = browser.send("Page.captureScreenshot", format="png")
            path = Path(args.out) / ("%s.png" % name)
            path.write_bytes(base64.b64decode(shot["data"]))
            print("%s  %d bytes" % (path, path.stat().st_size))  # pylint: disable=print-used
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
