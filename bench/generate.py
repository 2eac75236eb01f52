"""Synthetic rule-of-law reports for the benchmark, recombined from the sentences of the embedded corpus.

``python -m bench.generate N OUTDIR [--seed S]`` writes N reports as UTF-8 text files in sub-folders
of at most 1,000 files (``OUTDIR/000/``, ``OUTDIR/001/`` …), plus ``planted.tsv`` (what each report
was made to say: jurisdiction, year, laws, programs, initiatives) and ``generator.json`` (N, seed,
generator version) at the top of OUTDIR. Ingest reads only report formats, so neither file is taken
for a report, and neither is a ``manifest.tsv``: nothing fills the gaps extraction leaves.

How one report is made:

* a jurisdiction: a county (县) or a township (乡 or 镇 of a 县) of the official table, anywhere in
  the country, with its real parents; and a year, 2015–2025;
* a title line (``2023年某某县法治政府建设工作报告`` and its usual variants), for some reports a web
  page's date-and-source line, an opening paragraph, sections of achievements, problems and plans,
  and a signature: the shape of the five embedded reports;
* the sentences come from the embedded reports of the same level (county reports for a county,
  township reports for a township), with the source's own division names, full and short
  (甘谷县 and 法治甘谷, 天水市, 甘肃省), replaced by the chosen division's and its parents', the
  township's own words (我乡, 乡党委) moved to the chosen one's 乡 or 镇, years moved by as much as
  the report year moved, and counts (12项, 300余次) drawn anew. A sentence that names any other
  division is left out: it would be a clue to another jurisdiction, which no real report plants;
* planted facts: acts of the law list (in 《》, by full or short title, in a studying or applying
  clause), programs of the program scheme, and quoted local initiatives with an activity word
  after the name (“兴法铺子”综合服务阵地), the way the corpus names them;
* 5–15 KB of UTF-8 (at least 5,120 and at most 15,000 bytes).

Report ``i`` depends only on the seed and ``i``: the same N and seed give byte-identical files, and
the first 1,000 reports of a 10,000 run are those of a 1,000 run.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ingest.gazetteer import MIN_SCAN_LENGTH, Gazetteer, default_gazetteer
from ingest.lawlist import load_laws
from ingest.report import Place
from ingest.vocab import programs

#: Bump when the output for a given seed changes, so that cached corpora are made again.
GENERATOR_VERSION = 1

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
#: The embedded reports, by the official code of the division each speaks for.
SOURCE_CODES = ("620523", "511722", "411327", "360732217", "511921107")
YEARS = tuple(range(2015, 2026))
MIN_BYTES = 5 * 1024
MAX_BYTES = 15_000
FILES_PER_FOLDER = 1000
PLANTED_FILE = "planted.tsv"
INFO_FILE = "generator.json"
#: How many random picks a report may spend looking for a sentence that names no other division.
ATTEMPTS = 500
#: Share of township reports (the rest are county reports).
TOWNSHIP_SHARE = 0.4

NUMERALS = "一二三四五六七八九十"
TOP_HEADING = re.compile(rf"^[{NUMERALS}]+、")
SUB_HEADING = re.compile(rf"^[(（][{NUMERALS}]+[)）]")
NUMBERED_ITEM = re.compile(r"^\d{1,2}[.．](?!\d)")
#: How a point of a list opens (一是, 二要, 1., (三)); stripped, the report numbers its own points.
ENUMERATOR = re.compile(rf"^(?:[{NUMERALS}]+[是要]|\d{{1,2}}[.．、](?!\d)|[(（][{NUMERALS}\d]+[)）])")
PLAN_WORDS = ("下一步", "下步", "打算", "目标", "安排")
PROBLEM_WORDS = ("存在", "不足", "问题")
#: Lines of the corpus that are web-page furniture, not report text.
FURNITURE = ("来源", "扫一扫", "公网安备")
SENTENCE_END = "。！？!?"
OPENERS, CLOSERS = "“《(（", "”》)）"
#: A year in the text, not one end of a period like 2021—2025年, followed by 年 or a -MM-DD date.
YEAR = re.compile(r"(?<![\d—–~至\-])((?:19|20)\d{2})(?=\s*年(?!\s*[—–~至\-]\s*\d)|-\d{1,2}-\d{1,2})")
#: A count with its measure word: 12项, 300余次, 1名.
COUNT = re.compile(r"(?<![\d.])(\d{1,4})(?=余?[件次人名个项场户起条份期家卷])")
#: How far from the source report's year a year may be and still move with it.
YEAR_REACH = 2

LAW_TEMPLATES = (
    "组织领导干部专题学习{law},全年开展集中学法{n}次。",
    "举办{law}专题讲座{n}场,参训干部{m}人次。",
    "将{law}纳入党委理论学习中心组学习内容,做到学法常态化。",
    "严格执行{law},依法规范{domain}工作。",
    "依据{law}开展{domain}专项检查{n}次,督促整改问题{m}个。",
    "认真贯彻落实{law},推动{domain}工作依法开展。",
    "围绕{law}开展集中宣传活动{n}场次,发放宣传资料{m}份。",
)
DOMAINS = ("行政执法", "安全生产", "生态环境保护", "市场监管", "食品安全", "耕地保护", "劳动保障",
           "未成年人保护", "信访", "应急管理", "征地拆迁", "城乡建设")
PROGRAM_TEMPLATES = (
    "深入推进“{label}”工作,{outcome}。",
    "扎实开展{label}相关工作,{outcome}。",
    "持续深化{label},{outcome}。",
    "以{label}为抓手,{outcome}。",
)
OUTCOMES = ("推动各项工作落地见效", "群众满意度持续提升", "基层依法治理水平不断提高",
            "形成了一批可复制可推广的经验做法", "累计覆盖群众{m}人次", "全年开展专题活动{n}场次")
INITIATIVE_TEMPLATES = (
    "打造“{name}”{tail},{outcome}。",
    "创新推出“{name}”{tail},累计服务群众{m}人次。",
    "依托“{name}”{tail},就地化解矛盾纠纷{n}件。",
)
#: The words after an initiative's closing quote; each holds an activity word of ``cues.toml``.
INITIATIVE_TAILS = ("综合服务阵地", "专项行动", "工作法", "调解品牌", "服务平台", "工作机制", "示范点",
                    "志愿服务队")
INITIATIVE_PREFIXES = ("兴法", "法润", "和美", "暖心", "连心", "红色", "睦邻", "安心", "同心", "德润", "清风",
                       "春风", "阳光", "百姓", "邻里", "乡贤", "银发", "青苗", "护苗", "初心", "共享", "便民",
                       "解忧", "说理", "明理", "知法")
INITIATIVE_CORES = ("铺子", "驿站", "课堂", "讲堂", "小院", "议事厅", "夜话", "茶馆", "说事点", "直通车",
                    "工作室", "调解室", "会客厅", "大篷车", "云课堂", "微讲堂", "连心桥", "暖心屋")
TITLE_PATTERNS = (
    "{year}年{name}法治政府建设工作报告",
    "{year}年{name}法治政府建设工作总结",
    "{name}{year}年度法治政府建设工作情况的报告",
    "关于{name}{year}年法治政府建设工作情况的报告",
)
PROBLEM_HEADINGS = ("存在的问题和不足", "法治政府建设存在的不足和原因", "存在的主要问题")
PLAN_HEADINGS = ("下一步工作打算", "下一步工作安排", "下步工作目标")


def cn_number(n: int) -> str:
    """一 … 九十九, as headings and enumerations write them."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


