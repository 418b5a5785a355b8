"""A small round-robin HTTP reverse proxy: the "load balancer" in front of several
`odoo-bin` servers (tools/e2e/setup_e2e.py --servers N, the benches).

Each request goes to the next backend in turn (no stickiness: Odoo keeps sessions
in the shared data directory, so any server answers any request). The body is
forwarded byte for byte (webhook signatures are over the raw body), with the
headers a proxy in front of Odoo sets for `--proxy-mode`: X-Forwarded-For,
X-Forwarded-Host and X-Forwarded-Proto. A backend that cannot be reached answers
502 to the client, as nginx would; nothing is retried on another backend (a
retried POST could be processed twice).

`counts` says how many requests each backend answered, `webhooks` how many of
them were webhook deliveries, `failures` how many it could not answer (the e2e
prints them).
"""

import http.client
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
TIMEOUT = 300  # seconds: longer than any request the benches make


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive towards the client

    def log_message(self, *_args):  # quiet: the servers log their requests
        pass

    def _forward(self):
        proxy = self.server.proxy
        index, (host, port) = proxy.next_backend()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        client = self.client_address[0]
        prior = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = "%s, %s" % (prior, client) if prior else client
        headers["X-Forwarded-Host"] = self.headers.get("Host") or proxy.address
        headers["X-Forwarded-Proto"] = "http"
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        try:
            conn.request(self.command, self.path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            proxy.count(index, failed=True)
            payload = ("bad gateway: %s\n" % type(exc).__name__).encode()
            self.send_response(502)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        finally:
            conn.close()
        proxy.count(index, webhook=self.path.startswith(proxy.webhook_prefix))
        try:
            self.send_response_only(resp.status, resp.reason)
            for key, value in resp.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (its timeout): the server did answer.
            self.close_connection = True
            with proxy._lock:
                proxy.client_gone += 1

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _forward


class RoundRobinProxy:
    def __init__(self, backends, host="127.0.0.1", port=0):
        self.backends = list(backends)  # [(host, port)]
        self._turn = itertools.cycle(range(len(self.backends)))
        self._lock = threading.Lock()
        self.counts = [0] * len(self.backends)
        self.failures = [0] * len(self.backends)
        self.webhooks = [0] * len(self.backends)  # of counts: webhook deliveries
        self.client_gone = 0  # answers the client had stopped waiting for
        self.webhook_prefix = "/shopify/webhook/"
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.proxy = self
        self.port = self._httpd.server_address[1]
        self.address = "%s:%d" % (host, self.port)
        self._thread = None

    def next_backend(self):
        with self._lock:
            index = next(self._turn)
        return index, self.backends[index]

    def count(self, index, failed=False, webhook=False):
        with self._lock:
            (self.failures if failed else self.counts)[index] += 1
            if webhook and not failed:
                self.webhooks[index] += 1

    def start(self):
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="round-robin-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
