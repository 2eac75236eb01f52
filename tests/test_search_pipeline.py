"""The search index fed by the real ingest pipeline (extraction included)."""
from pathlib import Path

import pytest

from ingest.pipeline import extract_file
from search.document import IndexDoc
from search.index import SearchIndex

from conftest_search import ENGINES, new_datadir

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def extracted():
    return [extract_file(path) for path in sorted(CORPUS.glob("*.txt"))]


@pytest.fixture(scope="module", params=ENGINES)
def pipeline_index(request, tmp_path_factory, extracted):
    data = new_datadir(tmp_path_factory.mktemp(f"pipeline-{request.param}"), request.param)
    with SearchIndex.open(data, create=True) as index:
        index.add_reports(extracted)
        yield index


def test_index_doc_reuses_the_pipeline_tokens(extracted):
    for report in extracted:
        assert report.tokens
        assert IndexDoc.from_report(report).tokens == report.tokens


def test_every_report_is_found_by_its_jurisdiction_and_a_phrase_of_its_own(pipeline_index, extracted):
    for report in extracted:
        assert report.jurisdiction is not None
        hits = pipeline_index.search(f"jurisdiction:{report.jurisdiction.name}", page_size=None).hits
        assert report.id in {hit.report_id for hit in hits}
        phrase = report.text[len(report.text) // 2:len(report.text) // 2 + 8]
        quoted = '"' + phrase.replace("\\", "\\\\").replace('"', '\\"') + '"'
        hits = pipeline_index.search(quoted, page_size=None).hits
        assert report.id in {hit.report_id for hit in hits}
        for province in [p for p in report.jurisdiction.parents if p.level == "province"]:
            hits = pipeline_index.search(f"province:{province.name}", page_size=None).hits
            assert report.id in {hit.report_id for hit in hits}