def short_name(name: str) -> str:
    """The name without its administrative suffix (甘谷县 → 甘谷), as in 法治甘谷; a name that
    would be left with one character keeps its suffix (沛县)."""
    if "自治" in name:
        return "内蒙古" if name.startswith("内蒙古") else name[:2]
    for suffix in ("特别行政区", "街道", "地区", "省", "市", "县", "区", "乡", "镇", "旗", "盟"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[:-len(suffix)]
    return name


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph, cut after 。！？ outside quotes, titles and brackets."""
    sentences, start, depth = [], 0, 0
    for i, char in enumerate(paragraph):
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS:
            depth = max(0, depth - 1)
        elif char in SENTENCE_END and depth == 0:
            sentences.append(paragraph[start:i + 1].strip())
            start = i + 1
    if paragraph[start:].strip():
        sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def strip_enumerator(sentence: str) -> str:
    while True:
        match = ENUMERATOR.match(sentence)
        if not match:
            return sentence
        sentence = sentence[match.end():].lstrip()


# --- the corpus, cut into parts ------------------------------------------------------------------

@dataclass
class Source:
    """One embedded report: its division chain and its text cut into parts."""

    chain: tuple[Place, ...]  # province … the report's own division
    year: int
    opening: str = ""
    achievements: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    subheadings: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        return "township" if self.chain[-1].level == "township" else "county"


def _part_of(heading: str, current: str, top: bool) -> str:
    if any(word in heading for word in PLAN_WORDS):
        return "plans"
    if any(word in heading for word in PROBLEM_WORDS):
        return "problems"
    return "achievements" if top else current


def _is_furniture(line: str) -> bool:
    """Title, signature and date lines (short, no sentence punctuation) and web-page lines."""
    if any(word in line for word in FURNITURE):
        return True
    return len(line) <= 30 and not re.search(r"[。,，;；:：]", line) and not TOP_HEADING.match(line) \
        and not SUB_HEADING.match(line)


def read_source(path: Path, place: Place, gazetteer: Gazetteer) -> Source:
    year = int(re.match(r"(\d{4})", path.name).group(1))
    source = Source(chain=tuple(gazetteer.chain(place)), year=year)
    part = "achievements"
    seen_heading = False
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or _is_furniture(line):
            continue
        body = line
        if TOP_HEADING.match(line):
            heading = line[TOP_HEADING.match(line).end():].rstrip("。")
            part = _part_of(heading, part, top=True)
            if part == "achievements":
                source.headings.append(heading)
            seen_heading = True
            continue
        if SUB_HEADING.match(line) or NUMBERED_ITEM.match(line):
            marker = SUB_HEADING.match(line) or NUMBERED_ITEM.match(line)
            first, _, body = line[marker.end():].partition("。")
            part = _part_of(first, part, top=False)
            if part == "achievements" and len(first) <= 30:
                source.subheadings.append(first)
            elif len(first) > 30:
                body = first + "。" + body
            seen_heading = True
        if not seen_heading and not source.opening:
            source.opening = body
            continue
        sentences = [strip_enumerator(s) for s in split_sentences(body)]
        getattr(source, part).extend(s for s in sentences if len(s) >= 8 and "如下" not in s)
    return source


@cache
def sources() -> tuple[Source, ...]:
    gazetteer = default_gazetteer()
    result = []
    for code in SOURCE_CODES:
        place = gazetteer.by_code[code]
        (path,) = sorted(CORPUS.glob(f"*-{place.name}-*.txt"))
        result.append(read_source(path, place, gazetteer))
    return tuple(result)


# --- jurisdictions ----------------------------------------------------------------------------------

@cache
def targets() -> dict[str, tuple[Place, ...]]:
    """Divisions a report may speak for, by level, in code order: counties named 县 under a city
    of a province, and townships named 乡 or 镇 under such a county."""
    gazetteer = default_gazetteer()
    counties = []
    for place in sorted(gazetteer.by_code.values(), key=lambda p: p.code):
        chain = gazetteer.chain(place)
        if place.level == "county" and place.name.endswith("县") and len(chain) == 3 and _scanned(place):
            counties.append(place)
    county_codes = {place.code for place in counties}
    townships = [place for place in sorted(gazetteer.by_code.values(), key=lambda p: p.code)
                 if place.level == "township" and place.name[-1] in "乡镇" and place.parent_code in county_codes
                 and _scanned(place)]
    return {"county": tuple(counties), "township": tuple(townships)}


def _scanned(place: Place) -> bool:
    """Whether the extractor looks for this name in running text: two-character names (范县, 龙镇)
    are common words too often, so it does not, and a report of such a division is never placed."""
    return len(place.name) >= MIN_SCAN_LENGTH


_LEVEL_KEYS = ("province", "city", "county", "township")


def _forms(chain: tuple[Place, ...]) -> dict[str, str]:
    """Level key → written form: ``county`` 甘谷县, ``county/short`` 甘谷, and so on."""
    forms = {}
    for key, place in zip(_LEVEL_KEYS, chain):
        forms[key] = place.name
        short = short_name(place.name)
        if short != place.name:
            forms[key + "/short"] = short
    return forms


def _self_words(suffix: str) -> list[str]:
    """How a township report speaks of itself and its bodies, for a 乡 or a 镇."""
    return [f"我{suffix}", f"全{suffix}", f"本{suffix}", f"{suffix}党委", f"{suffix}政府", f"{suffix}人大",
            f"{suffix}纪委", f"{suffix}长", f"{suffix}村两级", f"{suffix}、村", f"{suffix}干部",
            f"依法治{suffix}", f"不出{suffix}"]


@dataclass(frozen=True)
class Retargeting:
    """Rewrites a source's sentences for another division of the same level and another year."""

    pattern: re.Pattern
    replacements: dict[str, str]
    year_shift: int
    source_year: int

    @classmethod
    def make(cls, source: Source, chain: tuple[Place, ...], year: int) -> "Retargeting":
        old, new = _forms(source.chain), _forms(chain)
        replacements = {}
        for key, written in old.items():
            replacements[written] = new.get(key, new[key.split("/")[0]])
        old_suffix, new_suffix = source.chain[-1].name[-1], chain[-1].name[-1]
        if source.level == "township" and old_suffix != new_suffix:
            for word in _self_words(old_suffix):
                replacements[word] = word.replace(old_suffix, new_suffix)
        # One pass, longest first: a name is replaced whole before any word inside it (长冈乡党委).
        alternatives = sorted(replacements, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(a) for a in alternatives))
        return cls(pattern, replacements, year - source.year, source.year)

    def __call__(self, text: str, rng: random.Random) -> str:
        text = self.pattern.sub(lambda m: self.replacements[m.group()], text)
        text = YEAR.sub(self._year, text)
        return COUNT.sub(lambda m: _redraw(m.group(1), rng), text)

    def _year(self, match: re.Match) -> str:
        year = int(match.group(1))
        return str(year + self.year_shift) if abs(year - self.source_year) <= YEAR_REACH else match.group(1)


