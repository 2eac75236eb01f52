"""Links between programs, initiatives, laws, documents, jurisdictions and reports (networkx).

:func:`build_graph` turns the knowledge graph into an undirected ``networkx.Graph``:

nodes (attribute ``kind``)
    ``program``, ``initiative``, ``law``, ``document`` (together: the *items*), ``jurisdiction``,
    ``report``; each with ``label``, and ``reports`` — the ids of the reports that mention the
    item, or that are about the jurisdiction. Node ids are the IRIs.
edges (attribute ``relation``)
    ``co_mention`` between two items mentioned in the same report (``weight`` = number of
    reports, ``sentence_weight`` = number of sentences naming both); ``mentioned_in`` from an
    item to a report (``weight`` = sentences); ``report_of`` from a report to its jurisdiction;
    ``within`` from a jurisdiction to its parent; ``implements`` from a document (or a
    lower-rank act) to a law whose name its title carries with an implementing word.
evidence
    every ``co_mention`` and ``mentioned_in`` edge keeps ``evidence``: references to sentences
    (at most :data:`EVIDENCE_CAP` per edge; the counts stay exact), packed in an array that
    :func:`edge_evidence` reads as ``{"report", "start", "end"}``. A ``co_mention`` edge names
    its ``first_report`` (the least id), not every report: ``weight`` counts them. The texts are
    not held — ``graph.graph["sentence_texts"]`` fetches those a page shows — so the graph stays
    small: hundreds of bytes per edge, nothing per sentence.

The functions below take that graph: :func:`related` (PMI or Jaccard over reports),
:func:`explained_path`, :func:`centrality`, :func:`communities`; :func:`adoption_timeline`
reads the store directly; :func:`write_graphml` and :func:`write_gexf` export for Gephi.
"""
from __future__ import annotations

import json
import math
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable

import networkx as nx
from rdflib import URIRef

from ontology import FZ, evidence_iri, jurisdiction_iri, report_iri
from search.export import Table, provenance
from search.questions.link import fold
from search.questions.parse import lexicon
from search.questions.rows import Paging
from search.questions.sparql import bind, template, with_prefixes

ITEM_KINDS = ("program", "initiative", "law", "document")
KINDS = (*ITEM_KINDS, "jurisdiction", "report")
_KIND_OF_CLASS = {str(FZ.ProgramMention): "program", str(FZ.InitiativeMention): "initiative",
                  str(FZ.LawMention): "law", str(FZ.DocumentMention): "document"}
#: sentence references kept per edge (counts are exact whatever the cap)
EVIDENCE_CAP = 20
MEASURES = ("pmi", "jaccard")
#: the measures networkx computes in pure Python (its pagerank needs numpy, not a dependency)
CENTRALITIES = ("degree", "betweenness", "closeness", "eigenvector")
#: what each relation is called in an explanation
RELATION_WORDS = {"co_mention": "same report", "same_sentence": "same sentence", "mentioned_in": "mentioned in",
                  "report_of": "report of", "within": "within", "implements": "implements"}


def _local(iri: str) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _query(store, name: str, values: dict | None = None):
    return store.query(with_prefixes(bind(template(name), values or {})))


# --- building ---------------------------------------------------------------------------------

def build_graph(store, summaries=None) -> nx.Graph:
    """The links graph of a :class:`~ingest.store.GraphStore` (see the module doc).

    With ``summaries`` (a :class:`search.summaries.SummaryStore` current for the store's
    reports) the mentions are read from its tables instead of SPARQL: the same rows in the same
    order, so the same graph, much faster. Sentence texts are not held: :func:`explained_path`
    and the exports fetch those they show from the summaries or the store.

    >>> graph = build_graph(store, summaries)                            # doctest: +SKIP
    >>> graph.nodes[str(program_iri("fengqiao"))]["label"]           # doctest: +SKIP
    '枫桥经验'
    """
    graph = nx.Graph(report_ids=[], sentence_texts=_sentence_source(store, summaries))
    rows = summaries.link_rows() if summaries is not None else _statement_rows(store)
    spans = _spans_by_report(graph, rows)
    _add_reports_and_jurisdictions(graph, store)
    for report, items in spans.items():
        _add_report_mentions(graph, report, items)
    _add_implements(graph, store)
    return graph


