"""The committee pack as a printer sees it: headless Chromium (Debian's, installed by
.ci/run) lays each report out on A4 portrait in print media, and no table, image or figure
may reach past the page's printable width; every Chinese text node is drawn in the report's
own embedded font (a web font: the machine may have no Chinese font of its own)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

websocket = pytest.importorskip("websocket")
pytestmark = pytest.mark.skipif(shutil.which("chromium") is None,
                                reason="Debian's chromium is not installed (.ci/run installs it)")
ROOT = Path(__file__).resolve().parents[1]
#: A4 (210 mm) less 10 mm margins each side, at 96 px per inch.
A4_PRINTABLE_PX = round((210 - 20) / 25.4 * 96)

OVERFLOW_JS = f"""
(() => {{
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('table, img, h1, h2, h3, p')) {{
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) wide.push(el.tagName + ':' + Math.round(r.right));
  }}
  return JSON.stringify({{width: width, scroll: document.documentElement.scrollWidth,
                         wide: wide.slice(0, 10)}});
}})()
"""


class Browser:
    """A headless Chromium driven over the DevTools protocol (one page)."""

    def __init__(self, profile: Path):
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(url, timeout=60)
        self.n = 0

    def call(self, method: str, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                assert "error" not in msg, msg
                return msg["result"]

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression,
                         returnByValue=True)["result"]["value"]

    def open(self, path: Path, width: int, media: str = "print") -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=1200,
                  deviceScaleFactor=1, mobile=False)
        self.call("Emulation.setEmulatedMedia", media=media)
        self.call("Page.navigate", url=path.as_uri())
        for _ in range(300):
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.1)

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("print")
    made = {}
    for name, args in {
        "committee_zh": ["report", "scenarios/chengdu_ip_pledge_zh.yaml", "--out"],
        "committee_en": ["report", "scenarios/wuhan_multi_tranche_triggers.yaml", "--out"],
        "tracking_zh": ["track", "scenarios/wuhan_multi_tranche_triggers.yaml",
                        "scenarios/trustee_reports/wuhan_year1_quiet.yaml",
                        "scenarios/trustee_reports/wuhan_year1_bad.yaml", "--lang", "zh",
                        "--out"],
    }.items():
        folder = out / name
        p = subprocess.run([sys.executable, "-m", "engine", *args, str(folder), "--paths",
                            "3000"], cwd=ROOT, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        made[name] = folder / "report.html"
    return made


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium"))
    yield b
    b.close()


@pytest.mark.parametrize("name", ["committee_zh", "committee_en", "tracking_zh"])
def test_nothing_reaches_past_an_a4_portrait_page(reports, browser, name):
    browser.open(reports[name], A4_PRINTABLE_PX)
    laid = json.loads(browser.evaluate(OVERFLOW_JS))
    assert laid["wide"] == [], laid
    assert laid["scroll"] <= laid["width"] + 1, laid


@pytest.mark.parametrize("name", ["committee_zh", "committee_en", "tracking_zh"])
def test_nothing_scrolls_sideways_on_a_1280_pixel_screen(reports, browser, name):
    browser.open(reports[name], 1280, media="screen")
    laid = json.loads(browser.evaluate(OVERFLOW_JS))
    assert laid["wide"] == [], laid
    assert laid["scroll"] <= laid["width"] + 1, laid


@pytest.mark.parametrize("name", ["committee_zh", "tracking_zh"])
def test_every_chinese_text_is_drawn_in_the_embedded_font(reports, browser, name):
    browser.open(reports[name], 1280)
    assert "<pre" not in reports[name].read_text(encoding="utf-8")
    browser.call("DOM.enable")
    browser.call("CSS.enable")
    root = browser.call("DOM.getDocument", depth=-1)["root"]["nodeId"]
    nodes = browser.call("DOM.querySelectorAll", nodeId=root,
                         selector="h1, h2, h3, p, th, td")["nodeIds"]
    checked = 0
    for node in nodes:
        html = browser.call("DOM.getOuterHTML", nodeId=node)["outerHTML"]
        if not any(0x4E00 <= ord(ch) <= 0x9FFF for ch in html):
            continue
        fonts = browser.call("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
        # the embedded font is the page's only web font (its own name table may call it
        # otherwise than its CSS family): every Chinese glyph comes from it
        cjk = sum(1 for ch in html if 0x2E80 <= ord(ch))
        embedded = sum(f["glyphCount"] for f in fonts if f["isCustomFont"])
        assert embedded >= cjk, (html[:80], fonts)
        checked += 1
    assert checked > 10
