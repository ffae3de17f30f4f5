"""A hostile inbox: every workbook Lingpao writes keeps formulas, tags and links as plain text."""

from pathlib import Path

import openpyxl
import pytest

from tests.conftest import query
from tests.helpers import HOSTILE, lingpao_cli, run, write_hostile_inbox


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    for folder in ("platform", "cities", "registry"):
        (base / "inbox" / folder).mkdir(parents=True)
    write_hostile_inbox(base / "inbox")
    _, warehouse = run(base / "inbox", base)
    return warehouse


def lingpao(*args: str) -> None:
    done = lingpao_cli(*args, timeout=300)
    assert done.returncode == 0, done.stderr


def cells(path: Path):
    for sheet in openpyxl.load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_every_export_writes_hostile_text_as_text(hostile, tmp_path):
    assert query(hostile, "SELECT count(*) FROM shortlist WHERE application_id = 'LPX3'") == [(1,)]
    out = tmp_path / "out"
    where = ["--warehouse", str(hostile)]
    lingpao("export", "summary", "--out", str(out / "summary.xlsx"), *where)
    lingpao("export", "shortlist", "--out", str(out / "shortlist.xlsx"), *where)
    lingpao("export", "feedback", "--all", "--out-dir", str(out / "feedback"), *where)
    lingpao("corrections", "template", str(out / "template.xlsx"), *where)
    workbooks = sorted(out.rglob("*.xlsx"))
    assert len(workbooks) == 3 + 14
    seen: set[str] = set()
    for workbook in workbooks:
        for cell in cells(workbook):
            assert cell.data_type != "f", f"{workbook.name}!{cell.coordinate} is a formula"
            if isinstance(cell.value, str):
                seen.add(cell.value)
                if cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.quotePrefix, f"{workbook.name}!{cell.coordinate}"
    text = "\n".join(seen)
    for name in ("formula_link", "formula_cmd", "formula_at", "formula_plus", "img", "svg"):
        assert HOSTILE[name] in text, name  # kept exactly, as text
