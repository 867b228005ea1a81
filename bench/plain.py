"""A pass trained the notebooks' way: one script, TensorFlow's default threads, no op determinism,
`model.fit` on the arrays. Prints one JSON line: fit and wall seconds, test accuracy.

    python bench/plain.py SETTINGS_JSON SEED ARRAYS_NPZ [FEATURES_NPZ]

A HOG pass without FEATURES_NPZ computes its descriptors itself, image by image in this process, as
the notebook does (that time is in the wall seconds). A data set with a validation split (chest
X-rays) validates on it, as the course notebook does; the others hold out `validation_split`.

For the layout study, BENCH_THREADS=N pins TensorFlow's thread pools and BENCH_DETERMINISM=1 turns
op determinism on, each alone, so their effects are measured apart from the workflow.
"""

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from lab04.features.hog import hog_per_image  # noqa: E402
from lab04.features.representations import representation  # noqa: E402
from lab04.train.fit import encode_labels  # noqa: E402
from lab04.train.models import build_model, build_optimizer  # noqa: E402

settings, seed, arrays_path = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
spec = settings["input"]
prepare = representation(spec["representation"]).prepare
arrays = dict(np.load(arrays_path))
if len(sys.argv) > 4:
    source = np.load(sys.argv[4])
elif spec["representation"] == "hog":
    source = {s: hog_per_image(arrays[s], spec["orientations"], spec["pixels_per_cell"]) for s in ("x_train", "x_test")}
else:
    source = arrays
x_train, x_test = prepare(source["x_train"], spec), prepare(source["x_test"], spec)
n_classes = int(max(arrays["y_train"].max(), arrays["y_test"].max())) + 1
y_train = encode_labels(arrays["y_train"], settings["loss"], n_classes)
y_test = encode_labels(arrays["y_test"], settings["loss"], n_classes)
validation = {"validation_split": settings["validation_split"]}
if "x_val" in arrays:
    validation = {"validation_data": (prepare(arrays["x_val"], spec),
                                      encode_labels(arrays["y_val"], settings["loss"], n_classes))}
if os.environ.get("BENCH_THREADS"):
    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ["BENCH_THREADS"]))
    tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["BENCH_THREADS"]))
keras.utils.set_random_seed(seed)
if os.environ.get("BENCH_DETERMINISM") == "1":
    tf.config.experimental.enable_op_determinism()
model = build_model(x_train.shape[1:], settings["layers"], input_name=settings.get("input_name"))
model.compile(optimizer=build_optimizer(settings["optimizer"]), loss=settings["loss"], metrics=settings["metrics"])
fit_started = time.perf_counter()
model.fit(x_train, y_train, batch_size=settings["batch_size"], epochs=settings["epochs"], verbose=0, **validation)
fit_seconds = time.perf_counter() - fit_started
accuracy = model.evaluate(x_test, y_test, batch_size=settings["batch_size"], verbose=0)[1]
print(json.dumps({"fit_seconds": fit_seconds, "wall_seconds": time.perf_counter() - STARTED,
                  "test_accuracy": accuracy}))
