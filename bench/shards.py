"""Can training be independent of the thread count? A probe of the two ways at hand, per model family.

    python bench/shards.py [--steps 60] [--threads 1,2,4]

For an MLP (the report's raw pass 2: Dense 512 with batch normalisation and dropout), the 2x2 CNN and
the 7x7 CNN, on MNIST-shaped random data with a fixed seed and op determinism:
1. Keras' own `fit` step with N intra-op threads: are the weights after the steps the same for every
   N (max |difference| against 1 thread), and how long does a step take?
2. Gradient shards: each batch split into a fixed number of shards, each shard's gradient computed
   with single-threaded kernels (intra-op 1), the shards run side by side on N inter-op threads and
   summed in a fixed order. The weights cannot depend on N; what does a step cost against (1)?
   (Batch normalisation then normalises each shard on its own statistics: another model.)
Prints one table; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

MODELS = {
    "mlp": [{"Flatten": {}}, {"Dense": {"units": 512, "activation": "relu"}}, {"BatchNormalization": {}},
            {"Dropout": {"rate": 0.2}}, {"Dense": {"units": 512, "activation": "relu"}},
            {"Dense": {"units": 10, "activation": "softmax"}}],
    "cnn2x2": [{"Conv2D": {"filters": 32, "kernel_size": 2, "activation": "relu"}}, {"MaxPooling2D": {}},
               {"Conv2D": {"filters": 32, "kernel_size": 2, "activation": "relu"}}, {"MaxPooling2D": {}},
               {"Flatten": {}}, {"Dense": {"units": 10, "activation": "softmax"}}],
    "cnn7x7": [{"Conv2D": {"filters": 64, "kernel_size": 7, "padding": "same", "activation": "relu"}},
               {"MaxPooling2D": {}},
               {"Conv2D": {"filters": 64, "kernel_size": 7, "padding": "same", "activation": "relu"}},
               {"MaxPooling2D": {}}, {"Flatten": {}}, {"Dense": {"units": 10, "activation": "softmax"}}],
}

CHILD = r"""
import json, sys, time
import numpy as np, keras, tensorflow as tf
model_name, mode = sys.argv[1], sys.argv[2]
threads, shards, steps = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
layers = json.loads(sys.argv[6])
intra, inter = (threads, threads) if mode == "fit" else (1, threads)
tf.config.threading.set_intra_op_parallelism_threads(intra)
tf.config.threading.set_inter_op_parallelism_threads(inter)
keras.utils.set_random_seed(7)
tf.config.experimental.enable_op_determinism()
from lab04.train.models import build_model
rng = np.random.default_rng(0)
x = rng.random((128 * steps, 28, 28, 1), dtype=np.float32)
y = keras.utils.to_categorical(rng.integers(0, 10, 128 * steps), 10)
model = build_model((28, 28, 1), layers)
optimizer = keras.optimizers.RMSprop()
loss_fn = keras.losses.CategoricalCrossentropy()
if mode == "fit":
    model.compile(optimizer=optimizer, loss=loss_fn)
    model.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0, shuffle=False)  # build and trace
    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False)
else:
    variables = model.trainable_variables
    @tf.function
    def step(xb, yb):
        grads = []
        for xs, ys in zip(tf.split(xb, shards), tf.split(yb, shards)):
            with tf.GradientTape() as tape:
                loss = loss_fn(ys, model(xs, training=True)) / shards
            grads.append(tape.gradient(loss, variables))
        total = [tf.add_n([g[i] for g in grads]) for i in range(len(variables))]
        optimizer.apply_gradients(zip(total, variables))
    step(x[:128], y[:128]); step(x[128:256], y[128:256])  # build and trace
    start = time.perf_counter()
    for i in range(steps):
        step(x[i * 128:(i + 1) * 128], y[i * 128:(i + 1) * 128])
seconds = (time.perf_counter() - start) / steps
weights = np.concatenate([w.numpy().ravel() for w in model.trainable_variables])
np.save(sys.argv[7], weights)
print(json.dumps({"step_ms": 1000 * seconds}))
"""


def run(model: str, mode: str, threads: int, shards: int, steps: int, out: str) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", CHILD, model, mode, str(threads), str(shards), str(steps),
                           json.dumps(MODELS[model]), out], capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    import numpy as np
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--threads", default="1,2,4")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    rows = []
    tmp = os.environ.get("TMPDIR", "/tmp")
    for model in args.models.split(","):
        for mode in ("fit", "shards"):
            base = None
            for threads in counts:
                out = f"{tmp}/shards-{model}-{mode}-{threads}.npy"
                timing = run(model, mode, threads, args.shards if mode == "shards" else 1, args.steps, out)
                weights = np.load(out)
                base = weights if base is None else base
                rows.append({"model": model, "way": "Keras fit" if mode == "fit" else f"{args.shards} shards",
                             "threads": threads, "step_ms": timing["step_ms"],
                             "max_weight_difference_vs_first": float(np.abs(weights - base).max())})
                print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))


if __name__ == "__main__":
    main()
