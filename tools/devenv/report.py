"""Turn test outputs into counts for tools/test.

usage: report.py junit FILE         -> last line "PASSED FAILED" of a pytest junit xml
       report.py odoo-log FILE RC   -> prints offending log lines, then "PASSED FAILED"

An Odoo run fails on a non-zero exit, on failed / erroring tests, on any ERROR or
CRITICAL log line, and on a WARNING that comes from or talks about shopify_sync
("no access rules", view warnings...): the install must be clean, not just green.
"""

import re
import sys
import xml.etree.ElementTree as ET

MODULE = "shopify_sync"
# Odoo's format: "%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s"
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z?]+) (?P<db>\S+) "
    r"(?P<logger>[\w.]+): (?P<message>.*)$"
)
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
MAX_SHOWN = 60  # offending entries printed; the full log stays on disk
MAX_TRACEBACK = 25  # continuation lines shown under each offending entry


def junit_counts(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 0
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    passed = failed = 0
    for suite in suites:
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        passed += tests - bad - skipped
        failed += bad
    return passed, failed


def is_offending(level, logger, message):
    if level in ("ERROR", "CRITICAL"):
        return True
    if level == "WARNING":
        return logger.startswith(f"odoo.addons.{MODULE}") or MODULE in message
    return False


def odoo_log_counts(path, returncode):
    """Return (passed, failed, offending entries as lists of lines)."""
    entries, current, result = [], None, None
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            line = raw.rstrip("\n")
            match = LOG_LINE.match(line)
            if not match:
                # Traceback lines belong to the entry above them.
                if current is not None and len(current) <= MAX_TRACEBACK:
                    current.append(line)
                continue
            current = None
            if match["logger"] == "odoo.tests.result":
                found = RESULT.search(match["message"])
                if found:
                    result = tuple(int(n) for n in found.groups())
            if is_offending(match["level"], match["logger"], match["message"]):
                current = [line]
                entries.append(current)
    failed_tests, error_tests, run = result or (0, 0, 0)
    failed = failed_tests + error_tests
    passed = run - failed
    # A broken install, a crash or a dirty log fails the suite even when every
    # test that ran passed (or none ran).
    if failed == 0 and (returncode != 0 or entries or result is None):
        failed = 1
    return passed, failed, entries, result


def main(argv):
    if argv[:1] == ["junit"]:
        passed, failed = junit_counts(argv[1])
        print(passed, failed)
        return 0
    if argv[:1] == ["odoo-log"]:
        path, returncode = argv[1], int(argv[2])
        passed, failed, entries, result = odoo_log_counts(path, returncode)
        if returncode:
            print(f"Odoo exited with code {returncode}")
        if result is None:
            print("no 'odoo.tests.result' line: the tests did not run to the end")
        if entries:
            print(
                "offending log lines (ERROR / CRITICAL, or WARNING about shopify_sync;"
                " a test expecting one wraps it in assertLogs / mute_logger):"
            )
        for entry in entries[:MAX_SHOWN]:
            print("\n".join(entry))
        if len(entries) > MAX_SHOWN:
            print(f"... {len(entries) - MAX_SHOWN} more offending lines in {path}")
        if result:
            print(
                f"Odoo tests: {result[2]} run, {result[0]} failed, {result[1]} errors"
            )
        print(passed, failed)
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
