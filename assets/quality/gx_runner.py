"""Thin wrapper over Great Expectations 1.x: run a JSON suite on a DataFrame, list failing records."""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.programme import PROJECT_ROOT

SUITES_DIR = PROJECT_ROOT / "expectations"
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["record_key"]}


@dataclass(frozen=True)
class Failure:
    """One record failing one expectation of a suite."""

    suite: str
    rule: str
    field: str
    record_key: str


SUITE_LABELS = {"applications": "平台申报", "city_submissions": "市级汇总表"}
SUITE_SOURCES = {"applications": "platform", "city_submissions": "city_table"}
# What each expectation type checks, for people (the suites use these types only).
EXPECTATION_LABELS = {
    "expect_column_values_to_match_regex": "{column}符合格式 {regex}",
    "expect_column_values_to_be_in_set": "{column}在允许的取值中",
    "expect_column_pair_values_to_be_equal": "{column_A}与{column_B}相同",
    "expect_column_pair_values_a_to_be_greater_than_b": "{column_A}不早于{column_B}",
    "expect_column_values_to_be_null": "{column}为空",
}


def describe_expectation(expectation: dict) -> str:
    """One expectation of a suite in words (column names as they are in the facts frame)."""
    template = EXPECTATION_LABELS.get(expectation["type"], expectation["type"])
    return template.format_map(
        {k: v for k, v in expectation["kwargs"].items() if isinstance(v, str)}
    )


def load_suite(name: str) -> dict:
    return json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def suite_rules(name: str) -> list[str]:
    return [e["meta"]["rule"] for e in load_suite(name)["expectations"]]


class SuiteRunner:
    """One ephemeral GX context; each `validate` runs a suite and updates the local Data Docs."""

    def __init__(self, docs_dir: Path | None = None) -> None:
        import great_expectations as gx

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self._gx = gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self.source = self.context.data_sources.add_pandas("lingpao")
        self.docs_dir = docs_dir
        if docs_dir is not None:
            shutil.rmtree(docs_dir, ignore_errors=True)
            self.context.add_data_docs_site(
                site_name="lingpao",
                site_config={
                    "class_name": "SiteBuilder",
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(docs_dir),
                    },
                },
            )

    def validate(self, name: str, frame: pd.DataFrame, parameters: dict) -> list[Failure]:
        """Validate `frame` with suite `name`; every unexpected record as a Failure."""
        from great_expectations.core.expectation_suite import ExpectationSuite

        gx = self._gx
        suite = self.context.suites.add(ExpectationSuite(**load_suite(name)))
        batch = self.source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        actions = []
        if self.docs_dir is not None:
            actions.append(gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["lingpao"]))
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=f"lingpao_{name}",
                validation_definitions=[definition],
                actions=actions,
                result_format=RESULT_FORMAT,
            )
        )
        outcome = checkpoint.run(
            batch_parameters={"dataframe": frame}, expectation_parameters=parameters
        )
        failures = []
        for result in outcome.run_results.values():
            for item in result.results:
                if item.exception_info and item.exception_info.get("raised_exception"):
                    raise RuntimeError(
                        f"suite {name}: {item.expectation_config.type} raised "
                        f"{item.exception_info.get('exception_message')}"
                    )
                if item.success:
                    continue
                meta = item.expectation_config.meta
                for entry in item.result.get("unexpected_index_list") or []:
                    failures.append(
                        Failure(name, meta["rule"], meta.get("field", ""), str(entry["record_key"]))
                    )
        return failures

    def finish_docs(self) -> Path | None:
        """Make the built Data Docs open without network: drop CDN assets, add a local stylesheet."""
        if self.docs_dir is None or not self.docs_dir.exists():
            return None
        make_offline(self.docs_dir)
        return self.docs_dir / "index.html"


_EXTERNAL = re.compile(
    r"<(?:script|link)\b[^>]*?(?:src|href)=\"https?://[^\"]*\"[^>]*?>(?:\s*</script>)?",
    re.IGNORECASE,
)
_EXTERNAL_IMG = re.compile(r"<img\b[^>]*?src=\"https?://[^\"]*\"[^>]*?>", re.IGNORECASE)
OFFLINE_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
a { color: #0b5cad; }
.fa-check-circle::before { content: "✔"; color: #1a7f37; font-style: normal; }
.fa-times::before, .fa-times-circle::before { content: "✘"; color: #c62828; font-style: normal; }
.fa-exclamation-triangle::before { content: "⚠"; color: #b26a00; font-style: normal; }
.collapse:not(.show) { display: none; }
"""


# Data Docs hold raw inbox values, which GX does not always escape: whoever opens them, no script
# runs and nothing outside the folder is fetched.
CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'none'; "
    "form-action 'none'; base-uri 'none'\">"
)


def make_offline(docs_dir: Path) -> None:
    """Rewrite every page of a Data Docs site to use only local files, under a policy that runs no
    script and loads nothing from elsewhere."""
    css = docs_dir / "static" / "styles" / "lingpao_offline.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(OFFLINE_CSS, encoding="utf-8")
    for page in docs_dir.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        html = _EXTERNAL.sub("", html)
        html = _EXTERNAL_IMG.sub("", html)
        depth = len(page.relative_to(docs_dir).parts) - 1
        link = f'<link rel="stylesheet" href="{"../" * depth}static/styles/lingpao_offline.css">'
        html = re.sub(r"<head[^>]*>", lambda m: f"{m.group(0)}\n{CSP}", html, count=1)
        html = html.replace("</head>", f"{link}\n</head>", 1)
        page.write_text(html, encoding="utf-8")
