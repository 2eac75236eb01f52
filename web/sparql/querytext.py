"""What a SPARQL request asks for, read from its text before anything evaluates it.

pyoxigraph exposes no parsed algebra, so the endpoint reads the query with a small tokenizer
instead. It only has to tell keywords from everything else: strings, comments, IRIs, prefixed
names, variables and language tags are consumed whole, so a ``"SERVICE"`` literal, an
``ex:SERVICE`` name or a ``?service`` variable are never taken for the keyword. Full syntax
checking stays with pyoxigraph's parser in the worker.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
#: Keywords that open a SPARQL 1.1 Update operation (``WITH`` opens a DELETE/INSERT with a graph).
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")

# Order matters: an earlier alternative wins at the same position, so strings and IRIs are
# consumed before a '#' inside them could start a comment, and long quotes before short ones.
_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\r\n]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\r\n]|\\.)*"
               |'(?:[^'\\\r\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<variable>[?$][\w\u00B7\u0300-\u036F\u203F\u2040]+)
    | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<name>(?:_:|[^\W\d][\w.\-\u00B7]*)?:[\w.\-:%\\\u00B7]*   # prefixed name or blank node label
              |[^\W\d][\w\-]*)                                    # bare word: keyword, function, 'a'
    | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QueryText:
    """The facts about a request's text that decide how (and whether) it may run."""

    #: The operation keyword after the prologue, upper-cased (``SELECT`` … ``INSERT`` …), or None.
    form: str | None
    #: True when the text uses ``SERVICE`` (federation) anywhere as a keyword.
    uses_service: bool
    #: True when the query names its own dataset with ``FROM`` / ``FROM NAMED``.
    has_dataset_clause: bool

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_FORMS

    @property
    def is_graph_query(self) -> bool:
        """CONSTRUCT and DESCRIBE answer with RDF triples rather than a result table."""
        return self.form in ("CONSTRUCT", "DESCRIBE")


def keywords(text: str) -> list[str]:
    """The bare keywords of a SPARQL text in order, upper-cased, plus ``:`` markers for prologue names.

    Prefixed names come back as ``":"`` so that the prologue (``PREFIX ex: <…>``) can be
    skipped positionally; IRIs come back as ``"<>"``; everything else that is not a keyword is dropped.
    """
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "name":
            token = match.group()
            words.append(":" if ":" in token else token.upper())
        elif kind == "iri":
            words.append("<>")
        elif kind == "other":
            words.append(match.group())
    return words


def inspect_query(text: str) -> QueryText:
    """Classify a SPARQL request text without evaluating it."""
    words = keywords(text)
    position = 0
    # The prologue is a run of "BASE <iri>" and "PREFIX name: <iri>"; the form follows it.
    while position < len(words):
        if words[position] == "BASE":
            position += 2
        elif words[position] == "PREFIX":
            position += 3
        else:
            break
    form = words[position] if position < len(words) else None
    if form not in QUERY_FORMS and form not in UPDATE_FORMS:
        form = None
    return QueryText(
        form=form,
        uses_service="SERVICE" in words,
        has_dataset_clause="FROM" in words,
    )


def iris_and_names(text: str) -> list[str]:
    """Every IRI (with its brackets) and prefixed name of a SPARQL text, in order."""
    return [match.group() for match in _TOKEN.finditer(text)
            if match.lastgroup == "iri" or (match.lastgroup == "name" and ":" in match.group())]
