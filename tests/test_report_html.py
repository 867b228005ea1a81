"""The web page of the smoke run, opened in headless Chromium: self-contained, error-free, every chapter, table
and figure there and visible, sortable tables, a menu that follows the reader, a phone's layout, an accessibility
check by axe-core, and the same numbers as the PDF."""

import base64
import collections
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from browser import Page, executable
from pypdf import PdfReader

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(executable() is None and os.environ.get("CI") != "true",
                       reason="no Chromium: sudo apt-get install -y chromium (scripts/setup_test_system.sh)"),
]

ROOT = Path(__file__).resolve().parents[1]
# kept after the session: what the page looked like in the browser the test opened it in
SCREENSHOTS = ROOT / "tests" / "screenshots"
# installed by scripts/setup_test_system.sh beside the virtual environment's packages
AXE = sorted(Path(sys.prefix, "share").glob("axe-core-*/axe.min.js"))
# a number as both the PDF and the page print it: with decimals, or grouped by thousands
NUMBER = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![.,]?\d)")


@pytest.fixture(scope="module")
def page_file(run):
    workdir, _, _ = run
    return workdir / "results" / "report.html"


@pytest.fixture
def page(page_file):
    with Page(1280, 900) as p:
        p.open(page_file.as_uri())
        yield p


def visible_text(page: Page) -> str:
    """What a reader sees of the report, less what only the page has (the values behind each figure, the
    menu's button and the skip link)."""
    return page.evaluate("(() => { for (const e of document.querySelectorAll('details.values, .skip, .toc-toggle'))"
                         " e.remove(); return document.body.innerText; })()")


def test_the_page_stands_alone_and_loads_without_an_error(page_file, page, tmp_path):
    assert page.console_errors() == []
    outside = [u for u in page.requests() if not u.startswith("data:") and u != page_file.as_uri()]
    assert outside == [], outside
    # mailed on its own: the file alone in another folder shows every figure
    alone = tmp_path / "mailed.html"
    shutil.copy(page_file, alone)
    with Page(1280, 900) as p:
        p.open(alone.as_uri())
        broken = p.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                            ".map(i => i.alt)")
        assert broken == [] and p.console_errors() == []
        assert p.requests()[1:] and all(u.startswith("data:") for u in p.requests()[1:])


def test_it_may_load_nothing_from_outside(page_file, tmp_path):
    """Its content security policy refuses any request out of the file, should a figure or a text ever hold one."""
    tampered = tmp_path / "tampered.html"
    tampered.write_text(page_file.read_text().replace("</main>", '<img src="http://127.0.0.1:9/x.png" alt="x"></main>'))
    with Page(1280, 900) as p:
        p.open(tampered.as_uri())
        assert any("Content Security Policy" in e for e in p.console_errors()), p.console_errors()


def test_every_chapter_table_and_figure_is_there_and_visible(run, page):
    workdir, _, _ = run
    # the PDF's bookmarks are its headings down to the passes; the page has the same, in the same order
    reader = PdfReader(workdir / "results" / "report.pdf")

    def titles(outline):
        for item in outline:
            yield from titles(item) if isinstance(item, list) else [" ".join(item.title.split())]

    headings = page.evaluate("Array.from(document.querySelectorAll('main :is(h1, h2, h3):not(.minor)'))"
                             ".map(h => h.textContent.trim().replace(/\\s+/g, ' '))")
    assert headings == [t for t in titles(reader.outline) if t != "Contents"] and len(headings) > 20
    # every entry of the menu leads to a heading of the page
    targets = page.evaluate("Array.from(document.querySelectorAll('#toc-list a'))"
                            ".map(a => !!document.getElementById(a.hash.slice(1)))")
    assert len(targets) > 10 and all(targets)
    hidden = page.evaluate("""Array.from(document.querySelectorAll('main :is(table, figure, img, h1, h2)'))
        .filter(e => !e.closest('details'))
        .filter(e => { const r = e.getBoundingClientRect(); return r.width === 0 || r.height === 0; })
        .map(e => e.tagName + ' ' + e.textContent.slice(0, 60))""")
    assert hidden == []
    images = page.evaluate("Array.from(document.querySelectorAll('main img')).map(i => ({alt: i.alt,"
                           " loaded: i.complete && i.naturalWidth > 0}))")
    assert all(i["loaded"] and len(i["alt"]) > 20 for i in images)
    # each pass: its training curves and its confusion matrix, each named in its alternative text
    metrics = pd.read_csv(workdir / "results" / "metrics.csv")
    for row in metrics.itertuples():
        label = f"{row.experiment}/{row._2}"
        assert sum(label in i["alt"] for i in images) >= 2 - (row.experiment == "pneumonia"), label


