# Features: cached representations a pass reads instead of its images (HOG descriptors).


rule hog_features:
    # One cached file per (data set, orientations, pixels per cell), shared by every pass that uses it.
    input:
        "results/data/{data}.npz",
    output:
        "results/features/{data}_hog_o{orientations}_p{ppc}.npz",
    log:
        "results/logs/features/{data}_hog_o{orientations}_p{ppc}.log",
    benchmark:
        "results/benchmarks/features/{data}_hog_o{orientations}_p{ppc}.tsv"
    # a minute of work that many training jobs wait for
    priority: FEEDER_PRIORITY
    conda:
        "../envs/lab04.yaml"
    threads: config["threads"]["hog"]
    resources:
        **HOG_RESOURCES,
    params:
        code=code("hog_features.py"),
        orientations=lambda wc: int(wc.orientations),
        pixels_per_cell=lambda wc: int(wc.ppc),
    script:
        "../scripts/hog_features.py"