def _redraw(number: str, rng: random.Random) -> str:
    digits = len(number)
    return str(rng.randint(1 if digits == 1 else 10 ** (digits - 1), 10 ** digits - 1))


# --- planted facts ----------------------------------------------------------------------------------

def _names_no_division(text: str, gazetteer: Gazetteer) -> bool:
    return not gazetteer.scan(text)


@cache
def plantable_laws() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(key, title, short forms) of listed acts whose titles name no division."""
    gazetteer = default_gazetteer()
    result = []
    for entry in load_laws().entries:
        # a title quoting another act (…关于批准《…》的决议) is cited by the inner act's name
        if "《" in entry.title or not _names_no_division(entry.title, gazetteer):
            continue
        shorts = tuple(s for s in entry.shorts if len(s) >= 3 and s[-1] in "法例典" and _names_no_division(s, gazetteer))
        result.append((entry.key, entry.title, shorts))
    return tuple(sorted(result))


@cache
def plantable_programs() -> tuple[tuple[str, str], ...]:
    """(program key, label) for every label of the scheme."""
    return tuple((program.key, label) for program in programs() for label in program.labels if len(label) >= 3)


@cache
def _program_labels() -> tuple[str, ...]:
    return tuple(label for program in programs() for label in program.labels + program.quoted_labels
                 if len(label) > 1)


@dataclass
class Planted:
    laws: list[str] = field(default_factory=list)  # law keys
    programs: list[str] = field(default_factory=list)  # program keys
    initiatives: list[str] = field(default_factory=list)  # names


def _initiative_name(rng: random.Random, chain: tuple[Place, ...]) -> str:
    gazetteer = default_gazetteer()
    labels = _program_labels()
    for _ in range(ATTEMPTS):
        core = rng.choice(INITIATIVE_CORES)
        prefix = short_name(chain[-1].name) if rng.random() < 0.3 else rng.choice(INITIATIVE_PREFIXES)
        name = prefix + core
        # Not a program's label, and not opening with a division's name (that makes an office).
        if not any(label in name for label in labels) and not any(s == 0 for s, _e, _n in gazetteer.scan(name)):
            return name
    raise RuntimeError("no initiative name passes the checks")


def _fill(template: str, rng: random.Random, **values: str) -> str:
    # two passes: an outcome may itself hold a count ({m} 人次)
    text = template.format(outcome=rng.choice(OUTCOMES), domain=rng.choice(DOMAINS), n="{n}", m="{m}", **values)
    return text.format(n=rng.randint(2, 40), m=rng.randint(50, 3000))


def plant(rng: random.Random, chain: tuple[Place, ...]) -> tuple[list[str], Planted]:
    """Sentences that state the planted facts, and what they plant."""
    planted, sentences = Planted(), []
    for key, title, shorts in rng.sample(plantable_laws(), rng.randint(2, 5)):
        written = rng.choice(shorts) if shorts and rng.random() < 0.4 else title
        sentences.append(_fill(rng.choice(LAW_TEMPLATES), rng, law=f"《{written}》"))
        planted.laws.append(key)
    for key, label in rng.sample(plantable_programs(), rng.randint(2, 5)):
        sentences.append(_fill(rng.choice(PROGRAM_TEMPLATES), rng, label=label))
        planted.programs.append(key)
    for _ in range(rng.randint(1, 3)):
        name = _initiative_name(rng, chain)
        sentences.append(_fill(rng.choice(INITIATIVE_TEMPLATES), rng, name=name, tail=rng.choice(INITIATIVE_TAILS)))
        planted.initiatives.append(name)
    rng.shuffle(sentences)
    return sentences, planted


# --- one report -------------------------------------------------------------------------------------

@dataclass
class Synthetic:
    index: int
    text: str
    chain: tuple[Place, ...]
    year: int
    planted: Planted

    @property
    def place(self) -> Place:
        return self.chain[-1]

    @property
    def file_name(self) -> str:
        return f"{self.index:06d}-{self.year}-{self.place.name}.txt"

    @property
    def folder(self) -> str:
        return f"{self.index // FILES_PER_FOLDER:03d}"


class _Composer:
    """Writes one report from the sources of its level; every random choice comes from ``rng``."""

    def __init__(self, rng: random.Random, chain: tuple[Place, ...], year: int):
        self.rng = rng
        self.chain = chain
        self.year = year
        level = "township" if chain[-1].level == "township" else "county"
        self.sources = [s for s in sources() if s.level == level]
        self.retarget = [Retargeting.make(s, chain, year) for s in self.sources]
        self.gazetteer = default_gazetteer()
        self.own_names = {place.name for place in chain}
        self.used_headings: set[str] = set()

    def _clean(self, text: str) -> bool:
        """True when the text names no division outside the report's own chain (a name inside one
        of the chain's, 八里铺镇 in 十八里铺镇, is part of it)."""
        found = self.gazetteer.scan(text)
        own = [(start, end) for start, end, name in found if name in self.own_names]
        return all(name in self.own_names or any(s <= start and end <= e for s, e in own)
                   for start, end, name in found)

    def _attempts(self):
        """Tries for a clean piece of text; a chain that never gives one is a generator bug."""
        for attempt in range(ATTEMPTS):
            yield attempt
        raise RuntimeError(f"no clean text for {'/'.join(p.name for p in self.chain)} in {ATTEMPTS} attempts")

    def sentence(self, part: str) -> str:
        rng = self.rng
        for _ in self._attempts():
            i = rng.randrange(len(self.sources))
            pool = getattr(self.sources[i], part) or self.sources[i].achievements
            text = self.retarget[i](rng.choice(pool), rng)
            if self._clean(text):
                return text

    def heading(self, kind: str) -> str:
        """A heading of ``kind`` (``headings`` for sections, ``subheadings``), not yet used in this
        report when the pools allow (the corpus has few section headings, so sub-headings serve too)."""
        rng = self.rng
        for attempt in range(50):
            i = rng.randrange(len(self.sources))
            source = self.sources[i]
            pool = source.headings + source.subheadings if kind == "headings" else source.subheadings
            if not pool:
                continue
            text = self.retarget[i](rng.choice(pool), rng)
            if self._clean(text) and (text not in self.used_headings or attempt >= 40):
                self.used_headings.add(text)
                return text
        return "法治政府建设工作情况"

    def opening(self) -> str:
        rng = self.rng
        for _ in self._attempts():
            i = rng.randrange(len(self.sources))
            text = self.retarget[i](self.sources[i].opening, rng)
            if self._clean(text):
                return text

    def paragraph(self, part: str, planted: list[str], enumerate_points: bool) -> str:
        rng = self.rng
        points = []
        for _ in range(rng.randint(2, 5)):
            if part == "achievements" and planted and rng.random() < 0.4:
                point = planted.pop()
            else:
                point = "".join(self.sentence(part) for _ in range(rng.randint(1, 2)))
            points.append(point)
        if enumerate_points:
            points = [f"{cn_number(n)}是{point}" for n, point in enumerate(points, 1)]
        return "".join(points)


