"""The HTML report in a real headless Chromium: it renders, draws, stays offline and
shows hostile values as text."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from farmhunt.report import render
from tests.report.conftest import XSS_HOST

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Locally a missing browser is a skip with its reason; in CI (.ci/run installs Debian's
# chromium) it is a failure, so a broken install step cannot pass unseen.
_MISSING = "no Chromium at /usr/bin/chromium (Debian: apt-get install chromium)"
if not Path(CHROMIUM).exists() and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    raise RuntimeError(_MISSING)
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=_MISSING)


@pytest.fixture(scope="module")
def browser_page(doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render(doc, "html"), encoding="utf-8")
    seen: dict[str, list[str]] = {"console": [], "errors": [], "requests": [], "dialogs": []}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))

            def dialog(d: Any) -> None:
                seen["dialogs"].append(d.message)
                d.dismiss()

            page.on("dialog", dialog)
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(200)
            yield page, seen, path.as_uri()
        finally:
            browser.close()


def test_the_ranked_table_renders(browser_page: Any, doc: dict[str, Any]) -> None:
    page, _, _ = browser_page
    assert page.locator("#ranked tbody tr").count() == len(doc["workers"])
    top = doc["workers"][0]
    assert top["full_name"] in page.locator("#ranked tbody tr").first.inner_text()


def test_the_charts_draw(browser_page: Any, doc: dict[str, Any]) -> None:
    page, _, _ = browser_page
    active = sum(1 for w in doc["workers"] if w["activity_hours"]["events"])
    assert active and page.locator("svg.activity").count() >= active
    assert page.locator("svg.activity rect.bar").count() >= 24 * active
    with_findings = sum(1 for w in doc["workers"] if w["findings"])
    assert page.locator("svg.timeline").count() == with_findings
    assert page.locator("svg.timeline circle.dot").count() > 0
    assert page.locator("svg.graph line").count() > 0
    heights = page.eval_on_selector_all(
        "svg.activity rect.bar", "els => els.map(e => e.getBBox().height)"
    )
    assert max(heights) > 10


def test_no_errors_no_network_no_dialog(browser_page: Any) -> None:
    _, seen, url = browser_page
    assert seen["errors"] == []
    assert [c for c in seen["console"] if c.startswith(("error", "warning"))] == []
    assert seen["requests"] == [url]
    assert seen["dialogs"] == []


def test_hostile_hostname_is_literal_text(browser_page: Any) -> None:
    page, seen, _ = browser_page
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert XSS_HOST in page.inner_text("body")
    assert page.locator("img").count() == 0
    assert page.locator("[onerror]").count() == 0
    assert seen["dialogs"] == []


def test_the_filter_hides_other_workers(browser_page: Any, doc: dict[str, Any]) -> None:
    page, _, _ = browser_page
    target = doc["workers"][-1]
    page.fill("#filter", target["worker_id"])
    assert page.locator("#ranked tbody tr:not(.hidden)").count() == 1
    page.fill("#filter", "")
    assert page.locator("#ranked tbody tr:not(.hidden)").count() == len(doc["workers"])


def test_no_sideways_scroll_at_800px_and_evidence_fields_use_the_width(
    browser_page: Any,
) -> None:
    page, _, _ = browser_page
    page.set_viewport_size({"width": 800, "height": 1000})
    try:
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        beyond = page.evaluate(
            "() => [...document.querySelectorAll('main *')].filter(e =>"
            " e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"
        )
        assert beyond == 0
        fields, events = page.evaluate(
            "() => [document.querySelector('table.kv').getBoundingClientRect().width,"
            " document.querySelector('table.events').getBoundingClientRect().width]"
        )
        assert fields >= 0.9 * events
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def test_the_farm_graph_is_cropped_to_what_it_draws(browser_page: Any) -> None:
    page, _, _ = browser_page
    boxes = page.eval_on_selector_all(
        "svg.graph",
        "els => els.map(e => { const b = e.getBBox(), v = e.viewBox.baseVal;"
        " return [b.y - v.y, v.y + v.height - (b.y + b.height), v.height]; })",
    )
    assert boxes
    for above, below, height in boxes:
        assert above >= 0 and below >= 0 and above + below <= 0.15 * height


def test_control_characters_show_as_escapes(browser_page: Any) -> None:
    page, _, _ = browser_page
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    text = page.inner_text("body")
    assert "evil\\x1b[2Jhost\\u202eexe.dll" in text
    assert "\x1b" not in text and "\u202e" not in text
