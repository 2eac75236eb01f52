"""Resumable ingest: checkpoints and the journal (ingest.journal) keep graph, texts, index,
summaries and registry in agreement through a ``kill -9``; a rerun skips what was stored."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ingest.batch
from conftest import CORPUS
from ingest.batch import extract_for_store
from ingest.datadir import DataDir
from ingest.journal import REMOVE, REPLACE, STORE, Journal, pending, recover, recover_interrupted
from ingest.store import GraphStore
from search.index import SearchIndex
from search.summaries import SummaryStore, summaries_path
from test_parallel_ingest import _quads
from web.cli import main
from web.context import ServiceContext

FZKG = [sys.executable, "-m", "web.cli"]
#: copies of each embedded report in the folder the kill test ingests (five reports each)
COPIES = 16


def variants(folder: Path, copies: int) -> Path:
    """``copies`` versions of each embedded report, each ending in a sentence of its own, so that
    each has a text (and an id) of its own."""
    folder.mkdir(parents=True)
    for number in range(copies):
        for report in sorted(CORPUS.glob("*.txt")):
            text = report.read_text(encoding="utf-8")
            copy = folder / f"{number:03d}-{report.name}"
            copy.write_text(f"{text}\n本文为第{number}份副本。\n", encoding="utf-8")
    return folder


def stored_ids(datadir: DataDir) -> dict[str, list[str]]:
    """The report ids each store of ``datadir`` holds, sorted, opened as the service opens them."""
    context = ServiceContext(datadir)
    try:
        graph_ids, index_ids = context.graph.report_ids(), context.index.report_ids()
    finally:
        context.close()
    ids = {"registry": sorted(datadir.registry()), "graph": graph_ids, "index": sorted(index_ids),
           "texts": sorted(path.stem for path in datadir.texts.glob("*.txt"))}
    if summaries_path(datadir).exists():
        with SummaryStore.open(datadir, read_only=True) as summaries:
            ids["summaries"] = summaries.report_ids() if summaries.is_current(ids["registry"]) else ["(stale)"]
    return ids


def assert_in_agreement(datadir: DataDir) -> list[str]:
    ids = stored_ids(datadir)
    assert all(found == ids["registry"] for found in ids.values()), {k: len(v) for k, v in ids.items()}
    return ids["registry"]


def fzkg(*argv: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([*FZKG, *argv], capture_output=True, text=True, check=False, **options)


def wait_past_a_checkpoint(datadir: DataDir, process: subprocess.Popen, timeout: float = 120) -> None:
    """Until the registry was saved by a checkpoint and reports are being written after it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if pending(datadir) and len(datadir.registry()) >= 10:
            return
        time.sleep(0.005)
    ended = process.poll() is not None
    raise AssertionError(f"no checkpoint seen; exit code {process.poll()}"
                         + (f": {process.stderr.read()}" if ended else ""))


# -- kill -9 ------------------------------------------------------------------------------------


