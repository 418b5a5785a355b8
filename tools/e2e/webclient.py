"""What the browser does: a session from /web/session/authenticate, then
/web/dataset/call_kw and /web/dataset/call_button with the web client's context.

Every call either returns its result or raises `RpcError` with the server's message
(a UserError, a ValidationError, an access error or a traceback). `press` is a
button click: it also fails when the button answered with a red notification,
which is how the store buttons report a failure without raising.
"""

import requests

TIMEOUT = 120  # seconds: a button may talk to a shop several times


class RpcError(RuntimeError):
    pass


class WebClient:
    def __init__(self, url, db, login="admin", password="admin"):
        self.url, self.db = url.rstrip("/"), db
        self.http = requests.Session()
        self.context = {}
        self._login, self._password = login, password
        self._seq = 0

    def _post(self, path, params):
        self._seq += 1
        resp = self.http.post(
            self.url + path,
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": params,
                "id": self._seq,
            },
            timeout=TIMEOUT,
        )
        resp.raise_for_status()
        body = resp.json()
        if body.get("error"):
            data = body["error"].get("data") or {}
            raise RpcError(
                "%s: %s"
                % (
                    data.get("name") or body["error"].get("message"),
                    data.get("message") or data.get("debug") or body["error"],
                )
            )
        return body.get("result")

    def authenticate(self):
        info = self._post(
            "/web/session/authenticate",
            {"db": self.db, "login": self._login, "password": self._password},
        )
        if not info or not info.get("uid"):
            raise RpcError("%s cannot log in to %s" % (self._login, self.db))
        self.context = dict(info.get("user_context") or {})
        companies = (info.get("user_companies") or {}).get("current_company")
        if companies:
            self.context["allowed_company_ids"] = [companies]
        return info

    def _params(self, model, method, args, kwargs, context):
        ctx = dict(self.context, **(context or {}))
        return {
            "model": model,
            "method": method,
            "args": list(args),
            "kwargs": dict(kwargs, context=ctx),
        }

    def call(self, model, method, *args, context=None, **kwargs):
        """/web/dataset/call_kw/<model>/<method> (what a view or field widget sends)."""
        return self._post(
            "/web/dataset/call_kw/%s/%s" % (model, method),
            self._params(model, method, args, kwargs, context),
        )

    def button(self, model, record_id, method, context=None):
        """/web/dataset/call_button: a `type="object"` button of a saved record."""
        return self._post(
            "/web/dataset/call_button",
            self._params(model, method, [[record_id]], {}, context),
        )

    def press(self, model, record_id, method, context=None):
        """A button click that must work: no exception, no red notification.

        Returns (action, notification text)."""
        action = self.button(model, record_id, method, context)
        params = (action or {}).get("params") or {} if isinstance(action, dict) else {}
        text = params.get("message") or ""
        if params.get("type") == "danger":
            raise RpcError("%s on %s,%s: %s" % (method, model, record_id, text))
        return action, text

    def save(self, model, record_id, vals, context=None):
        """What the form view sends when it saves (before a button, too)."""
        ids = [record_id] if record_id else []
        return self.call(
            model, "web_save", ids, vals, specification={}, context=context
        )

    def search_read(self, model, domain, fields, **kwargs):
        return self.call(model, "search_read", domain, fields, **kwargs)

    def read_records(self, model, ids, fields, context=None):
        return self.call(model, "read", ids, fields, context=context)

    def count(self, model, domain):
        return self.call(model, "search_count", domain)
