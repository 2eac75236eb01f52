"""The data set as a whole: downloadable dumps and its VoID description.

* ``/dump`` (and ``/dump.json``): what can be downloaded, with the data set's statistics.
* ``/dump/fzkg.ttl.gz``, ``/dump/fzkg.nt.gz``: every triple of the graph (the union of all named
  graphs, each triple once), gzipped. A dump is written once per state of the store into a cache
  directory and then served from disk with an ETag, so a second download costs no query.
* ``/void`` and ``/.well-known/void`` (RFC 5785 / VoID §6): a ``void:Dataset`` with triple and
  entity counts, class and property partitions, the SPARQL endpoint, the dumps, the vocabularies
  used, ``dct:modified`` and the data version; HTML, Turtle, JSON-LD, N-Triples or RDF/XML by
  ``Accept`` or by suffix (``/void.ttl`` …), the page's JSON twin at ``/void.json``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import Response, current_app, request, send_file
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, XSD

from ontology import ID, PREFIXES, VOID, bind_prefixes
from web import i18n
from web.context import ServiceContext, service
from web.entities import Labeller, term_view
from web.pages.entity import DATASET_IRI, term_name
from web.rdf_media import (
    BY_SUFFIX,
    HTML,
    JSON,
    NotAcceptable,
    alternate_links,
    link_header,
    negotiate,
    not_acceptable_response,
    rdf_response,
)
from web.sparql.executor import store_stamp
from web.twin import not_found, page_blueprint, render_page, twin_route


@dataclass(frozen=True)
class Dump:
    name: str
    #: GraphStore.serialize format
    store_format: str
    media_type: str

    @property
    def filename(self) -> str:
        return f"fzkg.{self.name}.gz"


DUMPS = (Dump("ttl", "turtle", "text/turtle"), Dump("nt", "nt", "application/n-triples"))
DUMP_BY_FILE = {dump.filename: dump for dump in DUMPS}
#: How many example resources the VoID names.
EXAMPLES = 5

_DISTINCT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
_ENTITIES = f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}"""
_CLASSES = """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"""
_PROPERTIES = """SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }
GROUP BY ?p ORDER BY DESC(?n) ?p"""
_DISTINCT = "SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }"


# --------------------------------------------------------------------------- statistics


#: the most reports the service counts triples, entities, classes and properties for: the counts
#: scan and deduplicate every quad of the store: 148 s and 2.5 GB at 10,000 reports
STATISTICS_MAX_REPORTS = 5_000


@dataclass(frozen=True)
class Statistics:
    """The VoID statistics; the counts are None when the store is too large to count them in the
    service (``limit``: the number of reports it counts up to)."""
    triples: int | None
    entities: int | None
    distinct_subjects: int | None
    distinct_objects: int | None
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    examples: list[str]
    modified: datetime | None
    limit: int | None = None


def _number(rows) -> int:
    return int(next(iter(rows))[0])


def compute_statistics(context: ServiceContext, limit: int = STATISTICS_MAX_REPORTS) -> Statistics:
    """The statistics of the store; above ``limit`` reports only what costs no scan of it."""
    registry = context.datadir.registry_file
    modified = (datetime.fromtimestamp(registry.stat().st_mtime, timezone.utc).replace(microsecond=0)
                if registry.exists() else None)
    if len(context.datadir.registry()) > limit:
        return Statistics(None, None, None, None, [], [], [], modified, limit)
    graph = context.graph
    distinct = next(iter(graph.query(_DISTINCT)))
    classes = [(str(c), int(n)) for c, n in graph.query(_CLASSES)]
    examples = []
    # one resource of each of the main kinds, so a reader can start browsing from the VoID
    for kind in ("jurisdiction/", "law/", "program/", "initiative/", "report/"):
        rows = list(graph.query(f"""SELECT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{ID[kind]}")) }}
                                    ORDER BY ?s LIMIT 1"""))
        examples += [str(row[0]) for row in rows]
    return Statistics(
        triples=_number(graph.query(_DISTINCT_TRIPLES)),
        entities=_number(graph.query(_ENTITIES)),
        distinct_subjects=int(distinct[0]),
        distinct_objects=int(distinct[1]),
        classes=classes,
        properties=[(str(p), int(n)) for p, n in graph.query(_PROPERTIES)],
        examples=examples[:EXAMPLES],
        modified=modified,
    )


