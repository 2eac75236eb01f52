"""The SPARQL 1.1 Protocol endpoint (read-only) over the graph store.

``create_blueprint(datadir)`` gives a Flask blueprint mounted at ``/sparql``; the query engine
behind it is :class:`web.sparql.executor.QueryExecutor`. Flask is imported only when a
blueprint is created: the executor's worker processes import this package too and should
start without it.
"""
from __future__ import annotations


def create_blueprint(datadir, *, deadline: float = 30.0, result_cap: int = 10000, **options):
    """The ``/sparql`` blueprint; see :func:`web.sparql.protocol.create_blueprint` for ``options``."""
    from web.sparql.protocol import create_blueprint as create

    return create(datadir, deadline=deadline, result_cap=result_cap, **options)


__all__ = ["create_blueprint"]
