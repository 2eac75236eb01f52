"""The benchmark's synthetic corpus: deterministic, sized like real reports, and extractable —
the extractor finds the jurisdiction, year and facts each report was made to state."""
from __future__ import annotations

import sys

import pytest

from conftest import ROOT

# bench/ is not an installed package (it is not shipped); the tests import it from the checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from ingest.gazetteer import default_gazetteer  # noqa: E402
from ingest.pipeline import process  # noqa: E402
from ingest.report import Report  # noqa: E402

#: The embedded reports' own divisions and parents: a synthetic report names them only if it
#: was made for one of them.
ORIGINAL_NAMES = ("甘谷县", "宣汉县", "社旗县", "长冈乡", "洪口镇", "天水市", "达州市", "南阳市", "赣州市",
                  "巴中市", "通江县", "兴国县", "法治甘谷", "法治南阳", "宣汉司法")


def _files(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_same_seed_same_bytes_other_seed_other_text(tmp_path):
    first = generate.generate(12, tmp_path / "a", seed=7)
    generate.generate(12, tmp_path / "b", seed=7)
    generate.generate(12, tmp_path / "c", seed=8)
    assert len(first) == 12
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    a, c = _files(tmp_path / "a"), _files(tmp_path / "c")
    assert not set(a[name] for name in a if name.endswith(".txt")) & set(c[name] for name in c if name.endswith(".txt"))
    assert generate.is_generated(tmp_path / "a", 12, 7) and not generate.is_generated(tmp_path / "a", 13, 7)


def test_a_report_does_not_depend_on_the_corpus_size(tmp_path):
    generate.generate(3, tmp_path / "small")
    generate.generate(8, tmp_path / "large")
    small, large = _files(tmp_path / "small"), _files(tmp_path / "large")
    assert all(large[name] == data for name, data in small.items() if name.endswith(".txt"))


def test_sizes_titles_and_levels():
    reports = [generate.compose(i) for i in range(120)]
    for report in reports:
        size = len(report.text.encode("utf-8"))
        assert generate.MIN_BYTES <= size <= generate.MAX_BYTES, (report.index, size)
        title = "".join(report.text.split("\n")[:2]) if report.text.split("\n")[1] == "工作总结" \
            else report.text.split("\n")[0]
        assert str(report.year) in title and report.place.name in title and "法治政府建设" in title
        assert report.year in generate.YEARS
        assert report.planted.laws and report.planted.programs and report.planted.initiatives
    levels = {report.place.level for report in reports}
    assert levels == {"county", "township"}
    assert len({report.chain[0].code for report in reports}) >= 15  # across the provinces


def test_no_other_division_is_named():
    gazetteer = default_gazetteer()
    for index in range(60):
        report = generate.compose(index)
        own = {place.name for place in report.chain}
        found = gazetteer.scan(report.text)
        spans = [(start, end) for start, end, name in found if name in own]
        strays = [name for start, end, name in found
                  if name not in own and not any(s <= start and end <= e for s, e in spans)]
        assert not strays, (index, strays)
        assert not [name for name in ORIGINAL_NAMES if name in report.text and name not in own], index


def test_files_go_in_folders_of_at_most_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "FILES_PER_FOLDER", 4)
    paths = generate.generate(10, tmp_path)
    folders = {path.parent.name: 0 for path in paths}
    for path in paths:
        folders[path.parent.name] += 1
    assert folders == {"000": 4, "001": 4, "002": 2}
    planted = (tmp_path / generate.PLANTED_FILE).read_text(encoding="utf-8").splitlines()
    assert len(planted) == 11 and planted[1].startswith("000/000000-")


@pytest.fixture(scope="module")
def extracted():
    reports = [generate.compose(i, seed=1) for i in range(20)]
    return [(synthetic, process(Report(source=f"{synthetic.file_name}", original=synthetic.text)))
            for synthetic in reports]


def test_extractor_recovers_the_planted_jurisdiction_and_year(extracted):
    for synthetic, report in extracted:
        assert report.jurisdiction is not None, synthetic.index
        assert (report.jurisdiction.name, report.jurisdiction.code) == (synthetic.place.name, synthetic.place.code)
        assert [p.code for p in report.jurisdiction.parents] == [p.code for p in synthetic.chain[:-1]]
        assert not report.jurisdiction.alternatives
        assert report.year == synthetic.year
    assert {synthetic.place.level for synthetic, _ in extracted} == {"county", "township"}


def test_extractor_finds_the_planted_facts(extracted):
    planted = found = 0
    for synthetic, report in extracted:
        laws, programs = {m.key for m in report.laws}, {m.key for m in report.programs}
        initiatives = {m.name.strip("“”\"") for m in report.initiatives}
        for wanted, got in ((synthetic.planted.laws, laws), (synthetic.planted.programs, programs),
                            (synthetic.planted.initiatives, initiatives)):
            planted += len(wanted)
            found += len(set(wanted) & got)
    assert found >= 0.95 * planted, (found, planted)


def test_command_line(tmp_path, capsys):
    assert generate.main(["3", str(tmp_path / "out"), "--seed", "2"]) == 0
    assert "wrote 3 reports" in capsys.readouterr().out
    assert len(list((tmp_path / "out").rglob("*.txt"))) == 3
