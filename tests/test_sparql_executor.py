"""Direct tests of the query executor (worker processes, deadline, cap, reopening) and of
the query-text inspection that decides what may run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pyoxigraph
import pytest
from rdflib.namespace import RDFS, SKOS

from ontology import FZ, ID, report_graph_iri
from sparql_store import CONCEPTS, REPORTS, STATEMENTS_PER_REPORT, TRICKY_TEXT, VOCABULARY_GRAPH, build_store
from web.sparql.executor import (ExecutorBusy, QueryExecutor, QuerySyntaxError, QueryTimeout, ServiceRefused,
                                 StoreUnavailable, UpdateRefused)
from web.sparql.querytext import inspect_query

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CONCEPT_LABELS = f"SELECT ?c ?l WHERE {{ ?c <{SKOS.prefLabel}> ?l }} ORDER BY ?l"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("executor"))


@pytest.fixture(scope="module")
def executor(sample):
    with QueryExecutor(sample.datadir, workers=2, deadline=10, result_cap=1000) as running:
        yield running


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def bindings(result) -> list[dict]:
    return json.loads(result.body)["results"]["bindings"]


# --------------------------------------------------------------------------- query text


def iri(name: str) -> str:
    """An IRI in SPARQL syntax, made from the project namespace (no IRI is spelled in tests)."""
    return f"<{ID[name]}>"


A, B, G = iri("a"), iri("b"), iri("g")


@pytest.mark.parametrize("text, form", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("  # a comment with INSERT\n select * { ?s ?p ?o }", "SELECT"),
    (f"PREFIX ex: {A} BASE {B} PREFIX : {G} ASK {{ ?s ex:p :o }}", "ASK"),
    (f"prefix insert: {A} construct {{ ?s insert:p ?o }} where {{ ?s ?p ?o }}", "CONSTRUCT"),
    (f"DESCRIBE {A}", "DESCRIBE"),
    (f"INSERT DATA {{ {A} {B} 1 }}", "INSERT"),
    (f"PREFIX ex: {A}\ndelete where {{ ?s ex:p ?o }}", "DELETE"),
    (f"LOAD {A}", "LOAD"),
    (f"WITH {G} DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}", "WITH"),
    ("CLEAR ALL", "CLEAR"), (f"DROP GRAPH {G}", "DROP"), (f"CREATE GRAPH {G}", "CREATE"),
    (f"COPY DEFAULT TO {G}", "COPY"), (f"MOVE {A} TO {B}", "MOVE"), (f"ADD {A} TO {B}", "ADD"),
    ("not sparql at all", None),
])
def test_inspect_query_finds_the_form_after_the_prologue(text, form):
    assert inspect_query(text).form == form


@pytest.mark.parametrize("text", [
    'SELECT * WHERE { ?s ?p "SERVICE" }',
    f"SELECT * WHERE {{ ?s ?p 'use SERVICE {A} {{ }}' }}",
    f'SELECT * WHERE {{ ?s ?p """long\nSERVICE {A} {{ ?x ?y ?z }}\n""" }}',
    f"SELECT * WHERE {{ ?s ?p ?o }} # SERVICE {A} {{ }}",
    "SELECT ?service WHERE { ?service ?p ?o }",
    f"PREFIX SERVICE: {A} SELECT * WHERE {{ ?s SERVICE:p ?o . ?s ?q :SERVICE }}",
    f"SELECT * WHERE {{ <{ID['SERVICE']}> ?p ?o }}",
    'SELECT * WHERE { ?s ?p "x"@service }',
])
def test_inspect_query_ignores_service_outside_keyword_position(text):
    assert inspect_query(text).uses_service is False


@pytest.mark.parametrize("text", [
    f"SELECT * WHERE {{ SERVICE {A} {{ ?s ?p ?o }} }}",
    f"select * where {{ service silent {A} {{ ?s ?p ?o }} }}",
    'SELECT * WHERE { ?s ?p "x" . SERVICE ?endpoint { ?s ?p ?o } }',
    f"SELECT * WHERE{{?s ?p ?o FILTER(?o<3)SERVICE{A}{{?a ?b ?c}}}}",
])
def test_inspect_query_finds_service_keyword(text):
    assert inspect_query(text).uses_service is True


def test_inspect_query_sees_dataset_clause():
    assert inspect_query(f"SELECT * FROM {G} WHERE {{ ?s ?p ?o }}").has_dataset_clause
    assert inspect_query(f"SELECT * FROM NAMED {G} {{ GRAPH ?g {{ ?s ?p ?o }} }}").has_dataset_clause
    assert not inspect_query('SELECT * WHERE { ?s ?p "FROM" }').has_dataset_clause


# --------------------------------------------------------------------------- executor


def test_select_sees_the_union_of_named_graphs(executor, sample):
    result = executor.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json")
    assert int(bindings(result)[0]["n"]["value"]) == sample.triples
    assert (result.kind, result.count, result.truncated) == ("table", 1, False)


def test_chinese_literals_round_trip(executor):
    result = executor.run(CONCEPT_LABELS, "json")
    labels = [row["l"]["value"] for row in bindings(result)]
    assert labels == [f"概念{k:02d}" for k in range(CONCEPTS)]
    assert {row["l"]["xml:lang"] for row in bindings(result)} == {"zh"}


def test_capped_answer_equals_pyoxigraph_serialisation_of_first_rows(sample, tmp_path):
    """The TSV round trip behind the cap must not change a byte of what pyoxigraph writes."""
    query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{report_graph_iri('r1')}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o"
    cap = 40
    with QueryExecutor(sample.datadir, workers=1, result_cap=cap) as capped:
        results = {fmt: capped.run(query, fmt) for fmt in ("json", "xml", "csv", "tsv")}
    store = pyoxigraph.Store.read_only(str(sample.datadir.graph))
    for fmt, result in results.items():
        expected = store.query(query + f" LIMIT {cap}").serialize(format=result_format(fmt))
        assert result.body == expected, fmt
        assert (result.count, result.truncated) == (cap, True)
    # The row with tabs, quotes, backslash, newline and a blank node is among them.
    assert TRICKY_TEXT in {row["o"]["value"] for row in json.loads(results["json"].body)["results"]["bindings"]}


def result_format(name: str):
    return {"json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML,
            "csv": pyoxigraph.QueryResultsFormat.CSV, "tsv": pyoxigraph.QueryResultsFormat.TSV}[name]


def test_cap_counts_exactly(sample):
    with QueryExecutor(sample.datadir, workers=1, result_cap=CONCEPTS) as capped:
        exact = capped.run(CONCEPT_LABELS, "json")
        assert (exact.count, exact.truncated) == (CONCEPTS, False)
        over = capped.run(f"SELECT ?c WHERE {{ ?c ?p ?o }}", "csv")
        assert (over.count, over.truncated) == (CONCEPTS, True)
        assert len(over.body.decode().splitlines()) == CONCEPTS + 1  # header + rows
        graph = capped.run("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "ntriples")
        assert (graph.count, graph.truncated) == (CONCEPTS, True)
        assert len(graph.body.decode().splitlines()) == CONCEPTS


def test_construct_turtle_parses_and_uses_project_prefixes(executor):
    from rdflib import Graph

    result = executor.run(f"CONSTRUCT {{ ?c <{SKOS.prefLabel}> ?l }} WHERE {{ ?c <{SKOS.prefLabel}> ?l }}",
                          "turtle")
    assert b"@prefix skos:" in result.body and b"@prefix fz:" in result.body
    assert b"@prefix eli:" not in result.body  # only prefixes the answer uses
    graph = Graph().parse(data=result.body, format="turtle")
    assert len(graph) == CONCEPTS == result.count


def test_ask_and_describe(executor):
    assert json.loads(executor.run("ASK { ?s ?p ?o }", "json").body)["boolean"] is True
    result = executor.run(f"DESCRIBE <{FZ.Concept3}>", "ntriples")
    assert result.kind == "graph" and "概念03" in result.body.decode()


def test_query_with_from_keeps_its_own_dataset(executor):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{VOCABULARY_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert int(bindings(executor.run(query))[0]["n"]["value"]) == 2 * CONCEPTS


def test_protocol_dataset_replaces_the_union(executor):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    only_vocabulary = executor.run(count, default_graphs=[str(VOCABULARY_GRAPH)])
    assert int(bindings(only_vocabulary)[0]["n"]["value"]) == 2 * CONCEPTS
    named = executor.run("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                         named_graphs=[str(report_graph_iri("r2"))])
    assert [row["g"]["value"] for row in bindings(named)] == [str(report_graph_iri("r2"))]


@pytest.mark.parametrize("query, error", [
    (f"INSERT DATA {{ {A} {B} {G} }}", UpdateRefused),
    (f"LOAD <{ID['remote.ttl']}>", UpdateRefused),
    (f"SELECT * WHERE {{ SERVICE <{ID['sparql']}> {{ ?s ?p ?o }} }}", ServiceRefused),
])
def test_refused_operations_never_reach_a_worker(sample, query, error):
    executor = QueryExecutor(sample.datadir, workers=1)
    with pytest.raises(error):
        executor.run(query)
    assert executor.worker_pids() == []
    executor.close()


def test_syntax_error_carries_the_parser_message(executor):
    with pytest.raises(QuerySyntaxError, match=r"error at 1:\d+"):
        executor.run("SELECT * WHERE { ?s ?p }")
    # The worker that reported it is still usable.
    assert executor.run("ASK { ?s ?p ?o }").body


def test_deadline_kills_the_worker_and_a_fresh_one_answers(sample):
    with QueryExecutor(sample.datadir, workers=1, deadline=1.0) as executor:
        executor.run("ASK { ?s ?p ?o }")
        [old_pid] = executor.worker_pids()
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="1 s"):
            executor.run(CROSS_PRODUCT)
        assert time.monotonic() - started < 1.8
        assert not alive(old_pid)  # the evaluation stopped with its process, not just the wait
        [new_pid] = executor.worker_pids()
        assert new_pid != old_pid
        assert json.loads(executor.run("ASK { ?s ?p ?o }").body)["boolean"] is True


def test_busy_pool_reports_busy_within_the_deadline(sample):
    with QueryExecutor(sample.datadir, workers=1, deadline=1.5) as executor:
        outcome = []

        def occupy_the_only_worker():
            try:
                executor.run(CROSS_PRODUCT)
            except QueryTimeout as error:
                outcome.append(error)

        blocker = threading.Thread(target=occupy_the_only_worker)
        blocker.start()
        time.sleep(0.3)
        started = time.monotonic()
        with pytest.raises(ExecutorBusy):
            executor.run("ASK { ?s ?p ?o }", deadline=0.5)
        assert time.monotonic() - started < 1.0
        blocker.join()
        assert len(outcome) == 1


def test_crashed_idle_worker_is_replaced(sample):
    with QueryExecutor(sample.datadir, workers=1) as executor:
        executor.run("ASK { ?s ?p ?o }")
        [pid] = executor.worker_pids()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        assert json.loads(executor.run("ASK { ?s ?p ?o }").body)["boolean"] is True
        assert executor.worker_pids() != [pid]


def test_worker_reopens_the_store_after_ingest(tmp_path):
    sample = build_store(tmp_path / "data")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with QueryExecutor(sample.datadir, workers=1) as executor:
        assert int(bindings(executor.run(count))[0]["n"]["value"]) == sample.triples
        writer = pyoxigraph.Store(str(sample.datadir.graph))
        writer.add(pyoxigraph.Quad(pyoxigraph.NamedNode(str(ID["statement/new"])),
                                   pyoxigraph.NamedNode(str(RDFS.label)),
                                   pyoxigraph.Literal("新增报告", language="zh"),
                                   pyoxigraph.NamedNode(str(report_graph_iri("r5")))))
        writer.flush()
        del writer
        sample.datadir.save_registry({**sample.datadir.registry(), "r5": {"title": "新增报告"}})
        assert int(bindings(executor.run(count))[0]["n"]["value"]) == sample.triples + 1


def test_missing_store_is_reported(tmp_path):
    with QueryExecutor(tmp_path / "nothing", workers=1) as executor:
        with pytest.raises(StoreUnavailable, match="ingest"):
            executor.run("ASK { ?s ?p ?o }")


def test_dataset_summary_lists_graphs_and_sizes(executor, sample):
    summary = executor.dataset_summary()
    sizes = {graph.name: graph.triples for graph in summary.named_graphs}
    assert set(sizes) == {str(report_graph_iri(key)) for key in REPORTS} | {str(VOCABULARY_GRAPH)}
    assert sizes[str(VOCABULARY_GRAPH)] == 2 * CONCEPTS
    assert sizes[str(report_graph_iri("r2"))] == 3 + 2 * STATEMENTS_PER_REPORT
    assert sum(sizes.values()) == sample.triples


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a container's init may not reap orphans)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process state from /proc")
def test_worker_busy_with_a_query_dies_with_its_server(sample):
    """A killed server must not leave a runaway query behind."""
    server_code = f"""
import sys, threading
from web.sparql.executor import QueryExecutor
executor = QueryExecutor({str(sample.datadir.root)!r}, workers=1, deadline=600).start()
print(executor.worker_pids()[0], flush=True)
threading.Thread(target=executor.run, args=({CROSS_PRODUCT!r},), daemon=True).start()
sys.stdin.read()
"""
    server = subprocess.Popen([sys.executable, "-c", server_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    worker = int(server.stdout.readline())
    time.sleep(0.5)
    assert running(worker)
    server.kill()
    server.wait()
    deadline = time.monotonic() + 3
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(worker)
