"""Every HTML page has a JSON twin: content negotiation, rendering, errors and parameters.

API (stable; every page module relies on it):

``page_blueprint(name, import_name, **options) -> Blueprint``
    A Flask blueprint that, when the app registers it, installs once per app what all pages
    share: :func:`web.i18n.install`, the error pages (400 404 405 406 413 500 501 503 as HTML
    or JSON), the Jinja globals below, and default security headers. Build page blueprints with it.
``twin_route(blueprint, rule, formats=("json",), **options)``
    Decorator registering a view at ``rule`` and at its twins: ``rule + ".json"`` (for ``/`` the
    twin is ``/index.json``), plus ``.csv`` / ``.tsv`` when listed in ``formats``.
``requested_format(offered=("html", "json")) -> str``
    What the client asked for, in this order: the path's suffix, ``?format=``, the ``Accept``
    header (JSON only when preferred over HTML; no usable header means HTML). An unknown
    ``format=`` is a 400, an ``Accept`` header that rules out everything offered a 406.
``wants_json() -> bool``
    Whether the client asked for JSON (the same rules, never raising).
``render_page(template, data, status=200, **extra) -> Response``
    JSON of ``data`` plus ``data_version`` and ``url`` (the request URL), or the template
    rendered with the keys of ``data`` and ``extra`` (``extra`` is for HTML only and wins over
    ``data`` when both have a key).
``json_response(body, status=200) -> Response``
    ``body`` as indented UTF-8 JSON (dates, decimals and sets converted).
``export_response(table, fmt, filename) -> Response``
    A :class:`search.export.Table` as csv/tsv/json download (the registry of formats is
    :mod:`search.export`).
``bad_request(message)``, ``not_found(message)``
    Abort with that status; the message is shown on the error page / in the JSON error.
``int_arg(name, default, minimum=None, maximum=None)``, ``choice_arg(name, choices, default)``
    Read a query parameter or answer 400 with a message naming it.
Jinja globals: ``url_with(**changes)`` (the current page with parameters changed; ``None``
    drops one), ``json_url`` (this page's twin; None when it has none), ``download_url(fmt, **changes)``,
    ``site_data_version()`` (named so that a page's own ``data_version`` key cannot hide it),
    ``nav_items()``, ``entity_url(iri)`` (``/id/<local path>`` of a
    resource of the graph, the entity pages' address; None for a foreign IRI).

HTML responses get ``Content-Security-Policy: script-src 'self'`` (and more, see
:data:`CONTENT_SECURITY_POLICY`) unless the view set its own: put scripts in ``web/static``,
never inline. Nothing is loaded from another origin.

JSON error shape: ``{"error": {"status": 400, "title": "…", "message": "…"}, "data_version": …,
"url": …}``.
"""
from __future__ import annotations

import json
import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NoReturn
from urllib.parse import quote, urlencode

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, InternalServerError

from web import i18n

log = logging.getLogger(__name__)

#: format name → media type of the twins a page can have
MEDIA_TYPES = {"html": "text/html", "json": "application/json", "csv": "text/csv",
               "tsv": "text/tab-separated-values"}
_ACCEPT_ALIASES = {"application/xhtml+xml": "html"}
#: top navigation: (message key, path); the pages behind the last two belong to other modules
NAV = (("nav.home", "/"), ("nav.search", "/search"), ("nav.sparql", "/sparql"), ("nav.dataset", "/dump"))
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")
ERROR_STATUSES = (400, 404, 405, 406, 413, 500, 501, 503)
_INSTALLED = "fzkg_twin"


# --------------------------------------------------------------------------- installation

def page_blueprint(name: str, import_name: str, **options) -> Blueprint:
    blueprint = Blueprint(name, import_name, **options)
    blueprint.record_once(lambda state: install(state.app))
    return blueprint


