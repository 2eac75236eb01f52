"""The benchmark command on a tiny corpus: each engine ingested into its own data directory, timed
in process and through the running service, and reported side by side. The figures themselves are
not judged (performance is measured by the benchmark, never in a unit test), only that they are
there and mean what they say."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import ROOT

# bench/ is not an installed package (it is not shipped); the tests import it from the checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402

#: Reports in the tiny run: enough that every question of the benchmark has answer rows, few
#: enough that the service builds its links graph in seconds (that build grows faster than the
#: corpus: about 5 s at 10 reports, over a minute at 40, on 2 shared cores).
SIZE = 10
ENGINES = ("whoosh", "tantivy")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    results_file = run.RESULTS_FILE.read_bytes() if run.RESULTS_FILE.exists() else None
    assert run.main(["--sizes", str(SIZE), "--repeat", "5", "--http-repeat", "5", "--workers", "2",
                     "--out", str(out), "--no-results-file"]) == 0
    # --no-results-file leaves the quoted results alone
    assert (run.RESULTS_FILE.read_bytes() if run.RESULTS_FILE.exists() else None) == results_file
    return out, json.loads((out / f"results-{SIZE}.json").read_text(encoding="utf-8"))


def test_each_engine_has_its_own_data_directory_with_the_engine_recorded(tiny_run):
    out, result = tiny_run
    assert result["engine_order"] == list(ENGINES) and not result["skipped_engines"]
    for engine in ENGINES:
        data = out / f"data-{SIZE}-{engine}"
        assert json.loads((data / "settings.json").read_text(encoding="utf-8"))["engine"] == engine
        assert result["engines"][engine]["data_dir"] == str(data)
        assert result["engines"][engine]["ingest"]["reports"] == SIZE


def test_both_engines_have_in_process_and_http_latencies(tiny_run):
    _, result = tiny_run
    assert result["segmenter"]["seconds"] > 0
    for engine in ENGINES:
        measured = result["engines"][engine]
        assert measured["ingest_over_segmenter"] > 0
        for kind in ("word", "and", "phrase", "facet", "kwic_first_page"):
            assert measured["queries"][kind]["runs"] >= 5 and measured["queries"][kind]["p95_ms"] > 0, kind
        # a full count reads every matching report: timed a few times only
        assert measured["queries"]["kwic_counts"]["runs"] == len(run.KWIC_PHRASES)
        assert all(count > 0 for count in measured["queries"]["kwic_occurrences"].values())
        service = measured["service"]
        assert "error" not in service, service
        for question, entry in service["questions"].items():
            assert entry["runs"] == 5 and 0 < entry["median_ms"] <= entry["max_ms"], question
        paths = {entry["path"] for entry in service["pages"].values()}
        assert {"/index.json", "/dump.json", "/links.json", "/links/related.json", "/links/timeline.json"} <= paths
        assert any(path.startswith("/id/program/") for path in paths)
        for label, entry in service["pages"].items():
            assert entry["status"] == 200 and entry["first_ms"] > 0 and entry["p95_ms"] > 0, label


def test_the_questions_have_answer_rows(tiny_run):
    # every question the benchmark times is answered from synthetic reports (programs of the
    # scheme, laws of the list, initiatives of the embedded reports): an empty answer would time
    # a shortcut, not the work
    _, result = tiny_run
    for engine in ENGINES:
        questions = result["engines"][engine]["service"]["questions"]
        assert list(questions) == list(run.QUESTIONS)
        for question, entry in questions.items():
            assert entry["understood"] and entry["answers"] > 0, (engine, question, entry)


def test_memory_of_ingest_and_service(tiny_run):
    _, result = tiny_run
    assert result["segmenter"]["largest_worker_peak_rss_bytes"] > 0
    for engine in ENGINES:
        ingested, service = result["engines"][engine]["ingest"], result["engines"][engine]["service"]
        assert ingested["writer_peak_rss_bytes"] > 0 and ingested["largest_worker_peak_rss_bytes"] > 0
        assert ingested["tree_peak_rss_bytes"] >= ingested["largest_worker_peak_rss_bytes"]
        assert service["service_peak_rss_bytes"] > 0 and service["tree_peak_rss_bytes"] > 0
        assert service["sparql_worker_processes"] >= 1 and service["sparql_workers_peak_rss_bytes_sum"] > 0


def test_the_table_has_a_column_per_engine_and_their_ratio(tiny_run):
    _, result = tiny_run
    text = run.markdown(result)
    assert "tantivy 0." in text.split("\n\n")[1]  # the machine line names the engines' versions
    assert f"| {SIZE:,} reports | whoosh | tantivy | tantivy / whoosh | target |" in text
    # label → (whoosh, tantivy, ratio, target)
    rows = {cells[0]: cells[1:] for line in text.splitlines() if line.startswith("| ")
            for cells in [[cell.strip() for cell in line.strip("|").split(" | ")]]}
    for label in ("ingest time / segmenter time", "peak RSS of ingest: writer / largest worker / tree at once (sampled)",
                  f"question: {run.QUESTIONS[0]}", "KWIC, total count of occurrences"):
        whoosh, tantivy, ratio, _ = rows[label]
        assert whoosh not in ("", "—") and tantivy not in ("", "—") and ratio.endswith("×"), (label, rows[label])
    service_memory = next(cells for label, cells in rows.items() if label.startswith("peak RSS of the service"))
    assert service_memory[3] == "≤ 2 GB: whoosh ✓, tantivy ✓"


def test_the_service_alone_is_timed_on_the_data_a_run_ingested(tiny_run):
    out, _ = tiny_run
    assert run.main(["--sizes", str(SIZE), "--engines", "tantivy", "--http-repeat", "5", "--out", str(out),
                     "--service-only", "--no-results-file"]) == 0
    result = json.loads((out / f"results-{SIZE}-service.json").read_text(encoding="utf-8"))
    service = result["engines"]["tantivy"]["service"]
    assert all(entry["status"] == 200 and entry["p95_ms"] > 0 for entry in service["questions"].values())
    text = run.service_markdown(result)
    assert f"| {SIZE:,} reports, service only | tantivy | target |" in text
    assert f"question: {run.QUESTIONS[0]}" in text
    # a size never ingested is named, not timed
    with pytest.raises(SystemExit, match="data-7-tantivy"):
        run.main(["--sizes", "7", "--engines", "tantivy", "--out", str(out), "--service-only", "--no-results-file"])


def test_an_engine_not_run_says_why(tiny_run):
    _, result = tiny_run
    without_whoosh = {**result, "engines": {"tantivy": result["engines"]["tantivy"]},
                      "skipped_engines": run.engines_for(run.FULL_SIZE, list(ENGINES), run.WHOOSH_MAX_SIZE)[1]}
    text = run.engines_table(without_whoosh)
    assert "| whoosh (not run) | tantivy | tantivy / whoosh | target |" in text
    assert "whoosh: not run above 10,000 reports" in text


def test_whoosh_is_left_out_above_its_limit_unless_named():
    parser = run._parser()
    assert run.engines_for(run.FULL_SIZE, list(ENGINES), run.WHOOSH_MAX_SIZE)[0] == ["tantivy"]
    assert run.engines_for(10_000, list(ENGINES), run.WHOOSH_MAX_SIZE)[0] == list(ENGINES)
    assert run._whoosh_limit(parser.parse_args([])) == run.WHOOSH_MAX_SIZE
    assert run._whoosh_limit(parser.parse_args(["--engines", "whoosh", "tantivy"])) is None
    assert run._whoosh_limit(parser.parse_args(["--engines", "tantivy"])) == run.WHOOSH_MAX_SIZE
    assert run._whoosh_limit(parser.parse_args(["--engines", "whoosh", "--whoosh-max-size", "500"])) == 500


class SlowLinksService:
    """A service whose links graph is never built in time."""

    def get(self, path, params=None, timeout=1.0):
        if path == "/links.json":
            raise run.RequestTimedOut(path)
        if path.startswith("/links/"):
            raise AssertionError(f"{path} asked after the links graph timed out")
        body = {"statistics": {"top_programs": [{"url": "/id/program/p"}], "top_laws": []}}
        return 200, json.dumps(body).encode(), 1.0


def test_pages_sharing_a_cost_that_timed_out_are_not_asked():
    pages = run.page_latencies(SlowLinksService(), repeat=5, timeout=1.0)
    overview = next(entry for entry in pages.values() if entry["path"] == "/links.json")
    assert overview["timed_out_after_s"] == 1.0
    assert run._http_text(overview) == "no answer within 1 s"
    skipped = [entry for entry in pages.values() if entry["path"].startswith("/links/")]
    assert len(skipped) == 3 and all("links graph" in entry["skipped"] for entry in skipped)
    assert next(entry for entry in pages.values() if entry["path"] == "/id/program/p.json")["runs"] == 5
