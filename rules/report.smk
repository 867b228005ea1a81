DEPTH = config["report"]["depth_example"]
# Inputs, so editing a template re-renders the report; absolute, so any --directory works.
TEMPLATES = Path(workflow.basedir) / "templates"


rule depth_example:
    # Builds (never trains) the pass with and without some layers to count their weights.
    output:
        "results/tables/depth_example.json",
    params:
        experiment=DEPTH["experiment"],
        pass_name=DEPTH["pass"],
        drop=DEPTH["remove"],
        layers=pass_settings(config, DEPTH["experiment"], DEPTH["pass"])["layers"],
        input_shape=list(input_shape(pass_settings(config, DEPTH["experiment"], DEPTH["pass"])["input"])),
        input_name=pass_settings(config, DEPTH["experiment"], DEPTH["pass"]).get("input_name"),
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/report/depth_example.log",
    script:
        "../scripts/depth_example.py"


rule report:
    input:
        tables=expand("results/tables/{name}.csv", name=TABLES),
        metrics="results/metrics.csv",
        scores=pass_outputs("scores.json"),
        layers=pass_outputs("layers.csv"),
        plots=plot_files(),
        comparison="results/plots/comparison.svg",
        equations=rules.equations.output,
        depth="results/tables/depth_example.json",
        template=TEMPLATES / "report.html.j2",
        style=TEMPLATES / "report.css",
    output:
        report(
            "results/report.pdf",
            caption="../templates/captions/report.rst",
            category="Report",
        ),
    params:
        texts=report_texts(),
        report=config["report"],
        seed=config["seed"],
        repeats=config.get("repeats", 1),
        primary_seed=PRIMARY_SEED,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/report/report.log",
    benchmark:
        "results/benchmarks/report.tsv"
    script:
        "../scripts/report.py"
