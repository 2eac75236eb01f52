"""Reading a report file (.txt, .html, .docx, .pdf) into a :class:`~ingest.report.Report`.

The text a reader returns becomes ``Report.original``: every offset the pipeline records refers
to it, so readers settle line endings here and nowhere later.
"""
from __future__ import annotations

import codecs
import io
import os
import re
import unicodedata
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData

from ingest.report import Report

SUPPORTED = (".txt", ".text", ".html", ".htm", ".docx", ".pdf")
# .text is accepted as a spelling of .txt but not advertised.
_ADVERTISED = ".txt, .html, .htm, .docx, .pdf"


class ReadError(Exception):
    """A report file that cannot be read, with the reason in one line."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        # Library messages can span lines; the command line prints this error as one line.
        self.reason = " ".join(str(reason).split())
        super().__init__(self.path, self.reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}".replace("\n", "\\n").replace("\r", "\\r")


class _Undecodable(Exception):
    """Bytes that are not text in any encoding tried; the message is the ReadError reason."""


def read_report(path: str | os.PathLike) -> Report:
    """Read the report at ``path``; ``Report.source`` is ``str(path)`` exactly as given."""
    source = str(path)
    file = Path(path)
    suffix = file.suffix.lower()
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ReadError(source, "no such file") from None
    except IsADirectoryError:
        raise ReadError(source, "is a directory, not a report file") from None
    except PermissionError:
        raise ReadError(source, "permission denied") from None
    except ValueError as error:  # e.g. a NUL character in the path
        raise ReadError(source, f"invalid path: {error}") from None
    except OSError as error:
        if file.is_dir():
            raise ReadError(source, "is a directory, not a report file") from None
        raise ReadError(source, f"cannot read file: {error.strerror or error}") from None
    if suffix not in SUPPORTED:
        shown = f"'{suffix}'" if suffix else "'' (no file extension)"
        raise ReadError(source, f"unsupported format {shown} (supported: {_ADVERTISED})")
    if not data:
        raise ReadError(source, "empty file (0 bytes)")
    try:
        if suffix in (".txt", ".text"):
            text, encoding = _decode_text(data)
            if _is_blank(text):
                raise _Undecodable("no text: the file holds only whitespace")
            return Report(source=source, original=text, format="txt", encoding=encoding)
        if suffix in (".html", ".htm"):
            text, encoding = _read_html(data)
            return Report(source=source, original=text, format="html", encoding=encoding)
        if suffix == ".docx":
            return Report(source=source, original=_read_docx(data), format="docx", encoding="utf-8")
        # PDF text comes from the fonts' character maps, not from one character encoding.
        return Report(source=source, original=_read_pdf(data), format="pdf", encoding="n/a")
    except _Undecodable as problem:
        raise ReadError(source, str(problem)) from None


# --------------------------------------------------------------------------- plain text

# Byte-order mark → the encoding reported (the mark itself is not part of the text).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Other file kinds that are sometimes saved with a text extension, recognised by their first bytes.
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP package (e.g. .docx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE compound file (e.g. a .doc or .xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)

# UTF-8 that is valid for this many non-ASCII characters before it breaks is damaged UTF-8: GBK
# text fails UTF-8 at its first Chinese character, so reading it as GB18030 would give mojibake.
_UTF8_EVIDENCE = 3
_CONTROL_SHARE = 0.05  # above this share of control characters, the "text" is binary data


def _decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode report bytes: (text with \\n line endings, name of the encoding used).

    Order: byte-order mark; UTF-16 when the NUL bytes say so; strict UTF-8; the charset the
    file declares (HTML); strict GB18030 (which covers GBK and GB2312). Raises :class:`_Undecodable`.
    """
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise _Undecodable(f"binary content: this is {kind}, not text")
    text, encoding = _decode(data, declared)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise _Undecodable("binary content (NUL characters in the decoded text)")
    controls = sum(1 for char in text if unicodedata.category(char) == "Cc" and char not in "\n\t\x0b\x0c\x1a")
    if text and controls / len(text) > _CONTROL_SHARE:
        raise _Undecodable(f"binary content ({controls} control characters in {len(text)})")
    return text, encoding


