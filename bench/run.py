"""Benchmark: ingest throughput against the segmenter alone, index size, memory, and warm query
latency, in process and through the running service — for both search engines side by side.

``python -m bench.run [--sizes 1000 10000] [--full] [--engines whoosh tantivy] [--workers 2] [--out bench/out]``

For each size N (``--full`` adds 100,000), in one run:

1. the synthetic corpus of N reports (``bench.generate``), made once and kept in OUT/corpus-N;
2. **segmenter alone**: the same files read and segmented by the project's segmenter
   (``ingest.segment.default_segmenter()``) in as many worker processes as ingest uses, started
   the same way, dictionary loading included; and plain jieba the same way when the project's
   segmenter is another backend (the targets were set against plain jieba);
3. for each engine (``--engines``; Whoosh only up to ``--whoosh-max-size`` unless named):
   **ingest** into a fresh OUT/data-N-ENGINE by ``fzkg ingest``'s own function with that engine,
   timed from start to the last commit, with the CPU and the peak memory of the writer and of its
   workers; size on disk; in-process query latency (word, AND, phrase with highlighted snippets,
   phrase with facets, the first page of a concordance and its total count); then ``fzkg serve``
   on that data directory, timed over HTTP: the questions of the ask page and the pages that
   aggregate over every report (their JSON twins), and the service's peak memory.

Results: a Markdown table on stdout (one column per engine), ``OUT/results-N.json``, and the
table in ``bench/RESULTS.md`` (the section of that size replaced, with the machine it ran on).
Targets are printed beside the measurements, with the size they are stated for.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench import generate

ROOT = Path(__file__).resolve().parents[1]
RESULTS_FILE = ROOT / "bench" / "RESULTS.md"
DEFAULT_SIZES = (1000, 10000)
FULL_SIZE = 100_000
DEFAULT_ENGINES = ("whoosh", "tantivy")
#: Whoosh is left out above this many reports unless asked for: its ingest at 100,000 reports
#: would take hours, and the question at that size is whether tantivy keeps its targets.
WHOOSH_MAX_SIZE = 10_000
SEED = 0

#: timed runs per kind of in-process query, and per question or page over HTTP (the defaults are
#: what the results are quoted with; fewer, down to MIN_REPEAT, is for trying the benchmark out)
DEFAULT_REPEAT = 60
DEFAULT_HTTP_REPEAT = 30
MIN_REPEAT = 5
#: seconds an HTTP request may take before the benchmark gives up on it (and on the pages that
#: share its once-per-data-version cost)
DEFAULT_PAGE_TIMEOUT = 600.0
#: seconds ``fzkg serve`` may take to open the data directory and answer
SERVICE_START_TIMEOUT = 900.0

WORD_QUERIES = ("行政复议", "法律顾问", "行政执法", "矛盾纠纷", "普法", "合法性审查", "营商环境", "法律援助",
                "人民调解", "规范性文件")
AND_QUERIES = ("行政复议 AND 法律顾问", "普法 AND 矛盾纠纷", "行政执法 AND 营商环境", "法律援助 AND 人民调解",
               "合法性审查 AND 规范性文件", "行政复议 法律援助")
FACET_FILTERS = ("year:2020..2024", "province:四川省", "level:county", "year:2023", "province:河南省")
KWIC_PHRASES = ("法治政府建设", "行政复议", "法律明白人")
#: Phrases drawn from the corpus for the phrase queries, besides 法律明白人.
DRAWN_PHRASES = 9
KWIC_PAGE_SIZE = 100
#: timed runs of a full concordance count: it reads every matching report (tens of seconds at
#: 100k), and it is not what a page waits for
KWIC_COUNT_REPEAT = 3
SEARCH_PAGE_SIZE = 20
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{4,8}")

#: Questions of the ask page that synthetic reports answer: 法律明白人 and 行政执法三项制度 are
#: programs of the program scheme, the 黄河保护法 is on the law list, 兴法铺子 is an initiative of
#: the embedded reports whose sentences the generator reuses. The first two are the card's.
QUESTIONS = ("哪些县开展了“法律明白人”?",
             "which jurisdictions studied 《中华人民共和国黄河保护法》?",
             "每年有多少个地方开展了“法律明白人”?",
             "哪个地方最早开展了“法律明白人”?",
             "有多少个县开展了“行政执法三项制度”?",
             "“兴法铺子”和哪些做法一起出现?")
#: the node of the links pages timed (a program every size of corpus mentions often)
LINKS_NODE = "法律明白人"


# --- targets ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A limit a measurement should stay within, for one engine or each, stated at one size or
    at every size (a check at another size is shown for orientation, in brackets)."""

    limit: float
    text: str
    engine: str | None = None
    size: int | None = None

    def applies_to(self, engine: str) -> bool:
        return self.engine in (None, engine)

    def describe(self, size: int) -> str:
        text = f"{self.engine} {self.text}" if self.engine else self.text
        return text if self.size in (None, size) else f"({text} at {self.size // 1000}k)"


TARGETS: dict[str, tuple[Target, ...]] = {
    "ingest_seconds": (Target(15 * 60, "≤ 15 min", size=FULL_SIZE),),
    "ingest_over_segmenter": (Target(2.0, "≤ 2×", size=FULL_SIZE),),
    "word": (Target(100, "p95 ≤ 100 ms", "whoosh", 10_000),),
    "phrase": (Target(300, "p95 ≤ 300 ms", "whoosh", 10_000), Target(50, "p95 ≤ 50 ms", "tantivy", FULL_SIZE)),
    "facet": (Target(300, "p95 ≤ 300 ms", "whoosh", 10_000), Target(100, "p95 ≤ 100 ms", "tantivy", FULL_SIZE)),
    "kwic_first_page": (Target(200, "p95 ≤ 200 ms", "tantivy", FULL_SIZE),),
    "question": (Target(200, "p95 ≤ 200 ms", size=FULL_SIZE),),
    "page": (Target(1000, "first call and p95 ≤ 1 s"),),
    "service_rss": (Target(2e9, "≤ 2 GB"),),
}


# --- processes: CPU and memory from /proc ---------------------------------------------------------

def _process_table() -> dict[int, tuple[int, int, float]]:
    """pid → (parent pid, start time in ticks, CPU seconds) of every process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    table = {}
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return {}
    for name in entries:
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # parent; start time (tells a reused pid from its predecessor); utime + stime
        table[int(name)] = (int(fields[1]), int(fields[19]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def _descendants(root: int, table: dict[int, tuple[int, int, float]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, frontier = set(), [root]
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (highest resident so far) of a process, in kB; empty when
    it is gone."""
    memory = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                memory[line[:5]] = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return memory


