"""Browser tests: the real app served by waitress on loopback, driven by headless Chromium.

One data directory is ingested from the embedded corpus per session; one server and one browser
serve every test. Screenshots go to ``test-output/screenshots/``. The tests are skipped (with the
reason) only when Chromium or its driver is not installed; ``scripts/test`` installs both.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver",)
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--window-size=1280,1000")
#: Seconds a test waits for the page to reach a state (queries on the corpus take milliseconds).
WAIT = 20
#: The server's SPARQL limits: low enough that a test can run into them, high enough for the
#: examples (at most a few dozen rows; the first query also starts the query workers).
DEADLINE = 8.0
RESULT_CAP = 500


def _first_existing(candidates, name: str) -> str | None:
    for candidate in candidates:
        if Path(candidate).is_file():
            return candidate
    return shutil.which(name)


@pytest.fixture(scope="session")
def browser_paths() -> tuple[str, str]:
    chromium = _first_existing(CHROMIUM_CANDIDATES, "chromium")
    driver = _first_existing(CHROMEDRIVER_CANDIDATES, "chromedriver")
    if chromium is None or driver is None:
        pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver "
                    "fonts-noto-cjk; scripts/test does this)")
    return chromium, driver


@pytest.fixture(scope="session")
def datadir(tmp_path_factory):
    from ingest.datadir import DataDir
    from web.commands.ingest import run_ingest

    datadir = DataDir.at(tmp_path_factory.mktemp("browser") / "data")
    result = run_ingest([CORPUS], datadir, quiet=True)
    assert result.ingested and not result.failures
    return datadir


@pytest.fixture(scope="session")
def server(datadir):
    """The app on a free loopback port; yields its base URL (no trailing slash)."""
    import waitress

    from web.app import create_app

    app = create_app(datadir.root, deadline=DEADLINE, result_cap=RESULT_CAP)
    # a short loop timeout lets close() stop the server thread quickly
    live = waitress.create_server(app, host="127.0.0.1", port=0, threads=6, asyncore_loop_timeout=0.1)
    thread = threading.Thread(target=live.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{live.effective_port}"
    finally:
        # close() must run on the server's own loop thread, not from under its select()
        live.trigger.pull_trigger(live.close)
        thread.join(timeout=5)
        live.task_dispatcher.shutdown()
        sparql = app.blueprints.get("sparql")
        if sparql is not None:
            sparql.executor.close()


@pytest.fixture(scope="session")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def driver(browser_paths, downloads, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
        # the pages speak the reader's language; the tests read the Chinese ones
        "intl.accept_languages": "zh-CN,zh",
    })
    browser = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    # headless Chromium saves downloads only when told where, through the DevTools protocol
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.set_page_load_timeout(WAIT)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="session")
def screenshot(driver):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        driver.save_screenshot(str(path))
        return path

    return save
