rule plot_pass:
    input:
        history=f"results/{{experiment}}/{{pass_name}}/seed{PRIMARY_SEED}/history.csv",
        confusion=f"results/{{experiment}}/{{pass_name}}/seed{PRIMARY_SEED}/confusion.csv",
    output:
        curves=report(
            "results/plots/{experiment}/{pass_name}/curves.svg",
            caption="../templates/captions/curves.rst",
            category="Training curves",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "pass": "{pass_name}"},
        ),
        confusion=report(
            "results/plots/{experiment}/{pass_name}/confusion.svg",
            caption="../templates/captions/confusion.rst",
            category="Confusion matrices",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "pass": "{pass_name}"},
        ),
    params:
        title=lambda wc: f"{wc.experiment}/{wc.pass_name}",
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/plots/{experiment}/{pass_name}.log",
    script:
        "../scripts/plot_pass.py"


rule plot_comparison:
    input:
        "results/tables/pass_summary.csv",
    output:
        report(
            "results/plots/comparison.svg",
            caption="../templates/captions/comparison.rst",
            category="Comparison",
        ),
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/plots/comparison.log",
    script:
        "../scripts/plot_comparison.py"


rule equations:
    output:
        rmsprop="results/plots/equations/rmsprop.svg",
        cross_entropy="results/plots/equations/cross_entropy.svg",
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/plots/equations.log",
    script:
        "../scripts/equations.py"
