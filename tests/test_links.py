"""The links graph (search.links) on the five corpus reports: association, explained paths,
centrality, communities, adoption timelines and the GraphML/GEXF/CSV exports."""
from __future__ import annotations

import csv
import doctest
import io
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

import search.links
from ingest.datadir import DataDir
from ingest.store import GraphStore
from ontology import initiative_iri, jurisdiction_iri, law_iri, program_iri, report_iri
from search import links
from search.export import PROVENANCE, render
from web.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
XINGFA = str(initiative_iri("兴法铺子"))          # 长冈乡 only
SONGFA = str(initiative_iri("送法进企业"))        # 甘谷县 only
MINGBAIREN = str(program_iri("falv-mingbairen"))  # 甘谷县, 长冈乡, 洪口镇
FIRST_RESPONSIBLE = str(program_iri("diyi-zerenren"))  # 甘谷县, 洪口镇, 社旗县, 长冈乡
GANGU = str(jurisdiction_iri("620523"))


@pytest.fixture(scope="module")
def data(corpus_datadir) -> DataDir:
    return corpus_datadir


@pytest.fixture(scope="module")
def store(data):
    with GraphStore.open(data.graph, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def graph(store) -> nx.Graph:
    return links.build_graph(store)


def test_nodes_have_kinds_labels_and_reports(graph):
    kinds = {data["kind"] for _, data in graph.nodes(data=True)}
    assert kinds == set(links.KINDS)
    assert sum(1 for _, d in graph.nodes(data=True) if d["kind"] == "report") == 5
    assert graph.nodes[MINGBAIREN]["label"] == "法律明白人"
    assert len(graph.nodes[MINGBAIREN]["reports"]) == 3
    assert graph.nodes[GANGU]["kind"] == "jurisdiction" and graph.nodes[GANGU]["code"] == "620523"
    # the hierarchy: 甘谷县 within 天水市 within 甘肃省
    assert graph.edges[GANGU, str(jurisdiction_iri("620500"))]["relation"] == "within"


def test_co_mention_edges_count_reports_and_sentences(graph):
    edge = graph.edges[MINGBAIREN, FIRST_RESPONSIBLE]
    # both are in the reports of 甘谷县, 长冈乡 and 洪口镇
    # the edge counts the reports (it names only the first, not every one)
    assert edge["relation"] == "co_mention" and edge["weight"] == 3 and "reports" not in edge
    # 红色代办, 点单制 and 菜单式普法 share one sentence of 长冈乡's report
    red = graph.edges[str(initiative_iri("红色代办")), str(initiative_iri("点单制"))]
    assert red["sentence_weight"] == 1 and red["weight"] == 1


def test_related_by_pmi_matches_the_hand_computation(graph):
    # 5 reports. 兴法铺子 is in 1 (长冈乡), 法律明白人 in 3 (甘谷县, 长冈乡, 洪口镇), both in 1:
    # PMI = log2(1 * 5 / (1 * 3)); 三所联动 is also only in 长冈乡: log2(1 * 5 / (1 * 1)) = log2 5.
    ranked = links.related(graph, XINGFA, "pmi", k=100)
    by_label = {row["label"]: row for row in ranked}
    assert by_label["法律明白人"]["score"] == pytest.approx(math.log2(5 / 3))
    assert (by_label["法律明白人"]["together"], by_label["法律明白人"]["count"]) == (1, 3)
    assert by_label["三所联动"]["score"] == pytest.approx(math.log2(5))
    assert ranked[0]["score"] == pytest.approx(math.log2(5))
    # what is only in 长冈乡's report ranks above what is everywhere
    assert ranked.index(by_label["三所联动"]) < ranked.index(by_label["法律明白人"])
    assert all(a["score"] >= b["score"] for a, b in zip(ranked, ranked[1:]))
    # nothing of the other reports only (送法进企业 is 甘谷县's alone)
    assert "送法进企业" not in by_label


def test_related_by_jaccard_matches_the_hand_computation(graph):
    # 法律明白人: {甘谷县, 长冈乡, 洪口镇}; 法治建设第一责任人: those and 社旗县 → 3 / 4.
    # 八五普法: {甘谷县, 长冈乡} → 2 / 3.
    ranked = links.related(graph, MINGBAIREN, "jaccard", k=5)
    assert ranked[0]["label"] == "法治建设第一责任人" and ranked[0]["score"] == pytest.approx(3 / 4)
    by_label = {row["label"]: row for row in links.related(graph, MINGBAIREN, "jaccard", k=100)}
    assert by_label["八五普法"]["score"] == pytest.approx(2 / 3)
    assert by_label["兴法铺子"]["score"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        links.related(graph, MINGBAIREN, "cosine")


def report_about(graph: nx.Graph, place: str) -> str:
    """The id of the one report about ``place``."""
    (report,) = [d["report"] for _, d in graph.nodes(data=True)
                 if d["kind"] == "report" and graph.nodes[d["jurisdiction"]]["label"] == place]
    return report


def slices(data: DataDir, evidence: dict) -> bool:
    return data.read_text(evidence["report"])[evidence["start"]:evidence["end"]] == evidence["text"]


def test_explained_path_between_items_of_two_reports(graph, data):
    hops = links.explained_path(graph, XINGFA, SONGFA)
    assert hops[0]["from"]["label"] == "兴法铺子" and hops[-1]["to"]["label"] == "送法进企业"
    assert len(hops) == 2, "one item of both reports links them"
    first, second = hops
    assert first["relation"] == "same_report" and "(长冈乡 2024)" in first["explanation"]
    assert "(甘谷县 2024)" in second["explanation"]
    middle = first["to"]["node"]
    assert set(graph.nodes[middle]["reports"]) >= {report_about(graph, "长冈乡"), report_about(graph, "甘谷县")}
    for hop in hops:
        assert hop["evidence"], hop["explanation"]
        for evidence in hop["evidence"]:
            assert slices(data, evidence)
    assert any("兴法铺子" in e["text"] for e in first["evidence"])
    assert {e["report"] for e in first["evidence"]} == {report_about(graph, "长冈乡")}
    assert any("送法进企业" in e["text"] for e in second["evidence"])
    assert {e["report"] for e in second["evidence"]} == {report_about(graph, "甘谷县")}


def test_explained_path_to_a_jurisdiction_goes_through_its_report(graph, data):
    hops = links.explained_path(graph, SONGFA, GANGU)
    assert [hop["relation"] for hop in hops] == ["mentioned_in", "report_of"]
    assert hops[0]["to"]["node"] == str(report_iri(report_about(graph, "甘谷县")))
    assert all(slices(data, e) for e in hops[0]["evidence"]) and hops[0]["evidence"]
    assert hops[1]["explanation"] == "甘谷县 2024 —report of— 甘谷县"


def test_no_path_raises(graph):
    lonely = graph.copy()
    lonely.add_node("x", kind="program", label="x", reports=[])
    with pytest.raises(nx.NetworkXNoPath):
        links.explained_path(lonely, "x", MINGBAIREN)


def test_centrality_filters_by_kind_and_ranks(graph):
    ranked = links.centrality(graph, kind="program", measure="degree")
    assert ranked and {row["kind"] for row in ranked} == {"program"}
    assert all(a["score"] >= b["score"] for a, b in zip(ranked, ranked[1:]))
    # 法律顾问制度 is in all five reports and so co-mentioned with the most; 行政执法三项制度, in
    # four, comes next
    assert [row["label"] for row in ranked[:2]] == ["法律顾问制度", "行政执法三项制度"]
    for measure in links.CENTRALITIES:
        assert links.centrality(graph, kind="report", measure=measure)
    with pytest.raises(ValueError):
        links.centrality(graph, measure="pagerank")


def test_communities_partition_the_items(graph):
    found = links.communities(graph)
    members = [node["node"] for community in found for node in community]
    items = {n for n, d in graph.nodes(data=True) if d["kind"] in links.ITEM_KINDS}
    assert sorted(members) == sorted(items)
    assert len(found) >= 2
    louvain = links.communities(graph, method="louvain", seed=1)
    assert sorted(n["node"] for c in louvain for n in c) == sorted(items)


def test_adoption_timeline_first_years_and_cumulative_counts(store):
    timeline = links.adoption_timeline(store, MINGBAIREN)
    first = {row["jurisdiction"]: row["first_year"] for row in timeline.rows}
    assert first == {"洪口镇": 2023, "长冈乡": 2024, "甘谷县": 2024}
    assert timeline.rows[0]["jurisdiction"] == "洪口镇" and timeline.rows[0]["province"] == "四川省"
    assert timeline.by_year == [{"year": 2023, "new": 1, "cumulative": 1}, {"year": 2024, "new": 2, "cumulative": 3}]
    assert {(r["province"], r["year"], r["cumulative"]) for r in timeline.by_province} == {
        ("四川省", 2023, 1), ("江西省", 2024, 1), ("甘肃省", 2024, 1)}
    for row in timeline.rows:
        assert row["evidence"] and all("法律明白人" in e["text"] for e in row["evidence"])


def test_cascade_csv_has_the_columns_and_first_years(store, data):
    timeline = links.adoption_timeline(store, [str(program_iri("fengqiao"))])
    text = render(links.cascade_table(timeline, "adoption of 枫桥经验", data.version()), "csv")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == links.CASCADE_COLUMNS + list(PROVENANCE)
    assert {(r["jurisdiction"], r["first_year"]) for r in rows} == {("宣汉县", "2020"), ("长冈乡", "2024")}
    for row in rows:
        assert data.read_text(row["report"])[int(row["start"]):int(row["end"])] == row["evidence"]
        assert row["data_version"] == data.version()


def test_graphml_reads_back_with_networkx_and_etree(graph, tmp_path):
    path = tmp_path / "links.graphml"
    links.write_graphml(graph, path)
    back = nx.read_graphml(path)
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    assert back.nodes[MINGBAIREN]["label"] == "法律明白人" and back.nodes[MINGBAIREN]["kind"] == "program"
    edge = back.edges[MINGBAIREN, FIRST_RESPONSIBLE]
    assert edge["weight"] == 3.0 and edge["relation"] == "co_mention"
    assert all({"report", "start", "end"} <= set(e) for e in json.loads(edge["evidence"]))
    root = ET.parse(path).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = {key.get("attr.name"): key.get("id") for key in root.findall("g:key", ns)}
    assert {"label", "kind", "weight", "evidence"} <= set(keys)
    labels = {data.text for data in root.iterfind(f".//g:node/g:data[@key='{keys['label']}']", ns)}
    assert "甘谷县" in labels and "兴法铺子" in labels


def test_gexf_reads_back_with_networkx_and_etree(graph, tmp_path):
    path = tmp_path / "links.gexf"
    links.write_gexf(graph, path)
    back = nx.read_gexf(path)
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    assert back.nodes[XINGFA]["label"] == "兴法铺子" and back.nodes[XINGFA]["kind"] == "initiative"
    assert back.edges[MINGBAIREN, FIRST_RESPONSIBLE]["weight"] == 3.0
    root = ET.parse(path).getroot()
    assert root.tag.endswith("gexf")
    ns = {"x": root.tag[1:].split("}")[0]}
    nodes = root.findall(".//x:nodes/x:node", ns)
    assert len(nodes) == graph.number_of_nodes()
    assert {node.get("label") for node in nodes} >= {"甘谷县", "法律明白人"}
    weights = [float(edge.get("weight")) for edge in root.findall(".//x:edges/x:edge", ns)]
    assert max(weights) >= 3


def test_implementing_titles_link_to_their_law():
    law = str(law_iri("yellow"))
    pairs = links.implementing_pairs(
        {"doc": "甘谷县贯彻落实《中华人民共和国黄河保护法》实施方案", "other": "2024年甘谷县法治政府建设工作要点",
         "rule": "黄河保护法实施细则", law: "中华人民共和国黄河保护法"},
        {law: {"中华人民共和国黄河保护法", "黄河保护法"}}, ["实施细则", "实施方案", "贯彻"])
    assert sorted(pairs) == [("doc", law), ("rule", law)]


def test_the_cli_runs_every_subcommand(data, tmp_path, capsys):
    root = ["--data", str(data.root)]
    assert main(["links", "related", "兴法铺子", "--measure", "jaccard", "--format", "json", *root]) == 0
    related = json.loads(capsys.readouterr().out)
    assert related["node"] == XINGFA and related["related"][0]["score"] == 1.0
    assert main(["links", "path", "兴法铺子", "甘谷县", *root]) == 0
    assert "—" in capsys.readouterr().out
    assert main(["links", "timeline", "法律明白人", "--format", "csv", *root]) == 0
    assert capsys.readouterr().out.startswith("\ufeffjurisdiction,code")
    assert main(["links", "centrality", "--kind", "law", *root]) == 0
    assert main(["links", "communities", *root]) == 0
    out = tmp_path / "g.gexf"
    assert main(["links", "export", "--format", "gexf", "-o", str(out), *root]) == 0
    assert nx.read_gexf(out).number_of_nodes() > 0
    capsys.readouterr()
    assert main(["links", "related", "热线", *root]) == 2
    assert "may mean" in capsys.readouterr().err


def test_doctests():
    result = doctest.testmod(search.links)
    assert result.failed == 0 and result.attempted > 0


def _comparable(graph: nx.Graph) -> tuple:
    """Everything a page reads of a links graph, with evidence unpacked (report numbers differ)."""
    nodes = [(n, {k: v for k, v in d.items()}) for n, d in graph.nodes(data=True)]
    edges = [(u, v, {**{k: x for k, x in d.items() if k != "evidence"}, "evidence": links.edge_evidence(graph, u, v)})
             for u, v, d in graph.edges(data=True)]
    return nodes, edges


def test_the_graph_from_the_summaries_is_the_graph_from_sparql(store, data, graph):
    from search.summaries import SummaryStore

    with SummaryStore.open_current(data) as summaries:
        fast = links.build_graph(store, summaries=summaries)
        assert _comparable(fast) == _comparable(graph)
        hops = links.explained_path(fast, XINGFA, SONGFA)
        assert hops == links.explained_path(graph, XINGFA, SONGFA)
        assert all(e["text"] and slices(data, e) for hop in hops for e in hop["evidence"])


def test_the_graph_holds_no_sentence_text_nor_report_lists_on_edges(graph):
    assert "sentences" not in graph.graph
    for u, v, edge in graph.edges(data=True):
        assert "reports" not in edge and len(links.edge_evidence(graph, u, v)) <= links.EVIDENCE_CAP
