"""CurricularFace (Huang et al. 2020, CVPR) for Keras 3.

Cosine logits between L2-normalised embeddings and L2-normalised class
weights.  The target logit gets the additive angular margin,
cos(theta_y + m) (with the usual fallback cos(theta_y) - m sin(m) once
theta_y + m > pi); a non-target logit cos(theta_j) that exceeds the margined
target (a "hard example") is modulated to cos(theta_j) (t + cos(theta_j)),
where t is a running mean of the target cosine,
t <- 0.99 t + 0.01 mean(cos theta_y), updated on training batches only
(before modulating that batch, as in the reference implementation).  All
logits are then multiplied by the scale s.

Keras / TensorFlow are imported inside functions only, so this module loads
without the ``nn`` extra.
"""
from __future__ import annotations

import math
from functools import lru_cache

DEFAULT_SCALE = 64.0
DEFAULT_MARGIN = 0.5
T_MOMENTUM = 0.01


def curricular_logits(cos, onehot, t, s: float = DEFAULT_SCALE, m: float = DEFAULT_MARGIN):
    """Logits of cosines ``cos`` (n, C) with one-hot targets ``onehot`` (n, C) and curriculum ``t``.

    ``t`` is used as given (update it first with :func:`update_t` when training).
    Works on NumPy arrays or backend tensors (``keras.ops``).
    """
    from keras import ops

    cos = ops.clip(cos, -1.0, 1.0)
    onehot = ops.cast(onehot, cos.dtype)
    target = ops.sum(cos * onehot, axis=1, keepdims=True)
    sin = ops.sqrt(ops.maximum(1.0 - target * target, 1e-12))
    target_m = target * math.cos(m) - sin * math.sin(m)  # cos(theta_y + m)
    threshold = math.cos(math.pi - m)
    final_target = ops.where(target > threshold, target_m, target - math.sin(math.pi - m) * m)
    t = ops.stop_gradient(ops.cast(t, cos.dtype))
    hard = ops.logical_and(cos > target_m, onehot < 0.5)
    other = ops.where(hard, cos * (t + cos), cos)
    return s * (onehot * final_target + (1.0 - onehot) * other)


def update_t(t, target_cos, momentum: float = T_MOMENTUM):
    """Running curriculum parameter: ``(1 - momentum) t + momentum mean(target_cos)``."""
    from keras import ops

    return (1.0 - momentum) * t + momentum * ops.mean(ops.stop_gradient(target_cos))


@lru_cache(maxsize=1)
def curricular_face_layer():
    """The :class:`CurricularFace` Keras layer class (defined and registered on first use)."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="genomeface", name="CurricularFace")
    class CurricularFace(keras.layers.Layer):
        """Head: ``[embedding (n, d), labels (n,) int] -> logits (n, classes)``.

        Class weights are a trainable (d, classes) kernel, L2-normalised per
        class; ``t`` is a non-trainable running scalar.
        """

        def __init__(self, n_classes: int, scale: float = DEFAULT_SCALE, margin: float = DEFAULT_MARGIN,
                     momentum: float = T_MOMENTUM, **kw):
            super().__init__(**kw)
            self.n_classes = int(n_classes)
            self.scale = float(scale)
            self.margin = float(margin)
            self.momentum = float(momentum)

        def build(self, input_shape):
            d = int(input_shape[0][-1])
            self.kernel = self.add_weight(shape=(d, self.n_classes), initializer="glorot_normal",
                                          trainable=True, name="class_weights")
            self.t = self.add_weight(shape=(), initializer="zeros", trainable=False, name="t")

        def cosines(self, emb):
            e = emb / ops.maximum(ops.norm(emb, axis=1, keepdims=True), 1e-12)
            w = self.kernel / ops.maximum(ops.norm(self.kernel, axis=0, keepdims=True), 1e-12)
            return ops.clip(ops.matmul(e, w), -1.0, 1.0)

        def call(self, inputs, training=False):
            emb, labels = inputs
            cos = self.cosines(emb)
            onehot = ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.n_classes, dtype=cos.dtype)
            t = self.t
            if training:
                target = ops.sum(cos * onehot, axis=1)
                t = update_t(self.t, target, self.momentum)
                self.t.assign(t)
            return curricular_logits(cos, onehot, t, self.scale, self.margin)

        def compute_output_shape(self, input_shape):
            return (input_shape[0][0], self.n_classes)

        def get_config(self):
            return {**super().get_config(), "n_classes": self.n_classes, "scale": self.scale,
                    "margin": self.margin, "momentum": self.momentum}

    return CurricularFace
