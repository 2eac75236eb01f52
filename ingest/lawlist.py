"""The list of known legal acts (``ontology/data/laws.tsv`` + ``regulations.tsv``) and title lookup.

A report names an act by its full title (《中华人民共和国行政处罚法》) or by a short form
(《行政处罚法》, 《宪法》). :meth:`LawList.lookup` resolves both. Matching is exact after
normalisation: an implementing regulation (…法实施条例) is a different act from its law, so
no prefix or substring matching is done.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterable, Iterator

from ontology import data_path

LAW_FILES = ("data/laws.tsv", "data/regulations.tsv")
COLUMNS = ("key", "title", "short", "rank", "issuer", "status", "publish_date")

_OUTER_QUOTES = (("《", "》"), ("〈", "〉"), ("<", ">"), ("“", "”"), ('"', '"'))
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "[": "(", "]": ")", "〈": "《", "〉": "》",
                           "—": "-", "–": "-", "―": "-", "‐": "-", "－": "-"})
# A version note after a title, e.g. (2021年修订) or (2018年修正本); it names a version of the
# act, not another act.
_VERSION_NOTE = re.compile(r"\((?:\d{4}年?)?(?:修正|修订|修改)?(?:文本|本|版)?\)$")


def normalize_title(written: str) -> str:
    """The comparison form of an act's title: no outer 《》, no whitespace, half-width brackets."""
    text = unicodedata.normalize("NFKC", written)
    text = "".join(text.split())
    for opening, closing in _OUTER_QUOTES:
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            text = text[len(opening):-len(closing)]
            break
    return text.translate(_BRACKETS)


def _without_version_note(title: str) -> str | None:
    match = _VERSION_NOTE.search(title)
    if match and re.search(r"\d|修", match.group()):
        return title[:match.start()]
    return None


@dataclass(frozen=True)
class LawEntry:
    key: str
    title: str
    shorts: tuple[str, ...]
    rank: str
    issuer: str
    status: str
    published: str = ""


class LawList:
    """Known acts with a lookup from any written form (title or short form) to the entry."""

    def __init__(self, entries: Iterable[LawEntry]):
        self.entries: tuple[LawEntry, ...] = tuple(entries)
        self._by_key: dict[str, LawEntry] = {}
        self._by_name: dict[str, LawEntry] = {}
        for entry in self.entries:
            if entry.key in self._by_key:
                raise ValueError(f"law key {entry.key} is listed twice")
            self._by_key[entry.key] = entry
            for name in (entry.title, *entry.shorts):
                normal = normalize_title(name)
                other = self._by_name.get(normal)
                # one written form must resolve to one act, or a lookup would guess
                if other is not None and other is not entry:
                    raise ValueError(f"{name} names both {other.title} and {entry.title}")
                self._by_name[normal] = entry

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[LawEntry]:
        return iter(self.entries)

    def by_key(self, key: str) -> LawEntry | None:
        return self._by_key.get(key)

    def lookup(self, written: str) -> LawEntry | None:
        """The act a written title or short form names, or None if the list does not know it."""
        title = normalize_title(written)
        entry = self._by_name.get(title)
        if entry is None:
            bare = _without_version_note(title)
            if bare:
                entry = self._by_name.get(bare)
        return entry


def read_law_file(path: Path) -> list[LawEntry]:
    """Entries of one law TSV (comment lines start with ``#``, then a header row)."""
    entries: list[LawEntry] = []
    header: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            missing = set(COLUMNS) - set(header)
            if missing:
                raise ValueError(f"{path}: header lacks {sorted(missing)}")
            continue
        if len(cells) != len(header):
            raise ValueError(f"{path}:{number}: {len(cells)} cells, header has {len(header)}")
        row = dict(zip(header, cells))
        entries.append(LawEntry(
            key=row["key"], title=row["title"],
            shorts=tuple(s for s in row["short"].split("|") if s),
            rank=row["rank"], issuer=row["issuer"], status=row["status"],
            published=row["publish_date"],
        ))
    return entries


def load_laws(paths: Iterable[Path] | None = None) -> LawList:
    """The shipped law list (laws and regulations); pass ``paths`` to read other files."""
    if paths is None:
        return _shipped()
    return LawList(e for path in paths for e in read_law_file(Path(path)))


@cache
def _shipped() -> LawList:
    return load_laws([data_path(name) for name in LAW_FILES])