def _reset_peak_memory(pid: int) -> bool:
    """Start the process's VmHWM afresh (Linux ≥ 4.0), so that a peak is this measurement's."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class TreeUsage:
    """CPU seconds and peak memory of a process and every process under it, on Linux (/proc).

    Workers are children of the fork server, not of this process, so ``getrusage`` never sees
    them; and a worker's figures are gone once it exits, so a thread samples the tree while it
    runs: CPU time, each process's VmHWM, and the sum of VmRSS over the tree (the memory the
    tree held at one moment). The main process's own VmHWM is read at the end (reset at the start
    where Linux allows). The machine's busy time is kept too: the difference is what other
    programs took meanwhile.
    """

    INTERVAL = 0.25

    def __init__(self, root: int | None = None):
        self.root = root or os.getpid()
        self._base: dict[tuple[int, int], float] = {}
        self._last: dict[tuple[int, int], float] = {}
        self._peak_kb: dict[tuple[int, int], int] = {}
        self.tree_peak_kb = 0
        self.main_peak_kb = 0
        self.peak_reset = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> dict[tuple[int, int], float]:
        table = _process_table()
        cpu, resident = {}, 0
        for pid in _descendants(self.root, table) | {self.root}:
            if pid not in table:
                continue
            key = (pid, table[pid][1])
            cpu[key] = table[pid][2]
            memory = _memory_kb(pid)
            resident += memory.get("VmRSS", 0)
            self._peak_kb[key] = max(self._peak_kb.get(key, 0), memory.get("VmHWM", memory.get("VmRSS", 0)))
        self.tree_peak_kb = max(self.tree_peak_kb, resident)
        return cpu

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self._last.update(self._sample())

    def __enter__(self) -> "TreeUsage":
        # only our own peak is reset: a service's peak since its start is the figure wanted
        self.peak_reset = self.root == os.getpid() and _reset_peak_memory(self.root)
        self._base = self._sample()
        self._machine = _machine_cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._last.update(self._sample())
        self.main_peak_kb = _memory_kb(self.root).get("VmHWM", 0)
        busy, idle = _machine_cpu()
        self.machine_busy = busy - self._machine[0]
        self.machine_idle = idle - self._machine[1]
        self.own = sum(self._last[k] - self._base.get(k, 0.0) for k in self._last if k[0] == self.root)
        self.tree = sum(seconds - self._base.get(key, 0.0) for key, seconds in self._last.items())

    def to_json(self, main: str = "writer", child: str = "worker", client_cpu_seconds: float = 0.0) -> dict:
        """Figures named after what the processes are (the writer and its workers; the service
        and its SPARQL workers); ``client_cpu_seconds`` is CPU of ours outside the tree (the HTTP
        client) that is not to be counted as other programs'."""
        children = [kb for key, kb in self._peak_kb.items() if key[0] != self.root]
        return {f"{main}_cpu_seconds": self.own, f"{child}s_cpu_seconds": self.tree - self.own,
                "client_cpu_seconds": client_cpu_seconds,
                "machine_busy_seconds": self.machine_busy,
                "others_cpu_seconds": max(0.0, self.machine_busy - self.tree - client_cpu_seconds),
                "machine_busy_share": self.machine_busy / max(1e-9, self.machine_busy + self.machine_idle),
                f"{main}_peak_rss_bytes": self.main_peak_kb * 1024,
                f"{main}_peak_reset": self.peak_reset,
                f"largest_{child}_peak_rss_bytes": max(children, default=0) * 1024,
                f"{child}s_peak_rss_bytes_sum": sum(children) * 1024,
                # every process seen under the main one (a fork server and a resource tracker too)
                f"{child}_processes": len(children),
                "tree_peak_rss_bytes": self.tree_peak_kb * 1024}


def _machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat.

    Workers are children of the fork server, not of this process, so this process's rusage never
    sees them; on an otherwise idle machine the machine's busy time is the benchmark's.
    """
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / tick, (idle + iowait) / tick


# --- segmenter alone --------------------------------------------------------------------------------

@functools.cache
def _segmenter(backend: str | None):
    """The ingest segmenter, or one with the same words on another backend."""
    from ingest import vocab
    from ingest.segment import Segmenter, default_segmenter

    return default_segmenter() if backend is None else Segmenter(vocab.user_words(), backend=backend)


def _segment_files(paths: list[str], backend: str | None = None) -> tuple[int, int]:
    """Words and characters of some files, segmented by the ingest segmenter (runs in a worker)."""
    segmenter = _segmenter(backend)
    words = chars = 0
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        words += len(segmenter.tokens(text))
        chars += len(text)
    return words, chars


def jieba_alone(paths: list[Path], workers: int, backend: str | None = None) -> dict:
    """Segmentation only, in ``workers`` processes started as ingest starts its workers;
    ``backend`` None is the ingest segmenter itself."""
    from ingest.batch import worker_context

    chunk = 16
    chunks = [[str(p) for p in paths[i:i + chunk]] for i in range(0, len(paths), chunk)]
    with TreeUsage() as usage:
        start = time.perf_counter()
        if workers <= 1:
            counts = [_segment_files(c, backend) for c in chunks]
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as pool:
                counts = list(pool.map(_segment_files, chunks, [backend] * len(chunks)))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "words": sum(w for w, _ in counts), "chars": sum(c for _, c in counts),
            **usage.to_json()}


# --- ingest --------------------------------------------------------------------------------------------

class TimedSink:
    """An ingest sink (the search index, the summaries) with the time spent in it counted."""

    def __init__(self, sink):
        self.sink = sink
        self.name = type(sink).__name__
        self.add_seconds = self.commit_seconds = 0.0

    def add_reports(self, reports, commit=False):
        start = time.perf_counter()
        try:
            return self.sink.add_reports(reports, commit=commit)
        finally:
            self.add_seconds += time.perf_counter() - start

    def remove(self, report_ids, commit=False):
        return self.sink.remove(report_ids, commit=commit)

    def commit(self):
        start = time.perf_counter()
        try:
            self.sink.commit()
        finally:
            self.commit_seconds += time.perf_counter() - start


def ingest(corpus: Path, data: Path, workers: int, engine: str) -> dict:
    """``fzkg ingest --quiet --engine ENGINE --workers W CORPUS`` into a fresh ``data``, timed, with
    the time spent in each sink and in the graph store's bulk loads counted where they happen."""
    import web.commands.ingest as command
    from ingest.datadir import DataDir
    from ingest.store import GraphStore

    if data.exists():
        shutil.rmtree(data)
    timed_sinks: list[TimedSink] = []
    graph_seconds = [0.0]
    ingest_paths, load = command.ingest_paths, GraphStore.load_nquads

    def timed_ingest_paths(paths, datadir, sinks=(), **options):
        timed_sinks.extend(TimedSink(sink) for sink in sinks)
        return ingest_paths(paths, datadir, sinks=timed_sinks, **options)

    def timed_load(self, quads):
        start = time.perf_counter()
        try:
            return load(self, quads)
        finally:
            graph_seconds[0] += time.perf_counter() - start

    command.ingest_paths, GraphStore.load_nquads = timed_ingest_paths, timed_load
    try:
        with TreeUsage() as usage:
            start = time.perf_counter()
            result = command.run_ingest([corpus], DataDir.at(data), engine=engine, quiet=True, workers=workers)
            seconds = time.perf_counter() - start
    finally:
        command.ingest_paths, GraphStore.load_nquads = ingest_paths, load
    return {"seconds": seconds, "reports": len(result.ingested), "failures": [str(f) for f in result.failures],
            **usage.to_json(),
            "sinks": {sink.name: {"add_seconds": sink.add_seconds, "commit_seconds": sink.commit_seconds}
                      for sink in timed_sinks},
            "graph_load_seconds": graph_seconds[0]}


