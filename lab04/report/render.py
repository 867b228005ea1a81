"""Number the sections' chapters, build the table of contents, render HTML and write the PDF."""

from __future__ import annotations

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


def render_html(context: dict, template: str | Path, style: str | Path) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(template).parent)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, num=number, count=count)
    return env.get_template(Path(template).name).render(**context, css=Path(style).read_text())


def pdf_options(variant: str) -> dict:
    """WeasyPrint's options for ``report.pdf_variant``: always tagged (a structure tree with headings,
    paragraphs, tables with header cells, figures with their alternative text, for screen readers)."""
    return {"pdf_tags": True, **({} if variant == "none" else {"pdf_variant": variant})}


def render_pdf(context: dict, template, style, dest) -> int:
    """Write the PDF atomically; return its page count."""
    from weasyprint import HTML  # slow import, only where a PDF is made

    html = render_html(context, template, style)
    options = pdf_options(context["report"].get("pdf_variant", "none"))
    document = HTML(string=html, base_url=str(Path.cwd())).render(**options)
    with atomic_path(dest) as tmp:
        document.write_pdf(tmp, **options)
    return len(document.pages)