def _decode(data: bytes, declared: str | None) -> tuple[str, str]:
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name.removesuffix("-sig")), name
            except UnicodeDecodeError as error:
                raise _Undecodable(f"truncated or invalid {name.removesuffix('-sig').upper()} text near byte "
                                   f"{error.start + len(bom)}") from None
    if b"\x00" in data:
        found = _utf16_without_bom(data)
        if found is not None:
            return found
        if len(data) % 2 and _utf16_without_bom(data[:-1]) is not None:
            raise _Undecodable(f"truncated UTF-16 text: odd number of bytes ({len(data)})")
        raise _Undecodable("binary content (NUL bytes, and not UTF-16 text)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        valid = data[:error.start].decode("utf-8")
        if sum(1 for char in valid if ord(char) > 0x7F) >= _UTF8_EVIDENCE:
            if error.reason == "unexpected end of data":
                raise _Undecodable(f"truncated UTF-8 text: incomplete character at byte {error.start}") from None
            raise _Undecodable(f"invalid UTF-8 text near byte {error.start}") from None
    declared_codec = _known_charset(declared)
    if declared_codec and declared_codec not in ("utf-8", "gb18030"):
        try:
            return data.decode(declared_codec), declared_codec
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise _Undecodable(f"neither UTF-8 nor GB18030/GBK text: truncated or invalid GB18030/GBK "
                           f"text near byte {error.start}") from None
    if _plausible_chinese(text):
        return text, "gb18030"
    guess = _charset_normalizer_guess(data)
    if guess is not None:
        return guess
    # Rare characters alone may be real (traditional characters in GBK); private-use ones are not.
    if _private_use_share(text) < 0.05:
        return text, "gb18030"
    raise _Undecodable("unknown encoding: not UTF-8, and as GB18030 it gives private-use characters")


def _known_charset(label: str | None) -> str | None:
    """The codec for a charset an HTML page declares, when it is one Chinese pages use."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    if name in ("gb2312", "gbk", "gb18030", "hz"):
        return "gb18030"  # pages that say gb2312 routinely use GBK characters
    if name in ("utf-8", "big5", "big5hkscs"):
        return name
    return None  # a page that declares e.g. latin-1 is wrong more often than right


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text recognised by trying both byte orders, or None when neither reads as text."""
    best = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _text_likeness(text)
        if best is None or score > best[0]:
            best = (score, text, codec)
    # The wrong byte order scatters characters over the whole plane: well under half look like text.
    if best is not None and best[0] >= 0.9:
        return best[1], best[2]
    return None


def _text_likeness(text: str) -> float:
    def likely(char: str) -> bool:
        code = ord(char)
        return (char in "\n\r\t" or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF
                or 0x2000 <= code <= 0x206F or 0x3000 <= code <= 0x303F or 0x3400 <= code <= 0x4DBF
                or 0x4E00 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF)

    return sum(1 for char in text if likely(char)) / len(text) if text else 0.0


def _plausible_chinese(text: str) -> bool:
    """Whether GB18030-decoded text reads as Chinese rather than mojibake of another encoding.

    Simplified Chinese prose is almost entirely in GB2312; Big5 or UTF-8 bytes read as GB18030
    land in the GBK extension and the private-use area.
    """
    wide = [char for char in text if ord(char) > 0x7F]
    if len(wide) < 10:
        return True
    common = 0
    for char in wide:
        try:
            char.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= 0.8


def _private_use_share(text: str) -> float:
    wide = [char for char in text if ord(char) > 0x7F]
    return sum(1 for char in wide if "\ue000" <= char <= "\uf8ff") / len(wide) if wide else 0.0


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    """A last-resort encoding hint; taken only when a strict decode with it succeeds."""
    import charset_normalizer

    match = charset_normalizer.from_bytes(data).best()
    if match is None or match.encoding in ("gb18030", "gbk", "gb2312", "utf_8", "ascii"):
        return None
    try:
        return data.decode(match.encoding), match.encoding
    except (UnicodeDecodeError, LookupError):
        return None


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _is_blank(text: str) -> bool:
    return all(char.isspace() or char in _INVISIBLE for char in text)


# --------------------------------------------------------------------------- HTML

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

# Never text of the article.
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
              "select", "option", "button", "input", "textarea", "link", "meta", "head")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Site furniture, by tag and by id/class. Substrings are distinctive anywhere in a name; words
# count only as a whole part of a name (so "top" does not catch "topic").
_FURNITURE_TAGS = frozenset(("nav", "footer", "aside", "form", "menu"))
_FURNITURE_SUBSTRINGS = re.compile(r"nav|menu|footer|breadcrumb|crumb|share|sidebar|copyright|toolbar|"
                                   r"fenxiang|qrcode|erweima|login|friendlink|weizhi|dqwz")
