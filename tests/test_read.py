"""Reading report files: encodings, formats and the errors for files that cannot be read."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest.read import ReadError, read_report

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SAMPLE = ("2024年甘谷县法治政府建设工作总结\n一、主要举措和成效\n"
          "一是加强组织领导，制定《2024年甘谷县法治政府建设工作要点》。二是办理行政复议案件12件；"
          "发放宣传资料1.8万余册。\n“八五”普法规划全面落实。\n")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def reason_of(path) -> str:
    with pytest.raises(ReadError) as caught:
        read_report(path)
    return caught.value.reason


# --------------------------------------------------------------------------- text files

@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_corpus_reads_as_published(name):
    path = CORPUS / name
    report = read_report(path)
    assert report.original == path.read_text(encoding="utf-8")
    assert (report.format, report.encoding) == ("txt", "utf-8")


def test_source_is_the_path_exactly_as_given(tmp_path, monkeypatch):
    write(tmp_path, "a.txt", SAMPLE.encode())
    monkeypatch.chdir(tmp_path)
    assert read_report("./a.txt").source == "./a.txt"
    assert read_report(tmp_path / "a.txt").source == str(tmp_path / "a.txt")


GB2312_SAMPLE = SAMPLE.replace("“八五”", "八五")
RARE_SAMPLE = SAMPLE + "䶮\n"  # a character outside GBK


@pytest.mark.parametrize("encoding, text, data", [
    ("utf-8", SAMPLE, SAMPLE.encode("utf-8")),
    ("utf-8-sig", SAMPLE, codecs.BOM_UTF8 + SAMPLE.encode("utf-8")),
    ("utf-16-le", SAMPLE, codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le")),
    ("utf-16-be", SAMPLE, codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be")),
    ("utf-16-le", SAMPLE, SAMPLE.encode("utf-16-le")),
    ("utf-16-be", SAMPLE, SAMPLE.encode("utf-16-be")),
    ("gb18030", SAMPLE, SAMPLE.encode("gbk")),
    ("gb18030", GB2312_SAMPLE, GB2312_SAMPLE.encode("gb2312")),
    ("gb18030", RARE_SAMPLE, RARE_SAMPLE.encode("gb18030")),
])
def test_encodings(tmp_path, encoding, text, data):
    report = read_report(write(tmp_path, "r.txt", data))
    assert (report.original, report.encoding) == (text, encoding)


def test_every_encoding_gives_the_same_text(tmp_path):
    texts = {read_report(write(tmp_path, f"{codec}.txt", SAMPLE.encode(codec))).original
             for codec in ("utf-8", "utf-16-le", "utf-16-be", "gbk", "gb18030")}
    assert texts == {SAMPLE}


def test_big5_is_read_through_the_last_resort_hint(tmp_path):
    text = "法治政府建設工作報告。一是加強領導，二是完善制度，三是嚴格執法。全縣共辦理行政復議案件。\n" * 3
    report = read_report(write(tmp_path, "big5.txt", text.encode("big5")))
    assert report.original == text
    assert "big5" in report.encoding


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_line_endings_become_newlines(tmp_path, ending):
    report = read_report(write(tmp_path, "r.txt", SAMPLE.replace("\n", ending).encode("gbk")))
    assert report.original == SAMPLE


def test_text_extension(tmp_path):
    assert read_report(write(tmp_path, "r.TEXT", SAMPLE.encode())).original == SAMPLE


# --------------------------------------------------------------------------- errors

def test_read_error_is_one_line_with_path_and_reason(tmp_path):
    error = ReadError(tmp_path / "x.txt", "first\nsecond")
    assert error.path == str(tmp_path / "x.txt")
    assert error.reason == "first second"
    assert str(error) == f"{tmp_path / 'x.txt'}: first second"


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(ReadError) as caught:
        read_report(path)
    assert caught.value.path == str(path)
    assert "no such file" in caught.value.reason
    assert "\n" not in str(caught.value)


def test_directory(tmp_path):
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert "directory" in reason_of(folder)


def test_unsupported_format(tmp_path):
    path = write(tmp_path, "r.xyz", SAMPLE.encode())
    with pytest.raises(ReadError) as caught:
        read_report(path)
    assert caught.value.reason == "unsupported format '.xyz' (supported: .txt, .html, .htm, .docx, .pdf)"
    assert str(caught.value) == f"{path}: {caught.value.reason}"


def test_empty_file(tmp_path):
    assert "empty" in reason_of(write(tmp_path, "r.txt", b""))


@pytest.mark.parametrize("data", [b" \n\t\r\n", "\u3000\u3000\n".encode("utf-8"), codecs.BOM_UTF8 + b"\n"])
def test_whitespace_only_file(tmp_path, data):
    assert "whitespace" in reason_of(write(tmp_path, "r.txt", data))


def test_truncated_gbk_is_reported_not_replaced(tmp_path):
    data = SAMPLE.rstrip("\n").encode("gbk")[:-1]  # cut inside the last two-byte character
    reason = reason_of(write(tmp_path, "r.txt", data))
    assert f"truncated or invalid GB18030/GBK text near byte {len(data) - 1}" in reason


def test_gbk_missing_a_byte_in_the_middle(tmp_path):
    data = SAMPLE.encode("gbk")
    middle = data.index("组织".encode("gbk")) + 1
    reason = reason_of(write(tmp_path, "r.txt", data[:middle] + data[middle + 1:]))
    assert "GB18030/GBK" in reason


def test_truncated_utf8_is_not_read_as_gbk_mojibake(tmp_path):
    data = SAMPLE.rstrip("\n").encode("utf-8")[:-1]
    reason = reason_of(write(tmp_path, "r.txt", data))
    assert reason == f"truncated UTF-8 text: incomplete character at byte {len(data) - 2}"


def test_damaged_utf8_in_the_middle(tmp_path):
    data = SAMPLE.encode("utf-8")
    cut = data.index("复议".encode())
    reason = reason_of(write(tmp_path, "r.txt", data[:cut] + b"\xff" + data[cut:]))
    assert reason == f"invalid UTF-8 text near byte {cut}"


def test_truncated_utf16_without_bom(tmp_path):
    assert "truncated UTF-16" in reason_of(write(tmp_path, "r.txt", SAMPLE.encode("utf-16-le")[:-1]))


@pytest.mark.parametrize("data, expected", [
    (bytes(range(256)) * 8, "binary"),
    (b"\x01\x02\x03\x04 abc \x05\x06\x07" * 50, "binary"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
])
def test_binary_content(tmp_path, data, expected):
    reason = reason_of(write(tmp_path, "r.txt", data))
    assert "binary" in reason and expected in reason


def test_a_few_stray_control_characters_are_tolerated(tmp_path):
    report = read_report(write(tmp_path, "r.txt", (SAMPLE + "\x1a").encode()))
    assert report.original.startswith(SAMPLE)


# --------------------------------------------------------------------------- HTML

GOV_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>某某县2024年法治政府建设工作报告_某某县人民政府</title>
<script>var note = "脚本里的文字不是正文内容";</script><style>p {{ color: red }}</style></head>
<body>
<div class="header"><div class="logo"><h1>某某县人民政府</h1></div>
 <ul class="mainNav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
 <li><a>政务服务</a></li><li><a>互动交流</a></li></ul></div>
<div class="location">当前位置：<a>首页</a> &gt; <a>政务公开</a> &gt; <a>法治政府建设</a></div>
<div class="w1200">
 <div class="leftbox">
  <div class="tit">某某县2024年法治政府建设<br>工作报告</div>
  <div class="info"><span>发布时间：2024-03-29 10:00</span> <span>来源：某某县人民政府办公室</span>
   <span>浏览次数：<script>document.write(5)</script></span>
   <span>【字体：<a>大</a> <a>中</a> <a>小</a>】</span></div>
  <div class="xyz">
   <p>　　2024年，我县坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻习近平法治思想，
   全面推进法治政府建设。现将有关情况报告如下：</p>
   <p><strong>一、主要举措和成效</strong></p>
   <p>　　一是加强组织领导。县政府常务会议专题研究法治政府建设工作3次。</p>
   <p>　　二是深化“放管服”改革。全面推行证明事项告知承诺制，办理事项1.8万件。</p>
   <table><tr><td>项目</td><td>数量</td></tr><tr><td>行政复议案件</td><td>12件</td></tr></table>
   <p style="display:none">隐藏的文字不应出现</p>
   <p>某某县人民政府<br>2024年3月29日</p>
  </div>
  <div class="print">【打印本页】 【关闭窗口】</div>
 </div>
 <div class="rightbox"><h3>相关新闻</h3><ul><li><a>某某县召开法治政府建设推进会议</a></li>
  <li><a>某某县开展宪法宣传周活动</a></li></ul></div>
</div>
<div class="footer"><p>主办单位：某某县人民政府办公室 技术支持：某某网络公司</p>
<p>网站标识码：6205230001 甘ICP备05001234号 甘公网安备62052302000005号</p><p>扫一扫在手机打开当前页</p></div>
</body></html>
"""

