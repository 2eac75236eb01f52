"""The links pages: how programs, initiatives, laws, documents, jurisdictions and reports are
connected (:mod:`search.links`), for researchers of policy diffusion.

``/links``                      forms for the pages below, the most mentioned items, the exports
``/links/related?node=&measure=pmi|jaccard&k=``   the items most associated with a node over reports
``/links/neighbours?node=&k=``  a node's neighbours in the links graph (the entity pages draw it)
``/links/path?from=&to=``       the shortest path between two nodes, each hop with its evidence
``/links/timeline?node=``       the adoption timeline of a program or initiative: first-mention year
                                per jurisdiction, cumulative curves by year and by province;
                                ``.csv``/``.tsv`` twins are the cascade table (:mod:`search.export`)
``/links/export.graphml``, ``/links/export.gexf``   the whole graph for Gephi, yEd or networkx

Every HTML page has a ``.json`` twin. ``node`` (and ``from``/``to``) is an IRI, a local id
(``program/falv-mingbairen``) or a name (法律明白人, 甘谷县); a name that fits several nodes is a
400 naming them. The links graph and the exports are built once per data version
(:meth:`web.context.ServiceContext.derived`); building the graph takes about a second on the
embedded corpus, so the entity pages fetch their neighbour view afterwards instead of waiting.

The chart and graph libraries (Chart.js, Cytoscape.js) are npm packages installed by
``scripts/setup`` into ``web/assets/node_modules`` and served from here; without them the pages
keep their tables and lists and say what to install.
"""
from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

import networkx as nx
from flask import Blueprint, Response, current_app, request, send_from_directory
from werkzeug.exceptions import ServiceUnavailable

from ontology import local_id, report_iri
from search import links, summaries
from web.context import ServiceContext, service
from web.entities import entity_iri, entity_path, report_path
from web.i18n import t
from search.questions.rows import Paging
from web.pages.ask import question_linker
from web.twin import (bad_request, choice_arg, export_response, int_arg, not_found, page_blueprint, paging as pager,
                      render_page, requested_format, twin_route)

WEB = Path(__file__).resolve().parents[1]
NODE_MODULES = WEB / "assets" / "node_modules"
#: URL folder → (folder in node_modules, the files served from it); nothing else of node_modules is served
FRONTEND = {"cytoscape": ("cytoscape/dist", ("cytoscape.min.js",)),
            "chart.js": ("chart.js/dist", ("chart.umd.min.js",))}
#: entity kinds whose pages show the neighbour view, and those with an adoption timeline
NEIGHBOUR_KINDS = ("program", "initiative", "law", "jurisdiction")
TIMELINE_KINDS = ("program", "initiative")
#: the most reports a service builds the links graph for (see :func:`links_graph`)
LINKS_GRAPH_MAX_REPORTS = 20_000
#: jurisdictions a timeline page lists, and sentences per jurisdiction, unless asked (the counts
#: and the chart cover every jurisdiction; the CSV and TSV downloads hold every row and sentence)
TIMELINE_ROWS = 100
TIMELINE_EVIDENCE = 3
MAX_TIMELINE_ROWS = 5000
MAX_TIMELINE_EVIDENCE = 100
DEFAULT_K, MAX_K = 10, 100
NEIGHBOURS_K, MAX_NEIGHBOURS = 15, 60
#: how many of the most mentioned items the landing page lists
TOP_ITEMS = 12
EXPORT_TYPES = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml"}
TABLE_FORMATS = ("html", "json", "csv", "tsv")


def frontend_installed(package: str) -> bool:
    folder, files = FRONTEND[package]
    return all((NODE_MODULES / folder / name).is_file() for name in files)


def frontend_url(package: str) -> str:
    return f"/assets/{package}/{FRONTEND[package][1][0]}"


# --------------------------------------------------------------------------- data

def require_data(context: ServiceContext) -> None:
    if context.version() == "empty":
        raise ServiceUnavailable(t("questions.error.no_data"))