def _statement_rows(store) -> list[tuple[str, int, int, str, str, str]]:
    """The mentions of ``link_statements.rq`` as (report, start, end, object, kind, label), in
    its order; the labels as the summaries keep them (see :func:`_labels`)."""
    rows = [(str(row.report), int(row.start), int(row.end), str(row.object), _KIND_OF_CLASS[str(row.kind)])
            for row in _query(store, "link_statements.rq")]
    labels = _labels(store, {row[3] for row in rows})
    return [(*row, labels.get(row[3], row[3])) for row in rows]


#: objects whose labels one query asks for (the query text stays small)
LABEL_CHUNK = 1000


def _labels(store, objects: set[str]) -> dict[str, str]:
    """Object → label: the least Chinese preferred label, else the least plain label."""
    preferred: dict[str, list[str]] = defaultdict(list)
    plain: dict[str, list[str]] = defaultdict(list)
    ordered = sorted(objects)
    for at in range(0, len(ordered), LABEL_CHUNK):
        chunk = [(URIRef(iri),) for iri in ordered[at:at + LABEL_CHUNK]]
        for row in _query(store, "link_labels.rq", {("object",): chunk}):
            (preferred if str(row.property) == "pref" else plain)[str(row.object)].append(str(row.label))
    return {iri: min(preferred.get(iri) or plain[iri]) for iri in objects if iri in preferred or iri in plain}


def _spans_by_report(graph: nx.Graph, rows) -> dict[str, dict[str, list[tuple[int, int]]]]:
    """report id → item → the sentence spans naming it, adding the item nodes on the way.

    The rows come ordered by report, and one report's spans are all that the edges need at a
    time; they are kept for every report only because the report nodes come in between."""
    spans: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for report, start, end, item, kind, label in rows:
        if item not in graph:
            graph.add_node(item, kind=kind, label=label, reports=[])
        found = spans[report][item]
        if (start, end) not in found:
            found.append((start, end))
    return spans


def _add_report_mentions(graph: nx.Graph, report: str, items: dict[str, list[tuple[int, int]]]) -> None:
    """The ``mentioned_in`` edges of one report and the ``co_mention`` edges of its item pairs."""
    node = str(report_iri(report))
    number = _report_number(graph, report)
    for item, found in items.items():
        graph.nodes[item]["reports"].append(report)
        graph.add_edge(item, node, relation="mentioned_in", weight=len(found),
                       evidence=_packed(number, found[:EVIDENCE_CAP]))
    for a, b in combinations(sorted(items), 2):
        mine = items[a]
        shared = sorted(set(mine).intersection(items[b])) if len(mine) > 1 or mine[0] in items[b] else []
        # a report-level co-mention is proved by one sentence of each
        proof = shared or [mine[0], items[b][0]]
        _add_co_mention(graph, a, b, report, number, len(shared), proof)


def _report_number(graph: nx.Graph, report: str) -> int:
    """The report's index in ``graph.graph["report_ids"]``: evidence holds numbers, not ids."""
    ids = graph.graph["report_ids"]
    ids.append(report)
    return len(ids) - 1


def _packed(number: int, spans: Iterable[tuple[int, int]]) -> array:
    """Sentence references as one flat array of 4-byte ints (report number, start, end, …): 12 bytes each
    where dicts would take hundreds, on hundreds of thousands of edges."""
    packed = array("i")
    for start, end in spans:
        packed.extend((number, start, end))
    return packed


def _add_co_mention(graph: nx.Graph, a: str, b: str, report: str, number: int, shared: int,
                    proof: list[tuple[int, int]]) -> None:
    data = graph.get_edge_data(a, b)
    if data is None:
        graph.add_edge(a, b, relation="co_mention", weight=0, sentence_weight=0, first_report=report,
                       evidence=array("i"))
        data = graph.get_edge_data(a, b)
    data["weight"] += 1
    data["sentence_weight"] += shared
    room = EVIDENCE_CAP - len(data["evidence"]) // 3
    if room > 0:
        data["evidence"].extend(_packed(number, proof[:room]))


