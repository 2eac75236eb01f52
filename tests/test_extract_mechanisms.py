"""Each extraction mechanism on invented text of the shapes real reports take.

Real reports are measured by ``scripts/score`` (the hand-annotated openings of ../shared/devset);
these tests pin each mechanism on its own, with names and sentences written for the test.
"""
import pytest

from ingest.extract.jurisdiction import self_level
from ingest.extract.laws import classify_title
from ingest.extract.initiatives import is_initiative_name
from ingest.gazetteer import autonomy_short_name, default_gazetteer
from ingest.pipeline import process
from ingest.report import Report
from ingest.vocab import departments


def extract(text: str) -> Report:
    return process(Report(source="probe.txt", original=text))


def chain(report: Report) -> list[str]:
    j = report.jurisdiction
    return [p.name for p in j.parents] + [j.name]


# --- departments ---------------------------------------------------------------------------------

def test_a_department_in_the_title_is_the_publisher_under_its_full_name():
    report = extract("丰都县人社局2023年法治政府建设工作报告\n"
                     "2023年,我局坚持以习近平新时代中国特色社会主义思想为指导,现将有关情况报告如下:")
    assert (report.publisher.name, report.publisher.kind) == ("丰都县人力资源和社会保障局", "department")
    assert chain(report) == ["重庆市", "丰都县"]


def test_a_department_opening_the_first_sentence_is_the_publisher_and_a_district_keeps_its_city():
    report = extract("2022年,天河区市场监管局深入学习贯彻习近平法治思想,认真落实区委、区政府的决策部署。"
                     "现将法治建设工作总结如下:")
    assert report.publisher.name == "广州市天河区市场监督管理局"
    assert chain(report) == ["广东省", "广州市", "天河区"]


def test_a_superior_named_in_a_leadership_clause_is_not_the_publisher():
    report = extract("2023年,在县委、县政府和市公安局党委的坚强领导下,永登县坚持依法行政。现将有关情况报告如下:")
    assert report.publisher is None
    assert chain(report) == ["甘肃省", "兰州市", "永登县"]


def test_a_report_that_says_only_we_the_bureau_takes_the_department_it_names_most():
    report = extract("关于2021年度法治政府建设工作的报告\n"
                     "2021年,我局按照县委全面依法治县委员会办公室的要求,积极推进民政工作法治化。"
                     "根据《蓝山县2021年度法治建设考核评估方案》精神,现将自查情况报告如下:\n"
                     "成立了以局长任组长的县民政局法治建设工作领导小组。")
    assert report.publisher.name == "蓝山县民政局"
    assert chain(report) == ["湖南省", "永州市", "蓝山县"]


def test_a_bureau_that_names_no_department_is_known_by_its_line_of_work():
    report = extract("2022年,全市司法行政系统在市委、市政府的正确领导下,全力推进法治政府建设。"
                     "我局牵头制定《绵阳市法治宣传教育规划》,全市法治建设取得新成效。")
    assert (report.publisher.name, report.publisher.basis) == ("绵阳市司法局", "line of work")


def test_an_area_written_with_its_level_word_twice_is_still_the_area():
    report = extract("2022年,宾川县县卫生健康局在县委、县政府的坚强领导下,全面推进法治政府建设。")
    assert report.publisher.name == "宾川县卫生健康局"
    assert chain(report)[-1] == "宾川县"


def test_a_city_bureau_whose_city_is_never_named_gets_no_jurisdiction():
    """市水务局 in a text that names only its province: the province is not the report's area."""
    report = extract("市水务局2025年度法治政府建设情况报告\n"
                     "2025年,我局认真学习《四川省人民政府办公厅关于印发行政执法质量提升方案的通知》。")
    assert report.jurisdiction is None
    assert report.publisher.name == "市水务局"
    assert any("does not name" in note for note in report.notes)


def test_a_province_department_uses_its_own_self_reference():
    report = extract("甘肃省人民政府办公厅\n2021年度法治建设工作情况报告\n2021年,我厅深入学习习近平法治思想。")
    assert (report.publisher.name, chain(report)) == ("甘肃省人民政府办公厅", ["甘肃省"])