GOV_PAGE_LINES = [
    "某某县2024年法治政府建设工作报告",
    "发布时间：2024-03-29 10:00 来源：某某县人民政府办公室",
    "2024年，我县坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻习近平法治思想，"
    "全面推进法治政府建设。现将有关情况报告如下：",
    "一、主要举措和成效",
    "一是加强组织领导。县政府常务会议专题研究法治政府建设工作3次。",
    "二是深化“放管服”改革。全面推行证明事项告知承诺制，办理事项1.8万件。",
    "项目", "数量", "行政复议案件", "12件",
    "某某县人民政府", "2024年3月29日",
]


@pytest.mark.parametrize("charset, codec", [("utf-8", "utf-8"), ("gb2312", "gbk")])
def test_html_article_body_title_and_publication_line(tmp_path, charset, codec):
    page = write(tmp_path, "page.html", GOV_PAGE.format(charset=charset).encode(codec))
    report = read_report(page)
    assert report.format == "html"
    assert report.original.split("\n") == GOV_PAGE_LINES


def test_html_decoding_does_not_trust_a_wrong_declared_charset(tmp_path):
    page = write(tmp_path, "page.htm", GOV_PAGE.format(charset="iso-8859-1").encode("gbk"))
    report = read_report(page)
    assert report.encoding == "gb18030"
    assert report.original.split("\n") == GOV_PAGE_LINES


