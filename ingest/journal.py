"""The ingest journal: which reports the stores may hold that the registry does not vouch for.

Ingest writes each report to the graph store, the report texts and the sinks (full-text index,
summaries) as it goes, but saves the registry — the record of what is stored — only at checkpoints
(:func:`ingest.batch.ingest_paths`). Before any store receives a report's data, a line naming the
report is appended to ``ingest.journal`` (one ``os.write`` on an ``O_APPEND`` descriptor: once it
returns the line is in the kernel's hands and survives ``kill -9``); a checkpoint makes every
store durable, saves the registry and then empties the journal. So after a crash the journal names
every report the stores may hold beyond, or differently from, the registry, and :func:`recover`
takes those out of everything: graph, texts, sinks and registry list the same reports again.

A line is ``<kind> <report id>``:

``store``
    a report the saved registry does not list is being written: if the registry still does not
    list it, it is removed from the stores (if it does, the checkpoint was complete but for
    emptying the journal, and the report stays).
``replace``
    a report the saved registry lists is being written again (``--force``, a new extractor
    version, the same text under another path): its graph may be half replaced, so it is removed
    from everything, registry included, and the next ingest extracts it again.
``remove``
    a registered report is being removed (the older version of a re-ingested file, ``fzkg
    remove``): the removal is completed.

The journal also says whether a writer is at work: an ingest or removal holds an exclusive
``flock`` on it for its whole run (the kernel releases it when the process dies, however it dies),
so a reader that finds a journal it cannot lock leaves it to its writer.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator

from ingest.datadir import DataDir

STORE, REPLACE, REMOVE = "store", "replace", "remove"
KINDS = (STORE, REPLACE, REMOVE)


class JournalBusy(RuntimeError):
    """Another process is ingesting into, or removing from, the data directory."""


class Journal:
    """The journal of one data directory, locked for one writer; open with :meth:`open`, then
    close it (or use ``with``)."""

    def __init__(self, datadir: DataDir, fd: int):
        self.datadir = datadir
        self._fd = fd

    @classmethod
    def open(cls, datadir: DataDir) -> "Journal":
        """Open (creating) and lock the journal; raises :class:`JournalBusy` when it is locked."""
        datadir.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(datadir.journal_file, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalBusy(f"another ingest or removal is writing to {datadir.root}") from None
        return cls(datadir, fd)

    def append(self, entries: Iterable[tuple[str, str]]) -> None:
        """Record (kind, report id) entries, in one write, before their data goes anywhere."""
        data = "".join(f"{kind} {report_id}\n" for kind, report_id in entries).encode("ascii")
        while data:
            data = data[os.write(self._fd, data):]

    def entries(self) -> list[tuple[str, str]]:
        """(kind, report id) of every complete line; a line cut short by a crash is left out (its
        write did not return, so nothing it announced was written)."""
        with open(self.datadir.journal_file, "rb") as handle:
            lines = handle.read().split(b"\n")[:-1]
        entries = []
        for line in lines:
            kind, _, report_id = line.decode("ascii", "replace").partition(" ")
            if kind in KINDS and report_id:
                entries.append((kind, report_id))
        return entries

    def clear(self) -> None:
        """Empty the journal (the file stays: unlinking it could hand a waiting process a lock on
        a file nobody reads again)."""
        os.ftruncate(self._fd, 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def pending(datadir: DataDir) -> bool:
    """Whether the journal holds entries: an ingest is running, or one was interrupted."""
    try:
        return datadir.journal_file.stat().st_size > 0
    except FileNotFoundError:
        return False


def recover(datadir: DataDir, sinks: Iterable = (), store=None, journal: Journal | None = None) -> list[str]:
    """Undo the interrupted window the journal records; returns the ids taken out of the stores.

    ``sinks`` are the data directory's sinks (as for :func:`ingest.batch.ingest_paths`); ``store``
    its graph store opened for writing (default: opened here); ``journal`` the journal when the
    caller holds it already. Idempotent: a crash during recovery leaves the journal, and the next
    recovery does the same again. Raises :class:`JournalBusy` while another process writes.
    """
    with contextlib.ExitStack() as stack:
        if journal is None:
            journal = stack.enter_context(Journal.open(datadir))
        entries = journal.entries()
        if not entries:
            return []
        registry = datadir.registry()
        withdrawn = {rid: None for kind, rid in entries if kind in (REPLACE, REMOVE)}
        unregistered = {rid: None for kind, rid in entries if kind == STORE and rid not in registry}
        doomed = list({**unregistered, **withdrawn})
        if doomed:
            if store is None:
                from ingest.stores import open_store

                store = stack.enter_context(open_store(datadir))
            for rid in doomed:
                store.remove_report(rid)
                datadir.text_path(rid).unlink(missing_ok=True)
        for sink in sinks:
            if doomed:
                sink.remove(doomed, commit=False)
            sink.commit()  # also tells the summaries which reports they describe again
        if any(rid in registry for rid in withdrawn):
            datadir.save_registry({rid: meta for rid, meta in registry.items() if rid not in withdrawn})
        journal.clear()
        return doomed


@contextlib.contextmanager
def data_sinks(datadir: DataDir) -> Iterator[list]:
    """The sinks a data directory has (its full-text index, its summaries), opened for writing."""
    from search.engine import IndexNotFound
    from search.index import SearchIndex
    from search.summaries import SummaryStore, summaries_path

    with contextlib.ExitStack() as stack:
        sinks = []
        try:
            sinks.append(stack.enter_context(SearchIndex.open(datadir)))
        except IndexNotFound:
            pass
        if summaries_path(datadir).exists():
            sinks.append(stack.enter_context(SummaryStore.open(datadir)))
        yield sinks


def recover_interrupted(datadir: DataDir) -> bool:
    """Recover an interrupted ingest or removal before the data directory is read; returns whether
    a recovery ran. Nothing is done while a writer is at work (the journal, or the graph store,
    is locked by another process): the reader opens what is there."""
    if not pending(datadir):
        return False
    try:
        journal = Journal.open(datadir)
    except JournalBusy:
        return False
    with journal:
        from ingest.stores import open_store

        try:
            store = open_store(datadir)
        except OSError:  # the store is locked by a writer that does not take the journal
            return False
        with store, data_sinks(datadir) as sinks:
            recover(datadir, sinks, store=store, journal=journal)
    return True