def install(app: Flask) -> None:
    if app.extensions.get(_INSTALLED):
        return
    app.extensions[_INSTALLED] = True
    i18n.install(app)
    app.jinja_env.globals.update(url_with=url_with, download_url=download_url, site_data_version=data_version,
                                 nav_items=nav_items, entity_url=entity_url)
    app.context_processor(lambda: {"json_url": json_url()})
    for status in ERROR_STATUSES:
        app.register_error_handler(status, _error_page)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


# --------------------------------------------------------------------------- routes and formats

def twin_path(path: str, fmt: str = "json") -> str:
    """``/search`` → ``/search.json``; ``/`` → ``/index.json``."""
    return f"/index.{fmt}" if path == "/" else f"{path}.{fmt}"


def twin_route(blueprint: Blueprint, rule: str, formats: tuple[str, ...] = ("json",), **options):
    def decorate(view):
        blueprint.add_url_rule(rule, view_func=view, **options)
        endpoint = options.pop("endpoint", view.__name__)
        for fmt in formats:
            blueprint.add_url_rule(twin_path(rule, fmt), endpoint=f"{endpoint}_{fmt}", view_func=view, **options)
        return view
    return decorate


def _suffix_format() -> str | None:
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    for fmt in MEDIA_TYPES:
        if fmt != "html" and rule.endswith("." + fmt):
            return fmt
    return None


def _page_path() -> str:
    """The path of the HTML page the current request belongs to (its twin suffix removed)."""
    path = request.path
    fmt = _suffix_format()
    if fmt:
        path = "/" if path == f"/index.{fmt}" else path[:-len(fmt) - 1]
    return path


def requested_format(offered: tuple[str, ...] = ("html", "json")) -> str:
    fmt = _suffix_format()
    if fmt:
        if fmt not in offered:
            abort(404)
        return fmt
    asked = request.args.get("format")
    if asked is not None:
        if asked not in offered:
            bad_request(i18n.t("error.format", value=asked, formats=", ".join(offered)))
        return asked
    accept = request.accept_mimetypes
    if not accept:
        return "html"
    types = [MEDIA_TYPES[name] for name in offered] + [alias for alias, name in _ACCEPT_ALIASES.items()
                                                      if name in offered]
    best = accept.best_match(types)
    if best is None:
        abort(406)
    # JSON only when the client prefers it: on a tie (e.g. "*/*") the page is HTML
    if best != MEDIA_TYPES["html"] and "html" in offered and accept.quality(best) <= accept.quality("text/html"):
        return "html"
    return _ACCEPT_ALIASES.get(best) or next(name for name, media in MEDIA_TYPES.items() if media == best)


def wants_json() -> bool:
    fmt = _suffix_format()
    if fmt:
        return fmt == "json"
    asked = request.args.get("format")
    if asked is not None:
        return asked == "json"
    accept = request.accept_mimetypes
    return bool(accept) and accept.quality("application/json") > accept.quality("text/html")


# --------------------------------------------------------------------------- rendering

def _json_default(value: Any):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def json_response(body: dict, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, indent=1, default=_json_default) + "\n"
    response = Response(text, status=status, mimetype="application/json")
    response.vary.add("Accept")
    return response


def render_page(template: str, data: dict, status: int = 200, **extra) -> Response:
    if requested_format(("html", "json")) == "json":
        body = dict(data)
        body.setdefault("data_version", data_version())
        body["url"] = request.url
        return json_response(body, status)
    response = Response(render_template(template, **{**data, **extra}), status=status, mimetype="text/html")
    response.vary.add("Accept")
    return response


def export_response(table, fmt: str, filename: str) -> Response:
    from search.export import FORMATS, render

    exported = FORMATS[fmt]
    response = Response(render(table, fmt), mimetype=exported.media_type.split(";")[0])
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.{exported.extension}"
    response.vary.add("Accept")
    return response


def data_version() -> str:
    from web.context import EXTENSION

    context = current_app.extensions.get(EXTENSION)
    return context.version() if context is not None else ""


def entity_url(iri) -> str | None:
    from ontology import local_id

    local = local_id(iri) if iri is not None else None
    return "/id/" + quote(local) if local else None