def test_html_title_from_title_element_when_the_page_has_no_heading(tmp_path):
    body = "".join(f"<p>第{n}段。依法行政工作扎实推进，行政执法规范化水平不断提高。</p>" for n in range(8))
    page = write(tmp_path, "p.html", (
        "<html><head><meta charset='utf-8'><title>某镇法治政府建设情况报告 - 某镇人民政府</title></head>"
        f"<body><ul class='menu'><li><a>首页</a></li></ul><div>{body}</div>"
        "<div id='copyright'>版权所有：某镇人民政府</div></body></html>").encode())
    lines = read_report(page).original.split("\n")
    assert lines[0] == "某镇法治政府建设情况报告"
    assert lines[1] == "第0段。依法行政工作扎实推进，行政执法规范化水平不断提高。"
    assert len(lines) == 9
    assert not any("版权" in line or "首页" in line for line in lines)


def test_html_title_already_heading_the_body_is_not_repeated(tmp_path):
    page = write(tmp_path, "p.html", (
        "<html><head><meta charset='utf-8'><title>某县法治政府建设工作总结_某县政府网</title></head><body>"
        "<div class='article'><h1>某县法治政府建设工作总结</h1><p>一是健全制度，完善依法决策机制，全年审查文件三十件。</p>"
        "<p>二是规范执法，开展案卷评查，发现并整改问题十二个。</p></div></body></html>").encode())
    lines = read_report(page).original.split("\n")
    assert lines == ["某县法治政府建设工作总结", "一是健全制度，完善依法决策机制，全年审查文件三十件。",
                     "二是规范执法，开展案卷评查，发现并整改问题十二个。"]


def test_html_density_prefers_the_article_over_a_sidebar_with_prose(tmp_path):
    article = "".join(f"<div>第{n}项。深入推进严格规范公正文明执法，全面落实行政执法三项制度。</div>" for n in range(10))
    sidebar = "<p>栏目简介：本栏目发布本县政务信息，欢迎社会各界监督并提出宝贵意见建议。</p>" * 2
    page = write(tmp_path, "p.html", (
        "<html><head><meta charset='utf-8'></head><body><table><tr>"
        f"<td class='c1'>{sidebar}</td><td class='c2'><div class='q'>{article}</div></td>"
        "</tr></table></body></html>").encode())
    lines = read_report(page).original.split("\n")
    assert len(lines) == 10 and lines[0].startswith("第0项。")
    assert not any("栏目简介" in line for line in lines)


