"""The digit classifier: a small CNN on the hand crop, fused with an MLP on the landmarks.

The landmarks carry the handshape independent of skin, light and background; the crop carries
what the landmarks miss (finger contact, occlusion). Output is logits: softmax and the
calibration temperature are applied by the inference class.
"""

from __future__ import annotations

import math

from .classes import NUM_DIGITS
from .features import LANDMARK_FEATURES
from .quiet import import_keras

keras = import_keras()
layers = keras.layers


def _conv(x, filters: int, strides: int = 1):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    # Momentum 0.9, not 0.99: on a few hundred images (a user's own samples, the 218-signer
    # set alone) the moving statistics otherwise lag so far that validation looks like chance.
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.Activation("relu")(x)


@keras.saving.register_keras_serializable(package="asl_live")
class ShapeGate(layers.Layer):
    """[ten digit logits, one not-a-digit logit] -> eleven log-probabilities:
    P(not a digit) = sigmoid(g), P(digit d) = (1 - sigmoid(g)) * softmax(digits)_d.

    Softmax of the output gives the probabilities back, so training (cross-entropy on logits),
    temperature scaling and the app treat it like any logits. Only g decides "not a digit";
    fed by the landmarks alone, a crop that merely looks unlike the training photos (another
    camera, skin, room) cannot push a digit into "not a digit" (the calibration temperature,
    over all eleven outputs, lets how the crop splits the digits move it a little)."""

    def call(self, inputs):
        ops = keras.ops
        digits, g = inputs

        def log_sigmoid(x):  # spelled out in ops every LiteRT build has
            return -(ops.maximum(-x, 0.0) + ops.log(1.0 + ops.exp(-ops.abs(x))))

        return ops.concatenate([log_sigmoid(-g) + ops.log_softmax(digits, axis=-1), log_sigmoid(g)], axis=-1)


@keras.saving.register_keras_serializable(package="asl_live")
class HandGeometry(layers.Layer):
    """Upright landmark input -> the details one joint or one gap away from a digit, spelled
    out: the thumb tip's distance to each fingertip (in wrist-to-knuckle lengths: a 0 touches,
    a C does not), each long finger's bend (cosine between its first and last segment: a 1 is
    straight, an X hooked) and where the index points relative to the palm. An MLP can learn
    these from the coordinates, but from a few hundred hands it learns the nearest digit first."""

    def call(self, landmarks):
        ops = keras.ops
        p = ops.reshape(landmarks[:, :LANDMARK_FEATURES], (-1, LANDMARK_FEATURES // 2, 2))

        def unit(v):
            return v / ops.sqrt(ops.sum(v * v, axis=-1, keepdims=True) + 1e-6)

        feats = [ops.sqrt(ops.sum((p[:, tip] - p[:, 4]) ** 2, axis=-1, keepdims=True) + 1e-6)
                 for tip in (8, 12, 16, 20)]
        for mcp in (5, 9, 13, 17):
            first, last = unit(p[:, mcp + 1] - p[:, mcp]), unit(p[:, mcp + 3] - p[:, mcp + 2])
            feats.append(ops.sum(first * last, axis=-1, keepdims=True))
        feats.append(unit(p[:, 8] - p[:, 5]))
        return ops.concatenate(feats, axis=-1)


def build_model(crop_size: int = 64, num_classes: int = NUM_DIGITS, fusion: str = "fused",
                crop_drop: float = 0.0, landmark_features: int = LANDMARK_FEATURES,
                not_digit_from: str = "landmarks", geometry: bool = False) -> keras.Model:
    """fusion: "fused" (crop + landmarks), "crop" (CNN only) or "landmarks" (MLP only).

    crop_drop (fused only): share of training examples whose whole crop embedding is dropped,
    so the landmarks must name the digit alone; they carry it across datasets, the crop does not.
    landmark_features: width of the landmark input (42, or 44 with the tilt, trainer.features).
    not_digit_from (eleven classes, a model with landmarks): "landmarks", the not-a-digit score
    from the landmark branch alone through a ShapeGate, or "all", an eleventh plain logit.
    geometry: the landmark branch also gets HandGeometry's contacts, bends and index direction.

    Both inputs always exist so every variant loads and runs through the same code.
    """
    crop_in = keras.Input((crop_size, crop_size, 3), name="crop")
    lm_in = keras.Input((landmark_features,), name="landmarks")
    parts = []
    if fusion in ("fused", "crop"):
        # About 20 M multiply-adds: well under a millisecond on one CPU core, so the classifier
        # adds little to the landmarker's time per frame.
        x = layers.Rescaling(1 / 127.5, offset=-1)(crop_in)
        x = _conv(x, 24, strides=2)
        for filters in (32, 64, 128):
            x = _conv(x, filters)
            x = layers.MaxPooling2D()(x) if filters < 128 else x
        x = _conv(x, 128)
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dropout(0.3)(x)
        if fusion == "fused" and crop_drop > 0:
            x = layers.Dropout(crop_drop, noise_shape=(None, 1), name="crop_branch_drop")(x)
        parts.append(x)
    if fusion in ("fused", "landmarks"):
        y = layers.Concatenate()([lm_in, HandGeometry(name="hand_geometry")(lm_in)]) if geometry else lm_in
        y = layers.Dense(128, activation="relu")(y)
        y = layers.Dense(64, activation="relu")(y)
        parts.append(y)
    if not parts:
        raise ValueError(f"unknown fusion {fusion!r}")
    from .train import NOT_DIGIT_FROM

    if not_digit_from not in NOT_DIGIT_FROM:
        raise ValueError(f"unknown not_digit_from {not_digit_from!r}")
    z = parts[0] if len(parts) == 1 else layers.Concatenate()(parts)
    z = layers.Dense(128, activation="relu")(z)
    z = layers.Dropout(0.3)(z)
    inputs = {"crop": crop_in, "landmarks": lm_in}
    if num_classes == NUM_DIGITS + 1 and fusion != "crop" and not_digit_from == "landmarks":
        g = layers.Dense(64, activation="relu")(parts[-1])
        # Starts at P(not a digit) = 1/11, as an eleventh plain logit would: at 0 (one half) a
        # model trained briefly on little data calls most hands "not a digit".
        start = keras.initializers.Constant(-math.log(NUM_DIGITS))
        g = layers.Dense(1, name="not_digit_logit", bias_initializer=start)(layers.Dropout(0.3)(g))
        logits = ShapeGate(name="logits")([layers.Dense(NUM_DIGITS, name="digit_logits")(z), g])
    else:
        logits = layers.Dense(num_classes, name="logits")(z)
    return keras.Model(inputs, logits, name=f"asl_digits_{fusion}")
