"""A bulk query run in chunks: the rows of its top-level connection, `bulk.PAGE` at a
time (bulk.py runs the operation and keeps its state)."""

from graphql import execute, get_named_type, parse

from . import bulk, views
from .schema import SCHEMA


def chunks(shop, query, root):
    """The rows of a bulk query's top-level connection, `bulk.PAGE` at a time: each
    chunk is one execution of the query under the shop lock (the worker lets go of it
    in between). The connection itself is filtered and ordered once, on the first
    chunk. Raises bulk.BulkFailed when the query has errors (e.g. a nested connection
    without `first`)."""
    document = parse(query)
    state = {"start": 0, "total": None}
    while True:
        with shop.lock:
            result = execute(SCHEMA, document, root_value=_BulkRoot(root, state))
        if result.errors or not result.data:
            raise bulk.BulkFailed()
        conn = next(iter(result.data.values()))
        if "edges" in conn:
            yield [edge["node"] for edge in conn["edges"]]
        else:
            yield conn.get("nodes") or []
        state["start"] += bulk.PAGE
        if state["total"] is None or state["start"] >= state["total"]:
            return


class _BulkRoot:
    """Root resolvers for one chunk of a bulk query: a top-level connection without
    `first` is read whole once (kept in `state`) and served `bulk.PAGE` objects per
    execution; any other field resolves as usual."""

    def __init__(self, root, state):
        self._root = root
        self._state = state

    def __getattr__(self, name):
        resolve = getattr(self._root, name)
        state = self._state

        def chunk(info, **args):
            named = get_named_type(info.return_type).name
            if args.get("first") is not None or not named.endswith("Connection"):
                return resolve(info, **args)
            if "edges" not in state:
                whole = resolve(info, **dict(args, first=views.EVERY))
                state["edges"], state["total"] = whole["edges"], len(whole["edges"])
            start = state["start"]
            edges = state["edges"][start : start + bulk.PAGE]
            return {
                "edges": edges,
                "nodes": [edge["node"] for edge in edges],
                "pageInfo": {
                    "hasNextPage": start + bulk.PAGE < state["total"],
                    "hasPreviousPage": start > 0,
                    "startCursor": edges[0]["cursor"] if edges else None,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
            }

        return chunk