class StatisticsCache:
    """Statistics computed once per state of the store (an ingest changes the stamp)."""

    def __init__(self, context: ServiceContext):
        self.context = context
        self._lock = threading.Lock()
        self._entry: tuple[tuple, Statistics] | None = None

    def get(self) -> Statistics:
        limit = int(current_app.config.get("STATISTICS_MAX_REPORTS", STATISTICS_MAX_REPORTS))
        stamp = (store_key(self.context), limit)
        with self._lock:
            if self._entry is None or self._entry[0] != stamp:
                self._entry = (stamp, compute_statistics(self.context, limit))
            return self._entry[1]


def store_key(context: ServiceContext) -> str:
    """A short key of the store's current state: the data version plus the files' stamp, because
    re-ingesting the same reports with a newer extractor keeps the version but changes triples."""
    stamp = store_stamp(context.datadir.graph, context.datadir.registry_file)
    digest = hashlib.sha256(repr(stamp).encode()).hexdigest()[:8]
    return f"{context.version()}-{digest}"


# --------------------------------------------------------------------------- VoID


def vocabularies(stats: Statistics) -> list[str]:
    """The namespaces of the classes and properties the data uses (void:vocabulary)."""
    used = {iri for iri, _ in stats.classes} | {iri for iri, _ in stats.properties}
    found = []
    for namespace in PREFIXES.values():
        ns = str(namespace)
        if ns != str(ID) and any(iri.startswith(ns) for iri in used):
            found.append(ns)
    return sorted(found)


def void_graph(stats: Statistics, *, root: str, version: str) -> Graph:
    """The VoID description; ``root`` is where this service runs (endpoint and dump URLs)."""
    graph = Graph()
    bind_prefixes(graph)
    ds = DATASET_IRI
    add = graph.add
    add((ds, RDF.type, VOID.Dataset))
    add((ds, DCTERMS.title, Literal("法治政府建设工作报告知识图谱", lang="zh")))
    add((ds, DCTERMS.title, Literal("fzkg: knowledge graph of rule-of-law government reports", lang="en")))
    add((ds, DCTERMS.description, Literal(
        "Facts extracted from Chinese local-government reports on rule-of-law government construction: "
        "which jurisdiction studied, applied or cited which law, issued which document, ran which program "
        "or initiative, and with what figures, each with its evidence sentence.", lang="en")))
    add((ds, OWL.versionInfo, Literal(version)))
    add((ds, DCTERMS.hasVersion, Literal(version)))
    if stats.modified is not None:
        add((ds, DCTERMS.modified, Literal(stats.modified.isoformat(), datatype=XSD.dateTime)))
    if stats.limit is None:  # counted (a large store leaves them out rather than state them wrong)
        add((ds, VOID.triples, Literal(stats.triples)))
        add((ds, VOID.entities, Literal(stats.entities)))
        add((ds, VOID.distinctSubjects, Literal(stats.distinct_subjects)))
        add((ds, VOID.distinctObjects, Literal(stats.distinct_objects)))
        add((ds, VOID.classes, Literal(len(stats.classes))))
        add((ds, VOID.properties, Literal(len(stats.properties))))
    add((ds, VOID.uriSpace, Literal(str(ID))))
    add((ds, VOID.sparqlEndpoint, URIRef(root + "sparql")))
    for dump in DUMPS:
        add((ds, VOID.dataDump, URIRef(f"{root}dump/{dump.filename}")))
    for namespace in vocabularies(stats):
        add((ds, VOID.vocabulary, URIRef(namespace)))
    for example in stats.examples:
        add((ds, VOID.exampleResource, URIRef(example)))
    for cls, count in stats.classes:
        part = BNode()
        add((ds, VOID.classPartition, part))
        add((part, VOID["class"], URIRef(cls)))
        add((part, VOID.entities, Literal(count)))
    for prop, count in stats.properties:
        part = BNode()
        add((ds, VOID.propertyPartition, part))
        add((part, VOID.property, URIRef(prop)))
        add((part, VOID.triples, Literal(count)))
    return graph


# --------------------------------------------------------------------------- dumps


