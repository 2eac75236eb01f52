"""Full-text search over the reports: an engine-neutral layer with pluggable engines.

- :mod:`search.document` — :class:`~search.document.IndexDoc`, what an engine indexes;
- :mod:`search.query` — the query language, its parser and its syntax tree;
- :mod:`search.engine` — the interface every engine implements, and the engine registry;
- :mod:`search.whoosh_engine` — the Whoosh engine;
- :mod:`search.highlight` — match spans and HTML snippets, shared by the engines;
- :mod:`search.kwic` — concordance (key word in context) on top of any engine;
- :mod:`search.export` — output formats for tabular results (csv, tsv, json);
- :mod:`search.index` — :class:`~search.index.SearchIndex`, the entry point for ingest and the CLI.
"""