def _size(lines: list[str]) -> int:
    return len("\n".join(lines).encode("utf-8"))


def compose(index: int, seed: int = 0) -> Synthetic:
    """Report ``index`` of the synthetic corpus for ``seed``."""
    rng = random.Random(f"fzkg-bench:{seed}:{index}")
    level = "township" if rng.random() < TOWNSHIP_SHARE else "county"
    place = rng.choice(targets()[level])
    chain = tuple(default_gazetteer().chain(place))
    year = rng.choice(YEARS)
    for _attempt in range(20):
        lines, planted = _compose_lines(rng, chain, year)
        if MIN_BYTES <= _size(lines) <= MAX_BYTES:
            return Synthetic(index, "\n".join(lines), chain, year, planted)
    raise RuntimeError(f"report {index}: no size in {MIN_BYTES}–{MAX_BYTES} bytes after 20 attempts")


def _compose_lines(rng: random.Random, chain: tuple[Place, ...], year: int) -> tuple[list[str], Planted]:
    composer = _Composer(rng, chain, year)
    name = chain[-1].name
    township = chain[-1].level == "township"
    county = chain[2].name
    web_page = rng.random() < 0.3
    blank = [""] if web_page else []
    title = rng.choice(TITLE_PATTERNS).format(year=year, name=name)
    lines = [title]
    if rng.random() < 0.15 and title.endswith("工作总结"):
        lines = [title[:-4], "工作总结"]  # a title set on two lines, as 甘谷县's is
    publisher = (rng.choice([f"{county}{name}人民政府", f"{name}人民政府"]) if township
                 else rng.choice([f"{name}人民政府", f"{name}人民政府办公室", f"{name}司法局"]))
    published = f"{year + 1}-{rng.randint(1, 4):02d}-{rng.randint(1, 28):02d}"
    if web_page:
        # a township is told from its namesakes by its county, so a township's source line names it
        source = f"{county}{name}人民政府" if township else publisher
        lines += blank + [f"{published} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}\u2003来源: {source}"]
    lines += blank + [composer.opening()]

    planted_sentences, planted = plant(rng, chain)
    style = rng.choice(("sub", "enumerated", "numbered"))
    closing = _closing(composer, rng, blank)
    signature = []
    if not web_page or rng.random() < 0.5:
        signer = f"{county}{name}人民政府" if township and not web_page else publisher
        year_, month, day = published.split("-")
        signature = blank + [signer, f"{year_}年{int(month)}月{int(day)}日"]
    footer = blank + ["扫一扫在手机打开当前页"] if web_page and rng.random() < 0.5 else []
    goal = rng.randint(MIN_BYTES + 300, MAX_BYTES - 1500)
    reserve = _size(closing(1) + signature + footer)

    section = 0
    item = 0
    while _size(lines) + reserve < goal or planted_sentences:
        section += 1
        lines += blank + [f"{cn_number(section)}、{composer.heading('headings')}"]
        if style == "sub":
            for sub in range(1, rng.randint(2, 4)):
                lines += blank + [f"({cn_number(sub)}){composer.heading('subheadings')}"]
                lines += blank + [composer.paragraph("achievements", planted_sentences, enumerate_points=True)]
        elif style == "enumerated":
            lines += blank + [composer.paragraph("achievements", planted_sentences, enumerate_points=True)]
        else:
            for _ in range(rng.randint(2, 4)):
                item += 1
                lines += blank + [f"{item}.{composer.heading('subheadings')}。"
                                  + composer.paragraph("achievements", planted_sentences, enumerate_points=False)]
        if section >= 30:
            break
    return lines + closing(section + 1) + signature + footer, planted