def planted_recovered(corpus: Path, data: Path) -> float:
    """Share of reports whose extracted jurisdiction code is the one the generator planted."""
    from ingest.datadir import DataDir

    planted = {}
    lines = (corpus / generate.PLANTED_FILE).read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        planted[str(corpus / row["file"])] = row["code"]
    registry = DataDir.at(data).registry()
    hits = sum(1 for meta in registry.values() if planted.get(meta["source"]) == meta["code"])
    return hits / len(planted) if planted else 0.0


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


# --- in-process queries ---------------------------------------------------------------------------

def drawn_phrases(paths: list[Path], count: int, seed: int) -> list[str]:
    """Runs of 4–8 Chinese characters cut from random reports: phrases that certainly occur."""
    rng = random.Random(f"phrases:{seed}")
    phrases: list[str] = []
    while len(phrases) < count:
        text = rng.choice(paths).read_text(encoding="utf-8")
        runs = CJK_RUN.findall(text)
        if runs:
            run = rng.choice(runs)
            length = rng.randint(4, min(8, len(run)))
            at = rng.randint(0, len(run) - length)
            phrase = run[at:at + length]
            if phrase not in phrases:
                phrases.append(phrase)
    return phrases


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _summary(times_ms: list[float]) -> dict:
    return {"runs": len(times_ms), "median_ms": statistics.median(times_ms), "p95_ms": _p95(times_ms),
            "max_ms": max(times_ms)}


def _latencies(call, arguments: list, repeat: int) -> dict:
    first = []
    for argument in arguments:  # warm: files paged in, searcher and caches built
        start = time.perf_counter()
        call(argument)
        first.append((time.perf_counter() - start) * 1000)
    times, cpu_times = [], []
    runs = max(repeat, len(arguments))
    for i in range(runs):
        argument = arguments[i % len(arguments)]
        start, cpu_start = time.perf_counter(), time.thread_time()
        call(argument)
        times.append((time.perf_counter() - start) * 1000)
        # CPU time of the query itself: on a shared machine, wall time also counts waiting for a core
        cpu_times.append((time.thread_time() - cpu_start) * 1000)
    return {**_summary(times), "first_max_ms": max(first),
            "cpu_median_ms": statistics.median(cpu_times), "cpu_p95_ms": _p95(cpu_times)}


def _kwic_first_page(index, phrase: str):
    """The first page of a concordance, as the KWIC page opens: lines only, counts apart."""
    return index.concordance(phrase, page=1, page_size=KWIC_PAGE_SIZE, count=False)


def _kwic_counts(index, phrase: str) -> int:
    """How often ``phrase`` occurs, as a concordance states beside its first page (timed apart
    from the page, because a lazy first page leaves this count to a call of its own). Not the
    counts the service keeps per data version: every timed run counts anew."""
    from search.kwic import concordance_counts

    return concordance_counts(index.engine, phrase, None).total


def query_latencies(data: Path, paths: list[Path], repeat: int, seed: int) -> dict:
    from search.index import SearchIndex

    phrases = ['"法律明白人"'] + [f'"{p}"' for p in drawn_phrases(paths, DRAWN_PHRASES, seed)]
    facet_queries = [f"{phrase} {FACET_FILTERS[i % len(FACET_FILTERS)]}" for i, phrase in enumerate(phrases)]
    results: dict[str, dict] = {}
    with SearchIndex.open(data) as index:
        def search(query, facets=False):
            result = index.search(query, page_size=SEARCH_PAGE_SIZE, facets=facets)
            return result.total, [hit.snippet_html for hit in result.hits]

        results["word"] = _latencies(search, list(WORD_QUERIES), repeat)
        results["and"] = _latencies(search, list(AND_QUERIES), repeat)
        results["phrase"] = _latencies(search, phrases, repeat)
        results["facet"] = _latencies(lambda q: search(q, facets=True), facet_queries, repeat)
        results["kwic_first_page"] = _latencies(lambda p: _kwic_first_page(index, p), list(KWIC_PHRASES), repeat)
        results["kwic_counts"] = _latencies(lambda p: _kwic_counts(index, p), list(KWIC_PHRASES),
                                            min(repeat, KWIC_COUNT_REPEAT))
        results["matches"] = {q: index.search(q, page_size=1, facets=False).total
                              for q in (*WORD_QUERIES[:3], *AND_QUERIES[:2], *phrases[:3], *facet_queries[:2])}
        results["kwic_occurrences"] = {p: _kwic_counts(index, p) for p in KWIC_PHRASES}
    results["phrases"] = phrases
    results["facet_queries"] = facet_queries
    return results


# --- the service -----------------------------------------------------------------------------------

class ServiceError(RuntimeError):
    """``fzkg serve`` did not start or did not answer."""


class RequestTimedOut(Exception):
    pass


