"""A round's configuration (`<year>.toml` in the programmes folder), checked and read into one object.

Every round of the programme has its own file: which application types it has, a window per type or
none, whether it has platform exports or only city tables, its evidence items and documents, the
years of its financial headers, which pools count, its deadlines, its units, labels, header
spellings and weights. The code reads these; nothing about a round is written elsewhere. A file is
checked whole when it is read (`check`): a wrong key is named, with what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from lingpao.foundation.settings import Settings
from lingpao.foundation.text import fold_label, fold_unit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROGRAMME_DIR = PROJECT_ROOT / "data" / "programme"
DEFAULT_CLUSTERS = PROJECT_ROOT / "data" / "reference" / "clusters.csv"
TYPES = ("pool_entry", "certification", "info_update")  # the contract's ids (§3.1)
SOURCES = ("platform", "city_tables")
POOLS = ("registry", "rounds", "cities")
LIST_HEADERS = {"city_pool": "pool"}  # a list read with another list's header spellings


class ProgrammeError(ValueError):
    """A programme file that cannot be used; the message names the key at fault and why."""

    def __init__(self, key: str, problem: str, path: Path | None = None) -> None:
        self.key, self.problem, self.path = key, problem, path
        where = f"{path.name}：" if path else ""
        super().__init__(f"{where}{key}：{problem}")


DEFAULT_CRITERIA = {"创新能力": 30, "发展潜力": 25, "质量效益": 25, "引领带动": 20}


@dataclass(frozen=True)
class ReviewRules:
    """How the round's expert review scores and chooses (the programme file's `[review]`)."""

    criteria: dict[str, float]  # criterion -> its maximum, in the sheet's order
    trim_from: int  # with this many experts or more, the highest and lowest totals are dropped
    spread_flag: float  # experts' totals further apart than this are flagged for discussion
    top_per_panel: int | None  # the proposed list: the best N of each panel ...
    floor: float | None  # ... and / or those whose mean reaches this
    combined_panel: str  # the panel of candidates whose direction has no panel of its own
    notice_days: int  # the public notice's length in working days


@dataclass(frozen=True)
class Programme:
    """One programme year: windows, units, labels, evidence, header mappings and weights."""

    raw: dict = field(repr=False)

    @property
    def year(self) -> int:
        return int(self.raw["year"])

    @property
    def timezone(self) -> str:
        return self.raw["timezone"]

    @property
    def units(self) -> list[str]:
        return list(self.raw["units"])

    @property
    def title(self) -> str:
        return self.raw.get("title", "“领跑者”企业培育及认定")

    @property
    def deadlines(self) -> dict[str, dt.date]:
        return {k: dt.date.fromisoformat(v) for k, v in self.raw["deadlines"].items()}

    @property
    def city_tables_due(self) -> dt.date:
        return self.deadlines["city_tables_due"]

    @property
    def feedback_due(self) -> dt.date:
        return self.deadlines["feedback_due"]

    @property
    def sources(self) -> list[str]:
        return list(self.raw["sources"])

    @property
    def has_platform(self) -> bool:
        """True when the round's applications come from platform exports; else the city tables
        are the applications, and the rules that need the platform are not applied."""
        return "platform" in self.sources

    @property
    def pools(self) -> list[str]:
        """Which lists count as the cultivation pool: the registry's, earlier rounds' confirmed
        pool entries, the cities' own pools."""
        return list(self.raw["pools"])

    @property
    def pool_lists(self) -> list[str]:
        """The registry lists counted as the pool (`pool_members.kind`): the province's (`pool`)
        when the round counts the registry, the cities' own (`city_pool`) when it counts them."""
        return [k for k, p in (("pool", "registry"), ("city_pool", "cities")) if p in self.pools]

    @property
    def report_years(self) -> list[int]:
        """The years of the financial headers, oldest first (the three before the round)."""
        return [int(y) for y in self.raw["report_years"]]

    @property
    def documents(self) -> list[str]:
        """Documents a round asks for besides the evidence items (shown to the bureaus)."""
        return list(self.raw.get("documents", []))

    @property
    def review(self) -> ReviewRules:
        """The expert review's criteria and rules (the defaults of the notice where not set)."""
        spec = self.raw.get("review", {})
        criteria = {c["name"]: float(c["max"]) for c in spec.get("criteria", [])}
        return ReviewRules(
            criteria=criteria or {k: float(v) for k, v in DEFAULT_CRITERIA.items()},
            trim_from=int(spec.get("trim_from", 5)),
            spread_flag=float(spec.get("spread_flag", 20)),
            top_per_panel=spec.get("top_per_panel", 10),
            floor=spec.get("floor"),
            combined_panel=spec.get("combined_panel", "综合"),
            notice_days=int(spec.get("notice_days", 5)),
        )

    @property
    def hebei_prefix(self) -> str:
        return self.raw["hebei_division_prefix"]

    @property
    def types(self) -> dict[str, dict]:
        return dict(self.raw["types"])

    def type_label(self, type_id: str) -> str:
        return self.types[type_id]["label"]

    def has_window(self, type_id: str) -> bool:
        return "window" in self.types.get(type_id, {})

    def window(self, type_id: str) -> tuple[dt.date, dt.date]:
        start, end = self.types[type_id]["window"]
        return dt.date.fromisoformat(start), dt.date.fromisoformat(end)

    @property
    def directions(self) -> dict[str, str]:
        return dict(self.raw["directions"])

    @property
    def stages(self) -> list[dict]:
        return list(self.raw["stages"])

    @property
    def stage_labels(self) -> dict[str, str]:
        return {s["id"]: s["label"] for s in self.stages}

    def reached(self, stage_id: str) -> list[str]:
        """The stages of an application that has reached `stage_id`: it and the later ones of the
        workflow, and the exits that leave after it or a later stage."""
        order = [s["id"] for s in self.stages]
        start = order.index(stage_id)
        reached = []
        for position, stage in enumerate(self.stages):
            after = stage.get("exit_after")
            if (after is None and position >= start) or (after and order.index(after) >= start):
                reached.append(stage["id"])
        return reached

    def figure(self, spec: dict) -> tuple[str, list[str]]:
        """(label, stage ids) of a figure of the `[progress]` table: `at` the stages listed, or
        `reached` the stage named."""
        stages = list(spec["at"]) if "at" in spec else self.reached(spec["reached"])
        return spec["label"], stages

    def figures(self, kind: str) -> list[tuple[str, list[str]]]:
        """The figures of the progress page of one kind: `kpis`, `funnel`, `waiting`."""
        return [self.figure(spec) for spec in self.raw["progress"][kind]]

    @property
    def evidence(self) -> dict[str, str]:
        return dict(self.raw["evidence"])

    def required_evidence(self, type_id: str) -> list[str]:
        """Evidence item ids that an application of this type must have uploaded."""
        wanted = self.types[type_id]["evidence"]
        return list(self.evidence) if wanted == "all" else list(wanted)

    def headers(self, kind: str) -> dict[str, list[str]]:
        """Column -> accepted header spellings; `{y1}`, `{y2}`, `{y3}` in a spelling are the
        report years (营业收入{y3} is 营业收入2022 in the 2023 round)."""
        years = {f"y{i}": y for i, y in enumerate(self.report_years, start=1)}
        return {
            column: [spelling.format(**years) for spelling in spellings]
            for column, spellings in self.raw["headers"][kind].items()
        }

    def required_columns(self, kind: str) -> list[str]:
        return list(self.raw["headers"]["required"].get(kind, []))

    @property
    def pool_status(self) -> dict[str, str]:
        return dict(self.raw["pool_status"])

    @property
    def shortlist_weights(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.raw["shortlist"]["weights"].items()}

    @cached_property
    def _type_lookup(self) -> dict[str, str]:
        lookup = {}
        for type_id, spec in self.types.items():
            for variant in [spec["label"], *spec.get("variants", [])]:
                lookup[fold_label(variant)] = type_id
        return lookup

    @cached_property
    def _direction_lookup(self) -> dict[str, str]:
        lookup = {}
        for direction_id, label in self.directions.items():
            lookup[fold_label(label)] = direction_id
        return lookup

    @cached_property
    def _stage_lookup(self) -> dict[str, str]:
        return {fold_label(s["label"]): s["id"] for s in self.stages}

    def type_of(self, label: str | None) -> str | None:
        """Canonical application type id for a label, or None if it is not one of the three."""
        return self._type_lookup.get(fold_label(label)) if label else None

    def direction_of(self, label: str | None) -> str | None:
        """Canonical direction id for a label; None when empty, unknown or several."""
        return self._direction_lookup.get(fold_label(label)) if label else None

    def stage_of(self, label: str | None) -> str | None:
        return self._stage_lookup.get(fold_label(label)) if label else None

    def unit_of(self, text: str | None) -> str | None:
        """The reporting unit named by a value such as `石家庄市` (exact match after folding)."""
        if not text:
            return None
        folded = fold_unit(text)
        folded = self.raw.get("unit_aliases", {}).get(folded, folded)
        return folded if folded in self.units else None

    def unit_in(self, text: str | None) -> str | None:
        """The reporting unit mentioned anywhere in a title, sheet or file name, if exactly one."""
        if not text:
            return None
        folded = fold_label(text)
        found = {u for u in self.units if u in folded}
        # 雄安新区 etc. never overlap; keep the longest to be safe
        if len(found) > 1:
            found = {max(found, key=len)} if all(f in max(found, key=len) for f in found) else found
        return found.pop() if len(found) == 1 else None