def test_html_whole_page_form_is_not_dropped_as_furniture(tmp_path):
    page = write(tmp_path, "p.html", (
        "<html><head><meta charset='utf-8'><title>某县法治建设年度报告</title></head><body><form id='form1'>"
        "<div class='nav'><a>首页</a><a>政务公开</a></div><h2>某县法治建设年度报告</h2><span>来源：某县司法局</span>"
        "<div id='zoom'><p>一是落实党政主要负责人履行推进法治建设第一责任人职责。</p><p>二是加强行政复议和应诉工作。</p>"
        "</div></form></body></html>").encode())
    assert read_report(page).original == ("某县法治建设年度报告\n来源：某县司法局\n"
                                          "一是落实党政主要负责人履行推进法治建设第一责任人职责。\n"
                                          "二是加强行政复议和应诉工作。")


def test_html_paragraphs_beside_a_heavy_block_stay_in_the_article(tmp_path):
    first = "<br>".join(f"第{n}段，依法行政工作扎实推进，行政执法规范化水平不断提高。" for n in range(8))
    page = write(tmp_path, "p.html", (
        "<html><head><meta charset='utf-8'></head><body><div class='abc'>"
        f"<div>{first}</div><p>另有一段，持续深化法治政府建设。</p><p>某县人民政府</p>"
        "</div></body></html>").encode())
    lines = read_report(page).original.split("\n")
    assert len(lines) == 10
    assert lines[-2:] == ["另有一段，持续深化法治政府建设。", "某县人民政府"]


TABLE_LAYOUT_PAGE = """<html><head><meta charset="utf-8">
<title>关于2023年度法治政府建设情况的报告-某某市某某区人民政府</title></head><body>
<table width="1000"><tr><td><a href="/">网站首页</a> | <a>机构概况</a> | <a>政务公开</a></td></tr></table>
<table width="1000"><tr><td width="250" valign="top">
  <table><tr><td>栏目导航</td></tr><tr><td><a>通知公告</a></td></tr><tr><td><a>政策文件</a></td></tr></table>
</td><td valign="top">
  <table width="100%"><tr><td align="center" style="font-size:22px">关于2023年度法治政府建设情况的报告</td></tr>
  <tr><td align="center">时间：2024-02-20 &nbsp; 来源：区司法局 &nbsp; 点击数：<span>32</span></td></tr>
  <tr><td><div>
  &nbsp;&nbsp;&nbsp;&nbsp;2023年，全区法治政府建设工作在区委、区政府的坚强领导下，取得了明显成效。<br>
  &nbsp;&nbsp;&nbsp;&nbsp;一、健全依法决策机制。严格落实重大行政决策程序规定，
  全年审查重大行政决策事项十项。<br>
  &nbsp;&nbsp;&nbsp;&nbsp;二、推进严格规范公正文明执法。开展行政执法案卷评查，评查案卷一百二十卷。
  </div></td></tr></table>
</td></tr></table>
<table><tr><td>版权所有：某某区人民政府 &nbsp; 蜀ICP备12345678号</td></tr></table>
</body></html>"""


def test_html_table_layout_page_without_class_names(tmp_path):
    lines = read_report(write(tmp_path, "p.html", TABLE_LAYOUT_PAGE.encode())).original.split("\n")
    assert lines == [
        "关于2023年度法治政府建设情况的报告",
        "时间：2024-02-20 来源：区司法局",
        "2023年，全区法治政府建设工作在区委、区政府的坚强领导下，取得了明显成效。",
        "一、健全依法决策机制。严格落实重大行政决策程序规定，全年审查重大行政决策事项十项。",
        "二、推进严格规范公正文明执法。开展行政执法案卷评查，评查案卷一百二十卷。",
    ]