class Service:
    """``fzkg serve`` on a data directory, as a subprocess on a free loopback port (port 0: the
    server picks one and prints it, so two benchmarks never race for a port)."""

    ADDRESS = re.compile(r"fzkg serving .* at (http://[^/\s]+)/")

    def __init__(self, data: Path, log: Path):
        self.data, self.log = data.resolve(), log
        self.url = ""
        self.startup_seconds = 0.0

    def __enter__(self) -> "Service":
        command = [sys.executable, "-m", "web.cli", "serve", "--data", str(self.data), "--host", "127.0.0.1",
                   "--port", "0"]
        self._log_file = self.log.open("wb")
        start = time.perf_counter()
        # the output goes to a file, not a pipe: nothing has to keep reading it for the server to run
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT)
        self.pid = self.process.pid
        try:
            self.url = self._wait_for_address(start + SERVICE_START_TIMEOUT)
            self._wait_until_answering(start + SERVICE_START_TIMEOUT)
        except BaseException:
            self.__exit__()
            raise
        self.startup_seconds = time.perf_counter() - start
        return self

    def _log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def _wait_for_address(self, deadline: float) -> str:
        while time.perf_counter() < deadline:
            found = self.ADDRESS.search(self._log_text())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise ServiceError(f"fzkg serve exited with {self.process.returncode}: {self._log_text()[-500:]}")
            time.sleep(0.1)
        raise ServiceError(f"fzkg serve did not start within {SERVICE_START_TIMEOUT:.0f} s")

    def _wait_until_answering(self, deadline: float) -> None:
        while time.perf_counter() < deadline:
            try:
                # a path no page has: any answer, 404 included, means requests are served
                self.get("/bench-ready.json", timeout=10)
                return
            except (RequestTimedOut, OSError):
                if self.process.poll() is not None:
                    raise ServiceError(f"fzkg serve exited with {self.process.returncode}") from None
                time.sleep(0.2)
        raise ServiceError(f"fzkg serve did not answer within {SERVICE_START_TIMEOUT:.0f} s")

    def get(self, path: str, params: dict | None = None,
            timeout: float = DEFAULT_PAGE_TIMEOUT) -> tuple[int, bytes, float]:
        """(status, body, milliseconds) of a GET, the body read in full within the time."""
        url = self.url + path + ("?" + urlencode(params) if params else "")
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except TimeoutError:
            raise RequestTimedOut(url) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise RequestTimedOut(url) from None
            raise
        return status, body, (time.perf_counter() - start) * 1000

    def __exit__(self, *exc) -> None:
        table = _process_table()
        # the SPARQL workers, to be ended by their ids should the server leave them behind
        workers = [(pid, table[pid][1]) for pid in _descendants(self.process.pid, table)]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C does: serve closes its workers
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        table = _process_table()
        for pid, started in workers:
            if pid in table and table[pid][1] == started:
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
        self._log_file.close()


def _error_message(body: bytes) -> str:
    try:
        error = json.loads(body)["error"]
        return f"{error.get('status')} {error.get('message') or error.get('title')}"
    except (ValueError, KeyError, TypeError):
        return body[:200].decode("utf-8", errors="replace")


def request_latency(service: Service, path: str, params: dict | None, repeat: int,
                    timeout: float) -> tuple[dict, object]:
    """The first call timed alone (cold: whatever the service computes once per data version is
    paid here), then ``repeat`` timed calls; and the first answer's JSON."""
    try:
        status, body, first_ms = service.get(path, params, timeout)
        if status != 200:
            return {"status": status, "error": _error_message(body), "first_ms": first_ms}, None
        times = [service.get(path, params, timeout)[2] for _ in range(repeat)]
    except RequestTimedOut:
        return {"timed_out_after_s": timeout}, None
    return {"status": status, "first_ms": first_ms, **_summary(times)}, json.loads(body)


def question_latencies(service: Service, repeat: int, timeout: float) -> dict:
    results = {}
    for question in QUESTIONS:
        entry, answer = request_latency(service, "/ask.json", {"q": question}, repeat, timeout)
        if answer is not None:
            entry.update(understood=answer.get("understood"), answers=len(answer.get("answers", [])),
                         shape=(answer.get("interpretation") or {}).get("shape"))
        results[question] = entry
    return results


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    params: dict | None = None
    #: pages sharing a cost the service pays once per data version (the links graph): when one
    #: of them gets no answer in time, the others are not asked
    group: str | None = None


def aggregate_pages(home: dict | None) -> list[Page]:
    """Pages that aggregate over every report: the home page's counts and top lists, the data
    set's statistics, the entity pages of the program and of the law in most reports (taken from
    the home page), and the links pages (co-occurrence, neighbours, adoption timeline), last,
    since the links graph they share is built on the first call."""
    pages = [Page("home: totals, levels, provinces, years, top programs and laws", "/index.json"),
             Page("data set: triple, entity, class and property counts", "/dump.json")]
    statistics_ = (home or {}).get("statistics", {})
    for kind, key in (("program", "top_programs"), ("law", "top_laws")):
        top = statistics_.get(key) or []
        if top and top[0].get("url"):
            pages.append(Page(f"entity page of the {kind} in most reports", top[0]["url"] + ".json"))
    node = {"node": LINKS_NODE}
    pages += [Page("links overview (its first call builds the links graph)", "/links.json", group="links graph"),
              Page(f"items related to {LINKS_NODE} (co-occurrence, PMI)", "/links/related.json", node, "links graph"),
              Page(f"neighbours of {LINKS_NODE} in the links graph", "/links/neighbours.json", node, "links graph"),
              Page(f"adoption timeline of {LINKS_NODE} (by year and province)", "/links/timeline.json", node,
                   "links graph")]
    return pages


def page_latencies(service: Service, repeat: int, timeout: float) -> dict:
    results: dict[str, dict] = {}
    home_entry, home = request_latency(service, "/index.json", None, repeat, timeout)
    failed_groups: dict[str, str] = {}
    for page in aggregate_pages(home):
        if page.path == "/index.json":
            entry = home_entry
        elif page.group in failed_groups:
            entry = {"skipped": failed_groups[page.group]}
        else:
            entry, _ = request_latency(service, page.path, page.params, repeat, timeout)
        if page.group and "timed_out_after_s" in entry:
            failed_groups[page.group] = f"the {page.group} was not built within {timeout:.0f} s"
        results[page.label] = {"path": page.path, "params": page.params, **entry}
    return results


def service_latencies(data: Path, log: Path, repeat: int, timeout: float) -> dict:
    """``fzkg serve`` on ``data``: questions and aggregate pages timed over HTTP, with the CPU and
    the peak memory of the service and its SPARQL workers meanwhile."""
    try:
        with Service(data, log) as service:
            client_start = time.process_time()
            with TreeUsage(service.pid) as usage:
                questions = question_latencies(service, repeat, timeout)
                pages = page_latencies(service, repeat, timeout)
            client_cpu = time.process_time() - client_start
    except (ServiceError, OSError) as error:
        return {"error": str(error), "log": str(log)}
    return {"url": service.url, "log": str(log), "startup_seconds": service.startup_seconds,
            "questions": questions, "pages": pages,
            **usage.to_json(main="service", child="sparql_worker", client_cpu_seconds=client_cpu)}


