"""Search test fixtures: the five corpus reports with HAND-WRITTEN metadata.

The texts and words come from the real ingest steps (``ingest.normalize.prepare`` and
``ingest.pipeline.segment``); year, jurisdiction and publisher are typed in below instead of
extracted, so that these tests do not move when extraction improves. To switch to the full
pipeline, make :func:`corpus_reports` return ``ingest.pipeline.extract_file(path)`` for each file;
the tests compute what they expect from the documents, and only rely on these facts of the
metadata: 四川省 holds a county and a township, and every filter in ``test_field_filters`` selects
something. ``test_search_pipeline.py`` already runs the full pipeline once.

Every engine is held to the same tests: the session fixture ``engine_name`` runs each test that
uses it (or ``datadir``, ``index``, ``engine``) once per engine in :data:`ENGINES`.

Import the fixtures into a test module with ``from conftest_search import *``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.datadir import DataDir
from ingest.normalize import prepare
from ingest.pipeline import segment
from ingest.report import Jurisdiction, Place, Publisher, Report
from ingest.segment import Segmenter
from search.document import IndexDoc
from search.index import SearchIndex

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ENGINES = ("whoosh", "tantivy")
USER_WORDS = ("法律明白人", "洪口镇", "长冈乡")

# file name → (year, jurisdiction, parents, publisher); codes in the gazetteer's style.
HAND_METADATA = {
    "2020-四川省-宣汉县-法治政府建设工作总结.txt": (
        2020, Place("宣汉县", "511722", "county", "511700"),
        [Place("四川省", "510000", "province"), Place("达州市", "511700", "city", "510000")],
        Publisher("宣汉县司法局", "department")),
    "2023-四川省-洪口镇-法治政府建设工作情况的报告.txt": (
        2023, Place("洪口镇", "511921107", "township", "511921"),
        [Place("四川省", "510000", "province"), Place("巴中市", "511900", "city", "510000"),
         Place("通江县", "511921", "county", "511900")],
        Publisher("通江县洪口镇人民政府", "government")),
    "2024-江西省-长冈乡-法治政府建设工作报告.txt": (
        2024, Place("长冈乡", "360732217", "township", "360732"),
        [Place("江西省", "360000", "province"), Place("赣州市", "360700", "city", "360000"),
         Place("兴国县", "360732", "county", "360700")],
        Publisher("长冈乡人民政府", "government")),
    "2024-河南省-社旗县-法治政府建设工作报告.txt": (
        2024, Place("社旗县", "411327", "county", "411300"),
        [Place("河南省", "410000", "province"), Place("南阳市", "411300", "city", "410000")],
        Publisher("社旗县人民政府", "government")),
    "2024-甘肃省-甘谷县-法治政府建设工作总结.txt": (
        2024, Place("甘谷县", "620523", "county", "620500"),
        [Place("甘肃省", "620000", "province"), Place("天水市", "620500", "city", "620000")],
        Publisher("甘谷县人民政府", "government")),
}


def corpus_reports() -> list[Report]:
    """The corpus as Reports: real normalised text and words, hand-written metadata."""
    reports = []
    for path in sorted(CORPUS.glob("*.txt")):
        year, place, parents, publisher = HAND_METADATA[path.name]
        report = Report(source=f"corpus/{path.name}", original=path.read_text(encoding="utf-8"),
                        title=path.stem.split("-", 3)[-1], year=year,
                        jurisdiction=Jurisdiction(place.name, place.level, place.code, parents=parents),
                        publisher=publisher)
        reports.append(segment(prepare(report)))
    return reports


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    return Segmenter(USER_WORDS)


@pytest.fixture(scope="session")
def reports() -> list[Report]:
    return corpus_reports()


class Docs(list):
    """The corpus documents; short repr, because hypothesis prints its arguments on failure."""

    def __repr__(self) -> str:
        return f"<{len(self)} corpus IndexDocs>"


@pytest.fixture(scope="session")
def docs(reports) -> list[IndexDoc]:
    return Docs(IndexDoc.from_report(report) for report in reports)


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request) -> str:
    return request.param


def new_datadir(path: Path, engine_name: str) -> DataDir:
    """An empty data directory whose index will be built with ``engine_name``."""
    data = DataDir(path)
    data.root.mkdir(parents=True, exist_ok=True)
    data.save_settings({"engine": engine_name})
    return data


@pytest.fixture(scope="session")
def datadir(tmp_path_factory, reports, engine_name) -> DataDir:
    """A data directory whose index holds the corpus, built in two commits (two segments)."""
    data = new_datadir(tmp_path_factory.mktemp(f"data-{engine_name}"), engine_name)
    data.save_registry({r.id: {"source": r.source, "title": r.title, "year": r.year} for r in reports})
    with SearchIndex.open(data, create=True) as index:
        index.add_reports(reports[:2])
        index.add_reports(reports[2:])
    return data


@pytest.fixture(scope="session")
def index(datadir):
    with SearchIndex.open(datadir) as opened:
        yield opened


@pytest.fixture(scope="session")
def engine(index):
    return index.engine


def ids_where(docs: list[IndexDoc], predicate) -> set[str]:
    return {doc.report_id for doc in docs if predicate(doc)}


def result_ids(index: SearchIndex, query: str) -> set[str]:
    result = index.search(query, page_size=None, facets=False)
    assert len(result.hits) == result.total
    return {hit.report_id for hit in result.hits}