@pytest.mark.parametrize("title, expected", [
    ("某县法治政府建设工作报告_某县人民政府", "某县法治政府建设工作报告"),
    ("某县法治政府建设工作报告 | 政务公开 | 某县人民政府网", "某县法治政府建设工作报告"),
    ("某县法治政府建设工作报告-某县人民政府门户网站", "某县法治政府建设工作报告"),
    ("落实《纲要(2021-2025年)》情况报告", "落实《纲要(2021-2025年)》情况报告"),
    ("推进2021-2025年法治政府", "推进2021-2025年法治政府"),
])
def test_html_title_without_its_site_name(tmp_path, title, expected):
    page = write(tmp_path, "p.html", (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        "<div><p>一是健全制度，完善依法决策机制。</p><p>二是规范执法，开展案卷评查。</p></div></body></html>").encode())
    assert read_report(page).original.split("\n")[0] == expected


def test_html_title_that_is_only_the_site_name_is_not_the_article_title(tmp_path):
    page = write(tmp_path, "p.html", (
        "<html><head><meta charset='utf-8'><title>某某县人民政府</title></head><body>"
        "<div class='top'><div class='logo'>某某县人民政府</div></div>"
        "<div class='main'><h1>某某县法治政府建设年度报告</h1><p>一是健全制度，完善依法决策机制。</p>"
        "<p>二是规范执法，开展案卷评查。</p></div></body></html>").encode())
    assert read_report(page).original.split("\n") == [
        "某某县法治政府建设年度报告", "一是健全制度，完善依法决策机制。", "二是规范执法，开展案卷评查。"]


def test_html_nested_deeper_than_python_recursion(tmp_path):
    page = write(tmp_path, "p.html", ("<html><body>" + "<div>" * 3000 + "<p>法治政府建设工作报告。</p>"
                                      + "</div>" * 3000 + "</body></html>").encode())
    assert read_report(page).original == "法治政府建设工作报告。"


def test_html_without_text(tmp_path):
    page = write(tmp_path, "p.html", b"<html><head><script>var x = 1;</script></head><body> </body></html>")
    assert "no article text" in reason_of(page)


# --------------------------------------------------------------------------- DOCX

def test_docx_paragraphs_and_table_cells_in_document_order(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("某县2024年法治政府建设工作报告")
    document.add_paragraph("")
    document.add_paragraph("一、主要举措。加强组织领导。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = "数量"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "合并单元格"
    document.add_paragraph("二、存在问题。")
    path = tmp_path / "r.docx"
    document.save(path)
    report = read_report(path)
    assert report.format == "docx"
    assert report.original == ("某县2024年法治政府建设工作报告\n一、主要举措。加强组织领导。\n"
                               "项目\n数量\n合并单元格\n二、存在问题。")


def test_docx_without_text(tmp_path):
    docx = pytest.importorskip("docx")
    path = tmp_path / "r.docx"
    docx.Document().save(path)
    assert "no text" in reason_of(path)


@pytest.mark.parametrize("data, expected", [
    (b"PK\x03\x04 this is no zip", "corrupt .docx"),
    (b"just some text", "not a ZIP package"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "encrypted"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "legacy Word .doc"),
])
def test_unreadable_docx(tmp_path, data, expected):
    assert expected in reason_of(write(tmp_path, "r.docx", data))


# --------------------------------------------------------------------------- PDF

def make_pdf(lines: list[str], encrypted: bool = False) -> bytes:
    """A one-page PDF with ASCII lines in Helvetica; ``encrypted`` adds a password it cannot open."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if encrypted:
        objects.append("<< /Filter /Standard /V 1 /R 2 /O <" + "11" * 32 + "> /U <" + "22" * 32 + "> /P -4 >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"/Size {len(objects) + 1} /Root 1 0 R"
    if encrypted:
        trailer += f" /Encrypt {len(objects)} 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>]"
    out += f"trailer\n<< {trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_pdf_text(tmp_path):
    report = read_report(write(tmp_path, "r.pdf", make_pdf(["Rule of law report.", "Second line."])))
    assert report.format == "pdf"
    assert report.original.split() == ["Rule", "of", "law", "report.", "Second", "line."]
    assert "\x0c" not in report.original


@pytest.mark.parametrize("data, expected", [
    (make_pdf(["secret"], encrypted=True), "encrypted PDF"),
    (b"%PDF-1.4\nnothing else here", "corrupt PDF"),
    (b"hello, not a pdf", "not a PDF file"),
    (make_pdf([]), "no extractable text"),
])
def test_unreadable_pdf(tmp_path, data, expected):
    assert expected in reason_of(write(tmp_path, "r.pdf", data))