def links_graph(context: ServiceContext) -> nx.Graph:
    """The links graph of the current data version, from the summaries when they are current
    (seconds, not minutes, on a large corpus), else from the graph store.

    The graph lives in memory, about 65 KB per report (6.5 GB and four minutes to build at
    100,000 reports), so a service does not build it for more reports than the setting
    ``LINKS_GRAPH_MAX_REPORTS`` allows (environment ``FZKG_LINKS_GRAPH_MAX_REPORTS``): the pages
    that need it answer 503 and say so; questions, timelines and everything else go on."""
    limit = int(current_app.config.get("LINKS_GRAPH_MAX_REPORTS", LINKS_GRAPH_MAX_REPORTS))
    count = context.derived("report_count", lambda ctx: len(ctx.datadir.registry()))
    if count > limit:
        raise ServiceUnavailable(t("links.error.too_large", count=f"{count:,}", limit=f"{limit:,}"))
    return context.derived("links_graph", lambda ctx: links.build_graph(ctx.graph, summaries=summaries.shared(ctx)))


def exported(context: ServiceContext, fmt: str) -> bytes:
    def build(ctx: ServiceContext) -> bytes:
        # the writers of search.links take a path; a temporary file keeps theirs the only code path
        with tempfile.TemporaryDirectory(prefix="fzkg-links-") as folder:
            path = Path(folder) / f"links.{fmt}"
            links.EXPORTS[fmt](links_graph(ctx), path)
            return path.read_bytes()

    return context.derived(f"links_export_{fmt}", build)


class SummaryNodes:
    """The nodes of the links graph as :func:`resolve`, :func:`node_view` and :func:`same_named`
    read them (``node in nodes``, ``nodes.nodes[node]``), answered from the summaries: a page
    that needs no edges (the adoption timeline) then needs no links graph, which takes minutes
    and gigabytes to build on a large corpus."""

    def __init__(self, store):
        self.store = store
        self._found: dict[str, dict | None] = {}

    @property
    def nodes(self) -> "SummaryNodes":
        return self

    def _node(self, node: str) -> dict | None:
        if node not in self._found:
            self._found[node] = self.store.link_node(node)
        return self._found[node]

    def __contains__(self, node) -> bool:
        return isinstance(node, str) and self._node(node) is not None

    def __getitem__(self, node: str) -> dict:
        found = self._node(node)
        if found is None:
            raise KeyError(node)
        return found


def node_view(graph, node: str) -> dict:
    """A node as the pages show it; ``graph`` is the links graph or :class:`SummaryNodes`."""
    data = graph.nodes[node]
    reports = data.get("reports", ())
    view = {"node": node, "label": data.get("label", node), "kind": data.get("kind"), "href": entity_path(node),
            "reports": reports if isinstance(reports, int) else len(reports)}
    if data.get("kind") == "report":
        view["report_page"] = report_path(data["report"])
    return view


def resolve(graph, linker, raw: str | None, param: str) -> str:
    """The node a parameter names: a node id (IRI), a local id, or a name (see the module doc);
    ``graph`` is the links graph or :class:`SummaryNodes`."""
    if raw is None or not raw.strip():
        bad_request(t("links.error.missing", name=param))
    raw = raw.strip()
    if raw in graph:
        return raw
    local = raw.removeprefix("/id/")
    as_local = str(entity_iri(local))
    if as_local in graph:
        return as_local
    if local_id(raw) is not None or "/" in local:
        # one of our identifiers, but no report mentions it (or nothing has it)
        not_found(t("links.error.not_in_graph", value=raw))
    present = [iri for iri in (linker.place_iri(p) for p in linker.gazetteer.by_name.get(raw, ())) if iri in graph]
    if len(present) == 1:
        return present[0]
    if len(present) > 1:
        names = "；".join(f"{graph.nodes[i]['label']} ({graph.nodes[i].get('code', '')})" for i in present)
        bad_request(t("links.error.ambiguous", value=raw, choices=names))
    link = linker.link(raw, links.ITEM_KINDS)
    if link.ambiguous:
        bad_request(t("links.error.ambiguous", value=raw, choices="；".join(thing.label for thing in link.things)))
    if link.linked is not None:
        for iri in link.linked.iris:
            if iri in graph:
                return iri
    not_found(t("links.error.unknown", value=raw))


