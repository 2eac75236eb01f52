"""``fzkg links …``: how programs, initiatives, laws, jurisdictions and reports are linked."""
from __future__ import annotations

import json

from ingest.datadir import DataDir
from ingest.stores import has_graph, open_store
from search import links
from search.export import FORMATS, render
from search.questions.link import Linker
from search.summaries import SummaryStore
from web.cli import CommandError, add_data_option
from web.commands.search import one_line, write


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "links", help="related items, explained paths, centrality, communities, adoption timelines, "
                      "GraphML/GEXF export",
        description="The links graph: items (programs, initiatives, laws, documents) co-mentioned in "
                    "sentences and reports, jurisdictions and their hierarchy, reports. NAME is a "
                    "label (法律明白人, 《黄河保护法》, 甘谷县) or an IRI.")
    commands = parser.add_subparsers(dest="links_command", metavar="SUBCOMMAND")
    commands.required = True

    related = commands.add_parser("related", help="items most associated with NAME over reports")
    related.add_argument("name", metavar="NAME")
    related.add_argument("--measure", choices=links.MEASURES, default="pmi")
    related.add_argument("-k", type=int, default=10, help="how many (default 10)")
    related.set_defaults(links_handler=run_related)

    path = commands.add_parser("path", help="the shortest path between two names, each hop explained")
    path.add_argument("source", metavar="NAME")
    path.add_argument("target", metavar="NAME")
    path.set_defaults(links_handler=run_path)

    central = commands.add_parser("centrality", help="the most central nodes")
    central.add_argument("--kind", choices=links.KINDS, default=None)
    central.add_argument("--measure", choices=links.CENTRALITIES, default="degree")
    central.add_argument("-k", type=int, default=20, help="how many (default 20, 0 for all)")
    central.set_defaults(links_handler=run_centrality)

    groups = commands.add_parser("communities", help="communities of co-mentioned items")
    groups.add_argument("--method", choices=("greedy", "louvain"), default="greedy")
    groups.add_argument("--seed", type=int, default=0, help="seed of louvain (default 0)")
    groups.set_defaults(links_handler=run_communities)

    timeline = commands.add_parser("timeline", help="first mention of a program or initiative per jurisdiction")
    timeline.add_argument("name", metavar="NAME")
    timeline.add_argument("--format", choices=["table", *FORMATS], default="table",
                          help="table, or the cascade table as csv/tsv/json")
    timeline.set_defaults(links_handler=run_timeline)

    export = commands.add_parser("export", help="the whole links graph as GraphML or GEXF")
    export.add_argument("--format", choices=sorted(links.EXPORTS), default="graphml")
    export.add_argument("--output", "-o", metavar="FILE", required=True)
    export.set_defaults(links_handler=run_export)

    for sub in (related, path, central, groups):
        sub.add_argument("--format", choices=("table", "json"), default="table")
    for sub in (related, path, central, groups, timeline, export):
        add_data_option(sub)
    parser.set_defaults(handler=run)


def run(args) -> int:
    datadir = DataDir.at(args.data)
    if not has_graph(datadir):
        raise CommandError(f"no graph in {datadir.root}: run `fzkg ingest` first")
    with open_store(datadir, read_only=True) as store:
        return args.links_handler(args, store, datadir)


def resolve(graph, linker: Linker, name: str, kinds=None) -> str:
    """The graph node ``name`` denotes: a node id, a division name with one division in the
    graph, or a linked thing's IRI; raises CommandError when unknown or ambiguous."""
    if name in graph:
        return name
    places = [linker.place_iri(p) for p in linker.gazetteer.by_name.get(name.strip(), ())]
    present = [iri for iri in places if iri in graph]
    if len(present) == 1:
        return present[0]
    if len(present) > 1:
        raise CommandError(f"{name} names {len(present)} jurisdictions of the graph: " + ", ".join(present))
    link = linker.link(name, kinds or links.ITEM_KINDS)
    if link.ambiguous:
        raise CommandError(f"{name} may mean: " + "; ".join(t.label for t in link.things))
    if link.linked is None:
        raise CommandError(f"nothing in the graph is called {name}")
    present = [iri for iri in link.linked.iris if iri in graph]
    if not present:
        raise CommandError(f"{link.linked.label} is known but no report mentions it")
    return present[0]


