"""What a researcher does in the browser: search and narrow by a facet, read the evidence in a
report, run an example query and download it, read an entity page."""
from __future__ import annotations

import csv
import io
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import DEADLINE, RESULT_CAP, WAIT
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from ontology import ID

BOM = b"\xef\xbb\xbf"
HUANGHE = "中华人民共和国黄河保护法"
PROGRAM = "法律明白人"
FIGURES_EXAMPLE = "各地行政复议案件数对比"


def wait(driver, timeout: float = WAIT) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def in_viewport(driver, element) -> bool:
    return driver.execute_script("""
        const box = arguments[0].getBoundingClientRect();
        return box.bottom > 0 && box.top < window.innerHeight && box.height > 0;""", element)


def wait_for_download(folder, suffix: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done and not any(p.name.endswith(".crdownload") for p in folder.iterdir()):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file arrived in {folder}: {[p.name for p in folder.iterdir()]}")


@pytest.fixture(scope="module")
def huanghe_path(server, datadir):
    from ingest.store import GraphStore
    from ontology import local_id

    with GraphStore.open(datadir.graph, read_only=True) as graph:
        rows = list(graph.query(f'SELECT ?law WHERE {{ ?law rdfs:label "{HUANGHE}"@zh }}'))
    assert rows
    return f"/id/{local_id(rows[0][0])}"


def marked_text(driver) -> str:
    return "".join(mark.text for mark in driver.find_elements(By.CSS_SELECTOR, "#report-text mark.evidence-mark"))


# --------------------------------------------------------------------------- (a) search and facets


def test_search_and_narrow_by_facet(driver, server, screenshot):
    driver.get(server + "/")
    box = driver.find_element(By.ID, "q")
    box.send_keys(PROGRAM)
    box.submit()
    hits = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".hit-list .hit"))
    assert len(hits) >= 2
    assert all(PROGRAM in hit.find_element(By.CSS_SELECTOR, ".snippet").text for hit in hits)
    screenshot("search-results")
    # a facet value that holds fewer reports than the whole answer, so that narrowing shows
    facet = next(link for link in driver.find_elements(By.CSS_SELECTOR, '.facet[data-facet="year"] li a')
                 if int(link.find_element(By.XPATH, "following-sibling::span[@class='count']").text) < len(hits))
    year = facet.text
    expected = int(facet.find_element(By.XPATH, "following-sibling::span[@class='count']").text)
    facet.click()
    wait(driver).until(EC.url_contains(f"year={year}"))
    narrowed = driver.find_elements(By.CSS_SELECTOR, ".hit-list .hit")
    assert len(narrowed) == expected < len(hits)
    assert all(year in hit.find_element(By.CSS_SELECTOR, ".meta").text for hit in narrowed)
    assert driver.find_element(By.CSS_SELECTOR, '.facet[data-facet="year"] .active').text == year
    screenshot("search-narrowed")


# --------------------------------------------------------------------------- (b) report and evidence


def test_report_from_hit_marks_the_evidence_sentence(driver, server, datadir, screenshot):
    driver.get(server + "/search?q=" + PROGRAM)
    hit = wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".hit-list .hit h2 a")))
    report_id = hit.find_element(By.XPATH, "ancestor::li[@class='hit']").get_attribute("data-report")
    hit.click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "report-text")))
    assert f"/report/{report_id}" in driver.current_url
    # the hit itself points at the match: it is marked on arrival
    wait(driver).until(lambda d: PROGRAM in marked_text(d))
    # follow an evidence link of the fact list: the sentence is marked and scrolled into view
    links = driver.find_elements(By.CSS_SELECTOR, "#facts-programs .evidence-link")
    assert links
    link = next((link for link in links if PROGRAM in link.get_attribute("title")), links[0])
    start, end = int(link.get_attribute("data-start")), int(link.get_attribute("data-end"))
    driver.execute_script("window.scrollTo(0, 0)")
    link.click()
    wait(driver).until(EC.url_contains(f"#char={start},{end}"))
    sentence = datadir.read_text(report_id)[start:end]
    wait(driver).until(lambda d: marked_text(d) == sentence)
    mark = driver.find_element(By.CSS_SELECTOR, "#report-text mark.evidence-mark")
    assert mark.is_displayed() and in_viewport(driver, mark)
    screenshot("report-evidence")


# --------------------------------------------------------------------------- (c) query editor


def test_query_editor_runs_an_example_and_downloads_csv(driver, server, downloads, screenshot):
    driver.get(server + "/query")
    # CodeMirror (from the npm package) replaced the text box and highlights SPARQL
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror .cm-keyword")))
    driver.find_element(By.LINK_TEXT, FIGURES_EXAMPLE).click()
    rows = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#result-table tbody tr"))
    assert driver.find_element(By.ID, "results").get_attribute("data-state") == "done"
    # IRIs get their labels (the jurisdictions) and link to their entity pages
    labelled = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#result-table a.labelled"))
    names = {a.text for a in labelled}
    assert names & {"甘谷县", "社旗县", "宣汉县"}
    assert all(a.get_attribute("href").split("/id/", 1)[1].startswith("jurisdiction/") for a in labelled)
    status = driver.find_element(By.ID, "status").text
    assert f"{len(rows)} 行" in status and "数据版本" in status
    screenshot("query-editor-results")

    for old in downloads.iterdir():
        old.unlink()
    driver.find_element(By.ID, "download-csv").click()
    data = wait_for_download(downloads, ".csv").read_bytes()
    assert data.startswith(BOM)
    lines = data[len(BOM):].decode("utf-8").splitlines()
    comments = lines[:3]
    assert all(line.startswith("# ") for line in comments)
    assert "data version" in comments[0] and "/query?q=" in comments[1]
    table = list(csv.reader(io.StringIO("\n".join(lines[3:]))))
    header = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#result-table thead th")]
    assert table[0] == header
    assert len(table) - 1 == len(rows)
    assert any("行政复议案件" in cell for row in table[1:] for cell in row)


