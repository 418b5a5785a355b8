"""The e2e test's server-log check (tools/e2e/checks.py, (c)) finds what it must."""

from tools.e2e import checks

STAMP = "2026-12-01 22:26:14,136 1145 %s e2e_1 %s: %s"
CONFLICT = "ERROR: could not serialize access due to concurrent update"
CRON = "Call from cron Shopify: push inventory for server action #429 failed"
LOG = "\n".join(
    [
        STAMP % ("INFO", "werkzeug", '"POST /shopify/webhook/3 HTTP/1.1" 200 -'),
        STAMP % ("ERROR", "odoo.sql_db", "bad query: UPDATE shopify_inventory_level"),
        CONFLICT,
        " ",
        STAMP % ("WARNING", "odoo.addons.shopify_sync", "event 27 attempt 1 failed"),
        STAMP % ("ERROR", "odoo.sql_db", "bad query: UPDATE sale_order SET x = 1"),
        CONFLICT,
        " ",
        STAMP % ("ERROR", "odoo.addons.base.models.ir_cron", CRON),
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "psycopg2.errors.SerializationFailure: " + CONFLICT[7:],
        STAMP % ("CRITICAL", "odoo.service.server", "Failed to initialize database"),
        "",
    ]
)


def test_clean_log_has_no_problem(tmp_path):
    path = tmp_path / "odoo.log"
    path.write_text(LOG.split("\n", 1)[0] + "\n")
    assert checks.check_log(path, 0) == ([], 0)


def test_every_error_kind_counted_once_with_its_cause(tmp_path):
    path = tmp_path / "odoo.log"
    path.write_text(LOG)
    problems, conflicts = checks.check_log(path, 0, strict=True)
    assert len(problems) == 4, problems
    assert problems[0].startswith("(c) odoo-bin log: 2x ERROR odoo.sql_db: bad query")
    assert "could not serialize access" in problems[0]
    assert "Call from cron Shopify: push inventory" in problems[1]
    assert "CRITICAL odoo.service.server" in problems[2]
    assert problems[3] == "(c) odoo-bin log: 1 traceback(s)"


def test_handled_conflicts_counted_apart_but_what_they_broke_fails(tmp_path):
    path = tmp_path / "odoo.log"
    path.write_text(LOG)
    problems, conflicts = checks.check_log(path, 0)
    assert conflicts == 2
    assert len(problems) == 3, problems
    assert "Call from cron Shopify: push inventory" in problems[0]


def test_only_what_was_written_after_the_offset(tmp_path):
    path = tmp_path / "odoo.log"
    path.write_text(LOG)
    offset = path.stat().st_size
    with path.open("a") as log:
        log.write(LOG.split("\n", 1)[0] + "\n")
    assert checks.check_log(path, offset) == ([], 0)
