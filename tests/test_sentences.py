"""Sentence splitting: boundaries, offsets into the original, and boilerplate."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.normalize import prepare
from ingest.report import Report
from ingest.sentences import split_sentences

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.txt"))


def sentences_of(original: str) -> list[str]:
    report = split_sentences(prepare(Report(source="test", original=original)))
    return [sentence.text for sentence in report.sentences]


@pytest.mark.parametrize("original, expected", [
    ("一是加强领导。二是完善制度！三是严格执法？", ["一是加强领导。", "二是完善制度！", "三是严格执法？"]),
    ("真的吗？！是的。。好", ["真的吗？！", "是的。。", "好"]),
    ("他说：“要依法行政。”然后落实。", ["他说：“要依法行政。”", "然后落实。"]),
    ("坚持“谁执法谁普法”。“八五”普法全面实施。", ["坚持“谁执法谁普法”。", "“八五”普法全面实施。"]),
    ("强调“……。”（注：见附件。）下一句。", ["强调“……。”", "（注：见附件。）", "下一句。"]),
    ("引用《规定》。》后", ["引用《规定》。》", "后"]),
    ('he said "go!" then "stop?" ok', ['he said "go!"', 'then "stop?"', "ok"]),
    ("version 1.2. next", ["version 1.2. next"]),
    ("行政复议；行政应诉、行政调解。", ["行政复议；行政应诉、行政调解。"]),
    ("发放资料1.8万余册，增长2.5%。", ["发放资料1.8万余册，增长2.5%。"]),
    ("1.认真落实党委领导。2.加强执法监督", ["1.认真落实党委领导。", "2.加强执法监督"]),
    ("一、工作情况\n（一）健全机制\n正文。", ["一、工作情况", "（一）健全机制", "正文。"]),
    ("\u3000\u3000首行缩进的段落。  \n\n\n  末段  ", ["首行缩进的段落。", "末段"]),
    ("见 http://www.gov.cn/a?id=3&b=4 网页。", ["见 http://www.gov.cn/a?id=3&b=4 网页。"]),
    ("《中华人民共和国行政处罚法》。下句", ["《中华人民共和国行政处罚法》。", "下句"]),
])
def test_boundaries(original, expected):
    assert sentences_of(original) == expected


def test_boilerplate_lines_give_no_sentence():
    original = "正文一句。\n扫一扫在手机打开当前页\n【字体：大 中 小】 打印本页\n来源：某县人民政府"
    assert sentences_of(original) == ["正文一句。", "来源：某县人民政府"]


def test_spans_inside_boilerplate_are_skipped_even_if_not_blanked():
    original = "正文一句。\n扫一扫在手机打开当前页"
    start = original.index("扫")
    report = Report(source="t", original=original, text=original, boilerplate=[(start, len(original))])
    assert [s.text for s in split_sentences(report).sentences] == ["正文一句。"]


def test_offsets_refer_to_the_original_not_the_normalised_text():
    original = "（一）“三项制度”落实到位。\u3000第二句，全角１２３！"
    report = split_sentences(prepare(Report(source="t", original=original)))
    assert [(s.start, s.end) for s in report.sentences] == [(0, 14), (15, len(original))]
    assert [s.text for s in report.sentences] == ["（一）“三项制度”落实到位。", "第二句，全角１２３！"]


def test_text_of_another_length_is_refused():
    with pytest.raises(ValueError):
        split_sentences(Report(source="t", original="一句。", text="一句。。"))


def check_invariants(report: Report) -> None:
    previous_end = 0
    for sentence in report.sentences:
        assert sentence.text == report.original[sentence.start:sentence.end]
        assert previous_end <= sentence.start < sentence.end
        assert sentence.text == sentence.text.strip()
        assert "\n" not in sentence.text
        previous_end = sentence.end


@given(st.text(alphabet=st.sampled_from("法治政府。！？!?”“‘’\"'（）()《》.,，；、\n \u3000\r12abc扫一打印本页")))
def test_invariants_on_any_text(original):
    report = split_sentences(prepare(Report(source="t", original=original)))
    check_invariants(report)
    covered = set()
    for sentence in report.sentences:
        covered.update(range(sentence.start, sentence.end))
    # Nothing readable is lost: every non-space character outside boilerplate is in a sentence.
    for i, char in enumerate(report.text):
        if not char.isspace():
            assert i in covered


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_sentences(path):
    original = path.read_text(encoding="utf-8")
    report = split_sentences(prepare(Report(source=str(path), original=original)))
    assert len(report.sentences) > 20
    check_invariants(report)
    for start, end in report.boilerplate:
        assert not any(s.start < end and start < s.end for s in report.sentences)
    # Every line starts a sentence: headings and title lines stand alone.
    starts = {s.start for s in report.sentences}
    offset = 0
    for line in report.text.split("\n"):
        if line.strip():
            assert offset + len(line) - len(line.lstrip()) in starts
        offset += len(line) + 1


def test_corpus_web_page_furniture_gives_no_sentence():
    found = 0
    for path in CORPUS_FILES:
        original = path.read_text(encoding="utf-8")
        report = split_sentences(prepare(Report(source=str(path), original=original)))
        texts = [s.text for s in report.sentences]
        for line in original.split("\n"):
            if "扫一扫" in line or "公网安备" in line:
                found += 1
                assert not any(line.strip() in text or text in line for text in texts)
        # The publication line of a web page is evidence, not furniture.
        for line in original.split("\n"):
            if "来源" in line and len(line) < 60:
                assert line.strip() in texts
    assert found >= 2