def test_kill_9_mid_ingest_leaves_stores_that_agree_and_a_rerun_resumes(tmp_path):
    folder = variants(tmp_path / "reports", COPIES)
    data = DataDir(tmp_path / "data")
    command = [*FZKG, "ingest", "--quiet", "--workers", "2", "--data", str(data.root), str(folder)]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "FZKG_CHECKPOINT_REPORTS": "10"})
    try:
        wait_past_a_checkpoint(data, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the writer, its fork server and its workers
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the ingest ended before it could be killed"
    with Journal.open(data) as journal:  # the reports written since the last checkpoint
        assert {rid for _kind, rid in journal.entries()} - set(data.registry())

    stored = assert_in_agreement(data)  # opening as the service does recovers first
    assert not pending(data) and 10 <= len(stored) < 5 * COPIES
    with SearchIndex.open(data) as index:
        result = index.search('"法治政府"', page_size=None)
        assert result.total == len(stored) and {hit.report_id for hit in result.hits} == set(stored)

    rerun = fzkg("ingest", "--quiet", "--workers", "2", "--data", str(data.root), str(folder))
    assert rerun.returncode == 0, rerun.stderr
    assert f"ingested {5 * COPIES - len(stored)} report(s)" in rerun.stdout
    assert f"skipped {len(stored)} unchanged" in rerun.stdout
    assert len(assert_in_agreement(data)) == 5 * COPIES

    clean = DataDir(tmp_path / "clean")
    once = fzkg("ingest", "--quiet", "--workers", "2", "--data", str(clean.root), str(folder))
    assert once.returncode == 0, once.stderr
    assert _quads(data.root)[0] == _quads(clean.root)[0]
    assert data.registry() == clean.registry()


# -- recovery from a journal written by hand -------------------------------------------------------


@pytest.fixture
def corpus_copy(corpus_datadir, tmp_path) -> DataDir:
    shutil.copytree(corpus_datadir.root, tmp_path / "data")
    return DataDir(tmp_path / "data")


def write_half(datadir: DataDir, path: Path) -> str:
    """Store a report in graph, texts, index and summaries without registering it, as an ingest
    killed before its checkpoint saved the registry leaves it; returns its id."""
    extracted = extract_for_store(path)
    report = extracted.report
    with GraphStore.open(datadir.graph) as store:
        store.load_nquads(extracted.report_quads)
    datadir.text_path(report.id).write_text(report.original, encoding="utf-8")
    with SearchIndex.open(datadir) as index, SummaryStore.open(datadir) as summaries:
        index.add_reports([report], commit=True)
        summaries.add_reports([report], commit=True)
    return report.id


def journal_entries(datadir: DataDir, *entries: tuple[str, str]) -> None:
    with Journal.open(datadir) as journal:
        journal.append(entries)


def recover_with_every_sink(datadir: DataDir) -> list[str]:
    with SearchIndex.open(datadir) as index, SummaryStore.open(datadir) as summaries:
        return recover(datadir, [index, summaries])


def test_recover_removes_an_unregistered_report_and_completes_a_removal(corpus_copy, tmp_path):
    data = corpus_copy
    before = sorted(data.registry())
    new_file = variants(tmp_path / "new", 1) / f"000-{sorted(CORPUS.glob('*.txt'))[0].name}"
    added = write_half(data, new_file)
    victim, kept = before[0], before[1]
    with GraphStore.open(data.graph) as store:
        store.remove_report(victim)  # the removal got as far as the graph
    journal_entries(data, (STORE, kept), (STORE, added), (REMOVE, victim))
    with GraphStore.open(data.graph, read_only=True) as store:
        assert store.report_ids() == sorted({*before, added} - {victim})

    assert sorted(recover_with_every_sink(data)) == sorted([added, victim])
    assert not pending(data)
    # a registered report the journal names as stored stays: its checkpoint saved the registry
    assert assert_in_agreement(data) == [rid for rid in before if rid != victim]

    # idempotent: again with nothing journaled, and again with the same journal (a crash during recovery)
    assert recover_with_every_sink(data) == []
    journal_entries(data, (STORE, kept), (STORE, added), (REMOVE, victim))
    recover_with_every_sink(data)
    assert assert_in_agreement(data) == [rid for rid in before if rid != victim]


def test_recover_withdraws_a_report_whose_replacement_was_cut_short(corpus_copy):
    data = corpus_copy
    before = sorted(data.registry())
    replaced = before[2]
    with GraphStore.open(data.graph) as store:
        store.remove_report(replaced)  # a bulk replacement killed between dropping and loading
    # a line cut short by the kill announces nothing that was written
    journal_entries(data, (REPLACE, replaced))
    with open(data.journal_file, "ab") as journal:
        journal.write(f"{STORE} {before[3][:5]}".encode())
    recover_with_every_sink(data)
    assert assert_in_agreement(data) == [rid for rid in before if rid != replaced]


def test_a_reader_does_not_recover_while_an_ingest_holds_the_journal(corpus_copy, tmp_path):
    data = corpus_copy
    added = write_half(data, variants(tmp_path / "new", 1) / f"000-{sorted(CORPUS.glob('*.txt'))[1].name}")
    with Journal.open(data) as running:
        running.append([(STORE, added)])
        assert recover_interrupted(data) is False
        assert added in stored_ids(data)["texts"]
    assert recover_interrupted(data) is True
    assert added not in assert_in_agreement(data)


# -- skipping unchanged files ---------------------------------------------------------------------


def cli(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.fixture
def two_reports(tmp_path) -> Path:
    folder = tmp_path / "two"
    folder.mkdir()
    for report in sorted(CORPUS.glob("*.txt"))[:2]:
        shutil.copy(report, folder / report.name)
    return folder


def count_extractions(monkeypatch) -> list[str]:
    extracted = []
    original = ingest.batch.process
    monkeypatch.setattr(ingest.batch, "process", lambda report: extracted.append(report.source) or original(report))
    return extracted


def test_unchanged_files_are_read_not_extracted_and_force_extracts_them(two_reports, tmp_path, capsys,
                                                                          monkeypatch):
    data = str(tmp_path / "data")
    assert "ingested 2 report(s)" in cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))
    extracted = count_extractions(monkeypatch)
    out = cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))
    assert "ingested 0 report(s)" in out and "skipped 2 unchanged" in out and extracted == []

    # a changed file replaces its old version; the other is still skipped
    changed = sorted(two_reports.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    out = cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))
    assert "ingested 1 report(s)" in out and "replaced 1 older version(s)" in out and "skipped 1 unchanged" in out
    assert extracted == [str(changed)]
    graph = _quads(Path(data))[0]

    extracted.clear()
    out = cli(capsys, "ingest", "--quiet", "--force", "--data", data, str(two_reports))
    assert "ingested 2 report(s)" in out and "skipped" not in out and len(extracted) == 2
    assert len(assert_in_agreement(DataDir.at(data))) == 2
    assert _quads(Path(data))[0] == graph