def neighbourhood(graph: nx.Graph, node: str, k: int) -> dict:
    """The ``k`` neighbours of ``node`` with the heaviest edges, and the edges that join them.

    Items meet each other directly (co-mention, implements) and meet reports (mentioned in).
    A jurisdiction's direct neighbours are only its reports and its parent and children, so for
    a jurisdiction the items its reports mention are drawn too, one hop further, each joined to
    the reports that mention it (weight: sentences)."""
    def strength(other: str, data: dict) -> tuple:
        return (-data.get("weight", 1), -data.get("sentence_weight", 0), str(graph.nodes[other].get("label", other)))

    direct = sorted(graph[node], key=lambda other: strength(other, graph.edges[node, other]))
    chosen = [(other, 1, graph.edges[node, other]) for other in direct]
    edges = [(node, other, data) for other, _, data in chosen]
    if graph.nodes[node].get("kind") == "jurisdiction":
        reports = [other for other in direct if graph.nodes[other].get("kind") == "report"]
        weight: dict[str, int] = defaultdict(int)
        for report in reports:
            for item in graph[report]:
                if graph.nodes[item].get("kind") in links.ITEM_KINDS:
                    weight[item] += graph.edges[report, item].get("weight", 1)
        items = sorted(weight, key=lambda item: strength(item, {"weight": weight[item]}))
        chosen += [(item, 2, {"weight": weight[item], "relation": "mentioned_in"}) for item in items]
        edges += [(report, item, graph.edges[report, item]) for report in reports for item in items
                  if graph.has_edge(report, item)]
    shown = chosen[:k]
    keep = {node} | {other for other, _, _ in shown}
    nodes = [{**node_view(graph, node), "hop": 0, "weight": None, "relation": None}]
    nodes += [{**node_view(graph, other), "hop": hop, "weight": data.get("weight", 1),
               "relation": _relation(data)} for other, hop, data in shown]
    return {"node": node_view(graph, node), "k": k, "available": len(chosen), "nodes": nodes,
            "edges": [{"source": u, "target": v, "relation": _relation(data), "weight": data.get("weight", 1)}
                      for u, v, data in edges if u in keep and v in keep]}


def _relation(data: dict) -> str | None:
    relation = data.get("relation")
    if relation == "co_mention":
        return "same_sentence" if data.get("sentence_weight") else "same_report"
    return relation


def same_named(linker, graph, node: str) -> list[str]:
    """``node`` and the programs or initiatives of the same name: one thing to a reader, so one
    timeline (as the command line and the questions treat them)."""
    label = graph.nodes[node].get("label")
    twins = [entity.iri for entity in linker.entities if entity.kind in TIMELINE_KINDS and entity.label == label]
    return [node] + [iri for iri in twins if iri != node]


def chart_series(timeline: links.Timeline) -> dict:
    """Cumulative adopters for every year from the first to the last, overall and per province
    (a year without a new adopter carries the count before it)."""
    if not timeline.rows:
        return {"years": [], "total": [], "provinces": []}
    years = list(range(min(r["first_year"] for r in timeline.rows), max(r["first_year"] for r in timeline.rows) + 1))

    def carried(entries: list[dict]) -> list[int]:
        at = {entry["year"]: entry["cumulative"] for entry in entries}
        values, running = [], 0
        for year in years:
            running = at.get(year, running)
            values.append(running)
        return values

    grouped: dict[str, list[dict]] = defaultdict(list)
    for entry in timeline.by_province:
        grouped[entry["province"] or ""].append(entry)
    provinces = [{"province": name, "values": carried(entries)} for name, entries in sorted(grouped.items())]
    return {"years": years, "total": carried(timeline.by_year), "provinces": provinces}


# --------------------------------------------------------------------------- pages