def test_the_curves_values_are_in_a_table_beside_each_plot(run, page):
    workdir, _, _ = run
    histories = pd.read_csv(workdir / "results" / "tables" / "histories.csv")
    tables = page.evaluate("""Array.from(document.querySelectorAll('details.values')).map(d => ({
        summary: d.querySelector('summary').textContent,
        header: Array.from(d.querySelectorAll('thead th')).map(th => th.textContent.trim()),
        rows: Array.from(d.querySelectorAll('tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent))}))""")
    curves = [t for t in tables if "curves" in t["summary"] and "ROC" not in t["summary"]]
    assert len(curves) == histories.groupby(["experiment", "pass"]).ngroups
    first = histories[(histories["experiment"] == "raw") & (histories["pass"] == "pass1")]
    table = curves[0]
    assert table["header"][:3] == ["Epoch", "Training loss", "Validation loss"]
    assert [r[0] for r in table["rows"]] == [str(e) for e in first["epoch"]]
    assert table["rows"][-1][2] == f"{first['val_loss'].iloc[-1]:.4f}"
    roc = next(t for t in tables if "ROC" in t["summary"])
    points = pd.read_csv(workdir / "results" / "tables" / "pneumonia_roc.csv")
    assert roc["header"] == ["Model", "Threshold", "1 − specificity", "Sensitivity"]
    assert len(roc["rows"]) == len(points[(points["split"] == "test") & (points["model"] == "seed 42")])
    # closed until asked for; opened, the table shows
    page.click("details.values summary")
    assert page.evaluate("document.querySelector('details.values table').getBoundingClientRect().height") > 0


def column(page: Page, table: str, index: int) -> list[str]:
    return page.evaluate(f"Array.from(document.querySelector({json.dumps(table)}).tBodies[0].rows)"
                         f".map(r => r.cells[{index}].textContent.trim())")


def test_sorting_the_all_passes_table_by_any_column(page):
    table = "table.sortable.wide"
    headers = page.evaluate(f"Array.from(document.querySelector('{table}').tHead.rows[0].cells)"
                            ".map(th => th.querySelector('button.sort') && th.textContent.trim())")
    assert headers[:2] == ["Pass", "Test accuracy"] and all(headers)
    before = column(page, table, 0)
    page.click(f"{table} thead th:nth-child(2) button")
    accuracy = [float(v.split()[0]) for v in column(page, table, 1)]
    assert accuracy == sorted(accuracy) and column(page, table, 0) != before
    assert page.evaluate(f"document.querySelector('{table} thead th:nth-child(2)').getAttribute('aria-sort')") \
        == "ascending"
    page.click(f"{table} thead th:nth-child(2) button")
    assert [float(v.split()[0]) for v in column(page, table, 1)] == sorted(accuracy, reverse=True)
    page.click(f"{table} thead th:nth-child(5) button")  # parameters, written 1,234,567
    params = [int(v.replace(",", "")) for v in column(page, table, 4)]
    assert params == sorted(params)
    page.click(f"{table} thead th:nth-child(1) button")
    assert column(page, table, 0) == sorted(before)


