"""Ingest with worker processes stores exactly what ingest in one process stores."""
from __future__ import annotations

import shutil

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import CORPUS
from ingest.batch import ingest_paths
from ingest.datadir import DataDir
from ingest.store import GraphStore
from ontology import VOCABULARY_GRAPH
from search.index import SearchIndex
from web.cli import main


def _ingest(folder, data, workers):
    datadir = DataDir.at(data)
    with SearchIndex.open(datadir, create=True) as index:
        result = ingest_paths([folder], datadir, sinks=[index], workers=workers)
    return datadir, result


def _quads(data) -> tuple[list[bytes], Graph]:
    """Quads outside the vocabulary graph as sorted N-Quads lines, and the vocabulary graph apart:
    it holds blank nodes, whose labels differ from one load to the next."""
    with GraphStore.open(data / "graph", read_only=True) as store:
        nquads = store.serialize("nquads")
    vocabulary = f" <{VOCABULARY_GRAPH}> .".encode()
    lines = sorted(line for line in nquads.splitlines() if not line.endswith(vocabulary))
    ntriples = b"\n".join(line[:-len(vocabulary)] + b" ." for line in nquads.splitlines() if line.endswith(vocabulary))
    return lines, Graph().parse(data=ntriples.decode("utf-8"), format="nt")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    return _ingest(CORPUS, root / "one", 1), _ingest(CORPUS, root / "two", 2)


def test_two_workers_store_what_one_stores(both):
    (one, one_result), (two, two_result) = both
    assert one.registry() == two.registry() and len(one.registry()) == 5
    one_quads, one_vocabulary = _quads(one.root)
    two_quads, two_vocabulary = _quads(two.root)
    assert len(one_quads) > 1000 and one_quads == two_quads
    assert isomorphic(one_vocabulary, two_vocabulary)
    assert [r.id for r in one_result.ingested] == [r.id for r in two_result.ingested]
    assert [r.notes for r in one_result.ingested] == [r.notes for r in two_result.ingested]
    for rid in one.registry():
        assert one.read_text(rid) == two.read_text(rid)


def test_two_workers_index_what_one_indexes(both):
    (one, _), (two, _) = both
    with SearchIndex.open(one) as a, SearchIndex.open(two) as b:
        assert a.report_ids() == b.report_ids()
        for query in ("行政复议", '"法律明白人"', "行政 AND 复议", '"法治政府" province:四川省'):
            first, second = a.search(query, page_size=None), b.search(query, page_size=None)
            assert first.total > 0
            assert [(h.report_id, h.score, h.snippet_html) for h in first.hits] == \
                   [(h.report_id, h.score, h.snippet_html) for h in second.hits]
            assert first.facets == second.facets


def test_workers_receive_the_words_and_the_index_does_not_segment_again(both, monkeypatch):
    # the index is built from the tokens the worker made; segmenting them again would be wasted work
    import ingest.segment

    (one, _), _ = both
    calls = []
    original = ingest.segment.Segmenter.tokens
    monkeypatch.setattr(ingest.segment.Segmenter, "tokens",
                        lambda self, text: calls.append(len(text)) or original(self, text))
    datadir = DataDir.at(one.root.parent / "again")
    with SearchIndex.open(datadir, create=True) as index:
        result = ingest_paths([CORPUS], datadir, sinks=[index], workers=2)
    assert len(result.ingested) == 5 and calls == []


def test_failures_are_listed_in_order_with_workers(tmp_path):
    folder = tmp_path / "mixed"
    shutil.copytree(CORPUS, folder)
    (folder / "0-empty.txt").write_bytes(b"")
    (folder / "9-binary.txt").write_bytes(bytes(range(256)) * 8)
    _datadir, result = _ingest(folder, tmp_path / "data", 2)
    assert [f.path for f in result.failures] == [str(folder / "0-empty.txt"), str(folder / "9-binary.txt")]
    assert len(result.ingested) == 5


def test_cli_workers_option(tmp_path, capsys):
    assert main(["ingest", "--quiet", "--workers", "2", "--data", str(tmp_path / "data"), str(CORPUS)]) == 0
    assert "ingested 5 report(s)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["ingest", "--workers", "0", "--data", str(tmp_path / "data"), str(CORPUS)])
