"""The HTML report: one valid file, images that decode, tables with the run's numbers, and a
page that a browser renders."""
from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.cells, self.stack = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ("img", "meta", "br"):
            self.stack.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "td":
            self.cells.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "out"
    p = subprocess.run([sys.executable, "-m", "engine", "report", str(SCENARIO), "--out", str(out),
                        "--paths", "20000"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


def test_report_is_one_valid_html_file_whose_images_decode(report):
    page = (report / "report.html").read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(page)
    assert parser.stack == []
    assert len(parser.images) >= 3
    import matplotlib.image as mpimg

    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        img = mpimg.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert img.shape[0] > 100 and img.shape[1] > 100
        assert np.std(img) > 0.01          # not a blank picture
    assert "src='http" not in page and 'src="http' not in page   # self-contained


def test_report_tables_hold_the_runs_numbers(report):
    doc = json.loads((report / "result.json").read_text())
    page = (report / "report.html").read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(page)
    from engine.report.i18n import estimate, pct_pm

    paths = doc["run"]["paths"]
    for t in doc["tranches"]:
        assert (t["rating"] or "unrated") in parser.cells
        assert f"{t['balance']:,.0f}" in parser.cells
        assert estimate(t["default_probability"], t["default_probability_se"], paths) \
            in parser.cells
    pool = doc["pool"]
    assert pct_pm(pool["expected_default_rate"], pool["expected_default_rate_se"]) \
        in parser.cells
    for name in ("tranches.csv", "pool.csv", "cashflows.csv", "sensitivities.csv"):
        assert (report / name).read_text(encoding="utf-8-sig").count("\n") >= 2


ZH_SCENARIO = ROOT / "scenarios" / "chengdu_ip_pledge_zh.yaml"


@pytest.fixture(scope="module")
def zh_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep_zh") / "out"
    p = subprocess.run([sys.executable, "-m", "engine", "report", str(ZH_SCENARIO), "--out",
                        str(out), "--paths", "20000"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("which", ["report", "zh_report"])
def test_report_renders_in_headless_chromium(which, request, tmp_path):
    """English (Wuhan) and Chinese (Chengdu) reports; the Chinese one shows its glyphs with
    the font it embeds, on a machine with no Chinese font installed."""
    report = request.getfixturevalue(which)
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
                    "--window-size=1200,2000", f"--screenshot={shot}",
                    (report / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    import matplotlib.image as mpimg

    img = mpimg.imread(str(shot))
    keep = os.environ.get("IPABS_KEEP_SCREENSHOTS")     # a folder to look at them in
    if keep:
        shutil.copy(shot, Path(keep) / f"{which}.png")
    assert img.shape[0] >= 1000
    assert np.std(img[..., :3]) > 0.05          # text, tables and plots, not a blank page
    assert (img[..., :3].mean(axis=2) < 0.5).mean() > 0.01   # a good share of dark ink


def test_run_out_writes_the_report_too(tmp_path):
    out = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "engine", "run",
                        str(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"), "--paths", "5000",
                        "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert re.search(r"<h1>.*Nanshan", (out / "report.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("x,se", [(2.07e-7, 5.9e-8), (1.04e-8, 3e-9), (4.49e-6, 1.2e-6),
                                  (0.0123, 0.0011), (0.25, 0.003)])
def test_a_small_probability_shows_its_digits_never_zero_nor_an_exponent(x, se):
    """Committee tables show rare-event estimates (importance sampling) as plain decimals
    with the standard error's precision, not ``0.0000%`` or ``2.07e-05%``."""
    from engine.report.i18n import pct, pct_pm
    from engine.report.table import _change

    for text in (pct(x), pct_pm(x, se), _change(x, se), _change(x, None)):
        assert "e" not in text and "E" not in text, text
        digits = text.split("%")[0].lstrip("+-").replace(".", "").lstrip("0")
        assert digits and digits[0] != " ", text       # something other than zeros
        shown = float(text.split("%")[0])
        assert shown == pytest.approx(100.0 * x, rel=0.06), text


def test_every_warning_a_document_holds_reads_in_chinese():
    """The warnings the result and book documents hold (English, from the code that writes
    them) each have their Chinese for a Chinese table; an unknown one stays as it is."""
    import re

    import engine
    from engine.books import load_book
    from engine.rating.deal import rating_warnings
    from engine.report.i18n import warning_text
    from engine.result import sampling_warnings

    messages = rating_warnings([{"id": "优先级", "rating": "AAAsf", "rating_joint_default": "A-sf",
                                 "rating_by": ["GC", "SOE"]}])
    messages += sampling_warnings(5.0, 1000, [{"estimate": "A PD",
                                               "effective_sample_size": 3.0}])
    book = load_book(ROOT / "scenarios" / "books" / "shenzhen_group.yaml")
    small = book.model_copy(update={"entities": {     # leverage and one borrower over the caps
        e: v.model_copy(update={"net_assets": 1e8}) for e, v in book.entities.items()}})
    small._base_dir, small._source = book.base_dir, book.source
    book_warnings = engine.book(small, paths=2000, alone=False)["warnings"]
    assert len(book_warnings) == 3
    messages += book_warnings
    assert len(messages) == 6
    for message in messages:
        zh = warning_text(message, "zh")
        assert zh != message and warning_text(message, "en") == message
        english = set(re.findall(r"[a-z]{4,}", zh.replace(
            "simulation.importance.defensive_share", "")))      # a key of the file
        assert not english, (message, zh)
    assert warning_text("something new", "zh") == "something new"


def test_an_unrated_tranche_reads_alike_in_the_run_and_sensitivity_tables():
    """``unrated`` in the rating column and ``-`` for the grades it has none of, in both."""
    import engine
    from engine.analysis.sensitivity import sensitivity
    from engine.report.table import sensitivity_text, tranche_table

    scenario = engine.load_scenario(ROOT / "scenarios" / "chengdu_ip_pledge_zh.yaml")
    doc = sensitivity(scenario, [("x1.5", {"pd_multiplier": 1.5})], paths=2000)
    for text in (sensitivity_text(doc, "en"), tranche_table(doc["base"], "en")):
        row = next(line for line in text.splitlines() if "次级" in line).split()
        assert "unrated" in row, row
        after = row[row.index("unrated") + 1:]
        assert after[:3] == ["-", "-", "-"], row