def test_the_menu_stays_in_view_and_marks_where_the_reader_is(page):
    for anchor in ("cnn", "pneumonia", "provenance"):
        page.evaluate(f"document.getElementById('{anchor}').scrollIntoView();"
                      " window.dispatchEvent(new Event('scroll'))")
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", await_promise=True)
        current = page.evaluate("Array.from(document.querySelectorAll('#contents a[aria-current=location]'))"
                                ".map(a => a.getAttribute('href'))")
        assert current == [f"#{anchor}"]
        top = page.evaluate("document.getElementById('contents').getBoundingClientRect().top")
        assert top == 0, "the menu scrolled away"


def test_a_phone_gets_one_column_and_a_menu_behind_a_button(page_file):
    with Page(390, 844) as p:
        p.open(page_file.as_uri())
        assert p.evaluate("document.documentElement.scrollWidth") <= 390  # only wide tables scroll, on their own
        toggle = "#contents .toc-toggle"
        assert p.evaluate("getComputedStyle(document.getElementById('toc-list')).display") == "none"
        p.click(toggle)
        assert p.evaluate(f"document.querySelector('{toggle}').getAttribute('aria-expanded')") == "true"
        assert p.evaluate("document.getElementById('toc-list').getBoundingClientRect().height") > 100
        SCREENSHOTS.mkdir(exist_ok=True)
        p.screenshot(SCREENSHOTS / "report-html-phone.png")


def test_printed_from_the_browser_without_the_menu_and_no_figure_split(page, tmp_path):
    page.call("Emulation.setEmulatedMedia", {"media": "print"})
    shown = page.evaluate("['#contents', 'details.values', '.skip'].map(s => getComputedStyle("
                          "document.querySelector(s)).display)")
    assert shown == ["none"] * 3
    kept = page.evaluate("['main figure', 'main tr', 'main table.keep'].map(s => getComputedStyle("
                         "document.querySelector(s)).breakInside)")
    assert kept == ["avoid"] * 3
    assert page.evaluate("getComputedStyle(document.querySelector('main thead')).display") == "table-header-group"
    printed = tmp_path / "printed.pdf"
    printed.write_bytes(base64.b64decode(page.call("Page.printToPDF", {"preferCSSPageSize": True})["data"]))
    pdf = PdfReader(printed)
    assert len(pdf.pages) > 10 and "Contents" not in pdf.pages[1].extract_text()


@pytest.mark.skipif(not AXE and os.environ.get("CI") != "true",
                    reason="no axe-core: make test fetches it (scripts/setup_test_system.sh)")
@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_accessibility_violation(page_file, width):
    """axe-core's rules (WCAG 2.x A and AA, and its best practices: landmarks, heading order, names of
    controls, contrast, ...), on a wide screen and on a phone."""
    with Page(width, 900) as p:
        p.open(page_file.as_uri())
        p.evaluate(AXE[-1].read_text())
        violations = p.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>"
            " `${v.id} (${v.impact}): ${v.help}: ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))",
            await_promise=True)
        assert violations == []
        assert p.evaluate("axe.version") == AXE[-1].parent.name.removeprefix("axe-core-")


def test_the_page_shows_the_numbers_the_pdf_shows(run, page):
    """Both are rendered from one context: every number of the PDF is on the page and the other way round (the
    PDF may show one more often: a table that runs over a page repeats its footer)."""
    workdir, _, _ = run
    reader = PdfReader(workdir / "results" / "report.pdf")
    in_pdf = collections.Counter(NUMBER.findall(" ".join(p.extract_text() for p in reader.pages)))
    on_page = collections.Counter(NUMBER.findall(visible_text(page)))
    assert len(on_page) > 100
    assert set(in_pdf) == set(on_page), (set(in_pdf) ^ set(on_page))
    assert not on_page - in_pdf, on_page - in_pdf
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(SCREENSHOTS / "report-html.png")
