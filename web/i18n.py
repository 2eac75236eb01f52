"""Languages of the web pages: Chinese by default, English on request.

API (stable; every page module relies on it):

``LANGUAGES``, ``DEFAULT``
    ``("zh", "en")`` and ``"zh"``.
``current_language() -> str``
    The language of the current request: ``?lang=zh|en`` first (and the choice is remembered in
    the cookie :data:`COOKIE` for a year), then that cookie, then the best match of the
    ``Accept-Language`` header, then Chinese. An unknown ``?lang=`` value is ignored.
``translate(key, lang=None, **params) -> str``
    The message ``key`` in ``lang`` (default: the request's), with ``{name}`` placeholders filled
    from ``params``. A message missing in English falls back to Chinese; an unknown key is
    returned as itself, so a forgotten message shows on the page instead of failing it.
``t(key, **params)``
    The same, as the Jinja global every template uses; returns plain text, which Jinja's
    autoescaping escapes like any other value.
``pick(labels) -> str``
    From a {language → text} mapping (labels read from the graph), the text in the request's
    language, else Chinese, else any; ``""`` for an empty mapping. Also a Jinja global.
``messages() -> dict[str, dict[str, str]]``
    The catalogue: key → {language → text}.
``install(app)``
    Make ``t``, ``pick``, ``lang`` and ``languages`` Jinja globals and remember ``?lang=`` in the cookie.
    Done once per app by :func:`web.twin.page_blueprint`; calling it again does nothing.

Messages live in ``web/messages/*.toml``; every file is read and merged, so each page module
keeps its own file (``core.toml`` is the shared one). A table whose keys are all languages is one
message; other tables are sections whose names prefix the keys, so::

    [nav]
    home = { zh = "首页", en = "Home" }

defines ``nav.home``. The same key in two files is an error at start-up rather than a silent
override.
"""
from __future__ import annotations

import logging
import tomllib
from functools import lru_cache
from pathlib import Path

from flask import Flask, g, has_request_context, request

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
COOKIE = "fzkg_lang"
MESSAGE_DIR = Path(__file__).resolve().parent / "messages"
_INSTALLED = "fzkg_i18n"


def _flatten(table: dict, prefix: str, into: dict[str, dict[str, str]], origin: Path) -> None:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if not isinstance(value, dict):
            raise ValueError(f"{origin.name}: {key} must be a table of languages, e.g. "
                             f'{{ zh = "…", en = "…" }}')
        if value and set(value) <= set(LANGUAGES) and all(isinstance(v, str) for v in value.values()):
            if key in into:
                raise ValueError(f"{origin.name}: message {key!r} is already defined in another file")
            into[key] = dict(value)
        else:
            _flatten(value, key + ".", into, origin)


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    catalogue: dict[str, dict[str, str]] = {}
    for path in sorted(MESSAGE_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(tomllib.load(handle), "", catalogue, path)
    return catalogue


def current_language() -> str:
    if not has_request_context():
        return DEFAULT
    cached = g.get("fzkg_lang")
    if cached:
        return cached
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        chosen = asked
    elif request.cookies.get(COOKIE) in LANGUAGES:
        chosen = request.cookies[COOKIE]
    else:
        chosen = _from_header() or DEFAULT
    g.fzkg_lang = chosen
    return chosen


def _from_header() -> str | None:
    # Accept-Language names regions (zh-CN, en-GB); werkzeug's language matcher folds those onto
    # the bare language codes we offer.
    if not request.accept_languages:
        return None
    return request.accept_languages.best_match(LANGUAGES)


def translate(key: str, lang: str | None = None, **params) -> str:
    entry = messages().get(key)
    if entry is None:
        return key
    text = entry.get(lang or current_language()) or entry.get(DEFAULT) or next(iter(entry.values()))
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        # literal braces in a message, or a placeholder the caller did not fill: show the text
        # rather than fail the page
        log.warning("message %s could not be filled with %s", key, sorted(params))
        return text


def t(key: str, **params) -> str:
    return translate(key, **params)


def pick(labels: dict[str, str] | None) -> str:
    if not labels:
        return ""
    return labels.get(current_language()) or labels.get(DEFAULT) or next(iter(labels.values()))


def _remember_choice(response):
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    # the same URL answers in another language for another cookie or header
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


def install(app: Flask) -> None:
    if app.extensions.get(_INSTALLED):
        return
    app.extensions[_INSTALLED] = True
    messages()  # a broken message file should stop the start, not the first page view
    app.jinja_env.globals.update(t=t, pick=pick, languages=LANGUAGES)
    app.context_processor(lambda: {"lang": current_language()})
    app.after_request(_remember_choice)