def edge_evidence(graph: nx.Graph, u: str, v: str) -> list[dict]:
    """The sentence references ``{"report", "start", "end"}`` an edge keeps (at most
    :data:`EVIDENCE_CAP`; none for the gazetteer edges).

    >>> edge_evidence(graph, songfa, str(report_iri(report)))             # doctest: +SKIP
    [{'report': '0a1b…', 'start': 2210, 'end': 2268}]
    """
    packed = graph.edges[u, v].get("evidence") or ()
    ids = graph.graph.get("report_ids", [])
    if packed and not isinstance(packed, array):
        return list(packed)  # a graph built by hand, with dicts
    return [{"report": ids[packed[i]], "start": packed[i + 1], "end": packed[i + 2]}
            for i in range(0, len(packed), 3)]


def _sentence_source(store, summaries):
    """A function from sentence references to their texts: from the summaries when they are
    there, else from the store by evidence IRI."""
    if summaries is not None:
        return summaries.sentence_texts

    def from_store(spans: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int, int], str]:
        by_iri = {str(evidence_iri(*span)): span for span in set(spans)}
        if not by_iri:
            return {}
        rows = _query(store, "link_sentences.rq", {("evidence",): [(URIRef(iri),) for iri in by_iri]})
        return {by_iri[str(row.evidence)]: str(row.exact) for row in rows}

    return from_store


def _add_reports_and_jurisdictions(graph: nx.Graph, store) -> None:
    parents = []
    for row in _query(store, "link_reports.rq"):
        if row.report is not None:
            report, node = str(row.report), str(row.reportNode)
            graph.add_node(node, kind="report", report=report, year=int(row.year) if row.year is not None else None,
                           title=str(row.title) if row.title is not None else "", reports=[report], label=report)
            if row.j is not None:
                graph.nodes[node]["jurisdiction"] = str(row.j)
        else:
            j = str(row.j)
            graph.add_node(j, kind="jurisdiction", label=str(row.jLabel), code=str(row.code),
                           level=_local(row.level), reports=graph.nodes[j].get("reports", []) if j in graph else [])
            if row.parent is not None:
                parents.append((j, str(row.parent)))
    for child, parent in parents:
        if parent in graph:
            graph.add_edge(child, parent, relation="within", weight=1, evidence=[])
    for node, data in list(graph.nodes(data=True)):
        if data.get("kind") != "report" or "jurisdiction" not in data:
            continue
        j = data["jurisdiction"]
        if j in graph:
            graph.nodes[j]["reports"].append(data["report"])
            place = graph.nodes[j]["label"]
            data["label"] = f"{place} {data['year']}" if data.get("year") else place
            graph.add_edge(node, j, relation="report_of", weight=1, evidence=[])


def _add_implements(graph: nx.Graph, store) -> None:
    settings = lexicon()["links"]
    names: dict[str, set[str]] = defaultdict(set)
    laws = [(URIRef(node),) for node, data in graph.nodes(data=True) if data.get("kind") == "law"]
    for row in _query(store, "link_law_names.rq", {("law",): laws}):
        name = fold(str(row.name))
        if len(name) >= settings["min_law_name"]:
            names[str(row.law)].add(name)
    for edge in implementing_pairs(
            {n: d["label"] for n, d in graph.nodes(data=True) if d.get("kind") in ("document", "law")},
            names, settings["implement_cues"]):
        graph.add_edge(*edge, relation="implements", weight=1, evidence=[])


def implementing_pairs(titles: dict[str, str], law_names: dict[str, set[str]], cues: Iterable[str]) -> list[tuple[str, str]]:
    """(implementing node, law) pairs: the title carries the law's name and an implementing cue.

    >>> implementing_pairs({"d": "甘谷县贯彻落实《中华人民共和国黄河保护法》实施方案", "l": "中华人民共和国黄河保护法"},
    ...                    {"l": {"中华人民共和国黄河保护法", "黄河保护法"}}, ["实施方案", "贯彻"])
    [('d', 'l')]
    """
    pairs = []
    cues = list(cues)
    for node, title in titles.items():
        folded = fold(title)
        if not any(cue in folded for cue in cues):
            continue  # no cue anywhere, none beside a name: most titles end here
        for law, names in law_names.items():
            if law == node or folded in names:
                continue
            for name in names:
                at = folded.find(name)
                if at == -1:
                    continue
                rest = folded[:at] + "|" + folded[at + len(name):]
                if any(cue in rest for cue in cues):
                    pairs.append((node, law))
                    break
    return pairs


