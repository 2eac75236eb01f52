"""What a researcher does with questions and links in the browser: ask on the home page, read
the answer and its evidence, open its SPARQL in the query editor, choose among ambiguous names,
look at an initiative's neighbours and at an adoption timeline."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from conftest import WAIT
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from ontology import initiative_iri, local_id

CARD_QUESTIONS = {"mingbairen": "哪些县开展了“法律明白人”?", "huanghe": "哪些地方学习了《中华人民共和国黄河保护法》?"}
XINGFA = str(initiative_iri("兴法铺子"))


def wait(driver, timeout: float = WAIT) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def answer_evidence(driver) -> set[tuple[str, int, int]]:
    """(report, start, end) of every evidence link of the answer, folded ones included."""
    links = driver.find_elements(By.CSS_SELECTOR, "#answer-rows a.evidence-link")
    return {(a.get_attribute("data-report"), int(a.get_attribute("data-start")), int(a.get_attribute("data-end")))
            for a in links}


def column(driver, name: str) -> list[str]:
    header = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#result-table thead th")]
    index = header.index(name) + 1
    return [td.text for td in driver.find_elements(By.CSS_SELECTOR, f"#result-table tbody td:nth-child({index})")]


@pytest.mark.parametrize("name", list(CARD_QUESTIONS))
def test_ask_on_the_home_page_and_open_the_query_in_the_editor(driver, server, datadir, screenshot, name):
    question = CARD_QUESTIONS[name]
    driver.get(server + "/")
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    if name == "mingbairen":
        box.send_keys(Keys.ENTER)  # Enter asks, as ask.js promises
    else:
        driver.find_element(By.ID, "ask-submit").click()
    rows = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#answer-rows .answer-row"))
    assert [row.find_element(By.CSS_SELECTOR, ".answer-label a").text for row in rows] == ["甘谷县"]
    assert driver.find_element(By.ID, "question").get_attribute("value") == question
    quote = driver.find_element(By.CSS_SELECTOR, "#answer-rows blockquote.evidence")
    assert quote.is_displayed()
    link = quote.find_element(By.CSS_SELECTOR, "a.evidence-link")
    report, start, end = link.get_attribute("data-report"), int(link.get_attribute("data-start")), \
        int(link.get_attribute("data-end"))
    assert quote.find_element(By.TAG_NAME, "p").text == datadir.read_text(report)[start:end]
    evidence = answer_evidence(driver)
    screenshot(f"ask-{name}")

    driver.find_element(By.ID, "open-in-editor").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "results").get_attribute("data-state") in ("done", "error"))
    assert driver.find_element(By.ID, "results").get_attribute("data-state") == "done"
    assert "/query?" in driver.current_url
    assert set(column(driver, "jLabel")) == {"甘谷县"}
    # the rows the editor shows are the evidence sentences the answer showed
    editor_rows = set(zip(column(driver, "report"), map(int, column(driver, "start")), map(int, column(driver, "end"))))
    assert editor_rows == evidence
    driver.execute_script("document.getElementById('status').scrollIntoView({block: 'start'})")
    screenshot(f"ask-{name}-editor")


def test_an_ambiguous_place_is_asked_back_and_a_choice_answers(driver, server, screenshot):
    driver.get(server + "/ask?" + urlencode({"q": "城关镇开展了哪些项目?"}))
    heading = driver.find_element(By.CSS_SELECTOR, "#not-understood .ambiguity h2").text
    assert "城关镇" in heading and "哪一个" in heading
    choices = driver.find_elements(By.CSS_SELECTOR, "#choices a.reask")
    assert len(choices) >= 3
    screenshot("ask-ambiguous")
    chosen = choices[1].text
    choices[1].click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "answer")))
    assert chosen in driver.find_element(By.ID, "question").get_attribute("value")
    assert chosen.removesuffix("城关镇") in driver.find_element(By.ID, "interpretation").text or \
        "城关镇" in driver.find_element(By.ID, "interpretation").text


def test_initiative_page_draws_its_neighbours_and_a_node_click_opens_its_page(driver, server, screenshot):
    driver.get(server + "/id/" + local_id(XINGFA))
    assert driver.find_element(By.ID, "entity-label").text == "兴法铺子"
    section = driver.find_element(By.ID, "neighbours")
    wait(driver).until(lambda d: section.get_attribute("data-state") == "drawn")
    graph = driver.find_element(By.ID, "neighbour-graph")
    canvases = graph.find_elements(By.TAG_NAME, "canvas")
    assert canvases and all(c.size["width"] > 100 and c.size["height"] > 100 for c in canvases[:1])
    listed = [li.find_element(By.TAG_NAME, "a").text for li in driver.find_elements(By.CSS_SELECTOR, "#neighbour-list li")]
    assert "三所联动" in listed and int(graph.get_attribute("data-nodes")) == len(listed) + 1
    legend = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#neighbour-legend li")]
    assert "特色举措" in legend and "法律法规" in legend
    # the drawing is not blank: some pixel of the node layer is painted
    painted = driver.execute_script("""
        return Array.from(arguments[0].querySelectorAll('canvas')).some(function (canvas) {
          var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          for (var i = 3; i < data.length; i += 4) { if (data[i] !== 0) { return true; } }
          return false;
        });""", graph)
    assert painted
    related = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#related-inline #related-table tbody tr"))
    assert related and "PMI" in driver.find_element(By.CSS_SELECTOR, "#related-inline caption").text
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", section)
    screenshot("entity-initiative-neighbours")

    # a click on a drawn node opens that node's entity page
    target = driver.execute_script("""
        var cy = arguments[0].cy, node = cy.nodes().filter(function (n) { return n.data('label') === '三所联动'; })[0];
        var box = arguments[0].getBoundingClientRect(), at = node.renderedPosition();
        return {x: at.x - box.width / 2, y: at.y - box.height / 2, href: node.data('href')};""", graph)
    ActionChains(driver).move_to_element_with_offset(graph, int(target["x"]), int(target["y"])).click().perform()
    wait(driver).until(EC.url_contains(target["href"]))
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "entity-label"), "三所联动"))


def test_timeline_page_draws_the_cumulative_chart(driver, server, screenshot):
    driver.get(server + "/links/timeline?" + urlencode({"node": "法律明白人"}))
    canvas = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#timeline-chart[data-drawn]")))
    provinces = len(driver.find_elements(By.CSS_SELECTOR, "#cumulative-table tbody tr")) - 1
    assert int(canvas.get_attribute("data-drawn")) == provinces + 1
    chart = driver.execute_script("""
        var chart = window.Chart.getChart(arguments[0]);
        return {labels: chart.data.labels, total: chart.data.datasets[0].data, lines: chart.data.datasets.length};""",
                                  canvas)
    header = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#cumulative-table thead th")][1:]
    totals = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#cumulative-table tr.total td")]
    assert chart["labels"] == header and [str(v) for v in chart["total"]] == totals
    assert int(totals[-1]) == len(driver.find_elements(By.CSS_SELECTOR, "#timeline-table tbody tr"))
    assert canvas.size["height"] > 200
    screenshot("links-timeline")
