DEPTH = config["report"]["depth_example"]
DEPTH_SETTINGS = pass_settings(config, DEPTH["experiment"], DEPTH["pass"])
# Inputs, so editing a template re-renders the report; absolute, so any --directory works.
TEMPLATES = Path(workflow.basedir) / "templates"


rule depth_example:
    # Builds (never trains) the pass with and without some layers to count their weights.
    output:
        "results/tables/depth_example.json",
    params:
        code=code("depth_example.py"),
        experiment=DEPTH["experiment"],
        pass_name=DEPTH["pass"],
        drop=DEPTH["remove"],
        layers=DEPTH_SETTINGS["layers"],
        input_shape=list(input_shape(config, DEPTH_SETTINGS["input"])),
        input_name=DEPTH_SETTINGS.get("input_name"),
    resources:
        mem_mb=1500,
        runtime=5,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/report/depth_example.log",
    benchmark:
        "results/benchmarks/report/depth_example.tsv"
    script:
        "../scripts/depth_example.py"


rule report:
    # Per-pass files come with their keys in params (pass_keys, plot_keys), in the same order.
    input:
        tables=expand("results/tables/{name}.csv", name=TABLES),
        metrics="results/metrics.csv",
        scores=pass_outputs("scores.json"),
        layers=pass_outputs("layers.csv"),
        curves=plot_files("curves"),
        confusion_plots=plot_files("confusion"),
        comparison="results/plots/comparison.svg",
        equations=rules.equations.output,
        depth="results/tables/depth_example.json",
        **pneumonia_report_inputs(),
        templates=template_files(),
        template=TEMPLATES / "report.html.j2",
        style=TEMPLATES / "report.css",
    output:
        report(
            "results/report.pdf",
            caption="../templates/captions/report.rst",
            category="Report",
        ),
    params:
        code=code("report.py"),
        texts=report_texts(config),
        pass_keys=[f"{e}/{p}/{s}" for e, p in passes(config) for s in seeds(config)],
        plot_keys=[f"{e}/{p}" for e, p in passes(config)],
        inputs=pass_inputs(),
        report=config["report"],
        seed=config["seed"],
        repeats=config.get("repeats", 1),
        primary_seed=PRIMARY_SEED,
    resources:
        mem_mb=1500,
        runtime=10,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/report/report.log",
    benchmark:
        "results/benchmarks/report.tsv"
    script:
        "../scripts/report.py"


rule pneumonia_analysis:
    input:
        val=[f"{PASS_DIR}/val_predictions.csv".format(experiment=e, pass_name=p, seed=PRIMARY_SEED)
             for e, p in PNEUMONIA_PASSES],
        test=[f"{PASS_DIR}/predictions.csv".format(experiment=e, pass_name=p, seed=PRIMARY_SEED)
              for e, p in PNEUMONIA_PASSES],
    output:
        metrics="results/tables/pneumonia_metrics.csv",
        roc="results/tables/pneumonia_roc.csv",
        sweep="results/tables/pneumonia_sweep.csv",
        summary="results/tables/pneumonia_summary.json",
    params:
        code=code("pneumonia_analysis.py"),
        names=[p for _, p in PNEUMONIA_PASSES],
        target=config["report"]["pneumonia"]["target_sensitivity"],
        population=config["report"]["pneumonia"]["population"],
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/report/pneumonia_analysis.log",
    benchmark:
        "results/benchmarks/report/pneumonia_analysis.tsv"
    script:
        "../scripts/pneumonia_analysis.py"


rule plot_pneumonia:
    input:
        metrics="results/tables/pneumonia_metrics.csv",
        roc="results/tables/pneumonia_roc.csv",
        sweep="results/tables/pneumonia_sweep.csv",
    output:
        roc=report("results/plots/pneumonia/roc.svg", caption="../templates/captions/roc.rst",
                   category="Pneumonia"),
        sweep=report("results/plots/pneumonia/sweep.svg", caption="../templates/captions/sweep.rst",
                     category="Pneumonia"),
    params:
        code=code("plot_pneumonia.py"),
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/plots/pneumonia.log",
    benchmark:
        "results/benchmarks/plots/pneumonia.tsv"
    script:
        "../scripts/plot_pneumonia.py"