_FURNITURE_WORDS = frozenset(("foot", "bottom", "side", "print", "ewm", "search", "position", "location",
                              "links", "link", "related", "xgwz", "xgxx", "yqlj", "tools", "tool", "ad",
                              "ads", "gg", "fx", "bq", "bqxx"))
# Page headers are furniture too, but an article's own <header> holds its title and date, so
# they are kept apart: the title and date are looked for before headers are dropped.
_HEADER_TAGS = frozenset(("header",))
_HEADER_WORDS = frozenset(("head", "header", "top", "banner", "logo"))
# Containers that government CMSes give the article body: a hint, density decides first.
_CONTENT_HINTS = re.compile(r"^(zoom|trs_?editor|article|content|contents|con|main[-_]?content|"
                            r"article[-_]?(content|body|con|text)|detail|details|text|zw|zwnr|nr|wzy|"
                            r"pages?[-_]?content|news[-_]?(content|text|con)|ccontent|view)$")
_TITLE_HINTS = re.compile(r"(^|[-_ ])(title|tit|bt|biaoti|headline|arttitle|article[-_]?title|wzbt)($|[-_ ])")
_BLOCK_TAGS = frozenset((
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table",
    "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "section", "article", "main", "blockquote",
    "pre", "center", "address", "figure", "figcaption", "hr", "header", "footer", "nav", "aside",
    "form", "fieldset", "legend", "details", "summary", "body", "html",
))
# Elements that hold one paragraph: the search for the article container stops at them.
_PARAGRAPH_TAGS = frozenset(("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "pre",
                             "caption", "figcaption", "legend", "summary", "address"))
# The line under a title that says when and by whom the page was published starts with one of
# these fields, or with the date itself.
_PUBLICATION_FIELD = re.compile(
    r"^[【\[(（]?\s*(发布时间|发布日期|发文日期|成文日期|更新时间|日期|时间|信息来源|文章来源|来源|发布机构|发布单位|"
    r"发文机关|作者)\s*[:：]"
    r"|^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(\s+\d{1,2}:\d{2}(:\d{2})?)?(\s|$)"
    r"|^\d{4}年\d{1,2}月\d{1,2}日$")
# Where page furniture starts on such a line: the rest of the line is dropped.
_PUBLICATION_CLUTTER = re.compile(r"[【\[]?\s*字\s*[体號号]|浏览|阅读(次数|量|数)|点击|访问|[【\[]?\s*打印|"
                                  r"[【\[]?\s*关闭|分享|扫一扫|收藏")
_PUBLICATION_MAX = 160
_TITLE_MAX = 150
_SITE_SUFFIX_SPLIT = re.compile(r"\s*(?:_|\||｜|\s[-–—－]\s|——|--)\s*")
# A bare dash only separates the site name when a site name follows: titles hold dashes too
# ("(2021-2025年)").
_BARE_DASH_SITE = re.compile(r"^(.*\S)\s*[-–—－]\s*([^\s\d]\S*(政府|网站|门户|网|平台))$")
# A <title> that is only the site's name says nothing about the article.
_SITE_NAME = re.compile(r"(人民政府|政府网|网站|门户|门户网|政务网|官网|首页)$")
_ASCII_SPACE = re.compile(r"[ \t\n\r\f]+")
_CJK_CLASS = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
# A line break in the HTML source between two Chinese characters is source formatting.
_WRAP_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK_CLASS}])[ \t\r\f]*\n[ \t\n\r\f]*(?=[{_CJK_CLASS}])")
_LINE_TRIM = " \t\n\r\f\u3000\u00a0"
_PROSE_MARK = re.compile(r"[。，；！？,;]")
_BREAK = "\x00"  # never in decoded text (rejected as binary), so safe as a paragraph marker