def programmes_folder(folder: Path | None = None) -> Path:
    """Where the round files are: the given folder, else LINGPAO_PROGRAMMES, else the shipped one."""
    if folder is not None:
        return Path(folder)
    chosen = Settings.load().get("LINGPAO_PROGRAMMES")
    return Path(chosen).expanduser() if chosen else PROGRAMME_DIR


def available_years(folder: Path | None = None) -> list[int]:
    return sorted(int(p.stem) for p in programmes_folder(folder).glob("*.toml") if p.stem.isdigit())


def read_programme(path: Path) -> Programme:
    """One round file, parsed and checked (ProgrammeError naming the key at fault); parsed once
    per version of the file in a process (a run's steps each ask for their round's)."""
    try:
        stat = Path(path).stat()
    except OSError:
        return _parse_programme(str(path), 0, 0)
    return _parse_programme(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _parse_programme(path: str, _mtime_ns: int, _size: int) -> Programme:
    try:
        with Path(path).open("rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ProgrammeError("（文件格式）", f"不是有效的 TOML：{error}", Path(path)) from None
    problems = check(raw)
    if problems:
        key, problem = problems[0]
        raise ProgrammeError(key, problem, Path(path))
    return Programme(raw)


def load_programme(year: int | None = None, folder: Path | None = None) -> Programme:
    """The configuration of a round (default: LINGPAO_YEAR, else the newest file)."""
    folder = programmes_folder(folder)
    if year is None:
        chosen = Settings.load().get("LINGPAO_YEAR")
        years = available_years(folder)
        if not chosen and not years:
            raise FileNotFoundError(f"没有申报年度配置文件（{folder}/<年度>.toml）")
        year = int(chosen) if chosen else max(years)
    path = folder / f"{year}.toml"
    if not path.exists():
        raise FileNotFoundError(f"没有{year}年度的配置文件：{path}")
    return read_programme(path)


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def check(raw: dict) -> list[tuple[str, str]]:
    """Every problem of a round file, as (key, what is wrong), in the file's order; none when it
    can be used. Checks the keys the code reads, their kinds and how they fit together."""
    problems: list[tuple[str, str]] = []

    def need(
        key: str, kind: type | tuple[type, ...], where: dict = raw, prefix: str = ""
    ) -> object:
        name = f"{prefix}{key}"
        if key not in where:
            problems.append((name, "缺少此项"))
            return None
        value = where[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            problems.append((name, f"类型不对（现为 {type(value).__name__}）"))
            return None
        return value

    year = need("year", int)
    need("timezone", str)
    units = need("units", list)
    if units is not None and (not units or not all(isinstance(u, str) and u for u in units)):
        problems.append(("units", "应为非空的单位名称列表"))
    sources = need("sources", list)
    if sources is not None:
        if not sources or any(s not in SOURCES for s in sources):
            problems.append(("sources", f"应为 {'、'.join(SOURCES)} 中的一项或多项"))
        elif "city_tables" not in sources:
            problems.append(("sources", "每一轮都有市级汇总表（city_tables）"))
    pools = need("pools", list)
    if pools is not None and any(p not in POOLS for p in pools):
        problems.append(("pools", f"应为 {'、'.join(POOLS)} 中的一项或多项"))
    report_years = need("report_years", list)
    if report_years is not None:
        if len(report_years) != 3 or not all(isinstance(y, int) for y in report_years):
            problems.append(("report_years", "应为三个年份，从早到晚"))
        elif year is not None and report_years != [year - 3, year - 2, year - 1]:
            problems.append(
                ("report_years", f"应为申报年度前三年 [{year - 3}, {year - 2}, {year - 1}]")
            )
    deadlines = need("deadlines", dict)
    if deadlines is not None:
        for key in ("city_tables_due", "feedback_due"):
            value = need(key, str, deadlines, "deadlines.")
            if value is not None and _date(value) is None:
                problems.append((f"deadlines.{key}", f"“{value}”不是日期（年-月-日）"))
    evidence = need("evidence", dict) or {}
    types = need("types", dict)
    if types is not None:
        if not types:
            problems.append(("types", "至少要有一种申报类型"))
        for type_id, spec in types.items():
            name = f"types.{type_id}"
            if type_id not in TYPES:
                problems.append((name, f"不是已知的申报类型（{'、'.join(TYPES)}）"))
                continue
            if not isinstance(spec, dict):
                problems.append((name, "应为一个表"))
                continue
            need("label", str, spec, f"{name}.")
            if "window" in spec:
                window = spec["window"]
                dates = [_date(d) for d in window] if isinstance(window, list) else []
                if len(dates) != 2 or None in dates:
                    problems.append((f"{name}.window", "应为两个日期 [开始, 截止]"))
                elif dates[0] > dates[1]:
                    problems.append((f"{name}.window", "开始日期晚于截止日期"))
                elif year is not None and dates[0].year != year:
                    problems.append((f"{name}.window", f"不在{year}年"))
            items = spec.get("evidence", [])
            if items != "all" and (
                not isinstance(items, list) or any(i not in evidence for i in items)
            ):
                problems.append((f"{name}.evidence", '应为 "all" 或 [evidence] 中的项目'))
        if sources and "platform" in sources:
            for type_id in types:
                if isinstance(types[type_id], dict) and "window" not in types[type_id]:
                    problems.append(
                        (f"types.{type_id}.window", "有平台导出的一轮，每种申报都要有申报窗口")
                    )
    directions = need("directions", dict)
    if directions is not None and not directions:
        problems.append(("directions", "至少要有一个申报方向"))
    stages = need("stages", list)
    ids = []
    if stages is not None:
        for position, stage in enumerate(stages):
            if not isinstance(stage, dict) or not {"id", "label"} <= set(stage):
                problems.append((f"stages[{position}]", "每个环节要有 id 和 label"))
                continue
            ids.append(stage["id"])
        for position, stage in enumerate(stages):
            after = stage.get("exit_after") if isinstance(stage, dict) else None
            if after is not None and after not in ids:
                problems.append((f"stages[{position}].exit_after", f"“{after}”不是已有的环节"))
    headers = need("headers", dict)
    if headers is not None:
        for kind in ("platform", "city_table", "pool", "clusters", "required"):
            need(kind, dict, headers, "headers.")
        for kind, columns in (headers.get("required") or {}).items():
            present = headers.get(LIST_HEADERS.get(kind, kind)) or {}
            for column in columns if isinstance(columns, list) else []:
                if column not in present:
                    problems.append((f"headers.required.{kind}", f"“{column}”没有表头写法"))
        for kind, mapping in headers.items():
            if kind == "required" or not isinstance(mapping, dict):
                continue
            for column, spellings in mapping.items():
                if not isinstance(spellings, list) or not spellings:
                    problems.append((f"headers.{kind}.{column}", "应为至少一种表头写法的列表"))
                    continue
                for spelling in spellings:
                    try:
                        str(spelling).format(y1=0, y2=0, y3=0)
                    except (KeyError, IndexError, ValueError):
                        problems.append(
                            (
                                f"headers.{kind}.{column}",
                                f"“{spelling}”中的占位符只能是 {{y1}} {{y2}} {{y3}}",
                            )
                        )
    pool_status = need("pool_status", dict)
    if pool_status is not None and (
        not {"pool", "leader"} <= set(pool_status)
        or set(pool_status) - {"pool", "leader", "adjusted"}
    ):
        problems.append(("pool_status", "应有 pool 与 leader 两项（可另有 adjusted）"))
    shortlist = need("shortlist", dict)
    if shortlist is not None:
        weights = need("weights", dict, shortlist, "shortlist.")
        if weights is not None and (
            not weights or not all(isinstance(w, (int, float)) and w >= 0 for w in weights.values())
        ):
            problems.append(("shortlist.weights", "应为非负的权重"))
    passed = need("city_passed", dict)
    if passed is not None and types is not None:
        for type_id in types:
            if type_id not in passed:
                problems.append((f"city_passed.{type_id}", "缺少此项"))
            elif any(s not in ids for s in passed[type_id]):
                problems.append((f"city_passed.{type_id}", "含有不存在的环节"))
    review = raw.get("review")
    if review is not None:
        if not isinstance(review, dict):
            problems.append(("review", "应为一个表"))
        else:
            for position, item in enumerate(review.get("criteria", [])):
                if (
                    not isinstance(item, dict)
                    or not isinstance(item.get("name"), str)
                    or not isinstance(item.get("max"), (int, float))
                    or isinstance(item.get("max"), bool)
                    or item["max"] <= 0
                ):
                    problems.append((f"review.criteria[{position}]", "应有 name 和正数 max"))
            for key in ("trim_from", "notice_days", "top_per_panel"):
                value = review.get(key)
                if value is not None and (not isinstance(value, int) or value < 1):
                    problems.append((f"review.{key}", "应为正整数"))
            for key in ("spread_flag", "floor"):
                value = review.get(key)
                if value is not None and (
                    not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0
                ):
                    problems.append((f"review.{key}", "应为非负数"))
            if (
                review.get("top_per_panel") is None
                and review.get("floor") is None
                and ("top_per_panel" in review or "floor" in review)
            ):
                problems.append(("review", "建议名单至少要有 top_per_panel 或 floor 之一"))
    progress = need("progress", dict)
    if progress is not None:
        for kind in ("kpis", "funnel", "waiting"):
            for position, spec in enumerate(need(kind, list, progress, "progress.") or []):
                stage = spec.get("reached") if isinstance(spec, dict) else None
                listed = spec.get("at", []) if isinstance(spec, dict) else []
                if stage is not None and stage not in ids or any(s not in ids for s in listed):
                    problems.append((f"progress.{kind}[{position}]", "含有不存在的环节"))
    return problems


def city_passed(programme: Programme, type_id: str) -> list[str]:
    """Stages at which the city has passed an application of this type on to the province."""
    return list(programme.raw["city_passed"].get(type_id, []))


_YEAR = re.compile(r"(?<!\d)(19|20)(\d{2})(?!\d)")
_BAD_LEAP_DAY = re.compile(r"(?<!\d)(\d{4})-02-29(?!\d)")


def next_round_text(text: str, source_year: int, year: int) -> str:
    """Round `year`'s file from round `source_year`'s text: every year from three before the
    source round to the source round itself (its own year, its dates, its report years and the
    years in its labels) moved by the same number of years; comments and layout kept. A 29
    February that does not exist in its new year becomes the 28th."""
    shift = year - source_year

    def moved(match: re.Match) -> str:
        found = int(match.group(0))
        return str(found + shift) if source_year - 3 <= found <= source_year else match.group(0)

    text = _YEAR.sub(moved, text)

    def leap(match: re.Match) -> str:
        y = int(match.group(1))
        is_leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return match.group(0) if is_leap else f"{y}-02-28"

    return _BAD_LEAP_DAY.sub(leap, text)


def to_confirm(programme: Programme) -> list[tuple[str, str]]:
    """What a person must confirm in a round file made from another's: (key, what it says now)."""
    weekdays = "一二三四五六日"

    def day(value: dt.date) -> str:
        return f"{value:%Y-%m-%d}（星期{weekdays[value.weekday()]}）"

    found = [("title / notice", f"{programme.title}；{programme.raw.get('notice', '')}")]
    for type_id, spec in programme.types.items():
        if programme.has_window(type_id):
            start, end = programme.window(type_id)
            found.append((f"types.{type_id}.window", f"{spec['label']}：{day(start)}至{day(end)}"))
        else:
            found.append((f"types.{type_id}", f"{spec['label']}：无申报窗口"))
    for key, value in programme.deadlines.items():
        found.append((f"deadlines.{key}", day(value)))
    found.append(("report_years", "、".join(map(str, programme.report_years))))
    found.append(("sources", "、".join(programme.sources)))
    found.append(("pools", "、".join(programme.pools)))
    found.append(("directions", "、".join(programme.directions.values())))
    found.append(("documents", "、".join(programme.documents) or "（无）"))
    found.append(("evidence", "、".join(programme.evidence.values())))
    return found