def test_share_link_reproduces_query_and_view(driver, server, screenshot):
    driver.get(server + "/query?example=law-huanghe")
    driver.find_element(By.ID, "view-select").send_keys("原始 JSON")
    driver.find_element(By.ID, "share-button").click()
    link = driver.find_element(By.ID, "share-link").get_attribute("value")
    params = parse_qs(urlsplit(link).query)
    assert params["view"] == ["json"] and HUANGHE in params["q"][0]
    driver.get(link)
    raw = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#results pre.raw")))
    assert '"bindings"' in raw.text and "甘谷县" in raw.text
    screenshot("query-editor-share-json")


def test_construct_example_shows_triples_and_downloads_turtle(driver, server, downloads, screenshot):
    from rdflib import Graph

    driver.get(server + "/query?example=law-network-construct")
    driver.find_element(By.ID, "run-button").click()
    rows = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#result-table tbody tr"))
    header = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#result-table thead th")]
    assert header == ["subject", "predicate", "object"]
    # predicates are named by the ontology's labels once /labels has answered
    wait(driver).until(lambda d: "学习" in [node.text for node in
                                            d.find_elements(By.CSS_SELECTOR, "#result-table .labelled")])
    assert f"{len(rows)} 个三元组" in driver.find_element(By.ID, "status").text
    screenshot("query-editor-construct")
    for old in downloads.iterdir():
        old.unlink()
    driver.find_element(By.ID, "download-turtle").click()
    text = wait_for_download(downloads, ".ttl").read_text(encoding="utf-8")
    assert text.startswith("# fzkg SPARQL export") and "#   CONSTRUCT {" in text
    assert len(Graph().parse(data=text, format="turtle")) == len(rows)


def run_shared(driver, server, query: str, timeout: float = WAIT):
    driver.get(server + "/query?" + urlencode({"q": query, "view": "table"}))
    wait(driver, timeout).until(
        lambda d: d.find_element(By.ID, "results").get_attribute("data-state") in ("done", "error"))
    return driver.find_element(By.ID, "status")


def test_endpoint_messages_are_shown(driver, server, screenshot):
    status = run_shared(driver, server, "SELECT ?s WHERE {")
    assert "status-error" in status.get_attribute("class") and "查询失败（400）" in status.text
    # the result cap: the page says the answer was cut, and where
    run_shared(driver, server, "SELECT * WHERE { ?s ?p ?o }")
    notice = driver.find_element(By.CSS_SELECTOR, "#results .notice.truncated")
    assert f"最多返回 {RESULT_CAP} 行" in notice.text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")) == RESULT_CAP
    screenshot("query-editor-truncated")
    # the deadline: the endpoint stops the query and the page says so
    status = run_shared(driver, server, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                        timeout=DEADLINE + WAIT)
    assert f"查询超过时限（{DEADLINE:g} 秒）" in status.text


# --------------------------------------------------------------------------- data set


def test_dump_page_download_parses(driver, server, downloads, screenshot):
    import gzip

    from rdflib import Graph

    driver.get(server + "/dump")
    triples = int(driver.find_element(By.ID, "void-triples").text.replace(",", ""))
    screenshot("dataset-dump")
    for old in downloads.iterdir():
        old.unlink()
    driver.find_element(By.LINK_TEXT, "fzkg.nt.gz").click()
    dump = wait_for_download(downloads, ".nt.gz")
    assert len(Graph().parse(data=gzip.decompress(dump.read_bytes()), format="nt")) == triples


# --------------------------------------------------------------------------- (d) entity page


def test_law_entity_page_shows_labels_and_evidence(driver, server, huanghe_path, screenshot):
    driver.get(server + huanghe_path)
    assert driver.find_element(By.ID, "entity-label").text == HUANGHE
    assert driver.find_element(By.ID, "entity-iri").text.startswith(str(ID["law/"]))
    evidence = driver.find_element(By.CSS_SELECTOR, "blockquote.evidence")
    assert evidence.is_displayed() and HUANGHE in evidence.text
    fact = driver.find_element(By.CSS_SELECTOR, ".fact-line")
    assert "甘谷县" in fact.text and "学习" in fact.text
    incoming = driver.find_element(By.CSS_SELECTOR, "section.incoming").text
    assert "甘谷县" in incoming and "https://" not in incoming
    screenshot("entity-law")

    # the evidence link opens the report with that sentence marked and in view
    link = evidence.find_element(By.CSS_SELECTOR, "a.evidence-link")
    sentence = evidence.find_element(By.TAG_NAME, "p").text
    link.click()
    wait(driver).until(lambda d: marked_text(d) == sentence)
    assert in_viewport(driver, driver.find_element(By.CSS_SELECTOR, "#report-text mark.evidence-mark"))
    screenshot("entity-evidence-in-report")
    driver.back()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "entity-label"), HUANGHE))
    driver.find_element(By.LINK_TEXT, "甘谷县").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "entity-label"), "甘谷县"))
    crumbs = [li.text for li in driver.find_elements(By.CSS_SELECTOR, ".breadcrumb li")]
    assert crumbs == ["甘肃省", "天水市", "甘谷县"]
    screenshot("entity-jurisdiction")
