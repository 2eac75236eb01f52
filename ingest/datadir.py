"""The data directory: where the graph store, the search index and the report texts live.

Layout (``./data`` unless ``--data`` or ``FZKG_DATA`` says otherwise)::

    graph/        Oxigraph store (one named graph per report, plus vocabulary and gazetteer graphs)
    index/        full-text index (engine recorded in settings.json)
    texts/        the decoded original text of each report, ``<report id>.txt``
    reports.json  report id → source path, kept in step with graph and index
    settings.json engine and other choices made at ingest
    ingest.journal reports being written since the registry was last saved (see ingest.journal)
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "FZKG_DATA"
DEFAULT = "data"


def resolve(path: str | os.PathLike | None = None) -> Path:
    """The data directory to use: the argument, else ``$FZKG_DATA``, else ``./data``."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


#: registry file → ((inode, mtime, size), version) of the last version computed from it
_VERSIONS: dict[Path, tuple[tuple[int, int, int], str]] = {}


@dataclass(frozen=True)
class DataDir:
    root: Path

    @classmethod
    def at(cls, path: str | os.PathLike | None = None) -> "DataDir":
        return cls(resolve(path))

    @property
    def graph(self) -> Path:
        return self.root / "graph"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def texts(self) -> Path:
        return self.root / "texts"

    @property
    def registry_file(self) -> Path:
        return self.root / "reports.json"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def journal_file(self) -> Path:
        return self.root / "ingest.journal"

    def exists(self) -> bool:
        return self.registry_file.exists()

    def text_path(self, report_id: str) -> Path:
        return self.texts / f"{report_id}.txt"

    def read_text(self, report_id: str) -> str:
        return self.text_path(report_id).read_text(encoding="utf-8")

    def registry(self) -> dict[str, dict]:
        """Report id → {"source": …, "title": …, "year": …} for every stored report."""
        if not self.registry_file.exists():
            return {}
        return json.loads(self.registry_file.read_text(encoding="utf-8"))

    def save_registry(self, registry: dict[str, dict]) -> None:
        write_atomically(self.registry_file, json.dumps(registry, ensure_ascii=False, indent=1, sort_keys=True))

    def settings(self) -> dict:
        if not self.settings_file.exists():
            return {}
        return json.loads(self.settings_file.read_text(encoding="utf-8"))

    def save_settings(self, settings: dict) -> None:
        write_atomically(self.settings_file, json.dumps(settings, ensure_ascii=False, indent=1, sort_keys=True))

    def version(self) -> str:
        """A short data version that changes whenever the set of stored reports changes.

        Remembered for as long as the registry file is the same file, unchanged: a service asks
        for the version several times per request, and reading a registry of 100,000 reports
        takes 0.2 s. The registry is only ever replaced whole (:func:`write_atomically`), so a
        new registry is a new file."""
        import hashlib

        try:
            status = self.registry_file.stat()
            stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
        except FileNotFoundError:
            return "empty"
        cached = _VERSIONS.get(self.registry_file)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        ids = sorted(self.registry())
        version = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:12] if ids else "empty"
        _VERSIONS[self.registry_file] = (stamp, version)
        return version
