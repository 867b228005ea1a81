"""The smoke run's PDF as a screen reader and an archive read it: tagged (structure tree, marked content),
with its title and language, alternative text on every figure written from the data, header cells in
its tables, bookmarks for the contents, and PDF/A-3 level A identification in its XMP metadata."""

import pandas as pd
import pytest
import yaml
from conftest import ROOT
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from lab04.analysis.tables import matrix_of
from lab04.report import alt

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def reader(run):
    workdir, _, _ = run
    return PdfReader(workdir / "results" / "report.pdf")


def structure(node, out: list) -> list:
    """Every structure element under ``node``, depth first, as dicts."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, ArrayObject):
        for child in node:
            structure(child, out)
    elif isinstance(node, DictionaryObject):
        if "/S" in node:
            out.append(node)
        if "/K" in node:
            structure(node["/K"], out)
    return out


@pytest.fixture(scope="module")
def elements(reader):
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "the PDF is not tagged"
    return structure(root["/StructTreeRoot"], [])


def test_catalog_says_tagged_with_language_and_title(reader):
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    title = yaml.safe_load((ROOT / "config.yaml").read_text())["report"]["title"]
    assert reader.metadata.title == title


def test_xmp_identifies_pdf_a3_level_a(reader):
    xmp = reader.xmp_metadata
    assert xmp is not None, "no XMP metadata stream"
    # pdfaid:part and pdfaid:conformance, written as attributes or as elements
    pdfaid = {n.localName: n.value if n.nodeType == n.ATTRIBUTE_NODE else n.firstChild.data
              for n in xmp.get_nodes_in_namespace("", "http://www.aiim.org/pdfa/ns/id/")}
    assert pdfaid == {"part": "3", "conformance": "A"}, pdfaid
    assert xmp.dc_title and "Deep Neural Networks" in xmp.dc_title["x-default"]
    assert "/OutputIntents" in reader.trailer["/Root"]  # PDF/A: the sRGB output intent


def test_every_page_has_marked_content_tied_to_the_tree(reader):
    for number, page in enumerate(reader.pages, 1):
        assert "/StructParents" in page, f"page {number} is not tied to the structure tree"
        assert b"BDC" in page.get_contents().get_data(), f"page {number} has no marked content"


def test_headings_tables_and_figures_are_tagged(elements):
    kinds = pd.Series([str(e["/S"]) for e in elements]).value_counts()
    for kind in ("/H1", "/H2", "/H3", "/P", "/Table", "/TR", "/TH", "/TD", "/Figure", "/Caption", "/Link"):
        assert kinds.get(kind, 0) > 0, f"no {kind} element in the structure tree"


def test_data_cells_name_their_header_cells(elements):
    """Each table cell points at its header cells (/Headers → the /ID of each TH: the column's, and the row's
    where the row starts with a header, as in a confusion matrix)."""
    ids = {str(e["/ID"]) for e in elements if e["/S"] == "/TH" and "/ID" in e}
    cells = [e for e in elements if e["/S"] == "/TD"]
    headed = [c for c in cells if "/A" in c and c["/A"].get("/Headers")]
    assert len(headed) >= 0.9 * len(cells), (len(headed), len(cells))
    assert all(str(h) in ids for c in headed for h in c["/A"]["/Headers"])
    # a confusion matrix cell has two headers: its row (true class) and its column (predicted class)
    assert any(len(c["/A"]["/Headers"]) == 2 for c in headed)


def test_every_figure_has_alternative_text_from_the_data(run, elements):
    workdir, _, _ = run
    figures = [e for e in elements if e["/S"] == "/Figure"]
    missing = [i for i, f in enumerate(figures) if not str(f.get("/Alt", "")).strip()]
    assert not missing, f"{len(missing)} of {len(figures)} figures have no /Alt"
    alts = [str(f["/Alt"]) for f in figures]
    # One pass's confusion matrix, described from its counts as the report's tables hold them.
    long = pd.read_csv(workdir / "results" / "tables" / "confusion_long.csv")
    own = long[(long["experiment"] == "raw") & (long["pass"] == "pass1") & (long["seed"] == 42)]
    expected = alt.confusion("raw/pass1", matrix_of(own), [str(c) for c in range(10)])
    assert expected in alts
    assert expected.startswith("Confusion matrix of raw/pass1 on 300 test images: ")
    assert any(a.startswith("ROC curves on the test set: pneumonia/course AUC ") for a in alts)
    assert any(a.startswith("Training curves of cnn/pass3, loss and accuracy per epoch over one epoch") for a in alts)
    assert any(a.startswith("RMSprop update: ") for a in alts)


def test_bookmarks_follow_the_contents(reader):
    titles = []

    def walk(items):
        for item in items:
            (walk(item) if isinstance(item, list) else titles.append(item.title))

    walk(reader.outline)
    for chapter in ("Contents", "1. Learning algorithm and parameters", "Appendix: provenance"):
        assert chapter in titles, (chapter, titles[:10])
    assert any(t.startswith("2.1") for t in titles)  # the sections within a chapter too
