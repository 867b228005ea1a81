"""Gradient shards: a training step whose result does not depend on the number of threads.

Each batch is cut into ``shards`` fixed slices (sizes differ by at most one sample). Every slice's
loss and gradient is computed with single-threaded kernels (``configure_runtime`` sets TensorFlow's
intra-op pool to one thread), the slices run side by side on the job's threads (the inter-op pool),
and their gradients are added in slice order. No sum is ever split by the thread count, so 1, 2 or
16 threads give the same weights bit for bit on one instruction set; a job cannot use more threads
than it has shards.

The batch's loss is each slice's mean loss weighted by its share of the batch, so the gradient is
the whole batch's, as Keras' own step computes it, up to rounding. The one difference in what is
trained: batch normalisation normalises each slice by that slice's own statistics ("ghost" batch
normalisation) and updates its moving averages once per slice, in slice order.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class ShardedStep(keras.Model):
    """Trains ``inner`` (any Keras model) with gradient shards; ``inner`` is the model to save and report."""

    def __init__(self, inner: keras.Model, shards: int, **kwargs):
        super().__init__(name=f"{inner.name}_sharded", **kwargs)
        if shards < 1:
            raise ValueError(f"training.shards must be at least 1, got {shards}")
        self.inner, self.shards = inner, shards

    def call(self, x, training=False):
        return self.inner(x, training=training)

    def slices(self, n):
        """Bounds of each slice of a batch of ``n``. A batch smaller than ``shards`` (an epoch's last
        one) leaves some slices empty; those get one sample of the batch and a weight of zero, so no
        statistic is taken of nothing and the gradient stays the batch's."""
        bounds = [(n * i) // self.shards for i in range(self.shards + 1)]
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            start = tf.minimum(lo, n - 1)
            yield start, tf.maximum(hi, start + 1), hi - lo

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        n = tf.shape(x)[0]
        variables = self.trainable_weights
        total, gradients, predictions = 0.0, None, []
        for start, stop, size in self.slices(n):
            share = tf.cast(size, tf.float32) / tf.cast(n, tf.float32)
            weights = None if sample_weight is None else sample_weight[start:stop]
            with tf.GradientTape() as tape:
                y_pred = self(x[start:stop], training=True)
                loss = self.compute_loss(x=x[start:stop], y=y[start:stop], y_pred=y_pred,
                                         sample_weight=weights, training=True) * share
                scaled = self.optimizer.scale_loss(loss)
            grads = [tf.zeros_like(v) if g is None else g for g, v in
                     zip(tape.gradient(scaled, variables), variables, strict=True)]
            gradients = grads if gradients is None else [a + b for a, b in zip(gradients, grads, strict=True)]
            total += loss
            predictions.append(y_pred[:size])
        self._loss_tracker.update_state(total, sample_weight=n)
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return self.compute_metrics(x, y, tf.concat(predictions, axis=0), sample_weight=sample_weight)
