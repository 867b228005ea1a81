# Report: results/report.pdf from the tables, plots and the pass outputs (lab04/report/).

# Inputs, so editing a template re-renders the report; absolute, so any --directory works.
TEMPLATES = WORKFLOW_DIR / "templates"


rule report:
    # Per-pass files come with their keys in params (pass_keys, plot_keys), in the same order.
    input:
        **pneumonia_report_inputs(),
        **sweep_report_inputs(),
        **diff_report_inputs(),
        tables=expand("results/tables/{name}.csv", name=[*TABLES, "runtimes"]),
        metrics="results/metrics.csv",
        scores=pass_outputs("scores.json"),
        layers=pass_outputs("layers.csv"),
        curves=plot_files("curves"),
        confusion_plots=plot_files("confusion"),
        comparisons=[f"results/plots/comparison/{d}.svg" for d in chapter_passes()],
        equations=rules.equations.output,
        depth="results/tables/depth_example.json",
        timeline="results/plots/timeline.svg",
        templates=template_files(),
        template=TEMPLATES / "report.html.j2",
        style=TEMPLATES / "report.css",
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
        "../envs/lab04.yaml"
    resources:
        mem_mb=1500,
        runtime=10,
    params:
        code=code("report.py"),
        texts=report_texts(config),
        pass_keys=PASS_KEYS,
        plot_keys=[f"{e}/{p}" for e, p in passes(config)],
        comparison_keys=list(chapter_passes()),
        inputs=pass_inputs(),
        report=config["report"],
        seed=config["seed"],
        repeats=config.get("repeats", 1),
        primary_seed=PRIMARY_SEED,
        sweeps={f"{e}/{p}": sweep_spec(config, e, p) for e, p in SWEEPS},
        diff_base=DIFF_BASE,
    script:
        "../scripts/report.py"
