"""Benchmark: ingest throughput against jieba alone, index size, and warm query latency.

``python -m bench.run [--sizes 1000 10000] [--full] [--workers 2] [--out bench/out]``

For each size N (``--full`` adds 100,000), in one run:

1. the synthetic corpus of N reports (``bench.generate``), made once and kept in OUT/corpus-N;
2. **jieba alone**: the same files read and segmented by the project's segmenter
   (``ingest.segment.default_segmenter()``) in as many worker processes as ingest uses, started
   the same way, dictionary loading included. Nothing else is done with the words;
3. **ingest** into a fresh OUT/data-N by ``fzkg ingest``'s own function (graph, texts,
   registry, and every sink it keeps in step: the Whoosh index, the summaries), wall time from
   start to the last commit. Ingest time over jieba time
   is the figure that matters: how much the rest of ingest costs on top of the segmentation it
   cannot avoid;
4. size on disk of the graph store, the index and the texts;
5. query latency, warm (each query run once before timing), median and 95th percentile over at
   least ``--repeat`` runs per kind: word, AND, phrase with highlighted snippets (the first page of
   20 hits, as the search page shows it), phrase with a facet filter and facet counts, and the
   first page (100 lines) of a concordance of a frequent phrase.

Results: a Markdown table on stdout, ``OUT/results-N.json``, and the table in ``bench/RESULTS.md``
(the section of that size replaced, with the machine it ran on). Targets (for 10,000 reports,
Whoosh) are printed beside the measurements.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import generate

ROOT = Path(__file__).resolve().parents[1]
RESULTS_FILE = ROOT / "bench" / "RESULTS.md"
DEFAULT_SIZES = (1000, 10000)
FULL_SIZE = 100_000
SEED = 0

#: Targets at 10,000 reports with Whoosh.
TARGET_INGEST_RATIO = 2.0
TARGET_WORD_P95_MS = 100.0
TARGET_PHRASE_P95_MS = 300.0

WORD_QUERIES = ("行政复议", "法律顾问", "行政执法", "矛盾纠纷", "普法", "合法性审查", "营商环境", "法律援助",
                "人民调解", "规范性文件")
AND_QUERIES = ("行政复议 AND 法律顾问", "普法 AND 矛盾纠纷", "行政执法 AND 营商环境", "法律援助 AND 人民调解",
               "合法性审查 AND 规范性文件", "行政复议 法律援助")
FACET_FILTERS = ("year:2020..2024", "province:四川省", "level:county", "year:2023", "province:河南省")
KWIC_PHRASES = ("法治政府建设", "行政复议", "法律明白人")
#: Phrases drawn from the corpus for the phrase queries, besides 法律明白人.
DRAWN_PHRASES = 9
KWIC_PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 20
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{4,8}")


# --- jieba alone ----------------------------------------------------------------------------------

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
    with TreeCPU() as cpu:
        start = time.perf_counter()
        if workers <= 1:
            counts = [_segment_files(c, backend) for c in chunks]
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as pool:
                counts = list(pool.map(_segment_files, chunks, [backend] * len(chunks)))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "words": sum(w for w, _ in counts), "chars": sum(c for _, c in counts),
            **cpu.to_json()}


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


class TreeCPU:
    """CPU seconds of this process and every process under it, on Linux (/proc).

    Workers are children of the fork server, not of this process, so ``getrusage`` never sees
    them; and a worker's time is gone once it exits, so a thread samples the tree while it runs.
    The machine's busy time is kept too: the difference is what other programs took meanwhile.
    """

    INTERVAL = 0.25

    def __init__(self):
        self._base: dict[tuple[int, int], float] = {}
        self._last: dict[tuple[int, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _tree(self) -> dict[tuple[int, int], float]:
        parents, cpu = {}, {}
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
            pid = int(name)
            parents[pid] = int(fields[1])
            # utime, stime; the start time tells a reused pid from its predecessor
            cpu[(pid, int(fields[19]))] = (int(fields[11]) + int(fields[12])) / self._tick
        ours, frontier = {os.getpid()}, [os.getpid()]
        children: dict[int, list[int]] = {}
        for pid, parent in parents.items():
            children.setdefault(parent, []).append(pid)
        while frontier:
            for child in children.get(frontier.pop(), ()):
                if child not in ours:
                    ours.add(child)
                    frontier.append(child)
        return {key: seconds for key, seconds in cpu.items() if key[0] in ours}

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self._last.update(self._tree())

    def __enter__(self) -> "TreeCPU":
        self._base = self._tree()
        self._machine = _machine_cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._last.update(self._tree())
        busy, idle = _machine_cpu()
        self.machine_busy = busy - self._machine[0]
        self.machine_idle = idle - self._machine[1]
        me = [key for key in self._last if key[0] == os.getpid()]
        self.own = sum(self._last[k] - self._base.get(k, 0.0) for k in me)
        self.tree = sum(seconds - self._base.get(key, 0.0) for key, seconds in self._last.items())

    def to_json(self) -> dict:
        return {"writer_cpu_seconds": self.own, "workers_cpu_seconds": self.tree - self.own,
                "machine_busy_seconds": self.machine_busy,
                "others_cpu_seconds": max(0.0, self.machine_busy - self.tree),
                "machine_busy_share": self.machine_busy / max(1e-9, self.machine_busy + self.machine_idle)}


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


def ingest(corpus: Path, data: Path, workers: int) -> dict:
    """``fzkg ingest --quiet --workers W CORPUS`` into a fresh ``data``, timed, with the time spent
    in each sink and in the graph store's bulk loads counted where they happen."""
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
        with TreeCPU() as cpu:
            start = time.perf_counter()
            result = command.run_ingest([corpus], DataDir.at(data), quiet=True, workers=workers)
            seconds = time.perf_counter() - start
    finally:
        command.ingest_paths, GraphStore.load_nquads = ingest_paths, load
    return {"seconds": seconds, "reports": len(result.ingested), "failures": [str(f) for f in result.failures],
            **cpu.to_json(),
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


# --- queries -----------------------------------------------------------------------------------------

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


def _latencies(call, arguments: list, repeat: int) -> dict:
    for argument in arguments:  # warm: files paged in, searcher and caches built
        call(argument)
    times, cpu_times = [], []
    runs = max(repeat, len(arguments))
    for i in range(runs):
        argument = arguments[i % len(arguments)]
        start, cpu_start = time.perf_counter(), time.thread_time()
        call(argument)
        times.append((time.perf_counter() - start) * 1000)
        # CPU time of the query itself: on a shared machine, wall time also counts waiting for a core
        cpu_times.append((time.thread_time() - cpu_start) * 1000)
    return {"runs": runs, "median_ms": statistics.median(times), "p95_ms": _p95(times), "max_ms": max(times),
            "cpu_median_ms": statistics.median(cpu_times), "cpu_p95_ms": _p95(cpu_times)}


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


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
        results["kwic"] = _latencies(lambda p: index.concordance(p, page=1, page_size=KWIC_PAGE_SIZE),
                                     list(KWIC_PHRASES), repeat)
        results["matches"] = {q: index.search(q, page_size=1, facets=False).total
                              for q in (*WORD_QUERIES[:3], *AND_QUERIES[:2], *phrases[:3], *facet_queries[:2])}
        results["kwic_occurrences"] = {p: index.concordance(p, page=1, page_size=1).total for p in KWIC_PHRASES}
    results["phrases"] = phrases
    results["facet_queries"] = facet_queries
    return results


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


def run_size(size: int, out: Path, workers: int, repeat: int, seed: int) -> dict:
    described = machine()  # before the run: the commit measured, and how busy the machine was
    corpus = corpus_for(size, out, seed)
    paths = sorted(p for p in corpus.rglob("*.txt"))
    input_bytes = sum(p.stat().st_size for p in paths)
    print(f"[{size}] jieba alone, {workers} process(es) …", file=sys.stderr, flush=True)
    jieba = jieba_alone(paths, workers)
    classic = None
    if described["segmenter"] != "jieba":
        # for comparison with the targets, which were set against plain jieba
        print(f"[{size}] jieba: {jieba['seconds']:.1f} s; plain jieba alone …", file=sys.stderr, flush=True)
        classic = jieba_alone(paths, workers, backend="jieba")
    print(f"[{size}] jieba: {jieba['seconds']:.1f} s; ingest …", file=sys.stderr, flush=True)
    data = out / f"data-{size}"
    ingested = ingest(corpus, data, workers)
    print(f"[{size}] ingest: {ingested['seconds']:.1f} s; queries …", file=sys.stderr, flush=True)
    queries = query_latencies(data, paths, repeat, seed)
    return {
        "size": size, "files": len(paths), "workers": workers, "seed": seed, "input_bytes": input_bytes,
        "jieba": jieba, "plain_jieba": classic, "ingest": ingested,
        "ingest_reports_per_s": ingested["reports"] / ingested["seconds"],
        "ingest_mb_per_s": input_bytes / 1e6 / ingested["seconds"],
        "jieba_reports_per_s": len(paths) / jieba["seconds"],
        "jieba_mb_per_s": input_bytes / 1e6 / jieba["seconds"],
        "ingest_over_jieba": ingested["seconds"] / jieba["seconds"],
        # CPU seconds do not count the time other programs took the cores: the ratio that a
        # shared machine does not distort
        "ingest_cpu_over_jieba_cpu": (ingested["writer_cpu_seconds"] + ingested["workers_cpu_seconds"])
        / max(1e-9, jieba["writer_cpu_seconds"] + jieba["workers_cpu_seconds"]),
        "jurisdiction_recovered": planted_recovered(corpus, data),
        "disk": {"graph_bytes": disk_bytes(data / "graph"), "index_bytes": disk_bytes(data / "index"),
                 "texts_bytes": disk_bytes(data / "texts")},
        "queries": queries,
        "machine": described,
    }


# --- reporting -------------------------------------------------------------------------------------

def machine() -> dict:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
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
    from importlib.metadata import version

    from ingest.segment import default_segmenter

    return {"cores": os.cpu_count(), "cpu": cpu, "ram": memory, "python": platform.python_version(),
            "system": platform.platform(), "date": dt.datetime.now().isoformat(timespec="minutes"),
            "commit": commit, "segmenter": default_segmenter().backend, "jieba": version("jieba"),
            "whoosh": version("whoosh3"), "pyoxigraph": version("pyoxigraph"),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def _target(size: int, text: str) -> str:
    return text if size == 10000 else f"({text} at 10k)"


def table(result: dict) -> str:
    size, q, ing, jieba = result["size"], result["queries"], result["ingest"], result["jieba"]
    ratio = result["ingest_over_jieba"]

    def check(ok: bool, text: str) -> str:
        return _target(size, text) + (" ✓" if ok else " ✗")

    def latency(kind: str, target: float | None) -> list[str]:
        row = q[kind]
        measured = (f"median {row['median_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms ({row['runs']} runs; "
                    f"CPU median {row['cpu_median_ms']:.1f}, p95 {row['cpu_p95_ms']:.1f})")
        return [measured, check(row["p95_ms"] <= target, f"p95 ≤ {target:.0f} ms") if target else ""]

    rows = [
        [f"ingest, {result['workers']} worker(s)",
         f"{result['ingest_reports_per_s']:.1f} reports/s, {result['ingest_mb_per_s']:.2f} MB/s ({ing['seconds']:.0f} s)",
         ""],
        [f"jieba alone (ingest's segmenter, {result['machine']['segmenter']}), {result['workers']} process(es)",
         f"{result['jieba_reports_per_s']:.1f} reports/s, {result['jieba_mb_per_s']:.2f} MB/s ({jieba['seconds']:.0f} s)",
         ""],
        ["ingest time / jieba time", f"{ratio:.2f}×", check(ratio <= TARGET_INGEST_RATIO, f"≤ {TARGET_INGEST_RATIO:.0f}×")],
        ["ingest CPU / jieba CPU (not distorted by other programs)", f"{result['ingest_cpu_over_jieba_cpu']:.2f}×",
         ""],
    ]
    classic = result.get("plain_jieba")
    if classic:
        rows += [
            [f"plain jieba alone (segmenter jieba), {result['workers']} process(es)",
             f"{result['files'] / classic['seconds']:.1f} reports/s ({classic['seconds']:.0f} s, "
             f"CPU {classic['workers_cpu_seconds']:.0f} s)", ""],
            ["ingest time / plain jieba time", f"{ing['seconds'] / classic['seconds']:.2f}×",
             check(ing["seconds"] / classic["seconds"] <= TARGET_INGEST_RATIO, f"≤ {TARGET_INGEST_RATIO:.0f}×")],
        ]
    rows += [
        ["CPU of ingest: writer / workers (other programs)",
         f"{ing['writer_cpu_seconds']:.0f} s / {ing['workers_cpu_seconds']:.0f} s ({ing['others_cpu_seconds']:.0f} s)",
         ""],
        ["CPU of jieba alone: workers (other programs)",
         f"{jieba['workers_cpu_seconds']:.0f} s ({jieba['others_cpu_seconds']:.0f} s)", ""],
        *[[f"writer: {name} add / commit", f"{times['add_seconds']:.0f} s / {times['commit_seconds']:.0f} s", ""]
          for name, times in ing.get("sinks", {}).items()],
        ["writer: graph store bulk loads", f"{ing['graph_load_seconds']:.0f} s", ""],
        ["planted jurisdiction recovered", f"{result['jurisdiction_recovered']:.1%}", ""],
        ["graph store on disk", _mb(result["disk"]["graph_bytes"]), ""],
        ["search index on disk", _mb(result["disk"]["index_bytes"]), ""],
        ["report texts on disk", _mb(result["disk"]["texts_bytes"]), ""],
        ["word query (行政复议 …)", *latency("word", TARGET_WORD_P95_MS)],
        ["AND query (行政复议 AND 法律顾问 …)", *latency("and", None)],
        ['phrase + highlight ("法律明白人", drawn phrases)', *latency("phrase", TARGET_PHRASE_P95_MS)],
        ["phrase + facet filter + facet counts", *latency("facet", TARGET_PHRASE_P95_MS)],
        [f"KWIC, first page of {KWIC_PAGE_SIZE} lines (法治政府建设 …)", *latency("kwic", None)],
    ]
    lines = [f"| {size:,} reports | measured | target |", "|---|---|---|"]
    lines += [f"| {name} | {measured} | {target} |" for name, measured, target in rows]
    return "\n".join(lines)


def markdown(result: dict) -> str:
    m = result["machine"]
    load = m.get("load_average")
    return (f"### {result['size']:,} reports\n\n"
            f"{m['date']}, {m['cores']} cores ({m['cpu']}), {m['ram']} RAM, Python {m['python']}, "
            f"segmenter {m['segmenter']} (jieba {m['jieba']}), whoosh3 {m['whoosh']}, pyoxigraph {m['pyoxigraph']}, "
            f"commit {m['commit'] or '?'}"
            + (f", load average {load[0]:.1f} at the start" if load else "")
            + f"; corpus seed {result['seed']}, {result['input_bytes'] / 1e6:.1f} MB of text.\n\n"
            + table(result) + "\n")


def update_results_file(result: dict, path: Path = RESULTS_FILE) -> None:
    begin, end = f"<!-- bench:{result['size']} -->", f"<!-- /bench:{result['size']} -->"
    section = f"{begin}\n{markdown(result)}{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N")
    parser.add_argument("--full", action="store_true", help=f"also {FULL_SIZE:,} reports")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--repeat", type=int, default=60, help="timed runs per query kind (at least 50)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-results-file", action="store_true", help=f"do not update {RESULTS_FILE.name}")
    args = parser.parse_args(argv)
    if args.repeat < 50:
        parser.error("--repeat must be at least 50")
    sizes = list(dict.fromkeys(args.sizes + ([FULL_SIZE] if args.full else [])))
    args.out.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        result = run_size(size, args.out, args.workers, args.repeat, args.seed)
        (args.out / f"results-{size}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                                       encoding="utf-8")
        print(markdown(result), flush=True)
        if not args.no_results_file:
            update_results_file(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
