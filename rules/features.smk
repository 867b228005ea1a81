# Features: cached representations a pass reads instead of its images (HOG descriptors).


rule hog_features:
    # One cached file per (data set, orientations, pixels per cell), shared by every pass that uses it.
    input:
        "results/data/{data}.npz",
    output:
        "results/features/{data}_hog_o{orientations}_p{ppc}.npz",
    log:
        log="results/logs/features/{data}_hog_o{orientations}_p{ppc}.log",
        # the job's own benchmark record (lab04/usage.py): a rule that --cache may skip has no benchmark:
        usage="results/benchmarks/features/{data}_hog_o{orientations}_p{ppc}.tsv",
    cache: cached()
    # ranked by the longest chain of work behind it (lab04/schedule.py)
    priority: lambda wc: SCHEDULE.priority("features", f"{wc.data}_hog_o{wc.orientations}_p{wc.ppc}")
    conda:
        "../envs/lab04.yaml"
    threads: lambda wc: helper_threads("features", f"{wc.data}_hog_o{wc.orientations}_p{wc.ppc}")
    resources:
        **HOG_RESOURCES,
    params:
        code=code("hog_features.py"),
        orientations=lambda wc: int(wc.orientations),
        pixels_per_cell=lambda wc: int(wc.ppc),
    script:
        "../scripts/hog_features.py"