def _closing(composer: _Composer, rng: random.Random, blank: list[str]):
    """Problems and plans: the two last sections, numbered once the achievements are written."""
    problems_heading, plans_heading = rng.choice(PROBLEM_HEADINGS), rng.choice(PLAN_HEADINGS)
    problems = "".join(composer.sentence("problems") for _ in range(rng.randint(2, 4)))
    plans = composer.paragraph("plans", [], enumerate_points=True)

    def lines(first: int) -> list[str]:
        return (blank + [f"{cn_number(first)}、{problems_heading}"] + blank + [problems]
                + blank + [f"{cn_number(first + 1)}、{plans_heading}"] + blank + [plans])
    return lines


# --- a corpus ---------------------------------------------------------------------------------------

def generate(n: int, outdir: str | Path, seed: int = 0, progress=None) -> list[Path]:
    """Write reports 0 … n-1 under ``outdir``; returns their paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    rows = ["\t".join(("file", "code", "name", "level", "year", "bytes", "laws", "programs", "initiatives"))]
    for index in range(n):
        report = compose(index, seed)
        folder = outdir / report.folder
        folder.mkdir(exist_ok=True)
        path = folder / report.file_name
        data = report.text.encode("utf-8")
        path.write_bytes(data)
        paths.append(path)
        rows.append("\t".join((f"{report.folder}/{report.file_name}", report.place.code, report.place.name,
                               report.place.level, str(report.year), str(len(data)),
                               "|".join(report.planted.laws), "|".join(report.planted.programs),
                               "|".join(report.planted.initiatives))))
        if progress:
            progress(index)
    (outdir / PLANTED_FILE).write_text("\n".join(rows) + "\n", encoding="utf-8")
    (outdir / INFO_FILE).write_text(json.dumps(info(n, seed), sort_keys=True) + "\n", encoding="utf-8")
    return paths


def info(n: int, seed: int) -> dict:
    return {"reports": n, "seed": seed, "version": GENERATOR_VERSION}


def is_generated(outdir: str | Path, n: int, seed: int) -> bool:
    """True when ``outdir`` already holds exactly this corpus (the cache test of ``bench.run``)."""
    path = Path(outdir) / INFO_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")) == info(n, seed)
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, metavar="N", help="number of reports")
    parser.add_argument("outdir", metavar="OUTDIR")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = generate(args.n, args.outdir, args.seed)
    print(f"wrote {len(paths)} reports to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
