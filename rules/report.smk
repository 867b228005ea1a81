# Report: results/report.pdf from every pass's scores, layers, tables and plots, and what each section
# of lab04/report/sections/ declares it reads (its `inputs` and `params`); results/report.html, the same
# report as one self-contained web page, from the same inputs and templates.

from lab04.config import report_texts
from lab04.fingerprint import content_digest
from lab04.report.render import SCREEN
from lab04.report.sections import section_inputs, section_params

# The report script reads the templates beside it (scripts/../templates); their content is a param, so an
# edited template re-renders the report while a touched or moved one does not. What only the web page
# reads (templates/screen/) is left out of the PDF's.
TEMPLATES = WORKFLOW_DIR / "templates"


rule report:
    # Per-pass files come with their keys in params (pass_keys, plot_keys), in the same order; each
    # section's own files are named <section>__<name>.
    input:
        **section_inputs(config),
        tables=[table_file(name) for name in [*TABLES, "runtimes"]],
        metrics="results/metrics.csv",
        scores=pass_outputs(config, "scores.json"),
        layers=pass_outputs(config, "layers.csv"),
        curves=PASS_PLOTS["curves"],
        confusion_plots=PASS_PLOTS["confusion"],
    output:
        report(
            "results/report.pdf",
            caption="../templates/captions/report.rst",
            category="Report",
        ),
    log:
        "results/logs/report/report.log",
    benchmark:
        "results/benchmarks/report.tsv"
    conda:
        ENV
    resources:
        mem_mb=1500,
        runtime=10,
    params:
        code=code("report.py"),
        templates=content_digest(TEMPLATES, exclude=(SCREEN,)),
        texts=report_texts(config),
        pass_keys=PASS_KEYS,
        plot_keys=[PassKey(e, p).label for e, p in passes(config)],
        inputs=PASS_INPUTS,
        report=config["report"],
        seed=config["seed"],
        repeats=config.get("repeats", 1),
        primary_seed=PRIMARY_SEED,
        sections=section_params(config),
    script:
        "../scripts/report.py"


# The same job for a browser: scripts/report.py writes the web page for an .html output.
use rule report as report_html with:
    output:
        report(
            "results/report.html",
            caption="../templates/captions/report_html.rst",
            category="Report",
        ),
    log:
        "results/logs/report/report_html.log",
    benchmark:
        "results/benchmarks/report_html.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        templates=content_digest(TEMPLATES),