def create_blueprint(context: ServiceContext) -> Blueprint:
    blueprint = page_blueprint("links", __name__)
    blueprint.add_app_template_global(neighbour_settings)

    def graph_and_linker():
        current = service()
        require_data(current)
        return links_graph(current), question_linker(current)

    def k_arg(default: int, maximum: int) -> int:
        return int_arg("k", default, minimum=1, maximum=maximum)

    @twin_route(blueprint, "/links")
    def overview():
        graph, _ = graph_and_linker()
        items = sorted((n for n, d in graph.nodes(data=True) if d.get("kind") in links.ITEM_KINDS),
                       key=lambda n: (-len(graph.nodes[n].get("reports", ())), str(graph.nodes[n]["label"])))
        counts = defaultdict(int)
        for _, data in graph.nodes(data=True):
            counts[data.get("kind")] += 1
        top = []
        for node in items[:TOP_ITEMS]:
            view = node_view(graph, node)
            view["related"] = "/links/related?" + urlencode({"node": node})
            if view["kind"] in TIMELINE_KINDS:
                view["timeline"] = "/links/timeline?" + urlencode({"node": node})
            top.append(view)
        data = {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "kinds": dict(counts),
                "top": top, "exports": {fmt: f"/links/export.{fmt}" for fmt in links.EXPORTS},
                "measures": list(links.MEASURES)}
        return render_page("links.html", data)

    @twin_route(blueprint, "/links/related")
    def related():
        graph, linker = graph_and_linker()
        node = resolve(graph, linker, request.args.get("node"), "node")
        measure = choice_arg("measure", links.MEASURES, "pmi")
        k = k_arg(DEFAULT_K, MAX_K)
        rows = links.related(graph, node, measure=measure, k=k)
        for row in rows:
            row["href"] = entity_path(row["node"])
        total = links.report_total(graph)
        data = {"node": node_view(graph, node), "measure": measure, "k": k, "total_reports": total, "related": rows}
        return render_page("links_related.html", data, **_page_extras(graph, node))

    @twin_route(blueprint, "/links/neighbours")
    def neighbours():
        graph, linker = graph_and_linker()
        node = resolve(graph, linker, request.args.get("node"), "node")
        data = neighbourhood(graph, node, k_arg(NEIGHBOURS_K, MAX_NEIGHBOURS))
        return render_page("links_neighbours.html", data, **_page_extras(graph, node))

    @twin_route(blueprint, "/links/path")
    def path():
        graph, linker = graph_and_linker()
        source = resolve(graph, linker, request.args.get("from"), "from")
        target = resolve(graph, linker, request.args.get("to"), "to")
        if source == target:
            bad_request(t("links.error.same_node"))
        try:
            hops = links.explained_path(graph, source, target)
        except nx.NetworkXNoPath:
            hops = None
        data = {"from": node_view(graph, source), "to": node_view(graph, target), "connected": hops is not None,
                "hops": [_hop_view(graph, hop) for hop in hops or []]}
        # "from" is a Jinja keyword: the template reads the two ends under other names
        return render_page("links_path.html", data, this_from=data["from"], this_to=data["to"])

    @twin_route(blueprint, "/links/timeline", formats=("json", "csv", "tsv"))
    def timeline():
        fmt = requested_format(TABLE_FORMATS)
        current = service()
        require_data(current)
        page = int_arg("page", 1, minimum=1)
        limit = int_arg("limit", TIMELINE_ROWS, minimum=1, maximum=MAX_TIMELINE_ROWS)
        evidence = int_arg("evidence", TIMELINE_EVIDENCE, minimum=0, maximum=MAX_TIMELINE_EVIDENCE)
        shared = summaries.shared(current)
        linker = question_linker(current)
        nodes = SummaryNodes(shared) if shared is not None else links_graph(current)
        node = resolve(nodes, linker, request.args.get("node"), "node")
        kind = nodes.nodes[node].get("kind")
        if kind not in TIMELINE_KINDS:
            bad_request(t("links.error.timeline_kind", label=nodes.nodes[node]["label"], kind=t(f"links.kind.{kind}")))
        iris = same_named(linker, nodes, node)
        if fmt in ("csv", "tsv"):
            result = links.adoption_timeline(current.graph, iris, summaries=shared)
            version = current.version()
            table = links.cascade_table(result, "/links/timeline?" + urlencode({"node": node}), version)
            return export_response(table, fmt, f"fzkg-timeline-{local_id(node).replace('/', '-')}-{version}")
        paging = Paging(offset=(page - 1) * limit, limit=limit, evidence=evidence)
        result = links.adoption_timeline(current.graph, iris, summaries=shared, paging=paging)
        data = {"node": node_view(nodes, node), **result.to_json(), "chart": chart_series(result),
                "paging": paging.to_json()}
        rows = [{**row, "href": entity_path(row["iri"]),
                 "evidence": [{**e, "href": report_path(e["report"], e["start"], e["end"])} for e in row["evidence"]]}
                for row in result.rows]
        return render_page("links_timeline.html", data, rows_view=rows, chart_installed=frontend_installed("chart.js"),
                           chart_script=frontend_url("chart.js"), pager=pager(page, limit, result.row_count),
                           first=paging.offset + 1,
                           downloads={name: f"/links/timeline.{name}?" + urlencode({"node": node})
                                      for name in ("csv", "tsv")})

    def export(fmt: str):
        current = service()
        require_data(current)
        response = Response(exported(current, fmt), mimetype=EXPORT_TYPES[fmt])
        response.headers["Content-Disposition"] = f"attachment; filename=fzkg-links-{current.version()}.{fmt}"
        return response

    blueprint.add_url_rule("/links/export.graphml", "export_graphml", lambda: export("graphml"))
    blueprint.add_url_rule("/links/export.gexf", "export_gexf", lambda: export("gexf"))

    def frontend(package: str, name: str):
        folder, files = FRONTEND[package]
        if name not in files:
            not_found(t("links.asset_unknown", name=name))
        if not frontend_installed(package):
            # say what to do rather than let the page fail on a bare 404
            response = Response(t("links.assets_missing_plain", package=package), status=404, mimetype="text/plain")
            response.charset = "utf-8"
            return response
        return send_from_directory(NODE_MODULES / folder, name, max_age=24 * 3600)

    for package in FRONTEND:
        blueprint.add_url_rule(f"/assets/{package}/<path:name>", f"frontend_{package.replace('.', '_')}",
                               frontend, defaults={"package": package})

    return blueprint


