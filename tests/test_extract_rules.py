"""Extraction rules on short texts shaped like reports the corpus does not contain."""
from ingest.pipeline import process
from ingest.report import Report


def extract(text: str) -> Report:
    return process(Report(source="probe.txt", original=text))


DISTRICT = """成都市武侯区2023年法治政府建设年度报告
2023年,我区深入学习贯彻习近平法治思想,组织区政府常务会议学法8次,专题学习《中华人民共和国行政处罚法》《四川省优化营商环境条例》。
全区开展“法律明白人”培养工程,培养法律明白人1200余名。打造“武侯调解”品牌,推行“首违不罚”清单。
成都市武侯区人民政府
2024年3月1日"""


def test_district_report_with_signature_and_date():
    report = extract(DISTRICT)
    j = report.jurisdiction
    assert (j.name, j.level, j.code, [p.name for p in j.parents]) == ("武侯区", "district", "510107", ["四川省", "成都市"])
    assert (report.year, report.published) == (2023, "2024-03-01")
    assert (report.publisher.name, report.publisher.kind) == ("成都市武侯区人民政府", "government")
    assert {(m.title, m.relation, m.rank) for m in report.laws} == {
        ("中华人民共和国行政处罚法", "studied", "法律"), ("四川省优化营商环境条例", "studied", "地方性法规")}
    assert {m.name for m in report.initiatives} == {"武侯调解"}
    assert {"法律明白人", "首违不罚", "会前学法"} <= {m.name for m in report.programs}
    assert [(f.value, f.unit, f.approx) for f in report.figures] == [(8, "次", False), (1200, "名", True)]


def test_a_shared_township_name_is_resolved_by_its_county():
    report = extract("城关镇2022年法治政府建设工作总结\n2022年,在永登县委、县政府的领导下,我镇认真贯彻落实上级部署。")
    assert (report.jurisdiction.code, report.jurisdiction.parents[-1].name) == ("620121100", "永登县")
    assert report.jurisdiction.alternatives == []


def test_an_unresolvable_township_name_is_recorded_as_ambiguous():
    report = extract("城关镇2022年法治政府建设工作总结\n2022年,我镇认真贯彻落实上级部署。")
    assert len(report.jurisdiction.alternatives) == 81
    assert any("ambiguous" in note and "82 divisions" in note for note in report.notes)


def test_department_signature_gives_publisher_and_area():
    report = extract("司法局2023年度法治政府建设情况报告\n2023年,依据《行政复议法》办理行政复议案件15件,全县调解纠纷300余起。\n"
                     "邛崃市司法局\n2024年1月15日")
    assert (report.publisher.name, report.publisher.kind) == ("邛崃市司法局", "department")
    assert (report.jurisdiction.name, report.jurisdiction.level) == ("邛崃市", "county")
    assert [(m.title, m.relation) for m in report.laws] == [("中华人民共和国行政复议法", "applied")]


def test_county_level_city_refers_to_itself_as_wo_shi():
    report = extract("2021年度法治政府建设工作报告\n2021年,我市坚持以习近平法治思想为指导。峨眉山市全面落实行政执法“三项制度”,"
                     "学习《民法典》,制定《峨眉山市重大行政决策程序规定》。")
    assert (report.jurisdiction.name, report.jurisdiction.level) == ("峨眉山市", "county")
    # a county-level city issues normative documents, not rules
    assert [(d.title, d.relation) for d in report.documents] == [("峨眉山市重大行政决策程序规定", "issued")]
    assert [m.title for m in report.laws] == ["中华人民共和国民法典"]


def test_implementing_regulation_is_not_its_law():
    report = extract("2022年,我县学习《中华人民共和国行政复议法实施条例》。")
    assert [m.title for m in report.laws] != ["中华人民共和国行政复议法"]
    assert report.laws and report.laws[0].rank == "行政法规"


def test_slogans_and_targets_are_not_initiatives():
    report = extract("2023年,我县聚焦“走在前、勇争先”目标要求,实现“全贯通”,紧盯“关键少数”,开展“送法进万家”活动。")
    assert [m.name for m in report.initiatives] == ["送法进万家"]


def test_norms_are_not_figures():
    report = extract("2023年,每年学法不少于4次,出庭应诉率应达到100%,全年办理案件12件。")
    assert [(f.value, f.unit) for f in report.figures] == [(12, "件")]


def test_bare_constitution_only_as_an_act_not_in_compounds():
    report = extract("2023年,我镇开展宪法宣传周活动,组织宪法宣誓。重点学习宪法、民法典。")
    assert {(m.title, m.relation) for m in report.laws} == {
        ("中华人民共和国宪法", "studied"), ("中华人民共和国民法典", "studied")}
    assert {"宪法宣传周", "宪法宣誓"} <= {m.name for m in report.programs}
