"""Deadline day, nothing lost and nothing counted twice (issue 14): a versions log cut mid-line, a
table sent twice, the old Office and WPS formats, tables too large to be a unit's, and the failures
that must be a message rather than a traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.audit import AuditLog
from lingpao.access.viewer import Viewer
from lingpao.citydesk.versions import TableVersions
from lingpao.desk import Desk
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.ingest.convert import soffice
from lingpao.pipeline import run_build
from lingpao.sample.writers import write_docx, write_xls, write_xlsx
from tests.conftest import query
from tests.helpers import (
    CITY_HEADERS,
    city_row,
    code,
    copy_warehouse,
    lingpao_cli,
    platform_record,
    write_inbox,
)

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "lingpao" / "dashboard" / "app.py")
PROGRAMME = load_programme(2023)
UNIT = "保定"
BUREAU = Viewer(id="bd@example.com", role="city", unit=UNIT, name="保定局")
LIBREOFFICE = soffice()
if LIBREOFFICE is None and os.environ.get("CI"):
    pytest.fail(
        "LibreOffice is not installed: `python3 bootstrap.py test` installs it", pytrace=False
    )
needs_libreoffice = pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed")


def baoding_table(rows: list[list]) -> list[list]:
    return [["保定市推荐“领跑者”企业培育及认定申报汇总表"], CITY_HEADERS, *rows]


def confirmed(n: int, company: str) -> list:
    return platform_record(
        申报编号=f"LP{n}",
        企业名称=company,
        统一社会信用代码=code(n, "130600"),
        所属市="保定市",
        所属县="竞秀区",
        所属集群="保定竞秀电子",
        当前环节="市级已确认入库",
    )


# -- 6: the versions log ------------------------------------------------------------------------
def test_a_torn_versions_log_costs_no_later_submission(tmp_path):
    """The log's last line was cut short (a crash while v001 was logged; its file is there): the
    next submission is listed, becomes the unit's table, and does not take number 1 again."""
    versions = TableVersions(tmp_path, PROGRAMME)
    first = versions.submit(BUREAU, UNIT, b"first", "保定.xlsx")
    whole = versions.log.read_bytes()
    versions.log.write_bytes(whole[: len(whole) // 2])  # v001's line, torn, no newline
    assert versions.versions(UNIT) == []  # the torn line names no version any more
    second = versions.submit(BUREAU, UNIT, b"second", "保定（更正）.xlsx")
    assert second.version == 2, "the number of the kept v001 file is not used again"
    assert versions.versions(UNIT) == [second]
    assert versions.active()[UNIT] == second
    kept = sorted(p.name[:5] for p in (tmp_path / "submissions" / UNIT).iterdir())
    assert kept == ["v001_", "v002_"]
    assert (tmp_path / first.file).read_bytes() == b"first"
    problems = versions.problems()
    assert any("第1行" in p for p in problems)
    assert any(Path(first.file).name in p and "没有版本记录" in p for p in problems)
    third = versions.submit(BUREAU, UNIT, b"third", "保定3.xlsx")
    assert [v.version for v in versions.versions(UNIT)] == [2, 3]
    assert versions.active()[UNIT] == third


def test_a_torn_log_is_reported_by_the_command_and_the_run(tmp_path, inbox):
    write_inbox(inbox, [confirmed(1, "河北保定甲公司")])
    table = tmp_path / "保定.xlsx"
    write_xlsx(
        table, [("汇总表", baoding_table([city_row(1, "河北保定甲公司", code(1, "130600"))]), 1)]
    )
    versions = TableVersions(inbox, PROGRAMME)
    versions.submit(BUREAU, UNIT, table.read_bytes(), "保定.xlsx")
    with versions.log.open("ab") as handle:
        handle.write(b'{"kind": "submit", "unit": "\xe4\xbf\x9d')  # a second line, cut short
    versions.submit(BUREAU, UNIT, table.read_bytes(), "保定2.xlsx")
    done = lingpao_cli("versions", "--inbox", inbox, "--warehouse", tmp_path / "w.duckdb")
    assert done.returncode == 0 and "第2版" in done.stdout and "第2行无法读取" in done.stdout
    summary = run_build(Layout.resolve(inbox, tmp_path / "w.duckdb"))
    assert summary.success
    assert any(
        "versions.jsonl" in name and "第2行" in reason for name, _, reason in summary.unreadable
    )
    served = Layout.resolve(warehouse=tmp_path / "w.duckdb").serving
    active = query(served, "SELECT version FROM city_table_versions WHERE active")
    assert active == [(2,)]


# -- 7: a table sent twice ------------------------------------------------------------------------
def test_a_resent_table_counts_once(inbox, tmp_path):
    """A corrected copy e-mailed under another name beside the first: the newer one is the unit's
    table, the older is superseded (the run names both), no row is counted twice."""
    write_inbox(inbox, [confirmed(1, "河北保定甲公司"), confirmed(2, "河北保定乙公司")])
    rows = [
        city_row(1, "河北保定甲公司", code(1, "130600")),
        city_row(2, "河北保定乙公司", code(2, "130600")),
    ]
    old, new = (
        inbox / "cities" / "保定市汇总表.xlsx",
        inbox / "cities" / "保定市汇总表（更正）.xlsx",
    )
    write_xlsx(
        old, [("汇总表", baoding_table(rows[:1] + [city_row(2, "错名公司", code(2, "130600"))]), 1)]
    )
    write_xlsx(new, [("汇总表", baoding_table(rows), 1)])
    os.utime(old, (1_690_000_000, 1_690_000_000))
    os.utime(new, (1_690_090_000, 1_690_090_000))
    summary, warehouse = run_summary(inbox, tmp_path)
    rows_read = query(
        warehouse, "SELECT source_file, company_name FROM city_submissions ORDER BY 2"
    )
    assert rows_read == [
        ("cities/保定市汇总表（更正）.xlsx", "河北保定乙公司"),
        ("cities/保定市汇总表（更正）.xlsx", "河北保定甲公司"),
    ]
    status = dict(
        query(warehouse, "SELECT source_file, status FROM inbox_files WHERE folder = 'cities'")
    )
    assert status == {
        "cities/保定市汇总表.xlsx": "superseded",
        "cities/保定市汇总表（更正）.xlsx": "read",
    }
    line = next(line for line in summary.lines() if "保定市汇总表.xlsx：" in line)
    assert "保定市汇总表（更正）.xlsx" in line and "已被取代" in line
    assert not query(warehouse, "SELECT * FROM dq_issues WHERE rule = 'field_mismatch'")


def test_the_same_table_as_word_and_workbook_counts_once(inbox, tmp_path):
    write_inbox(inbox, [confirmed(1, "河北保定甲公司")])
    grid = baoding_table([city_row(1, "河北保定甲公司", code(1, "130600"))])
    write_xlsx(inbox / "cities" / "保定.xlsx", [("汇总表", grid, 1)])
    write_docx(inbox / "cities" / "保定.docx", grid[0][0], grid[1:])
    for name in ("保定.xlsx", "保定.docx"):  # sent together: the same time
        os.utime(inbox / "cities" / name, (1_690_000_000, 1_690_000_000))
    _, warehouse = run_summary(inbox, tmp_path)
    assert query(warehouse, "SELECT count(*) FROM city_submissions") == [(1,)]
    status = dict(
        query(warehouse, "SELECT source_file, status FROM inbox_files WHERE folder = 'cities'")
    )
    assert status == {"cities/保定.docx": "superseded", "cities/保定.xlsx": "read"}


def run_summary(inbox: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    summary = run_build(Layout.resolve(inbox, warehouse))
    assert summary.success, summary.failure
    return summary, warehouse


# -- 8: .doc, .wps, .et -------------------------------------------------------------------------
def word_97(grid: list[list], out: Path) -> Path:
    """A Word 97 .doc of a 附件2 (title, then the table), written by LibreOffice itself as an
    office on older software would send it."""
    import html

    cells = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(v if v is not None else ''))}</td>" for v in row)
        + "</tr>"
        for row in grid[1:]
    )
    page = out.parent / "table.html"
    page.write_text(
        f'<html><head><meta charset="utf-8"></head><body><p>{html.escape(grid[0][0])}</p>'
        f'<table border="1">{cells}</table></body></html>',
        encoding="utf-8",
    )
    folder = out.parent / "made"
    subprocess.run(
        [
            LIBREOFFICE,
            f"-env:UserInstallation={(out.parent / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "doc:MS Word 97",
            "--outdir",
            str(folder),
            str(page),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    shutil.move(folder / "table.doc", out)
    return out


@needs_libreoffice
def test_old_office_and_wps_tables_are_read_through_libreoffice(inbox, tmp_path):
    write_inbox(inbox, [confirmed(1, "河北保定1号公司")])
    grid = baoding_table([city_row(1, "河北保定1号公司", code(1, "130600"))])
    word_97(grid, tmp_path / "保定市汇总表.doc")
    shutil.copy(tmp_path / "保定市汇总表.doc", inbox / "cities" / "保定市汇总表.doc")
    xls_grid = [
        ["定州市推荐“领跑者”企业培育及认定申报汇总表"],
        CITY_HEADERS,
        city_row(1, "河北定州公司", code(7, "130682")),
    ]
    write_xls(tmp_path / "dz.xls", [("汇总表", xls_grid, 1)])
    shutil.copy(tmp_path / "dz.xls", inbox / "cities" / "定州市汇总表.et")
    xinji = [["辛集市推荐“领跑者”企业培育及认定申报汇总表"], *grid[1:]]
    word_97(xinji, tmp_path / "xinji.doc")
    shutil.copy(tmp_path / "xinji.doc", inbox / "cities" / "辛集市汇总表.wps")
    _, warehouse = run_summary(inbox, tmp_path)
    files = {
        name: (status, reason)
        for name, status, reason in query(
            warehouse, "SELECT source_file, status, reason FROM inbox_files WHERE folder = 'cities'"
        )
    }
    assert files["cities/保定市汇总表.doc"][0] == "read"
    assert "LibreOffice" in files["cities/保定市汇总表.doc"][1]
    assert files["cities/定州市汇总表.et"][0] == "read"
    assert files["cities/辛集市汇总表.wps"][0] == "read"  # a .doc saved by WPS as .wps
    units = query(
        warehouse, "SELECT source_file, city, credit_code FROM city_submissions ORDER BY 1"
    )
    assert ("cities/保定市汇总表.doc", "保定", code(1, "130600")) in units
    assert ("cities/定州市汇总表.et", "定州", code(7, "130682")) in units
    assert not list(Path("/tmp").glob("lingpao-convert-*")), "the private folders are removed"


def test_without_libreoffice_an_old_format_says_what_to_do(inbox, tmp_path, monkeypatch):
    write_inbox(inbox, [confirmed(1, "河北保定甲公司")])
    (inbox / "cities" / "保定市汇总表.doc").write_bytes(
        bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 4088
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no soffice anywhere on it
    _, warehouse = run_summary(inbox, tmp_path)
    status, reason = query(
        warehouse, "SELECT status, reason FROM inbox_files WHERE source_file LIKE '%.doc'"
    )[0]
    assert status == "unreadable" and "LibreOffice" in reason and "另存为 .docx" in reason


# -- 9: tables too large to be a unit's ----------------------------------------------------------
def inflating_table(path: Path, megabytes: int) -> Path:
    """An xlsx of a few MB whose worksheet inflates to `megabytes` MB (17:1 and better)."""
    write_xlsx(
        path, [("汇总表", baoding_table([city_row(1, "河北保定甲公司", code(1, "130600"))]), 1)]
    )
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/sheet"))
    filler = b"<!--" + b"0123456789abcdef" * (megabytes << 16) + b"-->"
    members[sheet] = members[sheet].replace(b"</worksheet>", filler + b"</worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


def test_a_table_inflating_past_a_units_size_is_refused_before_parsing(sample_run, tmp_path):
    warehouse = copy_warehouse(sample_run, tmp_path)
    table = inflating_table(tmp_path / "保定市汇总表.xlsx", 64)
    assert table.stat().st_size < 20 << 20
    desk = Desk(Layout.resolve(warehouse=warehouse), BUREAU, PROGRAMME)
    check = desk.check_table(UNIT, table.name, table.read_bytes())
    assert not check.readable and "解压后过大" in check.unreadable
    done = lingpao_cli("check", table, "--warehouse", warehouse)
    assert done.returncode == 2 and "解压后过大" in done.stdout and "Traceback" not in done.stderr


def test_a_table_saying_it_has_more_rows_than_a_unit_sends_is_refused(sample_run, tmp_path):
    warehouse = copy_warehouse(sample_run, tmp_path)
    table = tmp_path / "保定市汇总表.xlsx"
    write_xlsx(table, [("汇总表", baoding_table([city_row(1, "甲", code(1, "130600"))]), 1)])
    with zipfile.ZipFile(table) as source:
        members = {name: source.read(name) for name in source.namelist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/sheet"))
    members[sheet] = members[sheet].replace(
        b'<dimension ref="A1:I3"/>', b'<dimension ref="A1:I500000"/>'
    )
    assert b"A1:I500000" in members[sheet]
    with zipfile.ZipFile(table, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    done = lingpao_cli("check", table, "--warehouse", warehouse)
    assert done.returncode == 2 and "500,000 行" in done.stdout


def test_the_command_line_check_applies_the_desks_size_limit(sample_run, tmp_path):
    warehouse = copy_warehouse(sample_run, tmp_path)
    table = tmp_path / "保定市汇总表.xlsx"
    with zipfile.ZipFile(table, "w", zipfile.ZIP_STORED) as target:
        target.writestr("xl/big.bin", os.urandom(21 << 20))
    done = lingpao_cli("check", table, "--warehouse", warehouse)
    assert done.returncode == 2 and "文件过大" in done.stdout and "20 MB" in done.stdout


# -- 10: messages, not tracebacks -------------------------------------------------------------------
def test_a_damaged_serving_copy_under_check_and_submit(sample_run, tmp_path):
    warehouse = copy_warehouse(sample_run, tmp_path)
    inbox = tmp_path / "inbox"
    (inbox / "cities").mkdir(parents=True)
    Layout.resolve(warehouse=warehouse).serving.write_bytes(b"not a database at all" * 100)
    table = tmp_path / "保定市汇总表.xlsx"
    write_xlsx(table, [("汇总表", baoding_table([city_row(1, "甲", code(1, "130600"))]), 1)])
    where = ["--warehouse", warehouse, "--inbox", inbox]
    done = lingpao_cli("check", table, *where)
    assert done.returncode == 0 and "已发布的数据文件无法读取" in done.stdout, done.stderr
    assert "Traceback" not in done.stderr
    done = lingpao_cli("submit", table, "--unit", UNIT, "--no-run", *where)
    assert done.returncode == 0 and "已上报" in done.stdout and "Traceback" not in done.stderr


def waiver_workbook(warehouse: Path, template: Path) -> Path:
    """The corrections template with its first issue waived (处理 忽略, with a reason)."""
    import openpyxl

    done = lingpao_cli("corrections", "template", template, "--warehouse", warehouse)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    at = next(r for r in range(1, 11) if sheet.cell(r, 1).value == "问题编号")
    header = [c.value for c in sheet[at]]
    sheet.cell(at + 1, header.index("处理") + 1).value = "忽略"
    sheet.cell(at + 1, header.index("原因") + 1).value = "核实无误"
    book.save(template)
    return template


def test_a_damaged_corrections_store_under_log_and_apply(sample_run, tmp_path):
    warehouse = copy_warehouse(sample_run, tmp_path)
    layout = Layout.resolve(warehouse=warehouse)
    template = waiver_workbook(warehouse, tmp_path / "corrections.xlsx")
    layout.corrections.write_bytes(b"garbage, not SQLite" * 50)
    for command in (("corrections", "log"), ("corrections", "apply", template)):
        done = lingpao_cli(*command, "--warehouse", warehouse)
        assert done.returncode == 2, command
        assert str(layout.corrections) in done.stderr and "已损坏" in done.stderr
        assert "Traceback" not in done.stderr


@contextlib.contextmanager
def read_only(path: Path):
    """The file made read-only for this process: immutable for root (chattr), else not writable;
    skipped where neither holds (the condition must be real, not assumed)."""
    immutable = os.geteuid() == 0 and shutil.which("chattr")
    if immutable:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        immutable = done.returncode == 0
    else:
        path.chmod(0o444)
    try:
        try:
            with path.open("ab"):
                pass
            pytest.skip("this machine cannot make a file read-only for the tests' user")
        except PermissionError:
            pass
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def test_a_store_that_cannot_be_written_is_not_called_damaged(sample_run, tmp_path):
    """A sound store the command may not write (a read-only file): the steward is told to check
    the permissions, not to restore a backup, and nothing is lost."""
    warehouse = copy_warehouse(sample_run, tmp_path)
    layout = Layout.resolve(warehouse=warehouse)
    template = waiver_workbook(warehouse, tmp_path / "corrections.xlsx")
    assert lingpao_cli("corrections", "log", "--warehouse", warehouse).returncode == 0
    assert layout.corrections.exists()
    with read_only(layout.corrections):
        done = lingpao_cli("corrections", "apply", template, "--warehouse", warehouse)
    assert done.returncode == 2, done.stderr
    assert "不可写" in done.stderr and "最新备份" not in done.stderr and "已损坏" not in done.stderr
    assert "Traceback" not in done.stderr
    done = lingpao_cli("corrections", "apply", template, "--warehouse", warehouse)
    assert done.returncode == 0, done.stderr  # writable again: the same workbook is recorded


def test_a_damaged_audit_log_stops_sign_in_and_the_command_says_so(
    sample_run, tmp_path, monkeypatch
):
    warehouse = copy_warehouse(sample_run, tmp_path)
    layout = Layout.resolve(warehouse=warehouse)
    from lingpao.access.users import User, save_users

    save_users(
        layout.users, {"s@example.com": User(id="s@example.com", role="steward")}, PROGRAMME.units
    )
    layout.audit.write_bytes(b"this is no database" * 64)
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=120)
    at.user = {"email": "s@example.com", "is_logged_in": True}
    at.run()
    assert not at.exception and not at.metric
    assert any("审计日志" in e.value for e in at.error)
    done = lingpao_cli("audit", "--warehouse", warehouse)
    assert done.returncode == 2 and "审计日志" in done.stderr and "Traceback" not in done.stderr


def test_the_audit_command_lists_entries_with_and_without_an_event(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    audit = AuditLog(Layout.resolve(warehouse=warehouse).audit)
    audit.record("signin_failed", who="x@example.com", address="10.0.0.8")  # no role, no unit
    audit.record("download", Viewer(id="bd", role="city", unit=UNIT), "保定_问题反馈.xlsx")
    for extra in ((), ("--event", "download")):
        done = lingpao_cli("audit", "--warehouse", warehouse, *extra)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert "保定_问题反馈.xlsx" in done.stdout and "None" not in done.stdout
    assert "x@example.com" in lingpao_cli("audit", "--warehouse", warehouse).stdout
    assert (
        "x@example.com"
        not in lingpao_cli("audit", "--warehouse", warehouse, "--event", "download").stdout
    )