def test_every_department_form_names_one_department():
    forms = [form for department in departments() for form in department.forms]
    assert len(forms) == len(set(forms))
    by_form = {form: d.name for d in departments() for form in d.forms}
    assert (by_form["人社局"], by_form["市场监管局"], by_form["住建局"]) == (
        "人力资源和社会保障局", "市场监督管理局", "住房和城乡建设局")


def test_a_county_report_without_a_department_has_no_department_publisher():
    report = extract("2024年,在州委、州政府的坚强领导下,和政县坚持以习近平新时代中国特色社会主义思想为指导。"
                     "县委、县政府及各乡镇、各单位党政负责人认真撰写个人述法报告。")
    assert report.publisher is None
    assert chain(report) == ["甘肃省", "临夏回族自治州", "和政县"]


# --- places --------------------------------------------------------------------------------------

def test_two_character_county_names_count_only_where_they_name_the_county():
    scanned = {name for _s, _e, name in default_gazetteer().scan(
        "湖南县域经济发展,荒唐县委不存在;蔚县交通运输局和蔚县2022年度报告")}
    assert scanned == {"蔚县"}
    found = [(s, name) for s, _e, name in default_gazetteer().scan("湖南县域经济发展")]
    assert found == []


def test_a_two_character_county_in_a_corrupted_text_keeps_its_level():
    """全省 printed for 全 many times must not make a county bureau's report a province's."""
    report = extract("蔚县交通运输局 2022年法治政府建设年度报告\n"
                     "2022年,县交通运输局以习近平法治思想和全省面依法治国精神为指导,全省年无行政复议败诉案件,"
                     "全省部承接下放事项,建立健全省相关制度。")
    assert chain(report) == ["河北省", "张家口市", "蔚县"]
    assert report.publisher.name == "蔚县交通运输局"


def test_an_autonomous_prefecture_is_found_by_its_short_name():
    assert autonomy_short_name("恩施土家族苗族自治州", ("土家", "苗")) == "恩施州"
    report = extract("中共临夏州委、临夏州人民政府:\n2024年,康乐县坚持依法行政,现将有关情况报告如下:")
    assert chain(report) == ["甘肃省", "临夏回族自治州", "康乐县"]


def test_a_city_report_is_not_taken_for_a_county_it_names_as_an_example():
    report = extract("2020年,在省委、省政府坚强领导下,绵阳市始终坚持以习近平新时代中国特色社会主义思想为指导。"
                     "涪城区、游仙区被评为全省首批法治政府建设示范区,全市法治政府建设取得新成效。")
    assert chain(report) == ["四川省", "绵阳市"]


def test_the_superior_area_in_leading_phrases_does_not_set_the_level():
    assert self_level("在全省率先建立机制,全省首批示范,我县全面推进,全县") == "county"
    assert self_level("全市开展,全市推进") == "city"


# --- laws and documents ---------------------------------------------------------------------------

@pytest.mark.parametrize("title, before, expected", [
    ("法治政府建设与责任落实督察工作规定", "按照", ("document", "")),  # 中办/国办
    ("党政机关法治建设考核办法", "中办、国办印发的", ("document", "")),
    ("2023年度法治政府建设考评办法", "出台", ("document", "")),
    ("中共某某县委全面依法治县委员会工作规则", "制定", ("document", "")),
    ("绵阳市政府合同管理办法", "修订", ("document", "")),
    ("康乐县法治督察工作实施办法", "印发", ("document", "")),
    ("四川省行政执法监督规定", "学习", ("law", "规章")),
    ("绵阳市城市生活垃圾分类管理条例", "推动", ("law", "地方性法规")),
    ("城镇供水管理条例", "学习", ("law", "行政法规")),
    ("政府投资项目管理办法", "国务院公布的", ("law", "行政法规")),
    ("中国共产党机关工作条例", "学习", ("law", "党内法规")),
    ("中国共产党党员教育管理工作规定", "学习", ("document", "")),
    ("数据安全管理法", "学习", ("law", "法律")),
    ("甘肃省党政主要负责人履行推进法治建设第一责任人职责实施办法", "印发", ("document", "")),
    ("河南省实施〈中华人民共和国土地管理法〉办法", "学习", ("law", "地方性法规")),
    ("绵阳市法治政府建设考核办法", "制定", ("document", "")),
    ("条例", "学习", ("document", "")),  # an abbreviation without its act
])
def test_an_unlisted_title_is_told_by_its_form_and_issuer(title, before, expected):
    assert classify_title(title, before) == expected