def _dump(data) -> None:
    write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def run_related(args, store, datadir) -> int:
    graph = links.build_graph(store)
    node = resolve(graph, Linker.from_store(store), args.name)
    rows = links.related(graph, node, measure=args.measure, k=args.k)
    if args.format == "json":
        _dump({"node": node, "label": graph.nodes[node]["label"], "measure": args.measure, "related": rows})
        return 0
    lines = [f"related to {graph.nodes[node]['label']} ({args.measure}, over "
             f"{len(graph.nodes[node].get('reports', ()))} report(s)):"]
    for number, row in enumerate(rows, 1):
        lines.append(f"{number:>3}. {row['label']}  [{row['kind']}]  {args.measure}={row['score']:.3f}  "
                     f"together {row['together']}, alone {row['count']}")
    write("\n".join(lines) + "\n")
    return 0


def run_path(args, store, datadir) -> int:
    import networkx as nx

    graph = links.build_graph(store)
    linker = Linker.from_store(store)
    source, target = resolve(graph, linker, args.source), resolve(graph, linker, args.target)
    try:
        hops = links.explained_path(graph, source, target)
    except nx.NetworkXNoPath:
        raise CommandError(f"no path between {args.source} and {args.target}") from None
    if args.format == "json":
        _dump({"source": source, "target": target, "hops": hops})
        return 0
    lines = []
    for hop in hops:
        lines.append(hop["explanation"])
        for evidence in hop["evidence"][:2]:
            lines.append(f"    {one_line(evidence['text'])}  [{evidence['report']}:{evidence['start']}-{evidence['end']}]")
    write("\n".join(lines) + "\n")
    return 0


def run_centrality(args, store, datadir) -> int:
    graph = links.build_graph(store)
    rows = links.centrality(graph, kind=args.kind, measure=args.measure, k=args.k or None)
    if args.format == "json":
        _dump({"measure": args.measure, "kind": args.kind, "nodes": rows})
        return 0
    write("\n".join(f"{n:>3}. {r['label']}  [{r['kind']}]  {r['score']:.4f}  degree {r['degree']}"
                    for n, r in enumerate(rows, 1)) + "\n")
    return 0


def run_communities(args, store, datadir) -> int:
    graph = links.build_graph(store)
    found = links.communities(graph, method=args.method, seed=args.seed)
    if args.format == "json":
        _dump({"method": args.method, "communities": found})
        return 0
    write("\n".join(f"{n:>3}. ({len(c)}) " + "、".join(m["label"] for m in c) for n, c in enumerate(found, 1)) + "\n")
    return 0


def run_timeline(args, store, datadir) -> int:
    linker = Linker.from_store(store)
    link = linker.link(args.name, ("program", "initiative"))
    if link.ambiguous:
        raise CommandError(f"{args.name} may mean: " + "; ".join(t.label for t in link.things))
    if link.linked is None:
        raise CommandError(f"no program or initiative is called {args.name}")
    summaries = SummaryStore.open_current(datadir)
    try:
        timeline = links.adoption_timeline(store, list(link.linked.iris), summaries=summaries)
    finally:
        if summaries is not None:
            summaries.close()
    if args.format != "table":
        table = links.cascade_table(timeline, f"adoption of {link.linked.label}", datadir.version())
        write(render(table, args.format))
        return 0
    lines = [f"adoption of {link.linked.label}: {len(timeline.rows)} jurisdiction(s)"]
    for row in timeline.rows:
        lines.append(f"  {row['first_year']}  {row['jurisdiction']} {row['code']}  {row['province']}")
    lines.append("by year: " + "  ".join(f"{r['year']}: +{r['new']} = {r['cumulative']}" for r in timeline.by_year))
    write("\n".join(lines) + "\n")
    return 0


def run_export(args, store, datadir) -> int:
    graph = links.build_graph(store)
    links.EXPORTS[args.format](graph, args.output)
    print(f"wrote {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges to {args.output}")
    return 0