def _page_extras(graph: nx.Graph, node: str) -> dict:
    """The node the neighbour view partial draws on the related and neighbours pages."""
    return {"neighbour_node": node, "neighbour_kind": graph.nodes[node].get("kind")}


def neighbour_settings() -> dict:
    """The Jinja global ``neighbour_settings()``: which entity pages draw the neighbour view and
    whether the graph library is installed (the entity page has no data of its own for it)."""
    return {"kinds": NEIGHBOUR_KINDS, "timeline_kinds": TIMELINE_KINDS, "k": NEIGHBOURS_K,
            "graph_installed": frontend_installed("cytoscape"), "graph_script": frontend_url("cytoscape")}


def _hop_view(graph: nx.Graph, hop: dict) -> dict:
    u, v = hop["from"]["node"], hop["to"]["node"]
    data = graph.edges[u, v]
    view = {**hop, "from": node_view(graph, u), "to": node_view(graph, v), "weight": data.get("weight", 1),
            "evidence": [{**e, "href": report_path(e["report"], e["start"], e["end"]),
                          "report_label": _report_label(graph, e["report"])} for e in hop["evidence"]]}
    if data.get("relation") == "co_mention" and data.get("first_report"):
        view["context"] = _report_label(graph, data["first_report"])
    return view


def _report_label(graph: nx.Graph, report: str) -> str:
    node = str(report_iri(report))
    return graph.nodes[node]["label"] if node in graph else report


__all__ = ["NEIGHBOUR_KINDS", "TIMELINE_KINDS", "chart_series", "create_blueprint", "links_graph", "neighbourhood",
           "resolve"]