def test_the_general_offices_rules_in_a_report_are_documents():
    report = extract("2023年,习水县某局按照《党政主要负责人履行推进法治建设第一责任人职责规定》要求,"
                     "认真学习《中华人民共和国行政复议法》。")
    assert [m.title for m in report.laws] == ["中华人民共和国行政复议法"]
    assert [m.title for m in report.documents] == ["党政主要负责人履行推进法治建设第一责任人职责规定"]


# --- programs and initiatives ---------------------------------------------------------------------

def test_party_routines_counsel_and_components_of_a_named_system_are_programs():
    report = extract("2023年,我县运用党组会议“第一议题”、三会一课等载体组织学习;"
                     "充分发挥法律顾问、公职律师作用;全面落实行政执法公示制度;开展公平竞争审查。")
    assert {"第一议题", "三会一课", "法律顾问制度", "公职律师", "行政执法三项制度", "公平竞争审查"} <= {
        m.name for m in report.programs}


def test_a_program_named_inside_a_document_title_is_not_a_program_mention():
    report = extract("2024年,我县印发了《某某县法治督察工作实施办法》。")
    assert report.programs == []
    assert [m.title for m in report.documents] == ["某某县法治督察工作实施办法"]


@pytest.mark.parametrize("name, tail, before, expected", [
    ("七进", "", "开拓载体推进习近平法治思想", True),  # a numbered formula with its field before it
    ("两大体系", "", "突出抓好法治建设和基层法治", True),
    ("1177", "具体安排", "县委", True),
    ("三大战略", "", "深入实施", False),  # a development formula with no field of its own
    ("一村一警", "", "推行", True),  # numbered parts are a local name by their shape
    ("三级审核四级把关", "", "落实", True),
    ("一对一", "", "开展", False),
    ("党建+", "理念", "推动树立", True),
    ("法治住建", "行动", "部署推进", True),
    ("法治立局", "的工作要求", "按照", True),
    ("法治绵阳", "", "建设", False),  # a place's goal, not a brand
    ("法治中国", "", "建设", False),
    ("四个意识", "", "增强", False),  # a political formula
    ("生物多样性魅力城市", "称号", "荣获第二届", False),  # an honour
    ("自然城市", "平台", "并入选", False),
    ("人、财、物和机制", "", "聚焦", False),  # a list of single characters
    ("今日学法", "普法短信", "发送", True),
])
def test_a_quoted_name_is_an_initiative_by_its_shape_and_the_words_around_it(name, tail, before, expected):
    assert is_initiative_name(name, tail, before) is expected


def test_quotes_inside_a_document_title_are_not_initiatives():
    report = extract("2021年,我县起草印发《关于服务“六稳”“稳岗”进一步做好“放管服”改革有关工作的通知》。")
    assert report.initiatives == []


def test_a_province_named_by_its_short_form_tells_apart_districts_of_one_name():
    fujian = extract("鼓楼区2023年法治政府建设工作报告\n2023年,我区深入学习习近平总书记对福建工作的重要讲话精神。")
    assert (fujian.jurisdiction.code, fujian.jurisdiction.alternatives) == ("350102", [])
    jiangsu = extract("鼓楼区2023年法治政府建设工作报告\n2023年,我区深入学习习近平总书记对江苏工作的重要讲话精神。")
    assert {p.code for p in jiangsu.jurisdiction.alternatives} | {jiangsu.jurisdiction.code} == {"320106", "320302"}
    assert any("ambiguous" in note for note in jiangsu.notes)


def test_a_township_named_after_its_county_is_the_township():
    report = extract("随州市随县万和镇2023年法治政府建设工作报告\n"
                     "2023年,在随县县委、县政府的坚强领导下,全镇坚持依法行政,随县各部门给予大力支持。")
    assert chain(report) == ["湖北省", "随州市", "随县", "万和镇"]


def test_a_department_under_the_short_name_of_its_autonomous_county_gets_the_full_name():
    report = extract("石柱县公安局2025年法治政府建设工作情况的报告\n2025年,我局深入贯彻落实市委、县委决策部署。")
    assert chain(report) == ["重庆市", "石柱土家族自治县"]
    assert report.publisher.name == "石柱土家族自治县公安局"