def test_a_new_extractor_version_extracts_stored_files_again(two_reports, tmp_path, capsys, monkeypatch):
    data = str(tmp_path / "data")
    cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))
    assert {meta["extractor"] for meta in DataDir.at(data).registry().values()} == {ingest.batch.EXTRACTOR_VERSION}
    monkeypatch.setattr(ingest.batch, "EXTRACTOR_VERSION", "next")
    extracted = count_extractions(monkeypatch)
    out = cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))
    assert "ingested 2 report(s)" in out and "skipped" not in out and len(extracted) == 2
    assert {meta["extractor"] for meta in DataDir.at(data).registry().values()} == {"next"}
    assert "skipped 2 unchanged" in cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))


def test_a_changed_manifest_value_extracts_the_file_again(two_reports, tmp_path, capsys):
    data = str(tmp_path / "data")
    cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))
    name = sorted(two_reports.glob("*.txt"))[0].name
    (two_reports / "manifest.tsv").write_text(f"file\torigin\tnotes\tpublished\n{name}\t\t\t2024-01-01\n",
                                              encoding="utf-8")
    out = cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))
    assert "ingested 1 report(s)" in out and "skipped 1 unchanged" in out
    assert "skipped 2 unchanged" in cli(capsys, "ingest", "--quiet", "--data", data, str(two_reports))


def test_checkpoints_save_the_registry_during_the_batch(two_reports, tmp_path, monkeypatch):
    data = DataDir(tmp_path / "data")
    saved = []
    original = DataDir.save_registry
    monkeypatch.setattr(DataDir, "save_registry", lambda self, registry: saved.append(len(registry))
                        or original(self, registry))
    with SearchIndex.open(data, create=True) as index:
        ingest.batch.ingest_paths([two_reports], data, sinks=[index], workers=1, checkpoint_reports=1)
    assert saved[:2] == [1, 2] and not pending(data)
    assert_in_agreement(data)
