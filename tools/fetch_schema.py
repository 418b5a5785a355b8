"""Shopify's official Admin GraphQL schema, fetched from npm and cached.

Shopify publishes the introspection of each Admin API version in its own npm package
`@shopify/dev-mcp` (`package/dist/data/admin_<version>.json.gz`). `schema_path()`
returns the cached copy, downloading the pinned package with `npm pack` when it is
missing;
`load_official_schema()` builds a graphql-core schema from it for validating documents.

Cache: `~/.cache/shopify_sync/schema/`, or `$SHOPIFY_SYNC_CACHE/schema/`.
Run `python tools/fetch_schema.py [version]` to fetch it ahead of time (CI does).
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

DEV_MCP_PACKAGE = "@shopify/dev-mcp@1.16.0"
DEFAULT_VERSION = "2026-10"
NPM_TIMEOUT_SECONDS = 300


class SchemaUnavailableError(RuntimeError):
    """The official schema is not cached and could not be fetched."""


def cache_root():
    override = os.environ.get("SHOPIFY_SYNC_CACHE")
    root = Path(override) if override else Path.home() / ".cache" / "shopify_sync"
    return root.expanduser()


def _member_name(version):
    return f"package/dist/data/admin_{version}.json.gz"


def _fetch(version, target):
    npm = shutil.which("npm")
    if not npm:
        raise SchemaUnavailableError(
            f"npm is not installed: cannot fetch {DEV_MCP_PACKAGE} for the official "
            f"Shopify Admin schema {version}. Install Node.js/npm, or put the file at "
            f"{target}."
        )
    with tempfile.TemporaryDirectory(prefix="shopify_schema_") as tmp:
        try:
            proc = subprocess.run(
                [npm, "pack", DEV_MCP_PACKAGE, "--silent", "--pack-destination", tmp],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SchemaUnavailableError(
                f"`npm pack {DEV_MCP_PACKAGE}` timed out after {NPM_TIMEOUT_SECONDS}s"
            ) from None
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            raise SchemaUnavailableError(
                f"`npm pack {DEV_MCP_PACKAGE}` failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-500:]}"
            )
        member = _member_name(version)
        with tarfile.open(tarballs[0], "r:gz") as tar:
            try:
                src = tar.extractfile(member)
            except KeyError:
                src = None
            if src is None:
                raise SchemaUnavailableError(
                    f"{DEV_MCP_PACKAGE} has no {member}: is {version} published?"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            with open(partial, "wb") as out:
                shutil.copyfileobj(src, out)
            partial.replace(target)  # atomic: a crash never leaves half a file


def schema_path(version=DEFAULT_VERSION):
    """Path of the cached `admin_<version>.json.gz`, fetched with npm if missing."""
    target = cache_root() / "schema" / f"admin_{version}.json.gz"
    if not target.is_file():
        _fetch(version, target)
    return target


def load_official_schema(version=DEFAULT_VERSION):
    """graphql-core schema of Shopify's Admin API `version`, ready for `validate()`.

    graphql-core refuses Shopify's schema as a whole (deprecated implementations of
    non-deprecated interface fields, which Shopify really has); the schema is marked as
    already checked so that document validation -- what we need -- works.
    """
    from graphql import build_client_schema

    with gzip.open(schema_path(version), "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    schema = build_client_schema(data.get("data", data))
    schema._validation_errors = []
    return schema


def main(argv):
    version = argv[1] if len(argv) > 1 else DEFAULT_VERSION
    try:
        path = schema_path(version)
    except SchemaUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)  # pylint: disable=print-used
        return 1
    print(path)  # pylint: disable=print-used
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