class DumpCache:
    """Gzipped dumps on disk, one per format and store state; older ones are removed."""

    def __init__(self, context: ServiceContext):
        self.context = context
        self._lock = threading.Lock()

    def directory(self) -> Path:
        # beside the data when we may write there, else in the temporary directory
        preferred = self.context.datadir.root / "cache" / "dumps"
        try:
            preferred.mkdir(parents=True, exist_ok=True)
            if os.access(preferred, os.W_OK):
                return preferred
        except OSError:
            pass
        root = str(self.context.datadir.root.resolve())
        fallback = Path(tempfile.gettempdir()) / f"fzkg-dumps-{hashlib.sha256(root.encode()).hexdigest()[:12]}"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback

    def path(self, dump: Dump) -> tuple[Path, str]:
        """The file for the current store state (written now if missing) and its key."""
        key = store_key(self.context)
        directory = self.directory()
        target = directory / f"fzkg-{key}.{dump.name}.gz"
        if target.exists():
            return target, key
        with self._lock:
            if not target.exists():
                self._write(dump, target)
                for old in directory.glob(f"fzkg-*.{dump.name}.gz"):
                    if old != target:
                        old.unlink(missing_ok=True)
        return target, key

    def existing(self, dump: Dump) -> Path | None:
        target = self.directory() / f"fzkg-{store_key(self.context)}.{dump.name}.gz"
        return target if target.exists() else None

    def _write(self, dump: Dump, target: Path) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as raw:
                # mtime=0 and a fixed inner name: the same data always gives the same bytes
                with gzip.GzipFile(filename=f"fzkg.{dump.name}", mode="wb", fileobj=raw, mtime=0) as out:
                    self.context.graph.serialize(dump.store_format, out)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# --------------------------------------------------------------------------- pages


def create_blueprint(context: ServiceContext):
    blueprint = page_blueprint("dataset", __name__)
    statistics = StatisticsCache(context)
    dumps = DumpCache(context)

    def page_data(stats: Statistics) -> dict:
        labeller = Labeller(service().graph, term_name, language=i18n.current_language())
        labeller.labels([iri for iri, _ in stats.classes] + [iri for iri, _ in stats.properties] + stats.examples)
        root = request.url_root
        files = []
        for dump in DUMPS:
            existing = dumps.existing(dump)
            files.append({"format": dump.name, "media_type": dump.media_type, "encoding": "gzip",
                          "url": f"{root}dump/{dump.filename}", "href": f"/dump/{dump.filename}",
                          "size": existing.stat().st_size if existing else None})
        return {
            "dataset": str(DATASET_IRI),
            "title": i18n.t("dataset.title"),
            "version": context.version(),
            "modified": stats.modified.isoformat() if stats.modified else None,
            "triples": stats.triples,
            "entities": stats.entities,
            "distinct_subjects": stats.distinct_subjects,
            "distinct_objects": stats.distinct_objects,
            "statistics_limit": stats.limit,
            "sparql_endpoint": f"{root}sparql",
            "query_editor": "/query",
            "void": "/void",
            "dumps": files,
            "vocabularies": vocabularies(stats),
            "examples": [term_view(URIRef(iri), labeller) for iri in stats.examples],
            "classes": [{"class": term_view(URIRef(iri), labeller), "entities": n} for iri, n in stats.classes],
            "properties": [{"property": term_view(URIRef(iri), labeller), "triples": n}
                           for iri, n in stats.properties],
        }

    @twin_route(blueprint, "/dump")
    def dump_page():
        data = page_data(statistics.get())
        return render_page("dataset.html", data, alternates=alternate_links("/void"), page="dump")

    @blueprint.route("/dump/<filename>")
    def dump_file(filename: str):
        dump = DUMP_BY_FILE.get(filename)
        if dump is None:
            not_found(i18n.t("dataset.no_such_dump", name=filename))
        path, key = dumps.path(dump)
        response = send_file(path, mimetype="application/gzip", as_attachment=True,
                             download_name=f"fzkg-{context.version()}.{dump.name}.gz", etag=key,
                             conditional=True, max_age=0)
        response.headers["X-Fzkg-Data-Version"] = context.version()
        # what is inside the gzip, for clients that pick a parser by it
        response.headers["X-Fzkg-Dump-Format"] = dump.media_type
        return response

    def void_answer(chosen: str) -> Response:
        stats = statistics.get()
        links = alternate_links("/void")
        if chosen in (HTML, JSON):
            response = render_page("dataset.html", page_data(stats), alternates=links, page="void")
        else:
            fmt = next(fmt for fmt in BY_SUFFIX.values() if fmt.name == chosen)
            graph = void_graph(stats, root=request.url_root, version=context.version())
            response = rdf_response(graph, fmt)
        response.headers["Link"] = link_header(links)
        return response

    def void_negotiated():
        try:
            return void_answer(negotiate())
        except NotAcceptable as error:
            return not_acceptable_response(error)

    blueprint.add_url_rule("/void", endpoint="void", view_func=void_negotiated)
    blueprint.add_url_rule("/.well-known/void", endpoint="well_known_void", view_func=void_negotiated)
    blueprint.add_url_rule("/void.json", endpoint="void_json", view_func=lambda: void_answer(JSON))
    for suffix, fmt in BY_SUFFIX.items():
        blueprint.add_url_rule(f"/void.{suffix}", endpoint=f"void_{suffix}",
                               view_func=lambda name=fmt.name: void_answer(name))
    return blueprint
