"""The reports in a real browser: a two-target run, its compliance HTML and its single-file
Allure HTML opened from file:// in headless Chromium, the rendered DOM checked against
summary.json, a screenshot of each kept beside the report."""

import fcntl
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.requirements import needs_debian_package
from tests.test_harness_end_to_end import run_suite

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra: pip install -e .[test]")

pytestmark = needs_debian_package("chromium", "chromium-driver")

SELECTION = ("--behaviour", "TCP-STREAM-01", "--behaviour", "UDP-DGRAM-00")
FAULTY = "faulty=python:tests.faulty.adapters:NodelayIgnored"  # fails TCP-STREAM-014


@pytest.fixture
def two_target_report(pytester):
    out = pytester.path / "report"
    result = run_suite(pytester, "--target", "reference", "--target", FAULTY, *SELECTION, "-n", "2",
                       "--sockspec-report", str(out), "--alluredir", str(pytester.path / "allure-results"))
    assert (out / "summary.json").exists(), result.stdout.str()
    return out


# One Chromium at a time across xdist workers: two chromedrivers started at once on a small
# machine have failed to come up (CI: "chromedriver unexpectedly exited. Status code was: 1").
BROWSER_LOCK = Path(tempfile.gettempdir()) / "sockspec-browser-tests.lock"
DRIVER_STARTS = 3


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--allow-file-access-from-files", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):  # a profile of its own
        options.add_argument(flag)
    with open(BROWSER_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for another worker's browser test to end
        driver = _start_driver(options, tmp_path)
        try:
            driver.set_page_load_timeout(60)
            yield driver
        finally:
            driver.quit()


def _start_driver(options, directory: Path):
    """chromedriver and its browser, started again if chromedriver exits at once; the last
    attempt's log is the error when none comes up."""
    from selenium.common.exceptions import WebDriverException
    for attempt in range(1, DRIVER_STARTS + 1):
        log = directory / f"chromedriver-{attempt}.log"
        service = webdriver.ChromeService(executable_path=CHROMEDRIVER, log_output=str(log))
        try:
            return webdriver.Chrome(service=service, options=options)
        except WebDriverException as exc:
            failure = f"{exc.msg}; chromedriver's log: {log.read_text(errors='replace')[-2000:] if log.exists() else '(none)'}"
    raise RuntimeError(f"chromedriver did not start in {DRIVER_STARTS} attempts: {failure}")


def test_compliance_report_renders_the_matrix_of_both_targets(two_target_report, browser):
    from selenium.webdriver.common.by import By
    summary = json.loads((two_target_report / "summary.json").read_text())
    browser.get((two_target_report / "compliance.html").as_uri())
    browser.save_screenshot(str(two_target_report / "compliance.png"))
    assert browser.title == "sockspec compliance report"

    rows = browser.find_elements(By.CSS_SELECTOR, "table.matrix tr.behaviour")
    assert [row.get_attribute("data-id") for row in rows] == [b["id"] for b in summary["behaviours"]]
    for label in ("reference", "faulty"):
        cells = browser.find_elements(By.CSS_SELECTOR, f"table.matrix td[data-target='{label}']")
        rendered = {verdict: sum(c.get_attribute("data-verdict") == verdict for c in cells)
                    for verdict in {c.get_attribute("data-verdict") for c in cells}}
        expected = {v: n for v, n in summary["behaviour_totals"][label].items() if n}
        assert {v: n for v, n in rendered.items() if v != "not-run"} == \
               {v: n for v, n in expected.items() if v != "not-run"}
    failing = browser.find_element(By.CSS_SELECTOR, "tr[data-id='TCP-STREAM-014'] td[data-target='faulty']")
    assert failing.get_attribute("data-verdict") == "fail" and "FAIL" in failing.text
    share = browser.find_element(By.CSS_SELECTOR, "table.shares tr[data-area='all'] td[data-target='faulty']")
    tally = summary["shares"]["faulty"]["all"]
    assert share.text.startswith(f"{tally['passed']}/{tally['applicable']}")
    assert (two_target_report / "compliance.png").stat().st_size > 10_000


def test_single_file_allure_report_opens_from_file_url(two_target_report, browser):
    from selenium.webdriver.support.ui import WebDriverWait
    index = two_target_report / "allure" / "index.html"
    if not index.exists():
        pytest.skip("the Allure HTML was not made here (Debian packages nodejs and npm missing?); "
                    "see the run's one-line note")
    browser.get(index.as_uri())
    WebDriverWait(browser, 120).until(lambda d: "TCP-STREAM-014" in d.find_element("tag name", "body").text)
    browser.save_screenshot(str(two_target_report / "allure.png"))
    body = browser.find_element("tag name", "body").text
    assert "sockspec conformance" in browser.title or "sockspec conformance" in body
    assert "NodelayIgnored" in body or "faulty" in body
