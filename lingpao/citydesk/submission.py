"""An uploaded table checked, then kept as its unit's next version: refused when it cannot be read or
names another unit; accepted (problems and all, late or not) otherwise."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lingpao.access.viewer import Viewer
from lingpao.citydesk.table_check import TableCheck, check_city_table
from lingpao.citydesk.versions import MAX_BYTES, TableVersions, Version, VersionRefused, safe_name
from lingpao.foundation.programme import Programme


def check_upload(
    data: bytes,
    name: str,
    programme: Programme,
    served: Path | None,
    unit: str | None = None,
    platform_unit: str | None = None,
) -> TableCheck:
    """Check uploaded bytes as a city table (written to a private temporary folder to be read);
    too large a file is refused before anything is written or parsed. `platform_unit`: the only
    unit whose platform data the check may use (a city bureau's own)."""
    if len(data) > MAX_BYTES:
        return TableCheck(
            file=safe_name(name),
            unreadable=f"文件过大（{len(data) / 2**20:.1f} MB，上限 {MAX_BYTES >> 20} MB），未读取",
        )
    with tempfile.TemporaryDirectory(prefix="lingpao-check-") as folder:
        path = Path(folder) / (safe_name(name) or "upload.xlsx")
        path.write_bytes(data)
        return check_city_table(
            path,
            programme,
            served,
            unit=unit,
            source_file=safe_name(name),
            platform_unit=platform_unit,
        )


def submit_upload(
    versions: TableVersions,
    actor: Viewer,
    unit: str,
    data: bytes,
    name: str,
    served: Path | None,
) -> tuple[TableCheck, Version]:
    """Check the table as `unit`'s, then keep it as the unit's next (active) version."""
    actor.require("submit_table", unit)
    check = check_upload(data, name, versions.programme, served, unit, actor.scope.unit)
    if not check.readable:
        raise VersionRefused(f"文件无法读取，未上报：{check.unreadable}")
    if check.claimed_unit:
        raise VersionRefused(
            f"表中写明为{check.claimed_unit}，不能作为{unit}的汇总表上报；请核对文件或表格标题"
        )
    return check, versions.submit(actor, unit, data, name)
