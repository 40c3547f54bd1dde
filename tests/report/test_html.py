"""HTML: one self-contained page, every log value escaped, nothing loaded from outside."""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import math
import re
from typing import Any

import pytest

from farmhunt.report import render
from farmhunt.report.graph import BOX, BOX_HEIGHT, MARGIN, WORKER_RADIUS, farm_graph, human_kinds
from farmhunt.report.html_report import script_json
from farmhunt.report.values import CONTROL
from tests.report.conftest import CONTROL_HOST, FORMULA_PROCESS, SCRIPT_CLOSE, XSS_HOST


@pytest.fixture(scope="module")
def page(doc: dict[str, Any]) -> str:
    return render(doc, "html")


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_nothing_is_loaded_from_outside(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().startswith("<!DOCTYPE html>")
    assert not re.search(r"<(link|iframe|object|embed|img|base)\b", page, re.I)
    assert not re.search(
        r"<\w+[^<>]*\s(src|href|action|srcset)\s*=\s*[\"']?(https?:|//)", page, re.I
    )
    assert not re.search(r"<\w+[^<>]*\ssrc\s*=", page, re.I)
    assert "@import" not in page and "url(" not in page


def test_the_policy_allows_only_the_pages_own_style_and_script(page: str) -> None:
    [policy] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    policy = html.unescape(policy)
    [style] = re.findall(r"<style>(.*?)</style>", page, re.S)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert f"style-src '{_sha(style)}'" in policy
    assert f"script-src '{_sha(scripts[0])}'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "innerHTML" not in scripts[0] and "eval(" not in scripts[0]


def test_log_values_are_escaped(page: str) -> None:
    assert XSS_HOST not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert SCRIPT_CLOSE not in page and "&lt;/script&gt;&lt;script&gt;alert(2)" in page
    assert "=cmd|&#39; /C calc&#39;!A0" in page or FORMULA_PROCESS.replace("'", "&#39;") in page
    assert page.count("<script") == 2  # the data block and the page's own script


def test_chart_data_is_inert_json(page: str, doc: dict[str, Any]) -> None:
    [data] = re.findall(
        r'<script type="application/json" id="farmhunt-data">(.*?)</script>', page, re.S
    )
    assert "<" not in data and ">" not in data and "&" not in data
    parsed = json.loads(data)
    assert len(parsed["workers"]) == len(doc["workers"])
    assert len(parsed["workers"][0]["activity"]["utc"]) == 24


def test_script_json_escapes_what_could_close_the_element() -> None:
    text = script_json({"x": "</script><!--&\u2028"})
    assert text == '{"x":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}'
    assert json.loads(text) == {"x": "</script><!--&\u2028"}


def test_the_page_has_every_section(page: str, doc: dict[str, Any]) -> None:
    body = page.split('<table id="ranked">', 1)[1].split("</table>", 1)[0]
    assert body.count("<tr>") == len(doc["workers"]) + 1
    for worker in doc["workers"]:
        assert worker["worker_id"] in page
    for cluster in doc["clusters"]:
        assert f'id="c-{cluster["cluster_id"]}"' in page
    assert page.count('data-chart="activity"') == len(doc["workers"])
    assert page.count('data-chart="timeline"') == len(doc["workers"])
    assert page.count('<svg class="graph"') == len(doc["clusters"])
    findings = sum(len(w["findings"]) for w in doc["workers"]) + len(doc["unattributed"])
    assert page.count('<details class="finding') == findings


def test_control_characters_are_written_out_not_drawn(page: str, doc: dict[str, Any]) -> None:
    assert CONTROL_HOST in {f["subject"] for f in doc["unattributed"]}
    assert "evil\\x1b[2Jhost\\u202eexe.dll" in page
    assert not CONTROL.search(page.split('<script type="application/json"', 1)[0])


def test_scores_show_the_figure_their_level_was_read_from(doc: dict[str, Any]) -> None:
    worker = copy.deepcopy(doc["workers"][0])
    worker.update(score=29.9, level="low", explanation="low risk (29.9/100) from 1 category")
    page = render({**doc, "workers": [worker]}, "html")
    assert page.count("<b>29.9</b>") == 2  # the ranking and the worker's section
    assert "<b>30</b>" not in page and "<b>30.0</b>" not in page


def test_farm_explanations_use_the_graphs_words(page: str, doc: dict[str, Any]) -> None:
    assert human_kinds("linked by shared residential_ip, ship_address, gateway_mac") == (
        "linked by shared home IP, ship address, router MAC"
    )
    for cluster in doc["clusters"]:
        shown = page.split(f'id="c-{cluster["cluster_id"]}"', 1)[1].split("</p>", 1)[0]
        assert "residential_ip" not in shown and "ship_address" not in shown


@pytest.mark.parametrize("members", range(2, 9))
def test_the_farm_graph_keeps_boxes_apart_and_is_cropped_to_its_drawing(members: int) -> None:
    names = [f"E{i}" for i in range(members)]
    for values in range(1, 7):
        cluster = {
            "workers": names,
            "shared": [
                {"kind": "phone", "value": f"+1555000{j}", "workers": names} for j in range(values)
            ],
        }
        graph = farm_graph(cluster, {n: f"Name {n}" for n in names})
        for box in graph.values:
            for worker in graph.workers:
                dx = max(abs(worker.x - box.x) - BOX / 2, 0)
                dy = max(abs(worker.y - box.y) - BOX_HEIGHT / 2, 0)
                assert math.hypot(dx, dy) - WORKER_RADIUS >= 15, (members, values)
            for other in graph.values:
                if other is not box:
                    apart = max(abs(other.x - box.x) - BOX, abs(other.y - box.y) - BOX_HEIGHT)
                    assert apart >= 10, (members, values)
        lowest = max(
            [w.label_y + 17 for w in graph.workers] + [v.y + BOX_HEIGHT / 2 for v in graph.values]
        )
        highest = min(
            [w.label_y - 13 for w in graph.workers] + [v.y - BOX_HEIGHT / 2 for v in graph.values]
        )
        assert graph.top <= highest and lowest <= graph.top + graph.height
        assert graph.height - (lowest - highest) <= 2 * MARGIN + 1
