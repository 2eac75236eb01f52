"""The summaries (search.summaries): kept in step by ingest and remove, equal to a rebuild from the
graph, and answering the aggregate questions, timelines and statistics exactly as SPARQL does."""
from __future__ import annotations

import shutil
import sqlite3
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import URIRef

from conftest import ROOT

# bench/ is not an installed package; its generator is imported from the checkout
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import search.summaries as summaries_module  # noqa: E402
from bench import generate  # noqa: E402
from ingest.batch import remove_reports  # noqa: E402
from ingest.datadir import DataDir  # noqa: E402
from ingest.store import GraphStore  # noqa: E402
from ontology import jurisdiction_iri  # noqa: E402
from search import links  # noqa: E402
from search.questions import answer_question  # noqa: E402
from search.questions.link import Linker  # noqa: E402
from search.questions.rows import Paging  # noqa: E402
from search.questions.parse import build_frame, match_shape  # noqa: E402
from search.questions.sparql import bind, with_prefixes  # noqa: E402
from search.summaries import SummaryStore, rebuild, summaries_path  # noqa: E402
from web.cli import main  # noqa: E402
from web.pages import home  # noqa: E402

TESTS = Path(__file__).resolve().parent
CORPUS = TESTS.parent / "corpus"
QUESTIONS = [item["q"] for item in tomllib.loads((TESTS / "questions.toml").read_text(encoding="utf-8"))["question"]]
#: synthetic reports added to the corpus: more places, years and shared programs than five reports have
GENERATED = 12
AGGREGATE_SHAPES = {"first_mention", "mentions_per_year", "count_jurisdictions", "jurisdictions_with",
                    "cooccurring", "cooccurring_sentence", "items_of", "compare", "compare_both"}


def ingest(root: Path, *paths) -> None:
    assert main(["ingest", "--quiet", "--workers", "1", "--data", str(root), *map(str, paths)]) == 0


def rebuilt_copy(data: DataDir, target: Path) -> SummaryStore:
    """The summaries a rebuild from the graph gives for ``data``, made in a copy of it."""
    shutil.copytree(data.root, target)
    copy = DataDir(target)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{summaries_path(copy)}{suffix}").unlink(missing_ok=True)
    rebuild(copy)
    return SummaryStore.open(copy, read_only=True)


def dump(data: DataDir) -> dict:
    with SummaryStore.open(data, read_only=True) as store:
        return store.dump()


# --- kept in step ---------------------------------------------------------------------------------

def test_incremental_ingest_and_removal_equal_a_rebuild_of_the_final_state(tmp_path, monkeypatch):
    source = tmp_path / "src"
    shutil.copytree(CORPUS, source, ignore=shutil.ignore_patterns("manifest.tsv"))
    files = sorted(source.glob("*.txt"))
    data = DataDir(tmp_path / "data")

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the sink must keep the summaries current without a rebuild")

    monkeypatch.setattr(summaries_module, "rebuild", no_rebuild)
    ingest(data.root, *files[:3])
    ingest(data.root, *files[3:])
    ingest(data.root, files[0])  # unchanged: its rows are replaced by the same rows
    first = set(data.registry())
    # the same file with a changed text: a line with mentions gone, every later offset moved
    gangu = next(f for f in files if "甘谷县" in f.name)
    lines = gangu.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if "法律明白人" in line)
    gangu.write_text("".join(lines[:cut] + lines[cut + 1:]), encoding="utf-8")
    ingest(data.root, gangu)
    replaced = first - set(data.registry())
    assert len(replaced) == 1
    shexian = next(f for f in files if "社旗县" in f.name)
    assert main(["remove", "--data", str(data.root), str(shexian)]) == 0
    monkeypatch.undo()

    incremental = dump(data)
    with SummaryStore.open_current(data) as current:
        assert current is not None and current.report_ids() == sorted(data.registry())
    assert not {row[0] for row in incremental["reports"]} & replaced
    with rebuilt_copy(data, tmp_path / "copy") as rebuilt:
        assert rebuilt.dump() == incremental
    assert len(incremental["reports"]) == 4 and len(incremental["mentions"]) > 100


