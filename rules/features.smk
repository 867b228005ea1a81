# Features: cached representations a pass reads instead of its images (HOG descriptors), one file per
# (arrays, representation settings), shared by every pass that uses it. A representation with cached
# features is its module and its entry in REPRESENTATIONS (lab04/features/representations.py): this rule
# computes any of them.

from lab04.features.representations import representation
from lab04.pass_inputs import feature_jobs
from lab04.paths import arrays_file, features_file
from lab04.train.resources import FEATURES_RESOURCES

# features key -> the arrays it is computed from, the representation and its settings
FEATURES = feature_jobs(config)


rule features:
    input:
        lambda wc: arrays_file(FEATURES[wc.key]["arrays"]),
    output:
        features_file("{key}"),
    log:
        log="results/logs/features/{key}.log",
        # the job's own benchmark record (lab04/usage.py): a rule that --cache may skip has no benchmark:
        usage="results/benchmarks/features/{key}.tsv",
    wildcard_constraints:
        key=one_of(FEATURES),
    cache: cached()
    # ranked by the longest chain of work behind it (lab04/schedule.py)
    priority: lambda wc: SCHEDULE.priority("features", wc.key)
    conda:
        ENV
    threads: lambda wc: helper_threads("features", wc.key)
    resources:
        **FEATURES_RESOURCES,
    params:
        code=lambda wc: code("features.py", representation(FEATURES[wc.key]["representation"]).compute),
        representation=lambda wc: FEATURES[wc.key]["representation"],
        settings=lambda wc: FEATURES[wc.key]["settings"],
    script:
        "../scripts/features.py"
