"""Can training be independent of the thread count? A probe of the two ways at hand, per model family.

    python bench/shards.py [--steps 60] [--threads 1,2,4]

For an MLP (the report's raw pass 2: Dense 512 with batch normalisation and dropout), the 2x2 CNN and
the 7x7 CNN, on MNIST-shaped random data with a fixed seed and op determinism:
1. Keras' own training step (`shards: 1`) with N TensorFlow threads: are the weights after the steps
   the same for every N (max |difference| against the first), and how long does a step take?
2. The workflow's gradient shards (lab04/train/shards.py, `shards: 4`): each batch in 4 slices, each
   slice's gradient on one thread, the slices side by side on N threads, summed in a fixed order.
   The weights cannot depend on N; what does a step cost against (1)?
Both through `Model.fit`, as the training job runs them.
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
import numpy as np, keras
from lab04.train.fit import configure_runtime
from lab04.train.models import build_model
from lab04.train.shards import ShardedStep
model_name, mode = sys.argv[1], sys.argv[2]
threads, shards, steps = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
layers = json.loads(sys.argv[6])
configure_runtime(7, threads, shards=shards)
rng = np.random.default_rng(0)
x = rng.random((128 * steps, 28, 28, 1), dtype=np.float32)
y = keras.utils.to_categorical(rng.integers(0, 10, 128 * steps), 10)
model = build_model((28, 28, 1), layers)
trainer = ShardedStep(model, shards) if shards > 1 else model
trainer.compile(optimizer=keras.optimizers.RMSprop(), loss="categorical_crossentropy", metrics=["accuracy"],
                jit_compile=False)
trainer.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0, shuffle=False)  # build and trace
start = time.perf_counter()
trainer.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False)
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
