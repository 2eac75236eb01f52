"""Vocabularies the extractors and the segmenter read: cue words, the program scheme, user words.

Everything here is loaded from data files (``ingest/data/cues.toml``, ``ontology/programs.ttl``,
the law list and the gazetteer) once per process.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rdflib import Graph
from rdflib.namespace import SKOS

import ontology
from ontology import FZ

#: Quote and space characters ignored when matching labels ("“八五”普法" matches 八五普法).
IGNORED_IN_LABELS = re.compile(r"[\s\"'“”‘’「」『』]")


def squeeze(text: str) -> str:
    """A label or text with quotes and spaces removed, for matching."""
    return IGNORED_IN_LABELS.sub("", text)


@lru_cache(maxsize=1)
def cues() -> dict:
    with resources.files("ingest").joinpath("data/cues.toml").open("rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class Program:
    key: str  # local name of the concept IRI (e.g. "bawu-pufa")
    iri: str
    name: str  # Chinese preferred label
    labels: tuple[str, ...]  # squeezed labels matched in running text
    quoted_labels: tuple[str, ...]  # squeezed labels matched only as a whole quoted span


@lru_cache(maxsize=1)
def programs() -> tuple[Program, ...]:
    graph = Graph()
    graph.parse(ontology.data_path("programs.ttl"), format="turtle")
    result = []
    for concept in sorted(set(graph.subjects(SKOS.inScheme, FZ.ProgramScheme))):
        def zh(prop):
            return [str(o) for o in graph.objects(concept, prop) if getattr(o, "language", None) == "zh"]
        pref = zh(SKOS.prefLabel)
        if not pref:
            continue
        labels = {squeeze(label) for label in pref + zh(SKOS.altLabel)}
        result.append(Program(
            key=str(concept).rsplit("/", 1)[-1], iri=str(concept), name=pref[0],
            labels=tuple(sorted(labels, key=len, reverse=True)),
            quoted_labels=tuple(squeeze(label) for label in zh(SKOS.hiddenLabel)),
        ))
    return tuple(result)


@dataclass(frozen=True)
class Department:
    """A department of a people's government, as ``ingest/data/departments.tsv`` lists it."""
    name: str  # full name after the area's name: 人力资源和社会保障局
    shorts: tuple[str, ...]  # other written forms: 人社局
    fields: tuple[str, ...]  # words naming its line of work: 人社

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.shorts)


@lru_cache(maxsize=1)
def departments() -> tuple[Department, ...]:
    """Every listed department; a written form names one department only (checked here)."""
    result, owner = [], {}
    with resources.files("ingest").joinpath("data/departments.tsv").open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip() or line.startswith("#"):
                continue
            name, shorts, fields = (line.rstrip("\n").split("\t") + ["", ""])[:3]
            department = Department(name, tuple(s for s in shorts.split("|") if s),
                                    tuple(f for f in fields.split("|") if f))
            for form in department.forms:
                if owner.setdefault(form, name) != name:
                    raise ValueError(f"departments.tsv line {number}: {form} already names {owner[form]}")
            result.append(department)
    return tuple(result)


def user_words() -> list[str]:
    """Words the segmenter must keep whole: program labels, law short forms, division names."""
    from ingest.gazetteer import default_gazetteer

    words = set()
    for program in programs():
        words.update(label for label in program.labels if len(label) > 1)
    try:
        from ingest.lawlist import load_laws
        for entry in load_laws().entries:
            words.add(entry.title)
            words.update(entry.shorts)
    except ImportError:  # the law list module is optional for segmentation
        pass
    words.update(name for name in default_gazetteer().names if len(name) >= 3)
    return sorted(words)