def _cjk_count(text: str) -> int:
    return sum(1 for char in text if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf")


def _read_html(data: bytes) -> tuple[str, str]:
    sniffed = _META_CHARSET.search(data[:8192])
    text, encoding = _decode_text(data, sniffed.group(1).decode("ascii") if sniffed else None)
    soup = BeautifulSoup(text, "lxml")
    page_title = _page_title(soup)
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(style=_HIDDEN):
        if not tag.decomposed:
            tag.decompose()
    body = soup.body or soup
    furniture = _Furniture(body, _weigh(body))
    title_element = _title_element(body, page_title, furniture)
    title = _inline_text(title_element) if title_element is not None else page_title
    publication = _publication_line(body, title_element, furniture)

    furniture.remove()
    lines = _block_lines(_choose_container(body, _weigh(body)))
    if not lines:
        raise _Undecodable("no article text found in the page")
    lines = _put_first(lines, publication, lambda line: publication in line)
    lines = _put_first(lines, title, lambda line: line == title)
    return "\n".join(lines), encoding


def _page_title(soup) -> str | None:
    """The <title> without the site name that CMSes append (``…_XX县人民政府``)."""
    if soup.title is None:
        return None
    full = " ".join(soup.title.get_text().split())
    parts = [part for part in _SITE_SUFFIX_SPLIT.split(full) if part]
    if not parts:
        return None
    # The article title comes first; later parts name the site and its sections.
    title = parts[0] if _cjk_count(parts[0]) >= 2 else full
    bare = _BARE_DASH_SITE.match(title)
    if bare and _cjk_count(bare.group(1)) >= 2:
        title = bare.group(1)
    return None if _SITE_NAME.search(title) else title


def _class_words(tag) -> str:
    names = tag.get("class") or []
    if isinstance(names, str):
        names = [names]
    return " ".join([*names, tag.get("id") or ""]).lower()


def _furniture_kind(tag) -> str | None:
    """"site" for navigation, footers and the like, "header" for page headers, else None."""
    words = _class_words(tag)
    parts = set(re.split(r"[^a-z0-9]+", words)) if words.strip() else set()
    if tag.name in _FURNITURE_TAGS or words.strip() and _FURNITURE_SUBSTRINGS.search(words) \
            or parts & _FURNITURE_WORDS:
        return "site"
    if tag.name in _HEADER_TAGS or parts & _HEADER_WORDS:
        return "header"
    return None


class _Furniture:
    """The page furniture of a page body, found once, consulted, then removed.

    An element that holds most of the page's text is never furniture, whatever its name: ASP.NET
    pages wrap the whole page in a <form>, and some templates give the article's wrapper a class
    such as ``main-side``.
    """

    def __init__(self, body, weights: dict[int, tuple[int, int]]):
        total = weights.get(id(body), (0, 0))[0]
        self.kinds: dict[int, str] = {}
        self.tags = []
        for tag in body.find_all(True):
            kind = _furniture_kind(tag)
            if kind and not (total and weights.get(id(tag), (0, 0))[0] > total / 2):
                self.kinds[id(tag)] = kind
                self.tags.append(tag)

    def contains(self, element, headers: bool = True) -> bool:
        """Whether ``element`` lies in furniture (in a page header too, unless ``headers`` is false)."""
        for parent in (element, *element.parents):
            kind = self.kinds.get(id(parent))
            if kind == "site" or kind == "header" and headers:
                return True
        return False

    def remove(self) -> None:
        for tag in self.tags:
            if not tag.decomposed:
                tag.decompose()


def _text_nodes(tag):
    for node in tag.descendants:
        # Comments, doctypes and processing instructions are NavigableString subclasses too.
        if type(node) in (NavigableString, CData):
            yield node


def _inline_text(tag, limit: int | None = None) -> str:
    """An element's text as one line (a title broken with <br> is joined).

    With ``limit``, collecting stops once the raw text is longer than that, so the caller gets
    something longer than ``limit`` without the cost of reading a whole page.
    """
    pieces, length = [], 0
    for node in _text_nodes(tag):
        pieces.append(str(node))
        length += len(pieces[-1].strip())
        if limit is not None and length > limit:
            break
    return _ASCII_SPACE.sub(" ", _WRAP_BETWEEN_CJK.sub("", "".join(pieces))).strip(_LINE_TRIM)


def _title_element(body, page_title: str | None, furniture: _Furniture):
    """The element holding the article title: one that matches <title>, else a plain <h1>."""
    best, best_score = None, 0
    for tag in body.find_all(True):
        likely = tag.name in ("h1", "h2", "h3") or _TITLE_HINTS.search(_class_words(tag))
        # Other elements are looked at only when they hold text of their own: wrappers cannot be
        # the title, and measuring each one's text would cost depth × size.
        if not likely and not (page_title and any(type(child) is NavigableString and child.strip()
                                                  for child in tag.children)):
            continue
        text = _inline_text(tag, limit=_TITLE_MAX)
        if not 2 <= len(text) <= _TITLE_MAX or _cjk_count(text) < 2:
            continue
        if not likely and text != page_title:
            continue  # any element may hold the title, but then it must say exactly that
        links = tag.find_all("a")
        if links and sum(len(_inline_text(a)) for a in links) >= len(text):
            continue  # a linked heading is a logo or a list entry, not this page's title
        if furniture.contains(tag, headers=False):
            continue
        score = 0
        if page_title:
            if text == page_title:
                score = 100
            elif min(len(text), len(page_title)) >= 6 and (page_title.startswith(text)
                                                           or text.startswith(page_title)):
                score = 80  # CMSes shorten one or the other
            elif len(text) >= 6 and text in page_title:
                score = 60
        # Without <title> to agree with, only an <h1> outside the page header will do.
        if score == 0 and tag.name == "h1" and not furniture.contains(tag):
            score = 30
        if score > best_score:
            best, best_score = tag, score
    return best


def _publication_line(body, title_element, furniture: _Furniture) -> str | None:
    """The 发布时间/来源 line just after the title, without the view counter and buttons beside it."""
    nodes = [node for node in _text_nodes(body) if str(node).strip(_LINE_TRIM)]
    if title_element is not None:
        inside = {id(node) for node in _text_nodes(title_element)}
        last = max((i for i, node in enumerate(nodes) if id(node) in inside), default=-1)
        nearby = nodes[last + 1:last + 13]
    else:
        nearby = [node for node in nodes if not furniture.contains(node)][:12]
    for node in nearby:
        if not _PUBLICATION_FIELD.match(str(node).strip(_LINE_TRIM)) or furniture.contains(node, headers=False):
            continue
        holder = node.parent
        while (isinstance(holder.parent, Tag) and holder.parent.name not in ("body", "html")
               and len(_inline_text(holder.parent, limit=_PUBLICATION_MAX)) <= _PUBLICATION_MAX
               and (title_element is None or title_element not in holder.parent.descendants)):
            holder = holder.parent
        line = " ".join(" ".join(str(piece).split()) for piece in _text_nodes(holder))
        line = " ".join(line.split())
        clutter = _PUBLICATION_CLUTTER.search(line)
        if clutter:
            line = line[:clutter.start()]
        line = line.strip(_LINE_TRIM + "|｜")
        if len(line) <= _PUBLICATION_MAX and _PUBLICATION_FIELD.match(line):
            return line
    return None


def _weigh(body) -> dict[int, tuple[int, int]]:
    """id(element) → (Chinese characters outside links under it, those of them in prose).

    Prose is text with a sentence mark in it: what an article is made of, and what a sidebar
    blurb or a footer rarely amounts to. (Walked bottom-up from the text, not recursively:
    CMS pages can nest thousands of elements deep.)
    """
    weights: dict[int, tuple[int, int]] = {}
    for node in _text_nodes(body):
        count = _cjk_count(str(node))
        if not count:
            continue
        prose = count if _PROSE_MARK.search(str(node)) else 0
        chain = []
        for parent in node.parents:
            if parent.name == "a":
                chain = []
                break
            chain.append(parent)
            if parent is body:
                break
        for parent in chain:
            total, in_prose = weights.get(id(parent), (0, 0))
            weights[id(parent)] = (total + count, in_prose + prose)
    return weights


def _is_container(tag) -> bool:
    if tag.name in _PARAGRAPH_TAGS:
        return False
    return any(isinstance(child, Tag) and child.name in _BLOCK_TAGS for child in tag.children)


def _is_hinted(tag) -> bool:
    return tag.name in ("article", "main") or any(_CONTENT_HINTS.match(part) for part in _class_words(tag).split())


def _choose_container(body, weights: dict[int, tuple[int, int]]):
    """The smallest element that holds the bulk of the page's Chinese text outside links."""
    def weight(tag) -> int:
        return weights.get(id(tag), (0, 0))[0]

    node = body
    while True:
        total, prose = weights.get(id(node), (0, 0))
        if not total:
            return node
        children = [child for child in node.children if isinstance(child, Tag)]
        heaviest = max(children, key=weight, default=None)
        if heaviest is not None and weight(heaviest) >= 0.7 * total and _is_container(heaviest):
            # Paragraphs of prose beside the heaviest child are more of the article (say, <p>s
            # after a <div> of <br>-separated ones): then this node is the article. Prose in
            # sibling containers is a sidebar's or a footer's.
            in_containers = sum(weights.get(id(child), (0, 0))[1] for child in children if _is_container(child))
            prose_beside = prose - in_containers
            if prose_beside <= 0.02 * total:
                node = heaviest
                continue
            return node
        # Density could not decide (e.g. a sidebar with prose of its own): a container a CMS
        # names as the article body settles it, if it still holds most of the text.
        hinted = [tag for tag in node.find_all(True) if _is_hinted(tag) and _is_container(tag)
                  and 0.5 * total <= weight(tag) < total]
        if not hinted:
            return node
        node = min(hinted, key=weight)


def _block_lines(container) -> list[str]:
    """The container's text, one paragraph (block element, or piece between <br>) per line."""
    pieces: list[str] = []
    # Depth-first with an explicit stack (pages can nest deeper than Python recursion goes);
    # each level remembers whether leaving it ends a block.
    levels = [(iter(container.children), False)]
    while levels:
        child = next(levels[-1][0], None)
        if child is None:
            if levels.pop()[1]:
                pieces.append(_BREAK)
        elif isinstance(child, Tag):
            if child.name == "br":
                pieces.append(_BREAK)
            elif child.name == "pre":
                pieces.extend((_BREAK, child.get_text().replace("\n", _BREAK), _BREAK))
            else:
                block = child.name in _BLOCK_TAGS
                if block:
                    pieces.append(_BREAK)
                levels.append((iter(child.children), block))
        elif type(child) in (NavigableString, CData):
            pieces.append(str(child))
    lines = []
    for raw in "".join(pieces).split(_BREAK):
        line = _ASCII_SPACE.sub(" ", _WRAP_BETWEEN_CJK.sub("", raw)).strip(_LINE_TRIM)
        if line:
            lines.append(line)
    return lines


def _put_first(lines: list[str], line: str | None, present) -> list[str]:
    """``lines`` starting with ``line``: unchanged if they already do, the copy among the first
    few moved up if there is one (``present`` says which line is a copy), else ``line`` added.

    A title the page breaks over two or three lines counts as present when they join up to it.
    """
    if not line:
        return lines
    for i in range(min(len(lines), 6)):
        for size in (1, 2, 3):
            joined = "".join(lines[i:i + size])
            if present(joined) if size == 1 else joined == line:
                return lines if i == 0 else [*lines[i:i + size], *lines[:i], *lines[i + size:]]
    return [line, *lines]


# --------------------------------------------------------------------------- DOCX and PDF

def _read_docx(data: bytes) -> str:
    """Paragraphs and table cells in document order, one paragraph per line."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _Undecodable("encrypted (password-protected) .docx")
        raise _Undecodable("a legacy Word .doc (OLE) file, not a .docx")
    if not data.startswith(b"PK"):
        raise _Undecodable("not a .docx file (not a ZIP package)")
    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises zipfile, KeyError, lxml and its own errors
        raise _Undecodable(f"corrupt .docx: {type(error).__name__}: {error}") from None

    paragraph, containers = qn("w:p"), {qn(name) for name in ("w:tbl", "w:tr", "w:tc", "w:sdt",
                                                                 "w:sdtContent", "w:customXml")}
    lines: list[str] = []

    def walk(element):
        for child in element.iterchildren():
            if child.tag == paragraph:
                text = Paragraph(child, None).text
                if text.strip():
                    lines.append(text.replace("\r\n", "\n").replace("\r", "\n"))
            elif child.tag in containers:
                walk(child)

    walk(document.element.body)
    if not lines:
        raise _Undecodable("no text in the document")
    return "\n".join(lines)


def _read_pdf(data: bytes) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect, PDFTextExtractionNotAllowed
    from pdfminer.psexceptions import PSException

    if b"%PDF-" not in data[:1024]:
        raise _Undecodable("not a PDF file (no %PDF header)")
    try:
        text = extract_text(io.BytesIO(data))
    except PDFPasswordIncorrect:
        raise _Undecodable("encrypted PDF: a password is needed to open it") from None
    except PDFTextExtractionNotAllowed:
        raise _Undecodable("the PDF forbids text extraction") from None
    except PDFEncryptionError as error:
        raise _Undecodable(f"encrypted PDF that cannot be opened: {error}") from None
    except PSException as error:
        raise _Undecodable(f"corrupt PDF: {type(error).__name__}: {error}") from None
    except Exception as error:  # pdfminer lets KeyError, TypeError … escape on damaged files
        raise _Undecodable(f"corrupt PDF: {type(error).__name__}: {error}") from None
    # pdfminer separates pages with form feeds; they are page furniture, not text.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    if _is_blank(text):
        raise _Undecodable("no extractable text (a scanned image PDF?)")
    return text
