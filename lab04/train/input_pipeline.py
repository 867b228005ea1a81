"""How batches reach a model on TensorFlow: the same batches in the same order as Keras makes them, without the
wait tf.data's autotuning puts between them.

Keras hands the numpy arrays given to ``fit``, ``evaluate`` and ``predict`` to TensorFlow through a tf.data
pipeline of its own (``ArrayDataAdapter``: a shuffled index per epoch, a parallel gather per batch, a prefetch),
with parallelism and buffers left to tf.data's autotuning. Beside another busy job, that pipeline keeps the
training step waiting for its next batch: a cnn/pass1-like model on one thread, the machine's other core busy,
spent 27 % of its wall time asleep (8.4 s for 6.1 s of CPU), no thread of the process using the missing time;
with autotuning off, the same 400 steps took 6.2 s at 99 % of a core, with the weights identical bit for bit
(bench/RESULTS.md, "TensorFlow jobs that wait"). Autotuning only sizes threads and buffers: turning it off
changes neither which samples form a batch nor their order, so every number stays the same.
"""

from __future__ import annotations

_PATCHED = "_lab04_steady"


def steady_input_pipeline() -> None:
    """Turn tf.data's autotuning off in the pipeline Keras builds from numpy arrays (once per process)."""
    import tensorflow as tf
    from keras.src.trainers.data_adapters import array_data_adapter

    adapter = array_data_adapter.ArrayDataAdapter
    if getattr(adapter.get_tf_dataset, _PATCHED, False):
        return
    keras_dataset = adapter.get_tf_dataset

    def get_tf_dataset(self):
        options = tf.data.Options()
        options.autotune.enabled = False
        return keras_dataset(self).with_options(options)

    setattr(get_tf_dataset, _PATCHED, True)
    adapter.get_tf_dataset = get_tf_dataset
