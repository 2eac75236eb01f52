import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# test helpers (gold_scoring) are imported by name
sys.path.insert(0, str(TESTS))
CORPUS = ROOT / "corpus"

import pytest  # noqa: E402  (after the path set-up above)


@pytest.fixture(scope="session")
def corpus_datadir(tmp_path_factory):
    """The embedded corpus ingested once for the whole run. Read-only: a test that changes data
    ingests into its own directory."""
    from ingest.datadir import DataDir
    from web.commands.ingest import run_ingest

    data = DataDir(tmp_path_factory.mktemp("corpus-data"))
    result = run_ingest([CORPUS], data, quiet=True)
    assert len(result.ingested) == 5 and not result.failures
    return data


@pytest.fixture(scope="module")
def corpus_app(corpus_datadir):
    """The web application over the shared corpus data, with its SPARQL workers closed after."""
    from web.app import create_app

    application = create_app(corpus_datadir.root)
    application.config.update(TESTING=True)
    yield application
    executor = getattr(application.blueprints.get("sparql"), "executor", None)
    if executor is not None:
        executor.close()
