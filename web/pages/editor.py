"""The query editor (``/query``): a SPARQL editor, a gallery of example queries, results as a
table with labels, downloads and share links.

The page runs queries in the browser against ``/sparql`` (``web/static/editor.js``); this module
serves the page, its JSON twin (the gallery and the endpoint's limits), and the editor's
front-end files from ``web/assets/node_modules`` (installed by ``scripts/setup`` with ``npm ci``).
A browser that opens ``/sparql`` without a query is sent here (see :func:`query_editor_hook`).

Share links: ``/query?q=<query>&view=table`` opens the editor with that query and runs it;
``/query?example=<id>`` opens an example.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from flask import Response, redirect, request, send_from_directory

from ontology import PREFIXES
from web import i18n
from web.context import ServiceContext
from web.twin import choice_arg, not_found, page_blueprint, render_page, twin_route

WEB = Path(__file__).resolve().parents[1]
EXAMPLES_FILE = WEB / "data" / "example_queries.toml"
ASSETS = WEB / "assets"
CODEMIRROR = ASSETS / "node_modules" / "codemirror"
#: The CodeMirror files the page loads; nothing else of node_modules is served.
CODEMIRROR_FILES = ("lib/codemirror.js", "lib/codemirror.css", "mode/sparql/sparql.js",
                    "addon/edit/matchbrackets.js")
VIEWS = ("table", "json")

_PREFIXED_NAME = re.compile(r"(?<![\w:/#<\"'])([A-Za-z][\w-]*):")
_DECLARED = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w-]*)?:", re.IGNORECASE | re.MULTILINE)


def prefix_block(body: str) -> str:
    """PREFIX declarations for the project prefixes ``body`` uses and does not declare itself."""
    declared = set(_DECLARED.findall(body))
    used = set(_PREFIXED_NAME.findall(re.sub(r"<[^>\s]*>", "", body)))
    lines = [f"PREFIX {prefix}: <{namespace}>" for prefix, namespace in PREFIXES.items()
             if prefix in used and prefix not in declared]
    return "\n".join(lines) + ("\n" if lines else "")


def with_prefixes(body: str) -> str:
    body = body.strip() + "\n"
    block = prefix_block(body)
    return f"{block}\n{body}" if block else body


@lru_cache(maxsize=1)
def _load_examples(mtime: float) -> tuple[dict, ...]:
    with EXAMPLES_FILE.open("rb") as handle:
        entries = tomllib.load(handle)["query"]
    examples = []
    for entry in entries:
        examples.append({"id": entry["id"], "title": entry["title"], "description": entry.get("description", {}),
                         "view": entry.get("view", "table"), "query": with_prefixes(entry["query"])})
    ids = [e["id"] for e in examples]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{EXAMPLES_FILE.name}: example ids must be unique")
    return tuple(examples)


def examples() -> list[dict]:
    """The gallery, each query complete with its PREFIX lines."""
    return [dict(e) for e in _load_examples(EXAMPLES_FILE.stat().st_mtime)]


def assets_installed() -> bool:
    return all((CODEMIRROR / name).is_file() for name in CODEMIRROR_FILES)


def query_editor_hook() -> Response:
    """What ``/sparql`` answers a browser that sent no query: the editor, at its own URL."""
    return redirect("/query", code=303)


def create_blueprint(context: ServiceContext):
    blueprint = page_blueprint("editor", __name__)

    @twin_route(blueprint, "/query")
    def editor():
        gallery = examples()
        view = choice_arg("view", VIEWS, "table")
        query = request.args.get("q")
        example_id = request.args.get("example")
        if query is None and example_id:
            chosen = next((e for e in gallery if e["id"] == example_id), None)
            if chosen is None:
                not_found(i18n.t("editor.no_such_example", id=example_id))
            query, view = chosen["query"], request.args.get("view") or chosen["view"]
        lang = i18n.current_language()
        data = {
            "query": query,
            "view": view,
            "run": bool(request.args.get("q")),
            "endpoint": "/sparql",
            "deadline": context.deadline,
            "result_cap": context.result_cap,
            "prefixes": {prefix: str(ns) for prefix, ns in PREFIXES.items()},
            "examples": [{**e, "title_text": e["title"].get(lang) or e["title"]["zh"],
                          "description_text": e["description"].get(lang) or e["description"].get("zh", "")}
                         for e in gallery],
            "assets_installed": assets_installed(),
        }
        return render_page("editor.html", data, default_query=gallery[0]["query"] if gallery else "")

    @blueprint.route("/assets/codemirror/<path:name>")
    def codemirror(name: str):
        if name not in CODEMIRROR_FILES:
            not_found(i18n.t("editor.asset_unknown", name=name))
        if not (CODEMIRROR / name).is_file():
            # say what to do rather than let the page fail on a bare 404
            response = Response(i18n.t("editor.assets_missing_plain"), status=404, mimetype="text/plain")
            response.charset = "utf-8"
            return response
        response = send_from_directory(CODEMIRROR, name, max_age=24 * 3600)
        return response

    return blueprint