# --- one size ------------------------------------------------------------------------------------------

def corpus_for(size: int, out: Path, seed: int) -> Path:
    corpus = out / f"corpus-{size}"
    if not generate.is_generated(corpus, size, seed):
        if corpus.exists():
            shutil.rmtree(corpus)
        start = time.perf_counter()
        print(f"[{size}] generating {size} reports into {corpus} …", file=sys.stderr, flush=True)
        generate.generate(size, corpus, seed)
        print(f"[{size}] generated in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return corpus


def engines_for(size: int, engines: list[str], whoosh_max_size: int | None) -> tuple[list[str], dict[str, str]]:
    """The engines run at ``size``, and why each other one is not."""
    run, skipped = [], {}
    for engine in engines:
        if engine == "whoosh" and whoosh_max_size is not None and size > whoosh_max_size:
            skipped[engine] = (f"not run above {whoosh_max_size:,} reports (--whoosh-max-size; "
                               "naming whoosh in --engines runs it at every size)")
        else:
            run.append(engine)
    return run, skipped


@dataclass(frozen=True)
class Settings:
    """How a run measures, the same for every size."""
    out: Path
    workers: int
    repeat: int
    http_repeat: int
    page_timeout: float
    seed: int
    #: the engines asked for, in the order of the table's columns
    engines: tuple[str, ...] = DEFAULT_ENGINES


def _total_cpu(usage: dict) -> float:
    return usage["writer_cpu_seconds"] + usage["workers_cpu_seconds"]


def run_engine(engine: str, size: int, corpus: Path, paths: list[Path], input_bytes: int, segmenter: dict,
               plain_jieba: dict | None, settings: Settings) -> dict:
    """Ingest with ``engine`` into OUT/data-N-ENGINE, then time its queries in process and in the service."""
    def say(text: str) -> None:
        print(f"[{size} {engine}] {text}", file=sys.stderr, flush=True)

    data = settings.out / f"data-{size}-{engine}"
    say("ingest …")
    ingested = ingest(corpus, data, settings.workers, engine)
    say(f"ingest: {ingested['seconds']:.1f} s; queries …")
    queries = query_latencies(data, paths, settings.repeat, settings.seed)
    say("service …")
    service = service_latencies(data, settings.out / f"serve-{size}-{engine}.log", settings.http_repeat,
                                settings.page_timeout)
    if "error" in service:
        say(f"service failed: {service['error']}")
    return {
        "engine": engine, "data_dir": str(data), "ingest": ingested,
        "ingest_reports_per_s": ingested["reports"] / ingested["seconds"],
        "ingest_mb_per_s": input_bytes / 1e6 / ingested["seconds"],
        "ingest_over_segmenter": ingested["seconds"] / segmenter["seconds"],
        # CPU seconds do not count the time other programs took the cores: the ratio that a
        # shared machine does not distort
        "ingest_cpu_over_segmenter_cpu": _total_cpu(ingested) / max(1e-9, _total_cpu(segmenter)),
        "ingest_over_plain_jieba": ingested["seconds"] / plain_jieba["seconds"] if plain_jieba else None,
        "jurisdiction_recovered": planted_recovered(corpus, data),
        "disk": {"graph_bytes": disk_bytes(data / "graph"), "index_bytes": disk_bytes(data / "index"),
                 "texts_bytes": disk_bytes(data / "texts")},
        "queries": queries,
        "service": service,
    }


def run_size(size: int, engines: list[str], skipped: dict[str, str], settings: Settings) -> dict:
    """Everything measured at ``size``: the segmenter alone, then each engine of ``engines``
    (``skipped`` are the others asked for, with the reason; the table keeps their columns)."""
    described = machine()  # before the run: the commit measured, and how busy the machine was
    corpus = corpus_for(size, settings.out, settings.seed)
    paths = sorted(p for p in corpus.rglob("*.txt"))
    input_bytes = sum(p.stat().st_size for p in paths)
    print(f"[{size}] segmenter alone, {settings.workers} process(es) …", file=sys.stderr, flush=True)
    segmenter = jieba_alone(paths, settings.workers)
    plain_jieba = None
    if described["segmenter"] != "jieba":
        # for comparison with the targets, which were set against plain jieba
        print(f"[{size}] segmenter: {segmenter['seconds']:.1f} s; plain jieba alone …", file=sys.stderr, flush=True)
        plain_jieba = jieba_alone(paths, settings.workers, backend="jieba")
    results = {engine: run_engine(engine, size, corpus, paths, input_bytes, segmenter, plain_jieba, settings)
               for engine in engines}
    return {
        "size": size, "files": len(paths), "workers": settings.workers, "seed": settings.seed,
        "input_bytes": input_bytes, "repeat": settings.repeat, "http_repeat": settings.http_repeat,
        "page_timeout_s": settings.page_timeout,
        "segmenter": segmenter, "plain_jieba": plain_jieba,
        "segmenter_reports_per_s": len(paths) / segmenter["seconds"],
        "segmenter_mb_per_s": input_bytes / 1e6 / segmenter["seconds"],
        "engine_order": [engine for engine in settings.engines if engine in engines or engine in skipped],
        "engines": results, "skipped_engines": skipped,
        "machine": described,
    }


# --- the machine ------------------------------------------------------------------------------------

def _meminfo_gb() -> dict[str, float]:
    found = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("MemTotal", "MemAvailable"):
                found[name] = int(value.split()[0]) / 1024 / 1024
    except (OSError, ValueError):
        pass
    return found


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def machine() -> dict:
    memory = _meminfo_gb()
    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except OSError:
        commit = ""
    from ingest.segment import default_segmenter

    return {"cores": os.cpu_count(), "cpu": cpu,
            "ram": f"{memory['MemTotal']:.1f} GB" if "MemTotal" in memory else "",
            "available_memory": f"{memory['MemAvailable']:.1f} GB" if "MemAvailable" in memory else "",
            "python": platform.python_version(),
            "system": platform.platform(), "date": dt.datetime.now().isoformat(timespec="minutes"),
            "commit": commit, "segmenter": default_segmenter().backend, "jieba": _version("jieba"),
            "whoosh": _version("whoosh3"), "tantivy": _version("tantivy"), "pyoxigraph": _version("pyoxigraph"),
            "waitress": _version("waitress"),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


# --- reporting -------------------------------------------------------------------------------------

def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _latency_text(row: dict, first: bool = False) -> str:
    """An in-process latency: wall time, and the query's own CPU time (wall time on a shared
    machine also counts waiting for a core)."""
    text = (f"median {_ms(row['median_ms'])}, p95 {_ms(row['p95_ms'])} ms "
            f"(CPU p95 {_ms(row['cpu_p95_ms'])}; {row['runs']} runs)")
    return f"first {_ms(row['first_max_ms'])} ms; {text}" if first else text


def _one_line(text: str, limit: int = 160) -> str:
    """An error message fit for a table cell (a server log's tail may hold newlines and pipes)."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _http_text(entry: dict | None) -> str:
    if entry is None:
        return "not measured"
    if "skipped" in entry:
        return f"not asked: {entry['skipped']}"
    if "timed_out_after_s" in entry:
        return f"no answer within {entry['timed_out_after_s']:.0f} s"
    if "error" in entry:
        return f"failed: {_one_line(entry['error'])}"
    return (f"first {_ms(entry['first_ms'])} ms; median {_ms(entry['median_ms'])}, p95 {_ms(entry['p95_ms'])} ms "
            f"({entry['runs']} runs)")


def _http_checked(entry: dict | None, first: bool) -> float | None:
    """What an HTTP target compares: p95 (and the first call, for pages); no answer fails it."""
    if entry is None or "skipped" in entry:
        return None
    if "median_ms" not in entry:
        return math.inf
    return max(entry["p95_ms"], entry["first_ms"]) if first else entry["p95_ms"]


@dataclass
class EngineRow:
    """A row of the engines' table: the cell of one engine's results, the number compared
    across engines (the ratio column), and the number the targets compare (by default the same)."""
    label: str
    text: Callable[[dict], str]
    value: Callable[[dict], float | None] | None = None
    checked: Callable[[dict], float | None] | None = None
    targets: tuple[Target, ...] = ()

    def number(self, engine: dict, which: str) -> float | None:
        function = self.checked if which == "checked" and self.checked else self.value
        if function is None:
            return None
        try:
            return function(engine)
        except (KeyError, TypeError, ZeroDivisionError):
            return None

    def cell(self, engine: dict) -> str:
        try:
            return self.text(engine)
        except (KeyError, TypeError):
            return "—"


def _service(engine: dict) -> dict:
    return engine["service"]


def _service_text(engine: dict, text: Callable[[dict], str]) -> str:
    service = engine["service"]
    return f"service failed: {_one_line(service['error'])}" if "error" in service else text(service)


def _in_process_rows(workers: int, sinks: list[str], plain: bool) -> list[EngineRow]:
    ingest_ratio = TARGETS["ingest_over_segmenter"]
    rows = [
        EngineRow(f"ingest, {workers} worker(s)",
                  lambda e: (f"{e['ingest_reports_per_s']:.1f} reports/s, {e['ingest_mb_per_s']:.2f} MB/s "
                             f"({e['ingest']['seconds']:,.0f} s)"),
                  lambda e: e["ingest"]["seconds"], targets=TARGETS["ingest_seconds"]),
        EngineRow("ingest time / segmenter time", lambda e: f"{e['ingest_over_segmenter']:.2f}×",
                  lambda e: e["ingest_over_segmenter"], targets=ingest_ratio),
        EngineRow("ingest CPU / segmenter CPU (not distorted by other programs)",
                  lambda e: f"{e['ingest_cpu_over_segmenter_cpu']:.2f}×",
                  lambda e: e["ingest_cpu_over_segmenter_cpu"]),
    ]
    if plain:
        rows.append(EngineRow("ingest time / plain jieba time", lambda e: f"{e['ingest_over_plain_jieba']:.2f}×",
                              lambda e: e["ingest_over_plain_jieba"], targets=ingest_ratio))
    rows.append(EngineRow("CPU of ingest: writer / workers (other programs)",
                          lambda e: (f"{e['ingest']['writer_cpu_seconds']:,.0f} s / "
                                     f"{e['ingest']['workers_cpu_seconds']:,.0f} s "
                                     f"({e['ingest']['others_cpu_seconds']:,.0f} s)")))
    rows += [EngineRow(f"writer: {name} add / commit",
                       lambda e, name=name: (f"{e['ingest']['sinks'][name]['add_seconds']:,.0f} s / "
                                             f"{e['ingest']['sinks'][name]['commit_seconds']:,.0f} s"),
                       lambda e, name=name: sum(e["ingest"]["sinks"][name].values())) for name in sinks]
    rows += [
        EngineRow("writer: graph store bulk loads", lambda e: f"{e['ingest']['graph_load_seconds']:,.0f} s"),
        EngineRow("peak RSS of ingest: writer / largest worker / tree at once (sampled)",
                  lambda e: (f"{_mb(e['ingest']['writer_peak_rss_bytes'])} / "
                             f"{_mb(e['ingest']['largest_worker_peak_rss_bytes'])} / "
                             f"{_mb(e['ingest']['tree_peak_rss_bytes'])}"),
                  lambda e: e["ingest"]["tree_peak_rss_bytes"]),
        EngineRow("planted jurisdiction recovered", lambda e: f"{e['jurisdiction_recovered']:.1%}"),
        EngineRow("graph store on disk", lambda e: _mb(e["disk"]["graph_bytes"]), lambda e: e["disk"]["graph_bytes"]),
        EngineRow("search index on disk", lambda e: _mb(e["disk"]["index_bytes"]), lambda e: e["disk"]["index_bytes"]),
        EngineRow("report texts on disk", lambda e: _mb(e["disk"]["texts_bytes"]), lambda e: e["disk"]["texts_bytes"]),
    ]
    kinds = (("word", "word query (行政复议 …)"), ("and", "AND query (行政复议 AND 法律顾问 …)"),
             ("phrase", 'phrase + highlight ("法律明白人", drawn phrases)'),
             ("facet", "phrase + facet filter + facet counts"),
             ("kwic_first_page", f"KWIC, first page of {KWIC_PAGE_SIZE} lines (法治政府建设 …)"),
             ("kwic_counts", "KWIC, total count of occurrences"))
    for kind, label in kinds:
        first = kind.startswith("kwic")
        rows.append(EngineRow(label, lambda e, kind=kind, first=first: _latency_text(e["queries"][kind], first),
                              lambda e, kind=kind: e["queries"][kind]["p95_ms"], targets=TARGETS.get(kind, ())))
    return rows


def _service_rows(questions: list[str], pages: dict[str, str]) -> list[EngineRow]:
    """Rows of the HTTP timings; ``pages`` maps each page's label to its path."""
    rows = [EngineRow("service: start-up until it answers",
                      lambda e: _service_text(e, lambda s: f"{s['startup_seconds']:.1f} s"),
                      lambda e: _service(e)["startup_seconds"])]
    for question in questions:
        def text(e, question=question):
            def described(service):
                entry = service["questions"].get(question)
                answers = f"; rows: {entry['answers']}" if entry and "answers" in entry else ""
                return _http_text(entry) + answers
            return _service_text(e, described)
        rows.append(EngineRow(f"question: {question}", text,
                              lambda e, q=question: _service(e)["questions"][q]["p95_ms"],
                              lambda e, q=question: _http_checked(_service(e)["questions"].get(q), first=False),
                              TARGETS["question"]))
    for label in pages:
        def page_text(e, label=label):
            return _service_text(e, lambda s: _http_text(s["pages"].get(label)))
        rows.append(EngineRow(f"page: {label} ({pages[label]})", page_text,
                              lambda e, label=label: _service(e)["pages"][label]["p95_ms"],
                              lambda e, label=label: _http_checked(_service(e)["pages"].get(label), first=True),
                              TARGETS["page"]))
    rows += [
        EngineRow("peak RSS of the service: main process / SPARQL workers (sum) / tree at once (sampled)",
                  lambda e: _service_text(e, lambda s: (
                      f"{_mb(s['service_peak_rss_bytes'])} / {_mb(s['sparql_workers_peak_rss_bytes_sum'])} "
                      f"({s['sparql_worker_processes']}) / {_mb(s['tree_peak_rss_bytes'])}")),
                  lambda e: _service(e)["service_peak_rss_bytes"] + _service(e)["sparql_workers_peak_rss_bytes_sum"],
                  targets=TARGETS["service_rss"]),
        EngineRow("CPU during the service timings: service / benchmark client (other programs)",
                  lambda e: _service_text(e, lambda s: (
                      f"{s['service_cpu_seconds'] + s['sparql_workers_cpu_seconds']:,.0f} s / "
                      f"{s['client_cpu_seconds']:,.0f} s ({s['others_cpu_seconds']:,.0f} s)"))),
    ]
    return rows


def _ordered_union(lists) -> list[str]:
    return list(dict.fromkeys(item for items in lists for item in items))


def engine_rows(result: dict) -> list[EngineRow]:
    engines = result["engines"].values()
    sinks = _ordered_union(e["ingest"]["sinks"] for e in engines)
    pages = {label: entry["path"] for e in engines for label, entry in e["service"].get("pages", {}).items()}
    return (_in_process_rows(result["workers"], sinks, result.get("plain_jieba") is not None)
            + _service_rows(list(QUESTIONS), pages))


def _target_cell(targets: tuple[Target, ...], size: int, checked: dict[str, float | None]) -> str:
    parts = []
    for target in targets:
        marks = [(engine, value <= target.limit) for engine, value in checked.items()
                 if target.applies_to(engine) and value is not None]
        text = target.describe(size)
        if marks and target.engine:
            text += " " + ("✓" if marks[0][1] else "✗")
        elif marks:
            text += ": " + ", ".join(f"{engine} {'✓' if ok else '✗'}" for engine, ok in marks)
        parts.append(text)
    return "; ".join(parts)


def _ratio(first: float | None, second: float | None) -> str:
    if first is None or second is None or not math.isfinite(first) or not math.isfinite(second) or first <= 0:
        return ""
    return f"{second / first:.2f}×"


def engines_table(result: dict) -> str:
    """One column per engine (an engine not run at this size says so in its heading), the ratio
    of the second to the first when there are two, and the targets."""
    size, ran = result["size"], result["engines"]
    order = result["engine_order"]
    headings = [engine if engine in ran else f"{engine} (not run)" for engine in order]
    with_ratio = len(order) == 2
    if with_ratio:
        headings.append(f"{order[1]} / {order[0]}")
    lines = [f"| {size:,} reports | {' | '.join(headings)} | target |", "|---" * (len(headings) + 2) + "|"]
    for row in engine_rows(result):
        cells = [row.cell(ran[engine]) if engine in ran else "—" for engine in order]
        if with_ratio:
            first, second = (row.number(ran[e], "value") if e in ran else None for e in order)
            cells.append(_ratio(first, second))
        checked = {engine: row.number(ran[engine], "checked") for engine in order if engine in ran}
        lines.append(f"| {row.label} | {' | '.join(cells)} | {_target_cell(row.targets, size, checked)} |")
    lines += [f"\n{engine}: {reason}." for engine, reason in result["skipped_engines"].items()]
    return "\n".join(lines)


def service_table(result: dict) -> str:
    """The service rows alone, one column per engine: a ``--service-only`` run."""
    size, ran = result["size"], result["engines"]
    order = [engine for engine in result["engine_order"] if engine in ran]
    pages = {label: entry["path"] for e in ran.values() for label, entry in e["service"].get("pages", {}).items()}
    lines = [f"| {size:,} reports, service only | {' | '.join(order)} | target |", "|---" * (len(order) + 2) + "|"]
    for row in _service_rows(list(QUESTIONS), pages):
        checked = {engine: row.number(ran[engine], "checked") for engine in order}
        lines.append(f"| {row.label} | {' | '.join(row.cell(ran[e]) for e in order)} | "
                     f"{_target_cell(row.targets, size, checked)} |")
    return "\n".join(lines)


def service_only(size: int, engines: list[str], settings: Settings) -> dict:
    """``fzkg serve`` timed on the data directories an earlier run of this size ingested."""
    ran = {}
    for engine in engines:
        data = settings.out / f"data-{size}-{engine}"
        if not (data / "reports.json").exists():
            raise SystemExit(f"--service-only: no ingested data directory {data}; run the benchmark at this size first")
        print(f"{size:,} reports, {engine}: timing the service on {data}", flush=True)
        ran[engine] = {"service": service_latencies(data, settings.out / f"serve-{size}-{engine}.log",
                                                    settings.http_repeat, settings.page_timeout)}
    return {"size": size, "machine": machine(), "engines": ran, "engine_order": engines,
            "http_repeat": settings.http_repeat, "page_timeout_s": settings.page_timeout}


def service_markdown(result: dict) -> str:
    m = result["machine"]
    return (f"### {result['size']:,} reports: the service alone\n\n"
            f"{m['date']}, {m['cores']} cores, {m['ram']} RAM, commit {m['commit'] or '?'}; the data directories "
            f"of the run above; first call, then the median and p95 of {result['http_repeat']} calls; HTTP "
            f"requests time out after {result['page_timeout_s']:.0f} s.\n\n" + service_table(result) + "\n")


def segmenter_table(result: dict) -> str:
    """What does not depend on the engine: the segmenter alone, the reference ingest is held to."""
    segmenter, plain = result["segmenter"], result.get("plain_jieba")
    workers, name = result["workers"], result["machine"]["segmenter"]
    rows = [
        [f"segmenter alone (ingest's, {name}), {workers} process(es)",
         f"{result['segmenter_reports_per_s']:.1f} reports/s, {result['segmenter_mb_per_s']:.2f} MB/s "
         f"({segmenter['seconds']:,.0f} s)"],
        ["CPU of the segmenter alone: workers (other programs)",
         f"{segmenter['workers_cpu_seconds']:,.0f} s ({segmenter['others_cpu_seconds']:,.0f} s)"],
        ["peak RSS of the segmenter alone: largest worker", _mb(segmenter["largest_worker_peak_rss_bytes"])],
    ]
    if plain:
        rows.append([f"plain jieba alone (segmenter jieba), {workers} process(es)",
                     f"{result['files'] / plain['seconds']:.1f} reports/s ({plain['seconds']:,.0f} s, "
                     f"CPU {plain['workers_cpu_seconds']:,.0f} s)"])
    lines = [f"| {result['size']:,} reports, any engine | measured |", "|---|---|"]
    lines += [f"| {label} | {measured} |" for label, measured in rows]
    return "\n".join(lines)


def markdown(result: dict) -> str:
    m = result["machine"]
    load = m.get("load_average")
    libraries = ", ".join(f"{name} {m[key]}" for name, key in (("whoosh3", "whoosh"), ("tantivy", "tantivy"),
                                                               ("pyoxigraph", "pyoxigraph"), ("waitress", "waitress"))
                          if m.get(key))
    return (f"### {result['size']:,} reports\n\n"
            f"{m['date']}, {m['cores']} cores ({m['cpu']}), {m['ram']} RAM"
            + (f" ({m['available_memory']} available at the start)" if m.get("available_memory") else "")
            + f", Python {m['python']}, segmenter {m['segmenter']} (jieba {m['jieba']}), {libraries}, "
            f"commit {m['commit'] or '?'}"
            + (f", load average {load[0]:.1f} at the start" if load else "")
            + f"; corpus seed {result['seed']}, {result['input_bytes'] / 1e6:.1f} MB of text; "
            f"{result['workers']} worker(s); HTTP requests time out after {result['page_timeout_s']:.0f} s.\n\n"
            + segmenter_table(result) + "\n\n" + engines_table(result) + "\n")


def update_results_file(result: dict, path: Path = RESULTS_FILE, part: str = "") -> None:
    begin, end = f"<!-- bench:{result['size']}{part} -->", f"<!-- /bench:{result['size']}{part} -->"
    section = f"{begin}\n{service_markdown(result) if part else markdown(result)}{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


# --- command line --------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    from search.engine import engine_names

    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N")
    parser.add_argument("--full", action="store_true", help=f"also {FULL_SIZE:,} reports")
    parser.add_argument("--engines", nargs="+", choices=engine_names(), default=None, metavar="ENGINE",
                        help=f"search engines, each ingested into its own data directory (default: "
                        f"{' '.join(DEFAULT_ENGINES)}; known: {', '.join(engine_names())})")
    parser.add_argument("--whoosh-max-size", type=int, default=None, metavar="N",
                        help=f"run Whoosh only up to N reports (default {WHOOSH_MAX_SIZE:,}, or no limit when "
                        "--engines names whoosh)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT,
                        help=f"timed runs per in-process query kind (default {DEFAULT_REPEAT}; at least {MIN_REPEAT})")
    parser.add_argument("--http-repeat", type=int, default=DEFAULT_HTTP_REPEAT,
                        help=f"timed runs per question and page over HTTP, after the first call "
                        f"(default {DEFAULT_HTTP_REPEAT}; at least {MIN_REPEAT})")
    parser.add_argument("--page-timeout", type=float, default=DEFAULT_PAGE_TIMEOUT, metavar="SECONDS",
                        help=f"give up on an HTTP request after this long (default {DEFAULT_PAGE_TIMEOUT:.0f})")
    parser.add_argument("--service-only", action="store_true",
                        help="only time the service (questions and aggregate pages over HTTP) on the data "
                        "directories an earlier run of these sizes ingested (OUT/data-SIZE-ENGINE)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-results-file", action="store_true", help=f"do not update {RESULTS_FILE.name}")
    return parser


def _whoosh_limit(args) -> int | None:
    """An explicit --whoosh-max-size wins; else naming whoosh in --engines lifts the default."""
    if args.whoosh_max_size is not None:
        return args.whoosh_max_size
    return None if args.engines and "whoosh" in args.engines else WHOOSH_MAX_SIZE


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    for name in ("repeat", "http_repeat"):
        if getattr(args, name) < MIN_REPEAT:
            parser.error(f"--{name.replace('_', '-')} must be at least {MIN_REPEAT}")
    if args.repeat < DEFAULT_REPEAT or args.http_repeat < DEFAULT_HTTP_REPEAT:
        print(f"note: fewer timed runs than the {DEFAULT_REPEAT} / {DEFAULT_HTTP_REPEAT} results are quoted with; "
              "p95 figures are rough", file=sys.stderr)
    engines = list(dict.fromkeys(args.engines or DEFAULT_ENGINES))
    sizes = list(dict.fromkeys(args.sizes + ([FULL_SIZE] if args.full else [])))
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings(out=args.out, workers=args.workers, repeat=args.repeat, http_repeat=args.http_repeat,
                        page_timeout=args.page_timeout, seed=args.seed, engines=tuple(engines))
    if args.service_only:
        for size in sizes:
            result = service_only(size, engines, settings)
            (args.out / f"results-{size}-service.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                                                   encoding="utf-8")
            print(service_markdown(result), flush=True)
            if not args.no_results_file:
                update_results_file(result, part=":service")
        return 0
    for size in sizes:
        run, skipped = engines_for(size, engines, _whoosh_limit(args))
        result = run_size(size, run, skipped, settings)
        (args.out / f"results-{size}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                                       encoding="utf-8")
        print(markdown(result), flush=True)
        if not args.no_results_file:
            update_results_file(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
