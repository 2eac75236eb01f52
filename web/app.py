"""The Flask application factory.

Blueprints are discovered: every module in :mod:`web.pages` that defines
``create_blueprint(context) -> Blueprint`` is registered, and so is the SPARQL endpoint.
"""
from __future__ import annotations

import importlib
import os
import pkgutil

from flask import Flask

from ingest.datadir import DataDir
from web import pages
from web.context import EXTENSION, ServiceContext


def create_app(data: str | os.PathLike | None = None, *, deadline: float | None = None,
               result_cap: int | None = None, config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    app.json.ensure_ascii = False
    app.config.from_prefixed_env("FZKG")
    app.config.update(config or {})
    context = ServiceContext(
        datadir=DataDir.at(data),
        deadline=float(deadline or app.config.get("SPARQL_DEADLINE", 30.0)),
        result_cap=int(result_cap or app.config.get("SPARQL_RESULT_CAP", 10000)),
    )
    app.extensions[EXTENSION] = context
    for info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pages.__name__}.{info.name}")
        factory = getattr(module, "create_blueprint", None)
        if factory is not None:
            app.register_blueprint(factory(context))
    try:
        from web.sparql import create_blueprint as sparql_blueprint
    except ImportError:  # the endpoint module is optional while it is being built
        sparql_blueprint = None
    if sparql_blueprint is not None:
        from web.pages.editor import query_editor_hook

        # a browser that opens /sparql without a query lands in the query editor
        app.register_blueprint(sparql_blueprint(context.datadir, deadline=context.deadline,
                                                result_cap=context.result_cap, query_editor=query_editor_hook))
    return app
