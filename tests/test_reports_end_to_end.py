"""The reports in a real browser: a two-target run, its compliance HTML and its single-file
Allure HTML opened from file:// in headless Chromium, the rendered DOM checked against
summary.json, a screenshot of each kept beside the report."""

import json
import shutil

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


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--allow-file-access-from-files", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


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