# --- association ------------------------------------------------------------------------------

def association(together: int, count_a: int, count_b: int, total: int, measure: str = "pmi") -> float:
    """Association of two nodes from report counts: pointwise mutual information (log2) or the
    Jaccard index, both of which correct for how often each node occurs on its own.

    >>> round(association(1, 1, 3, 5, "pmi"), 4), round(association(1, 1, 3, 5, "jaccard"), 4)
    (0.737, 0.3333)
    """
    if measure == "pmi":
        return math.log2(together * total / (count_a * count_b))
    if measure == "jaccard":
        return together / (count_a + count_b - together)
    raise ValueError(f"unknown measure {measure!r} (measures: {', '.join(MEASURES)})")


def related(graph: nx.Graph, node: str, measure: str = "pmi", k: int = 10,
            kinds: Iterable[str] = ITEM_KINDS) -> list[dict[str, Any]]:
    """The ``k`` nodes most associated with ``node`` over reports, best first.

    Each node stands for the set of reports that mention it (an item) or are about it (a
    jurisdiction); the association of two nodes is :func:`association` of the sizes of those
    sets and of their intersection, over all reports of the graph. Ties are broken by the number
    of shared reports, then the label.

    >>> [r["label"] for r in related(graph, xingfa, "jaccard", k=2)]        # doctest: +SKIP
    ['三所联动', '企业安静期']
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r} (measures: {', '.join(MEASURES)})")
    total = report_total(graph)
    mine = graph.nodes[node].get("reports", ())
    kinds = set(kinds)
    results = []
    for other, together in _shared_report_counts(graph, node, kinds).items():
        data = graph.nodes[other]
        count = len(data.get("reports", ()))
        results.append({"node": other, "label": data["label"], "kind": data["kind"],
                        "score": association(together, len(mine), count, total, measure),
                        "together": together, "count": count, "anchor_count": len(mine)})
    results.sort(key=lambda r: (-r["score"], -r["together"], r["label"]))
    chosen = results[:k]
    anchor = set(mine)
    for row in chosen:
        # the shared reports of the rows shown only: listing them for every candidate is what costs
        row["reports"] = sorted(anchor.intersection(graph.nodes[row["node"]].get("reports", ())))
    return chosen


def report_total(graph: nx.Graph) -> int:
    """How many report nodes the graph has (the N of :func:`association`), counted once."""
    if "report_total" not in graph.graph:
        graph.graph["report_total"] = sum(1 for _, d in graph.nodes(data=True) if d.get("kind") == "report")
    return graph.graph["report_total"]


def _shared_report_counts(graph: nx.Graph, node: str, kinds: set[str]) -> dict[str, int]:
    """Node of ``kinds`` → reports it shares with ``node`` (only those sharing some), in graph order.

    Two items share exactly the reports their ``co_mention`` edge counts, so an item's
    neighbours answer without comparing report lists; anything else compares the lists."""
    order = {other: at for at, other in enumerate(graph)}
    if graph.nodes[node].get("kind") in ITEM_KINDS and kinds <= set(ITEM_KINDS):
        counts = {}
        for other, data in graph[node].items():
            if graph.nodes[other].get("kind") not in kinds:
                continue
            if data.get("relation") == "co_mention":
                counts[other] = data["weight"]
            else:  # an implements edge: the two may share reports or not
                together = len(set(graph.nodes[node]["reports"]).intersection(graph.nodes[other]["reports"]))
                if together:
                    counts[other] = together
    else:
        mine = set(graph.nodes[node].get("reports", ()))
        counts = {}
        for other, data in graph.nodes(data=True):
            if other != node and data.get("kind") in kinds:
                together = len(mine.intersection(data.get("reports", ())))
                if together:
                    counts[other] = together
    return dict(sorted(counts.items(), key=lambda item: order[item[0]]))


# --- paths ------------------------------------------------------------------------------------

def _distance(u, v, data) -> float:
    # hop count first; among paths of as many hops, the one with stronger edges
    return 1 + 0.01 / (1 + data.get("weight", 1))


def explained_path(graph: nx.Graph, a: str, b: str) -> list[dict[str, Any]]:
    """The shortest path from ``a`` to ``b``, each hop with its explanation and evidence.

    A hop is ``{"from", "to", "relation", "explanation", "evidence"}``; ``explanation`` reads like
    ``法律明白人 —same report (长冈乡 2024)— 兴法铺子`` and ``evidence`` lists sentences
    (``report``, ``text``, ``start``, ``end``) that prove it: the sentence naming both, or one
    sentence naming each. Hops through the gazetteer (``within``, ``report_of``) have no
    sentence. Raises ``networkx.NetworkXNoPath`` when the two are not connected.
    """
    nodes = nx.shortest_path(graph, a, b, weight=_distance)
    return [_hop(graph, u, v) for u, v in zip(nodes, nodes[1:])]


def _node_json(graph: nx.Graph, node: str) -> dict:
    data = graph.nodes[node]
    return {"node": node, "label": data.get("label", node), "kind": data.get("kind")}


def _with_text(graph: nx.Graph, refs: list[dict]) -> list[dict]:
    fetch = graph.graph.get("sentence_texts")
    texts = fetch([(r["report"], r["start"], r["end"]) for r in refs]) if fetch and refs else {}
    return [{"report": r["report"], "text": texts.get((r["report"], r["start"], r["end"]), ""),
             "start": r["start"], "end": r["end"]} for r in refs]


def _report_label(graph: nx.Graph, report: str) -> str:
    node = str(report_iri(report))
    return graph.nodes[node]["label"] if node in graph else report


def _hop(graph: nx.Graph, u: str, v: str) -> dict[str, Any]:
    data = graph.edges[u, v]
    relation = data["relation"]
    left, right = graph.nodes[u].get("label", u), graph.nodes[v].get("label", v)
    evidence = []
    if relation == "co_mention":
        report = data["first_report"]
        word = "same sentence" if data.get("sentence_weight") else "same report"
        context = _report_label(graph, report)
        refs = [r for r in edge_evidence(graph, u, v) if r["report"] == report]
        evidence = _with_text(graph, refs)
        more = f", {data['weight']} reports" if data["weight"] > 1 else ""
        explanation = f"{left} —{word} ({context}{more})— {right}"
        relation = "same_sentence" if data.get("sentence_weight") else "same_report"
    elif relation == "mentioned_in":
        evidence = _with_text(graph, edge_evidence(graph, u, v))
        explanation = f"{left} —{RELATION_WORDS[relation]}— {right}"
    else:
        explanation = f"{left} —{RELATION_WORDS.get(relation, relation)}— {right}"
    return {"from": _node_json(graph, u), "to": _node_json(graph, v), "relation": relation,
            "explanation": explanation, "evidence": evidence}


# --- structure --------------------------------------------------------------------------------

def centrality(graph: nx.Graph, kind: str | None = None, measure: str = "degree", k: int | None = None) -> list[dict]:
    """Nodes ranked by a centrality of the whole graph (degree, betweenness, closeness, or
    eigenvector with edge weights), optionally only those of one ``kind``.

    >>> centrality(nx.path_graph(3), measure="degree")[0]["node"]
    1
    """
    if measure == "degree":
        scores = nx.degree_centrality(graph)
    elif measure == "betweenness":
        scores = nx.betweenness_centrality(graph)
    elif measure == "closeness":
        scores = nx.closeness_centrality(graph)
    elif measure == "eigenvector":
        scores = nx.eigenvector_centrality(graph, max_iter=1000, weight="weight")
    else:
        raise ValueError(f"unknown centrality {measure!r} (measures: {', '.join(CENTRALITIES)})")
    rows = [{"node": node, "label": graph.nodes[node].get("label", str(node)), "kind": graph.nodes[node].get("kind"),
             "score": score, "degree": graph.degree(node)}
            for node, score in scores.items() if kind is None or graph.nodes[node].get("kind") == kind]
    rows.sort(key=lambda r: (-r["score"], str(r["label"])))
    return rows[:k] if k else rows


def communities(graph: nx.Graph, kinds: Iterable[str] = ITEM_KINDS, method: str = "greedy",
                seed: int = 0) -> list[list[dict]]:
    """Communities of the co-mention graph of ``kinds`` (greedy modularity, or Louvain with a
    fixed ``seed``), largest first; each a list of ``{"node", "label", "kind"}``.

    >>> g = nx.Graph([(1, 2), (2, 3), (1, 3), (4, 5)])
    >>> nx.set_node_attributes(g, "program", "kind"); nx.set_node_attributes(g, "x", "label")
    >>> [len(c) for c in communities(g)]
    [3, 2]
    """
    kinds = set(kinds)
    sub = graph.subgraph(n for n, d in graph.nodes(data=True) if d.get("kind") in kinds)
    if method == "greedy":
        found = nx.community.greedy_modularity_communities(sub, weight="weight") if sub.number_of_edges() else \
            [{n} for n in sub]
    elif method == "louvain":
        found = nx.community.louvain_communities(sub, weight="weight", seed=seed)
    else:
        raise ValueError(f"unknown method {method!r} (greedy or louvain)")
    result = [sorted((_node_json(sub, n) for n in members), key=lambda r: str(r["label"])) for members in found]
    return sorted(result, key=lambda c: (-len(c), str(c[0]["label"]) if c else ""))


# --- adoption -----------------------------------------------------------------------------------

@dataclass
class Timeline:
    """When each jurisdiction first mentions a thing, and how adoption accumulates."""

    iris: list[str]
    #: one per jurisdiction: label, iri, code, level, province, first_year, evidence (that year's)
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: [{"year", "new", "cumulative"}]
    by_year: list[dict[str, Any]] = field(default_factory=list)
    #: [{"province", "year", "new", "cumulative"}]
    by_province: list[dict[str, Any]] = field(default_factory=list)
    #: jurisdictions in all (``rows`` may hold one page of them)
    row_count: int = 0

    def to_json(self) -> dict:
        return {"iris": self.iris, "row_count": self.row_count, "rows": self.rows, "by_year": self.by_year,
                "by_province": self.by_province}


CASCADE_COLUMNS = ["jurisdiction", "code", "level", "province", "first_year", "report", "start", "end", "evidence"]


def adoption_timeline(store, program_or_initiative: str | Iterable[str], summaries=None,
                      paging: Paging | None = None) -> Timeline:
    """First-mention year per jurisdiction of a program or initiative (one IRI, or several that
    name the same thing), with that year's evidence, and cumulative counts by year and by
    province. With ``summaries`` (:class:`search.summaries.SummaryStore`, current for the
    store's reports) it is read from them instead of the graph: the same timeline, and only the
    sentences of the rows ``paging`` keeps (by default every row with every sentence; each row's
    ``evidence_count`` counts them all).

    >>> timeline = adoption_timeline(store, str(program_iri("falv-mingbairen")))   # doctest: +SKIP
    >>> [(r["jurisdiction"], r["first_year"]) for r in timeline.rows]            # doctest: +SKIP
    [('洪口镇', 2023), ('甘谷县', 2024), ('长冈乡', 2024)]
    """
    iris = [program_or_initiative] if isinstance(program_or_initiative, str) else list(program_or_initiative)
    paging = paging or Paging.everything()
    if summaries is not None:
        return _timeline_from_summaries(summaries, iris, paging)
    first: dict[str, dict] = {}
    for row in _query(store, "adoption_timeline.rq", {("object",): [(URIRef(i),) for i in iris]}):
        j, year = str(row.j), int(row.year)
        entry = first.get(j)
        if entry is None or year < entry["first_year"]:
            entry = first[j] = {"jurisdiction": str(row.jLabel), "iri": j, "code": str(row.code),
                                "level": _local(row.level),
                                "province": str(row.provinceLabel) if row.provinceLabel is not None else "",
                                "first_year": year, "evidence": []}
        if year == entry["first_year"]:
            evidence = {"report": str(row.report), "text": str(row.exact), "start": int(row.start), "end": int(row.end)}
            if evidence not in entry["evidence"]:
                entry["evidence"].append(evidence)
    rows = sorted(first.values(), key=lambda r: (r["first_year"], r["code"]))
    page = [rows[i] for i in paging.window(len(rows))]
    for row in page:
        row["evidence_count"] = len(row["evidence"])
        row["evidence"] = row["evidence"][:paging.evidence] if paging.evidence is not None else row["evidence"]
    return Timeline(iris, page, _cumulative(rows, None), _cumulative(rows, "province"), len(rows))


def _timeline_from_summaries(summaries, iris: list[str], paging: Paging) -> Timeline:
    rows = [{"jurisdiction": name, "iri": str(jurisdiction_iri(code)), "code": code, "level": level,
             "province": province or "", "first_year": year, "evidence": []}
            for code, name, level, province, year in summaries.first_years(iris)]
    rows.sort(key=lambda r: (r["first_year"], r["code"]))
    page = [rows[i] for i in paging.window(len(rows))]
    sentences = summaries.first_year_sentences(iris, [(row["code"], row["first_year"]) for row in page])
    for row in page:
        found = sentences.get(row["code"], [])
        row["evidence_count"] = len(found)
        kept = found if paging.evidence is None else found[:paging.evidence]
        row["evidence"] = [{"report": report, "text": text, "start": start, "end": end}
                           for report, start, end, text in kept]
    return Timeline(iris, page, _cumulative(rows, None), _cumulative(rows, "province"), len(rows))


def _cumulative(rows: list[dict], by: str | None) -> list[dict]:
    counts: dict[tuple, int] = defaultdict(int)
    for row in rows:
        counts[(row[by] if by else None, row["first_year"])] += 1
    result, running = [], defaultdict(int)
    for (group, year), new in sorted(counts.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        running[group] += new
        entry = {"year": year, "new": new, "cumulative": running[group]}
        result.append({"province": group, **entry} if by else entry)
    return result


def cascade_table(timeline: Timeline, query: str, data_version: str) -> Table:
    """The timeline as a :class:`search.export.Table` (one row per jurisdiction and evidence
    sentence of its first year), for the csv/tsv/json formats of :mod:`search.export`."""
    rows = []
    for entry in timeline.rows:
        for evidence in entry["evidence"] or [{}]:
            rows.append({"jurisdiction": entry["jurisdiction"], "code": entry["code"], "level": entry["level"],
                         "province": entry["province"], "first_year": entry["first_year"],
                         "report": evidence.get("report"), "start": evidence.get("start"),
                         "end": evidence.get("end"), "evidence": evidence.get("text")})
    return Table(columns=CASCADE_COLUMNS, rows=rows, provenance=provenance(query, data_version),
                 extra={"by_year": timeline.by_year, "by_province": timeline.by_province})


# --- export -------------------------------------------------------------------------------------

def exportable(graph: nx.Graph) -> nx.Graph:
    """A copy whose attributes are all strings or numbers, as GraphML and GEXF need: lists
    become counts, evidence a JSON string, missing values are left out."""
    out = nx.Graph()
    for node, data in graph.nodes(data=True):
        attrs = {key: value for key, value in data.items()
                 if isinstance(value, (str, int, float)) and not isinstance(value, bool)}
        attrs["report_count"] = len(data.get("reports", ()))
        attrs.setdefault("label", str(node))
        out.add_node(node, **attrs)
    for u, v, data in graph.edges(data=True):
        attrs = {key: value for key, value in data.items()
                 if isinstance(value, (str, int, float)) and not isinstance(value, bool)}
        attrs["weight"] = float(data.get("weight", 1))
        attrs["evidence"] = json.dumps(edge_evidence(graph, u, v), ensure_ascii=False)
        out.add_edge(u, v, **attrs)
    return out


def write_graphml(graph: nx.Graph, path: str | Path) -> None:
    """GraphML with labels, kinds, weights and evidence (Gephi, yEd, ``nx.read_graphml``)."""
    nx.write_graphml(exportable(graph), str(path), encoding="utf-8")


def write_gexf(graph: nx.Graph, path: str | Path) -> None:
    """GEXF 1.2 with labels, kinds, weights and evidence (Gephi, ``nx.read_gexf``)."""
    nx.write_gexf(exportable(graph), str(path), encoding="utf-8")


EXPORTS = {"graphml": write_graphml, "gexf": write_gexf}
