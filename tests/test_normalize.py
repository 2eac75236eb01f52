"""Normalising text 1:1 and finding web-page boilerplate lines."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.normalize import TRANSLATION, find_boilerplate, normalise, prepare
from ingest.report import Report

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize("written, expected", [
    ("ＡＢＣ１２３！？％＋", "ABC123!?%+"),
    ("（一）加强领导：", "(一)加强领导:"),
    ("甲，乙；丙：丁", "甲,乙;丙:丁"),
    ("\u3000\u3000正文\u00a0结束\u2003", "  正文 结束 "),
    ("法治\u200b政府\ufeff", "法治 政府 "),
    ("“三项制度”「一」『二』＂三＂″四\"", '"三项制度""一""二""三""四"'),
    ("‘一’‚二‛", "'一''二'"),
    ("2015—2020年–2021―2022‒−－‐", "2015-2020年-2021-2022----"),
    ("甘政发〔2024〕5号", "甘政发(2024)5号"),
    ("［１］｛２｝", "[1]{2}"),
    ("一行\u2028二行\x0c三行", "一行\n二行\n三行"),
])
def test_mappings(written, expected):
    assert normalise(written) == expected


def test_kept_as_written():
    kept = "《中华人民共和国行政复议法》〈试行〉、。……【一】①"
    assert normalise(kept) == kept


def test_targets_are_never_remapped():
    """Idempotence hinges on this: no character is mapped to one that is mapped again."""
    assert not {ord(target) for target in TRANSLATION.values()} & set(TRANSLATION)


@given(st.text())
def test_same_length(text):
    assert len(normalise(text)) == len(text)


@given(st.text())
def test_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_offsets_carry_over(text):
    normalised = normalise(text)
    for i, char in enumerate(text):
        assert (normalised[i] == char) or (ord(char) in TRANSLATION)


# --------------------------------------------------------------------------- boilerplate

@pytest.mark.parametrize("line", [
    "扫一扫在手机打开当前页",
    "甘公网安备62052302000005号",
    "京公网安备 11010502030143号",
    "蜀ICP备05001234号-1",
    "打印本页 关闭窗口",
    "【打印本页】【关闭窗口】",
    "【字体：大 中 小】",
    "【字体:大 中 小】 【打印】 【关闭】",
    "分享到：",
    "版权所有：某某县人民政府",
    "主办单位：某某县人民政府办公室 技术支持：某某网络科技有限公司",
    "网站标识码：6205230001 | 甘ICP备05001234号",
    "浏览次数：1234",
    "访问量：",
    "上一篇：某某县召开依法治县工作会议",
    "下一篇：没有了",
    "当前位置：首页 > 政务公开 > 法治政府建设",
    "Copyright © 2024 某某县人民政府 All Rights Reserved",
    "\u3000\u3000扫一扫在手机打开当前页\u3000",
])
def test_boilerplate_lines(line):
    text = f"第一句。\n{line}\n最后一句。"
    start = text.index(line)
    assert find_boilerplate(text) == [(start, start + len(line))]
    assert find_boilerplate(normalise(text)) == [(start, start + len(line))]


@pytest.mark.parametrize("line", [
    "来源：某某县人民政府",
    "2024-03-29 13:09 来源: 某某县某某镇人民政府",
    "发布时间：2024-03-29 来源：某某县司法局 浏览次数：12 【字体：大 中 小】",
    "当前位置：首页 > 政务公开 发布时间：2024-03-29 来源：某某县司法局",
    "本次活动主办单位：县司法局，承办单位：县普法办。",
    "二是规范执法，打印本页内容。",
    "一是加强版权保护执法，严厉打击侵犯版权行为。",
    "",
    "   ",
])
def test_not_boilerplate(line):
    assert find_boilerplate(f"第一句。\n{line}\n最后一句。") == []


def test_prepare_blanks_boilerplate_and_keeps_length():
    original = "报告标题\n发布时间：2024-01-02\n正文第一句。\n扫一扫在手机打开当前页\n甘公网安备62052302000005号"
    report = prepare(Report(source="x", original=original))
    assert len(report.text) == len(original)
    assert report.boilerplate == [(original.index("扫一扫"), original.index("扫一扫") + 11),
                                  (original.index("甘公网安备"), len(original))]
    assert report.text.split("\n")[-2:] == [" " * len("扫一扫在手机打开当前页"), " " * len("甘公网安备62052302000005号")]
    assert report.text.split("\n")[:3] == ["报告标题", "发布时间:2024-01-02", "正文第一句。"]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_corpus_boilerplate_is_exactly_the_page_furniture(path):
    original = path.read_text(encoding="utf-8")
    report = prepare(Report(source=str(path), original=original))
    blanked = {original[start:end] for start, end in report.boilerplate}
    furniture = {line for line in original.split("\n") if "扫一扫" in line or "公网安备" in line}
    assert blanked == furniture
    assert len(report.text) == len(original)


def test_corpus_has_web_page_furniture_to_find():
    lines = [line for path in CORPUS.glob("*.txt") for line in path.read_text(encoding="utf-8").split("\n")
             if "扫一扫" in line or "公网安备" in line]
    assert len(lines) >= 2