def test_a_data_directory_without_summaries_gets_them_at_the_next_ingest(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(CORPUS, source, ignore=shutil.ignore_patterns("manifest.tsv"))
    files = sorted(source.glob("*.txt"))
    data = DataDir(tmp_path / "data")
    ingest(data.root, *files[:4])
    summaries_path(data).unlink()
    assert SummaryStore.open_current(data) is None
    ingest(data.root, files[4])
    with SummaryStore.open_current(data) as current:
        assert current is not None and len(current) == 5
    with rebuilt_copy(data, tmp_path / "copy") as rebuilt:
        assert rebuilt.dump() == dump(data)


def test_summaries_that_miss_a_change_are_not_used(tmp_path):
    data = DataDir(tmp_path / "data")
    ingest(data.root, CORPUS)
    victim = sorted(data.registry())[0]
    remove_reports([victim], data)  # no summaries sink: they still hold the report
    assert SummaryStore.open_current(data) is None
    with SummaryStore.open(data, read_only=True) as stale:
        assert victim in stale.report_ids()
    # the next removal through the command finds them stale and rebuilds them
    other = sorted(data.registry())[0]
    assert main(["remove", "--data", str(data.root), other]) == 0
    with SummaryStore.open_current(data) as current:
        assert current is not None and current.report_ids() == sorted(data.registry())


def test_a_rebuild_summarises_the_registered_reports_only(tmp_path):
    data = DataDir(tmp_path / "data")
    ingest(data.root, CORPUS)
    registry = data.registry()
    unregistered = sorted(registry)[0]
    del registry[unregistered]  # as a batch that stopped on an error leaves a graph it loaded
    data.save_registry(registry)
    assert rebuild(data) == 4
    with SummaryStore.open_current(data) as current:
        assert current is not None and unregistered not in current.report_ids()


def test_readers_see_no_half_written_batch(tmp_path, monkeypatch):
    data = DataDir(tmp_path / "data")
    ingest(data.root, CORPUS)
    monkeypatch.setattr(summaries_module, "COMMIT_EVERY", 1)
    with GraphStore.open(data.graph, read_only=True) as graph, SummaryStore.open(data) as writer:
        facts = next(summaries_module.facts_from_graph(graph))
        writer.add_facts(facts)  # a long batch commits every COMMIT_EVERY reports
        assert SummaryStore.open_current(data) is None
        writer.commit()
        with SummaryStore.open_current(data) as current:
            assert current is not None


def test_the_store_refuses_writes_when_read_only(tmp_path):
    data = DataDir(tmp_path / "data")
    ingest(data.root, CORPUS)
    with SummaryStore.open(data, read_only=True) as store, pytest.raises((PermissionError, sqlite3.Error)):
        store.remove(list(data.registry()))


# --- answers: summaries against SPARQL ------------------------------------------------------------

@pytest.fixture(scope="module")
def data(tmp_path_factory) -> DataDir:
    root = tmp_path_factory.mktemp("summaries")
    generated = root / "generated"
    generate.generate(GENERATED, generated, seed=5)
    ingest(root / "data", CORPUS, generated)
    return DataDir(root / "data")


@pytest.fixture(scope="module")
def store(data):
    with GraphStore.open(data.graph, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def summaries(data):
    with SummaryStore.open_current(data) as opened:
        assert opened is not None
        yield opened


def select(store, query: str, values: dict | None = None) -> list:
    return list(store.query(with_prefixes(bind(query, values or {}))))


def things(store, kinds=("ProgramMention", "InitiativeMention", "LawMention")) -> dict[str, str]:
    """IRI → label of every object some statement of these kinds names."""
    found = {}
    for kind in kinds:
        for row in select(store, f"""
                SELECT DISTINCT ?object ?label WHERE {{
                  ?s a fz:{kind} ; fz:object ?object .
                  OPTIONAL {{ ?object skos:prefLabel ?pref FILTER(LANG(?pref) = "zh") }}
                  OPTIONAL {{ ?object rdfs:label ?plain }}
                  BIND(COALESCE(?pref, ?plain) AS ?label) }}"""):
            found[str(row.object)] = str(row.label)
    return found


def test_the_generated_corpus_gives_the_aggregates_something_to_count(summaries):
    statistics = summaries.statistics()
    assert statistics["totals"][0]["reports"] == 5 + GENERATED
    assert len(statistics["provinces"]) >= 4 and len(statistics["years"]) >= 4


def test_the_sink_and_a_rebuild_fill_the_same_rows(data, summaries, tmp_path):
    with rebuilt_copy(data, tmp_path / "copy") as rebuilt:
        assert rebuilt.dump() == summaries.dump()


def widely_mentioned(store, kinds, least: int) -> list[str]:
    """Labels of the things of ``kinds`` that at least ``least`` reports mention, most first."""
    counts = {}
    for kind in kinds:
        for row in select(store, f"""
                SELECT ?object (COUNT(DISTINCT ?r) AS ?reports) WHERE {{ ?s a fz:{kind} ; fz:object ?object ;
                fz:report ?r }} GROUP BY ?object"""):
            counts[str(row.object)] = int(row.reports)
    labels = things(store, kinds)
    ranked = sorted((iri for iri in counts if counts[iri] >= least), key=lambda iri: (-counts[iri], labels[iri]))
    return list(dict.fromkeys(labels[iri] for iri in ranked))


def aggregate_questions(store) -> list[str]:
    """Every aggregate shape, with filters, for the things several reports mention (co-occurrence,
    whose SPARQL is slow, for fewer of them) and for some mentioned once."""
    shared = widely_mentioned(store, ("ProgramMention", "LawMention"), 2)
    once = widely_mentioned(store, ("InitiativeMention",), 1)[:3]
    questions = []
    for n, label in enumerate(shared + once):
        thing = f"“{label}”"
        questions += [f"{thing}最早出现在哪里?", f"每年有多少个地方开展了{thing}?", f"有多少个县开展了{thing}?",
                      f"哪些乡镇开展了{thing}?", f"2020年以来哪些地方开展了{thing}?", f"四川省有哪些地方开展了{thing}?",
                      f"2023年哪些县开展了{thing}?", f"四川省哪个地方最早开展了{thing}?"]
        if n < 5 or n >= len(shared):
            questions += [f"{thing}和哪些做法一起出现?", f"哪些做法和{thing}出现在同一句话里?",
                          f"{thing}和哪些法律一起出现?"]
    places = [str(row.label) for row in select(store, """
        SELECT DISTINCT ?label WHERE { ?r a fz:Report ; dct:spatial ?j . ?j rdfs:label ?label } ORDER BY ?label""")]
    for first, second in zip(places[:3], places[1:4]):
        questions += [f"{first}学习了哪些法律?", f"{first}开展了哪些做法?", f"2023年{first}提到了哪些文件?",
                      f"比较{first}和{second}", f"{first}和{second}都开展了哪些做法?"]
    return questions


@pytest.fixture(scope="module")
def corpus_data(tmp_path_factory) -> DataDir:
    root = tmp_path_factory.mktemp("summaries-corpus")
    ingest(root, CORPUS)
    return DataDir(root)


def test_questions_on_the_corpus_answer_the_same_from_summaries_and_from_the_graph(corpus_data):
    with GraphStore.open(corpus_data.graph, read_only=True) as store, \
            SummaryStore.open_current(corpus_data) as summaries:
        linker = Linker.from_store(store)
        asked = [q for q in QUESTIONS + aggregate_questions(store)
                 if (match := match_shape(build_frame(q, linker))) and match.shape.name in AGGREGATE_SHAPES]
        shapes = set()
        for question in asked:
            summary_answer = answer_question(question, store, linker=linker, summaries=summaries)
            graph_answer = answer_question(question, store, linker=linker)
            assert summary_answer.to_json() == graph_answer.to_json(), question
            if summary_answer.understood:
                assert (summary_answer.answered_from, graph_answer.answered_from) == ("summaries", "graph"), question
                shapes.add(summary_answer.shape)
    assert shapes == AGGREGATE_SHAPES
    assert len(asked) > 150


#: pages that cut rows, evidence and lists in every way, and pages past the end
PAGINGS = [Paging(0, 2, 1, 1), Paging(1, 3, 2, 0), Paging(2, 1, 0, 3), Paging(0, None, None, None),
           Paging(0, 1, None, None), Paging(1000, 5, 3, 3)]


def test_pages_of_answers_are_the_same_from_summaries_and_from_the_graph(data, store, summaries):
    """The summaries group and cut answers in SQL, the graph path in Python: every page, with its
    counts, is the same either way — on a corpus where groups hold many reports and sentences."""
    linker = Linker.from_store(store)
    asked = [q for q in aggregate_questions(store)
             if (match := match_shape(build_frame(q, linker))) and match.shape.name in AGGREGATE_SHAPES]
    cut = {"rows": False, "evidence": False, "lists": False}
    for question in asked:
        whole = answer_question(question, store, linker=linker, paging=Paging.everything())
        for paging in PAGINGS:
            summary_answer = answer_question(question, store, linker=linker, summaries=summaries, paging=paging)
            graph_answer = answer_question(question, store, linker=linker, paging=paging)
            assert summary_answer.to_json() == graph_answer.to_json(), (question, paging)
            if not summary_answer.understood:
                continue
            assert summary_answer.answered_from == "summaries", question
            assert summary_answer.row_count == len(whole.answers)
            cut["rows"] |= len(summary_answer.answers) < summary_answer.row_count
            for row in summary_answer.answers:
                full = next(r for r in whole.answers if (r.iri, r.label) == (row.iri, row.label))
                assert row.evidence_count == len(full.evidence)
                assert row.evidence == full.evidence[:len(row.evidence)]
                cut["evidence"] |= len(row.evidence) < row.evidence_count
                for key in ("jurisdictions", "reports"):
                    if key in row.extra:
                        cut["lists"] |= len(row.extra[key]) < len(full.extra[key])
    assert cut == {"rows": True, "evidence": True, "lists": True}


def test_adoption_timelines_are_the_same_from_summaries_and_from_the_graph(store, summaries):
    cut = False
    for iri in things(store, ("ProgramMention", "InitiativeMention")):
        for paging in (None, *PAGINGS):
            from_summaries = links.adoption_timeline(store, iri, summaries=summaries, paging=paging)
            assert from_summaries.to_json() == links.adoption_timeline(store, iri, paging=paging).to_json(), iri
            cut |= len(from_summaries.rows) < from_summaries.row_count
            cut |= any(row["evidence_count"] > len(row["evidence"]) for row in from_summaries.rows)
    assert cut


def test_timelines_start_at_each_jurisdictions_first_year_with_evidence_that_slices_the_text(store, summaries, data):
    texts: dict[str, str] = {}
    checked = 0
    for iri in things(store, ("ProgramMention", "InitiativeMention")):
        first = {str(row.j): int(row.first) for row in select(store, """
            SELECT ?j (MIN(?year) AS ?first) WHERE { VALUES ?object { UNDEF } ?s fz:object ?object ;
            fz:jurisdiction ?j ; fz:year ?year } GROUP BY ?j""", {("object",): [(URIRef(iri),)]})}
        years = {str(row.report): int(row.year) for row in select(store, """
            SELECT DISTINCT ?report ?year WHERE { VALUES ?object { UNDEF } ?s fz:object ?object ;
            fz:report/dct:identifier ?report ; fz:year ?year }""", {("object",): [(URIRef(iri),)]})}
        timeline = links.adoption_timeline(store, iri, summaries=summaries)
        assert {row["iri"]: row["first_year"] for row in timeline.rows} == first
        for row in timeline.rows:
            assert row["evidence"]
            for evidence in row["evidence"]:
                if evidence["report"] not in texts:
                    texts[evidence["report"]] = data.read_text(evidence["report"])
                assert texts[evidence["report"]][evidence["start"]:evidence["end"]] == evidence["text"]
                assert years[evidence["report"]] == row["first_year"]
                checked += 1
        assert timeline.by_year[-1]["cumulative"] == len(first) if first else timeline.by_year == []
    assert checked > 50


def test_jurisdictions_per_year_equal_sparql_counts(store, summaries):
    for iri in things(store):
        expected = [{"year": int(row.year), "jurisdictions": int(row.places), "reports": int(row.reports)}
                    for row in select(store, """
                        SELECT ?year (COUNT(DISTINCT ?j) AS ?places) (COUNT(DISTINCT ?r) AS ?reports) WHERE {
                          VALUES ?object { UNDEF } ?s fz:object ?object ; fz:jurisdiction ?j ; fz:year ?year ;
                          fz:report ?r } GROUP BY ?year ORDER BY ?year""", {("object",): [(URIRef(iri),)]})]
        assert summaries.per_year([iri]) == expected, iri


def test_top_laws_per_province_and_year_equal_sparql_counts(store, summaries):
    provinces = [row["code"] for row in summaries.statistics()["provinces"]]
    years = [row["year"] for row in summaries.statistics()["years"]]
    checked = 0
    for province in [None, *provinces]:
        for year in [None, *years[:4]]:
            values = {}
            if province is not None:
                values[("province",)] = [(jurisdiction_iri(province),)]
            if year is not None:
                values[("year",)] = [(year,)]
            counts = [(str(row.object), int(row.reports), int(row.mentions)) for row in select(store, """
                SELECT ?object (COUNT(DISTINCT ?r) AS ?reports) (COUNT(DISTINCT ?s) AS ?mentions) WHERE {
                  VALUES ?province { UNDEF } VALUES ?year { UNDEF }
                  ?s a fz:LawMention ; fz:object ?object ; fz:report ?r ; fz:jurisdiction ?j .
                  ?r fz:year ?reportYear .
                  FILTER(!BOUND(?year) || ?reportYear = ?year)
                  FILTER(!BOUND(?province) || EXISTS { ?j org:subOrganizationOf* ?province })
                } GROUP BY ?object""", values)]
            top = summaries.top_objects("law", limit=1000, province=province, year=year)
            assert [(row["object"], row["reports"], row["mentions"]) for row in top] == sorted(
                counts, key=lambda c: (-c[1], -c[2], things_label(store, c[0]), c[0]))
            checked += bool(top)
    assert checked > 10


_LABELS: dict[str, str] = {}


def things_label(store, iri: str) -> str:
    if not _LABELS:
        _LABELS.update(things(store, ("ProgramMention", "InitiativeMention", "LawMention", "DocumentMention")))
    return _LABELS[iri]


def test_cooccurrence_counts_equal_sparql_counts(store, summaries):
    for iri in things(store, ("ProgramMention", "InitiativeMention")):
        reports, sentences = defaultdict(set), defaultdict(set)
        for row in select(store, """
                SELECT ?other ?report ?start ?same WHERE {
                  VALUES ?object { UNDEF }
                  ?a fz:object ?object ; fz:report ?report ; fz:evidence ?ae .
                  ?c fz:report ?report ; fz:object ?other ; fz:evidence ?ce .
                  ?ce oa:start ?start .
                  FILTER(?other != ?object)
                  BIND(?ae = ?ce AS ?same) }""", {("object",): [(URIRef(iri),)]}):
            reports[str(row.other)].add(str(row.report))
            if row.same.toPython():
                sentences[str(row.other)].add((str(row.report), int(row.start)))
        found = {row["object"]: (row["reports"], row["sentences"]) for row in summaries.cooccurrence([iri])}
        assert found == {other: (len(reports[other]), len(sentences[other])) for other in reports}, iri


class _Context:
    """What the home page reads of a service context: the graph, and the summaries (or none)."""

    def __init__(self, data, graph, summaries):
        self.datadir, self.graph, self._summaries = data, graph, summaries

    def derived(self, name, build):
        return self._summaries


def test_home_statistics_are_the_same_from_summaries_and_from_the_graph(data, store, summaries):
    from_summaries = home.corpus_statistics(_Context(data, store, summaries))
    assert from_summaries == home.corpus_statistics(_Context(data, store, None))
    assert from_summaries["reports"] == len(data.registry())
    assert from_summaries["top_programs"][0]["label"]["en"]


def test_the_linker_reads_the_same_things_from_the_summaries_as_from_the_graph(corpus_datadir):
    """Names, kinds, labels, what is mentioned and which places have reports: the summaries stand
    in for a scan of every report graph, and must not change what a question links to."""
    from ingest.stores import open_store
    from search.questions.link import Linker
    from search.summaries import SummaryStore

    summaries = SummaryStore.open_current(corpus_datadir)
    assert summaries is not None
    try:
        with open_store(corpus_datadir, read_only=True) as store:
            from_graph, from_summaries = Linker.from_store(store), Linker.from_store(store, summaries)
    finally:
        summaries.close()

    def described(linker):
        return [(e.iri, e.kind, e.label, sorted(e.names), sorted(e.hidden), e.mentioned) for e in linker.entities]

    assert described(from_summaries) == described(from_graph)
    assert from_summaries.reported == from_graph.reported and from_graph.reported
    assert any(e.kind == "initiative" and e.mentioned for e in from_summaries.entities)
