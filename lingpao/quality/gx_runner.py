"""Thin wrapper over Great Expectations 1.x: run a JSON suite on a DataFrame, list failing records,
and build the offline Data Docs. Imported only by orchestration (never by the dashboard)."""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lingpao.quality.suites import load_suite

RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["record_key"]}


@dataclass(frozen=True)
class Failure:
    """One record failing one expectation of a suite."""

    suite: str
    rule: str
    field: str
    record_key: str


class SuiteRunner:
    """One ephemeral GX context; `validate` runs a suite and rebuilds that suite's own Data Docs
    site (`<docs>/<suite>/`), so the sites of suites not run this time stay as they were."""

    def __init__(self, docs_dir: Path) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self.source = self.context.data_sources.add_pandas("lingpao")
        self.docs_dir = docs_dir

    def validate(self, name: str, frame: pd.DataFrame, parameters: dict) -> list[Failure]:
        """Validate `frame` with suite `name`, rebuild its Data Docs; every unexpected record."""
        from great_expectations.core.expectation_suite import ExpectationSuite

        gx = self._gx
        site = self.docs_dir / name
        shutil.rmtree(site, ignore_errors=True)
        self.context.add_data_docs_site(
            site_name=name,
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site),
                },
            },
        )
        suite = self.context.suites.add(ExpectationSuite(**load_suite(name)))
        batch = self.source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=f"lingpao_{name}",
                validation_definitions=[definition],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=[name])],
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
        make_offline(site)
        return failures


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


def write_index(docs_dir: Path, suites: dict[str, str]) -> Path:
    """The top page of the Data Docs: one link per suite site (names escaped; no script)."""
    import html

    links = "\n".join(
        f'<li><a href="{html.escape(name)}/index.html">{html.escape(label)}</a></li>'
        for name, label in suites.items()
        if (docs_dir / name / "index.html").exists()
    )
    index = docs_dir / "index.html"
    docs_dir.mkdir(parents=True, exist_ok=True)
    index.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{CSP}'
        '<link rel="stylesheet" href="static/styles/lingpao_offline.css">'
        f"<title>数据质量报告</title></head><body><h1>数据质量报告（Great Expectations）</h1>"
        f"<ul>{links}</ul></body></html>",
        encoding="utf-8",
    )
    css = docs_dir / "static" / "styles" / "lingpao_offline.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(OFFLINE_CSS, encoding="utf-8")
    return index
