"""Number the sections' chapters, build the table of contents, render HTML, and write the PDF and the web page.

Both come from one context and the same templates (templates/report.html.j2 and its section partials):
``screen`` adds what only a browser uses (templates/screen/: the navigation, sortable tables, the values
behind each curve, its style and script) and puts every figure inside the page, so the file stands alone.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

import jinja2

from lab04.analysis.weights import fmt
from lab04.atomic import atomic_path
from lab04.report.format import count, number
from lab04.report.run import Run
from lab04.report.sections import SECTIONS


def build_context(run: Run, sections=SECTIONS) -> dict:
    """Every chapter of every section in order, numbered (appendices are not), with its partial."""
    chapters, n = [], 0
    for module in sections:
        for chapter in module.chapters(run):
            numbered = getattr(module, "NUMBERED", True)
            n += numbered
            label = str(n) if numbered else ""
            chapters.append({**chapter, "number": label, "template": f"sections/{module.TEMPLATE}",
                             "toc": [(a, f"{label}.{i}" if label else "", t)
                                     for i, (a, t) in enumerate(chapter["toc"], 1)]})
    n_passes = sum(1 for (_, _, seed) in run.scores if seed == run.primary_seed)
    return {"report": run.settings, "chapters": chapters, "seed": run.seed, "repeats": run.repeats,
            "n_experiments": len(run.texts), "n_passes": n_passes,
            "full": run.settings.get("detail", "compact") == "full",
            "provenance": next((c["provenance"] for c in chapters if "provenance" in c), {})}


# what only the web page reads, beside the shared templates (the PDF's rule does not depend on it)
SCREEN = "screen"


def data_uri(path: str | Path) -> str:
    """A figure as a data: URI, so that the web page needs no file beside it."""
    mime = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode()}"


def render_html(context: dict, templates: str | Path, screen: bool = False) -> str:
    """The report as HTML: for WeasyPrint (figures by path), or with ``screen`` a page for a browser."""
    templates = Path(templates)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, num=number, count=count, asset=data_uri if screen else str)
    own = templates / SCREEN
    extra = ({"screen_css": (own / "screen.css").read_text(), "script": (own / "report.js").read_text()}
             if screen else {})
    return env.get_template("report.html.j2").render(**context, css=(templates / "report.css").read_text(),
                                                     screen=screen, **extra)


def pdf_options(variant: str) -> dict:
    """WeasyPrint's options for ``report.pdf_variant``: always tagged (a structure tree with headings,
    paragraphs, tables with header cells, figures with their alternative text, for screen readers)."""
    return {"pdf_tags": True, **({} if variant == "none" else {"pdf_variant": variant})}


def render_pdf(context: dict, templates, dest) -> int:
    """Write the PDF atomically; return its page count."""
    from weasyprint import HTML  # slow import, only where a PDF is made

    html = render_html(context, templates)
    options = pdf_options(context["report"].get("pdf_variant", "none"))
    document = HTML(string=html, base_url=str(Path.cwd())).render(**options)
    with atomic_path(dest) as tmp:
        document.write_pdf(tmp, **options)
    return len(document.pages)


def render_page(context: dict, templates, dest) -> int:
    """Write the web page atomically (one file: figures, style and script inside); return its size in bytes."""
    with atomic_path(dest) as tmp:
        tmp.write_text(render_html(context, templates, screen=True), encoding="utf-8")
    return Path(dest).stat().st_size
