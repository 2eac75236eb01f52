"""SPARQL templates (``templates/*.rq``) and how their parameters are bound.

A template is a complete query whose parameters are VALUES blocks holding one row of UNDEF
(``VALUES ?level { UNDEF }``, ``VALUES (?object ?relation) { (UNDEF UNDEF) }``) — so a template
runs as it is, meaning "any". Binding a parameter replaces that row with rows of RDF terms that
entity linking produced: IRIs, integers, booleans, and the few strings of the lexicon. The
question's own text never reaches the query string, so whatever it holds (quotes, braces,
``UNION``, ``#``) cannot change the query's structure: two questions of one shape give queries
that differ only inside their VALUES rows (:func:`structure`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from rdflib import Literal, URIRef

from ontology import PREFIXES

_VALUES = re.compile(
    r"VALUES\s*(?:\?(?P<one>\w+)|\((?P<many>(?:\s*\?\w+)+)\s*\))\s*\{(?P<rows>[^{}]*)\}")
#: characters an IRI may not hold in SPARQL (IRIREF), checked before any IRI is written
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


@lru_cache(maxsize=None)
def template(name: str) -> str:
    """The text of ``templates/<name>``."""
    return resources.files("search").joinpath(f"questions/templates/{name}").read_text(encoding="utf-8")


def parameters(text: str) -> list[tuple[str, ...]]:
    """The parameters of a template: the variable tuples of its VALUES blocks, in order.

    >>> parameters("SELECT * WHERE { VALUES ?a { UNDEF } VALUES (?b ?c) { (UNDEF UNDEF) } }")
    [('a',), ('b', 'c')]
    """
    found = []
    for match in _VALUES.finditer(text):
        variables = _variables(match)
        if variables not in found:
            found.append(variables)
    return found


def _variables(match: re.Match) -> tuple[str, ...]:
    if match.group("one"):
        return (match.group("one"),)
    return tuple(v.lstrip("?") for v in match.group("many").split())


def term(value) -> str:
    """One VALUES cell: an IRI, an integer, a boolean, a plain string literal, or UNDEF (None).

    >>> from ontology import level_iri
    >>> term(level_iri("county")) == f"<{level_iri('county')}>", term(2024), term(None)
    (True, '2024', 'UNDEF')
    >>> term(URIRef(level_iri("county") + "> } UNION { ?s ?p ?o"))
    Traceback (most recent call last):
    ...
    ValueError: not an IRI that can be written in SPARQL: '...> } UNION { ?s ?p ?o'
    """
    if value is None:
        return "UNDEF"
    if isinstance(value, URIRef):
        text = str(value)
        if _IRI_FORBIDDEN.search(text) or ":" not in text:
            raise ValueError(f"not an IRI that can be written in SPARQL: {text!r}")
        return f"<{text}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        # n3() escapes quotes, backslashes and line breaks
        return Literal(value).n3()
    raise TypeError(f"cannot write {type(value).__name__} into VALUES")


def bind(text: str, values: dict[tuple[str, ...], list[tuple]]) -> str:
    """``text`` with the VALUES rows of the given parameters replaced (all occurrences: a
    subquery may repeat a parameter). Parameters not given keep their UNDEF row.

    >>> bind("SELECT * WHERE { VALUES ?n { UNDEF } }", {("n",): [(1,), (2,)]})
    'SELECT * WHERE { VALUES ?n { 1 2 } }'
    """
    declared = parameters(text)
    unknown = [key for key in values if key not in declared]
    if unknown:
        raise KeyError(f"the template has no VALUES block for {unknown}")

    def replace(match: re.Match) -> str:
        variables = _variables(match)
        rows = values.get(variables)
        if rows is None:
            return match.group()
        if not rows:
            # no row: the query has no solution, as an empty VALUES block says
            cells = ""
        elif len(variables) == 1:
            cells = " " + " ".join(term(row[0]) for row in rows) + " "
        else:
            cells = " " + " ".join("(" + " ".join(term(cell) for cell in row) + ")" for row in rows) + " "
        head = match.group()[:match.start("rows") - match.start()]
        return f"{head}{cells}}}"

    return _VALUES.sub(replace, text)


def structure(query: str) -> str:
    """The query with every VALUES block emptied and comments dropped: what two questions of the
    same shape must share."""
    without_comments = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    return _VALUES.sub(lambda m: m.group()[:m.start("rows") - m.start()] + "}", without_comments)


def with_prefixes(query: str) -> str:
    """``query`` preceded by PREFIX lines for the project prefixes it uses, so that it runs on
    any SPARQL endpoint, not only on the store that predeclares them."""
    used = [prefix for prefix in PREFIXES if re.search(rf"(?<![\w?$]){prefix}:", query)]
    head = "".join(f"PREFIX {prefix}: <{PREFIXES[prefix]}>\n" for prefix in used)
    return head + query
