"""The digit classifier: a small CNN on the hand crop, fused with an MLP on the landmarks.

The landmarks carry the handshape independent of skin, light and background; the crop carries
what the landmarks miss (finger contact, occlusion). Output is logits: softmax and the
calibration temperature are applied by the inference class.
"""

from __future__ import annotations

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


def build_model(crop_size: int = 64, num_classes: int = NUM_DIGITS, fusion: str = "fused",
                crop_drop: float = 0.0, landmark_features: int = LANDMARK_FEATURES) -> keras.Model:
    """fusion: "fused" (crop + landmarks), "crop" (CNN only) or "landmarks" (MLP only).

    crop_drop (fused only): share of training examples whose whole crop embedding is dropped,
    so the landmarks must name the digit alone; they carry it across datasets, the crop does not.
    landmark_features: width of the landmark input (42, or 44 with the tilt, trainer.features).

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
        y = layers.Dense(128, activation="relu")(lm_in)
        y = layers.Dense(64, activation="relu")(y)
        parts.append(y)
    if not parts:
        raise ValueError(f"unknown fusion {fusion!r}")
    z = parts[0] if len(parts) == 1 else layers.Concatenate()(parts)
    z = layers.Dense(128, activation="relu")(z)
    z = layers.Dropout(0.3)(z)
    logits = layers.Dense(num_classes, name="logits")(z)
    return keras.Model({"crop": crop_in, "landmarks": lm_in}, logits, name=f"asl_digits_{fusion}")