def nav_items() -> list[dict]:
    path = _page_path()
    return [{"label": label, "href": href,
             "current": path == href if href == "/" else path == href or path.startswith(href + "/")}
            for label, href in NAV]


def _query_string(args: MultiDict) -> str:
    pairs = [(key, value) for key, values in args.lists() for value in values]
    return ("?" + urlencode(pairs)) if pairs else ""


def _changed_args(changes: dict) -> MultiDict:
    args = MultiDict(request.args)
    args.pop("format", None)
    for key, value in changes.items():
        args.pop(key, None)
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            args.add(key, str(item))
    return args


def url_with(**changes) -> str:
    return quote(_page_path()) + _query_string(_changed_args(changes))


def paging(page: int, page_size: int | None, total: int) -> dict:
    last = max(1, -(-total // page_size)) if page_size else 1
    return {"page": page, "pages": last,
            "previous": url_with(page=page - 1 if page > 2 else None) if page > 1 else None,
            "next": url_with(page=page + 1) if page < last else None}


def paging_without_total(page: int, more: bool) -> dict:
    """Paging when the number of pages is not known yet: only whether a next page exists."""
    return {"page": page, "pages": None,
            "previous": url_with(page=page - 1 if page > 2 else None) if page > 1 else None,
            "next": url_with(page=page + 1) if more else None}


def json_url(**changes) -> str | None:
    """This page's JSON twin, or None when the page has none (error pages, pages of other shapes)."""
    if request.url_rule is None or request.endpoint in (None, "static"):
        return None
    path = twin_path(_page_path(), "json")
    if _suffix_format() != "json":
        try:
            current_app.url_map.bind(request.host).match(path, method="GET")
        except HTTPException:  # no such route (a redirect counts as none too)
            return None
    return quote(path) + _query_string(_changed_args(changes))


def download_url(fmt: str, **changes) -> str:
    return quote(twin_path(_page_path(), fmt)) + _query_string(_changed_args(changes))


# --------------------------------------------------------------------------- errors and parameters

def bad_request(message: str) -> NoReturn:
    abort(400, description=message)


def not_found(message: str) -> NoReturn:
    abort(404, description=message)


def int_arg(name: str, default: int | None, minimum: int | None = None, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        bad_request(i18n.t("error.integer", name=name, value=raw))
    if minimum is not None and value < minimum:
        bad_request(i18n.t("error.minimum", name=name, value=raw, minimum=minimum))
    if maximum is not None and value > maximum:
        bad_request(i18n.t("error.maximum", name=name, value=raw, maximum=maximum))
    return value


def choice_arg(name: str, choices, default: str) -> str:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        bad_request(i18n.t("error.choice", name=name, value=raw, choices=", ".join(choices)))
    return raw


def _error_page(error: Exception) -> Response:
    if not isinstance(error, HTTPException):
        error = InternalServerError(original_exception=error)
    status = error.code or 500
    if status >= 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("error on %s %s", request.method, request.full_path, exc_info=original)
    # a message we wrote is kept; werkzeug's stock English descriptions become ours, translated
    custom = error.description if error.description != type(error).description else None
    if status == 500:
        custom = None  # an exception's text is for the log, not for the visitor
    title = i18n.t(f"error.{status}.title")
    message = custom or i18n.t(f"error.{status}.message")
    try:
        fmt = _suffix_format() or request.args.get("format")
        if fmt in ("csv", "tsv"):
            response = Response(f"{status} {title}: {message}\n", status=status, mimetype="text/plain")
        elif wants_json():
            response = json_response({"error": {"status": status, "title": title, "message": message},
                                      "data_version": data_version(), "url": request.url}, status)
        else:
            response = Response(render_template("error.html", status=status, title=title, message=message),
                                status=status, mimetype="text/html")
    except Exception:  # the error page itself failed: answer in plain text rather than not at all
        log.exception("error page for status %s failed", status)
        response = Response(f"{status} {title}\n", status=status, mimetype="text/plain")
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response
