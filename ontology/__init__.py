"""The fzkg vocabulary: namespace objects and paths to the Turtle data files.

No other package spells an IRI; they import the namespaces and IRI makers from here.
"""
from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, QB, RDF, RDFS, SH, SKOS, XSD

#: Base under which every resource of the knowledge graph lives.
BASE = "https://w3id.org/fzkg/"
#: Terms of the fzkg ontology (classes and properties).
FZ = Namespace(BASE + "ontology#")
#: Resources (entities, reports, statements).
ID = Namespace(BASE + "id/")
SCHEMA = Namespace("https://schema.org/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

#: Prefix → namespace, bound on every graph the project writes or serialises.
PREFIXES = {
    "fz": FZ, "fzid": ID, "org": ORG, "dct": DCTERMS, "prov": PROV, "skos": SKOS,
    "schema": SCHEMA, "eli": ELI, "qb": QB, "oa": OA, "nif": NIF, "owl": OWL,
    "rdfs": RDFS, "xsd": XSD, "sh": SH, "void": VOID, "sd": SD, "rdf": RDF,
}

DATA_DIR = Path(str(resources.files(__name__)))


def data_path(name: str) -> Path:
    """Path of a data file shipped with the ontology package (``fzkg.ttl``, ``shapes.ttl`` …)."""
    return DATA_DIR / name


def bind_prefixes(graph) -> None:
    """Bind the project's prefixes on an rdflib graph or dataset."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)


def stable_key(*parts: str, length: int = 16) -> str:
    """A short deterministic key for an IRI from text parts (same parts → same key)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def jurisdiction_iri(code: str) -> URIRef:
    """Jurisdictions are named by their official Ministry of Civil Affairs code."""
    return ID[f"jurisdiction/{code}"]


def report_iri(content_hash: str) -> URIRef:
    """Reports are named by the hash of their decoded text."""
    return ID[f"report/{content_hash}"]


def report_graph_iri(content_hash: str) -> URIRef:
    """The named graph that holds one report's facts."""
    return ID[f"graph/{content_hash}"]


def law_iri(key: str) -> URIRef:
    return ID[f"law/{key}"]


def program_iri(key: str) -> URIRef:
    return ID[f"program/{key}"]


def initiative_iri(name: str) -> URIRef:
    return ID[f"initiative/{stable_key(name)}"]


def document_iri(title: str) -> URIRef:
    return ID[f"document/{stable_key(title)}"]


def organization_iri(name: str) -> URIRef:
    return ID[f"organization/{stable_key(name)}"]


def local_id(iri: str) -> str | None:
    """The part of a resource IRI after ``ID`` (``jurisdiction/620523``), or None for other IRIs."""
    text = str(iri)
    return text[len(str(ID)):] if text.startswith(str(ID)) else None
