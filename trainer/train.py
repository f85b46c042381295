"""Training: arrays in, best model out. Progress per epoch, cancel (or Ctrl-C) keeps the best."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .classes import NUM_DIGITS
from .features import LANDMARK_FEATURES
from .hard_negatives import DIGIT_TILT_MAX
from .hands import NUM_LANDMARKS
from .progress import Progress, ShouldStop, never_stop, no_progress


FUSIONS = ("fused", "crop", "landmarks")  # model inputs: both, the crop CNN only, the landmark MLP only
NOT_DIGIT_FROM = ("landmarks", "all")  # what decides "not a digit" (trainer.model.ShapeGate)


@dataclass
class TrainSettings:
    # The validation loss levels off by about epoch 12. Longer, with the variant copies, the
    # fused model leans on the crop, which does not carry across datasets (218 signers ->
    # Kaggle: 99.1% at 8 epochs, 99.7% at 12, 96.2% at 20).
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 8  # epochs without a better validation score before stopping
    label_smoothing: float = 0.05
    fusion: str = "fused"  # one of FUSIONS
    augment: bool = True
    # Share of training examples whose landmarks are swapped for another example's, so the crop
    # CNN learns to overrule landmarks that do not fit the picture (the landmarker's bad fits).
    landmark_swap: float = 0.0
    # The same for grey photos' examples only, so that a grey crop could tell the model its
    # landmarks may be a bad fit (the landmarker's grey fits are the ones that go wrong).
    grey_landmark_swap: float = 0.0
    # Fused models: share of examples trained without their crop (the whole embedding dropped),
    # so the model cannot lean on the crop, which does not carry across datasets. With the
    # wider grey framing (CropSettings.grey_photo_pads) a 218-signer-only model reached 83.1% on
    # the Kaggle set without it at this seed; with 0.25, 100% (README results table).
    crop_drop: float = 0.25
    # Models with the tilt input (trainer.features): each training example's tilt is turned by
    # a random angle up to this many degrees either way (the crop's own rotation is separate).
    # Wide, so only a hand pointing sideways or down (G, H, P, Q) reads as "not a digit", not a
    # digit held at a slant: 218 signers (upright digits) -> Kaggle validation split (digits
    # leaning up to 45 degrees), 97.4% at 35, 98.8% at 50; letters shown as a digit 1.3%, 0.6%.
    tilt_jitter_deg: float = 50.0
    # The same for the hands that are no digit: small, because G, H, P and Q are told from a
    # 1 or a 2 by pointing sideways; turned by up to 50 degrees they teach that a 1 leaning 40
    # degrees is no digit. 218 signers only, full recipe -> Kaggle validation split, two
    # training seeds: 88.1% and 97.7% with 50 for all (Kaggle's leaning 1s "not a digit"),
    # 100% and 99.85% with 15 here; letters' validation split shown as a digit 1.3%, 1.9%.
    not_digit_tilt_jitter_deg: float = 15.0
    # Each digit's thumb (landmarks 2-4) turned about its base (landmark 1) by up to this many
    # degrees either way; hands that are no digit keep theirs. Signers rest the thumb in their
    # own way (Kaggle's 1s hold it along the index, the 218 signers' across the curled fingers,
    # like an S fist with the index up), and a fist's thumb is what tells it from some digits,
    # so a model that saw one style took the other's 1s for "not a digit". Kaggle only, full
    # recipe -> the 218 signers' validation split: 96.96% without (training seed 1234); with 25,
    # 98.99% (seed 7; 98.31% for seed 1234 with a draft of it), letters' val shown as a digit 1.9% (0.6%).
    # 218 signers only -> Kaggle validation split 99.54% (100% without), letters 0.0% (1.3%).
    thumb_jitter_deg: float = 25.0
    # Share of the new backgrounds put behind black-background hands that are patches of real
    # rooms (trainer.backgrounds, cut from the training split's photos of hands that are no
    # digit) instead of smooth random textures; 0 or no such photos: textures only.
    # Chosen on validation (README): digits in rooms called "not a digit" 21-107 of 657 without,
    # 12-24 with 0.5.
    room_backgrounds: float = 0.5
    # Share of ALL training examples (photos on light walls and in rooms, not only the black
    # backgrounds) given a new background behind the hand, cut out along its landmarks
    # (trainer.backgrounds.crop_hand_mask): otherwise where the photos of each class were taken
    # is itself a cue.
    background_swap: float = 0.5
    # Eleven classes: what decides "not a digit" (trainer.model.ShapeGate): "landmarks", the
    # hand's shape (and tilt) alone, or "all", crop and landmarks like the digits. With "all" the
    # CNN learns where the letter photos were taken: trained on the 218 signers and the letters,
    # the model called every Kaggle digit "not a digit" (0.0%; 52% with background_swap 0.5).
    # With "landmarks" and background_swap 0.5, 96.7% of the Kaggle validation split
    # (trainer.features' tilt input and tilt_jitter_deg 50 take it to 98.8%).
    not_digit_from: str = "landmarks"
    # Hard negatives (trainer.hard_negatives): with "not a digit", for this share of the training
    # digits a kind is made from, a copy made into that near-digit shape, labelled "not a digit":
    # "C" a 0 opened, "X" a 1 hooked, "G" a 1 or a 2 turned sideways or down (the digits' own
    # tilt then kept within trainer.hard_negatives.DIGIT_TILT_MAX). `geometry`: the landmark
    # branch also sees trainer.model.HandGeometry (thumb-to-fingertip gaps, finger bends, the
    # index's direction). Options, off: with C, X, G at 0.5 and geometry, letters no model saw
    # (C, G, X) were shown as a digit on 34.2% of their photos instead of 56.8% and the digits'
    # test splits held, but trained on the Kaggle set alone the model called 72 of the 218
    # signers' 206 1s "not a digit" (cross-dataset 95.05% against 98.45%): docs/near_digits.md.
    hard_negatives: float = 0.0
    hard_negative_kinds: str = "CXG"
    geometry: bool = False
    seed: int = 1234

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    model: object  # keras.Model with the best weights restored
    history: dict[str, list[float]]
    best_epoch: int  # 1-based
    stopped: str  # "completed", "early-stopping", "cancelled" or "interrupted"
    temperature: float = 1.0


def _turn(points, angle):
    """(n, k, 2) points turned about the origin by `angle` (n, 1) radians."""
    import tensorflow as tf

    c, s = tf.cos(angle), tf.sin(angle)
    return tf.stack([c * points[..., 0] - s * points[..., 1], s * points[..., 0] + c * points[..., 1]], axis=-1)


def _augment_fn(crop_size: int, seed: int, landmark_swap: float = 0.0, grey_landmark_swap: float = 0.0,
                tilt: bool = False, tilt_jitter_deg: float = 0.0, rooms: np.ndarray | None = None,
                room_share: float = 0.0, background_swap: float = 0.0, not_digit_tilt_jitter_deg: float | None = None,
                thumb_jitter_deg: float = 0.0, digit_tilt_max_deg: float | None = None):
    """Webcam-minded augmentation on batches: mirror (crop and landmarks together), rotation,
    zoom, shift, new backgrounds behind black-background hands, light, colour, blur, noise.
    With the `tilt` input (sin, cos after the 42 point coordinates): mirrored with the hand,
    turned by up to `tilt_jitter_deg` (`not_digit_tilt_jitter_deg` for "not a digit"). With
    `rooms` (n, size, size, 3) patches of real rooms, `room_share` of the new backgrounds are
    drawn from them. An input "mask" (trainer.backgrounds.crop_hand_mask) lets
    `background_swap` of the examples get a new background behind the hand. Digits' thumbs
    turn by up to `thumb_jitter_deg` about their base (TrainSettings.thumb_jitter_deg), and their
    jittered tilt stays within `digit_tilt_max_deg` when given (turned hard negatives)."""
    import keras
    import tensorflow as tf

    geometric = keras.Sequential([
        keras.layers.RandomRotation(0.06, fill_mode="nearest", seed=seed),
        keras.layers.RandomZoom((-0.15, 0.15), fill_mode="nearest", seed=seed + 1),
        keras.layers.RandomTranslation(0.08, 0.08, fill_mode="nearest", seed=seed + 2),
    ])

    def textures(n):
        low = tf.random.uniform([n, 4, 4, 3], 0, 255)
        bg = tf.image.resize(low, [crop_size, crop_size], method="bilinear")
        return tf.clip_by_value(bg + tf.random.normal([n, crop_size, crop_size, 3], 0, 12), 0, 255)

    use_rooms = rooms is not None and len(rooms) > 0 and room_share > 0
    bank = tf.constant(rooms) if use_rooms else None

    def random_backgrounds(n):
        if not use_rooms:  # ops added only when used: the default draws stay as they were
            return textures(n)
        room = tf.cast(tf.gather(bank, tf.random.uniform([n], 0, len(rooms), dtype=tf.int32)), tf.float32)
        room = tf.where((tf.random.uniform([n]) < 0.5)[:, None, None, None], tf.reverse(room, axis=[2]), room)
        return tf.where((tf.random.uniform([n]) < room_share)[:, None, None, None], room, textures(n))

    def augment(x, y):
        crop = x_crop = tf.cast(x["crop"], tf.float32)
        lm = tf.reshape(x["landmarks"][:, :LANDMARK_FEATURES], [-1, NUM_LANDMARKS, 2])
        n = tf.shape(crop)[0]

        def coin(p):
            return tf.random.uniform([n]) < p

        # Black backgrounds (hands cut out) -> textured ones, so clutter is not new to the model.
        backgrounds = random_backgrounds(n)  # one draw serves both: the slowest step of a batch
        black = tf.reduce_max(crop, axis=-1, keepdims=True) < 20
        replace = tf.logical_and(black, coin(0.7)[:, None, None, None])
        crop = tf.where(replace, backgrounds, crop)
        if "mask" in x:  # any background: a share of every class's examples get a new one
            behind = tf.logical_and(tf.equal(x["mask"], 0), coin(background_swap)[:, None, None, None])
            crop = tf.where(behind, backgrounds, crop)

        flip = coin(0.5)
        crop = tf.where(flip[:, None, None, None], tf.reverse(crop, axis=[2]), crop)
        lm = tf.where(flip[:, None, None], lm * tf.constant([-1.0, 1.0]), lm)
        if tilt:
            turn = tf.atan2(x["landmarks"][:, LANDMARK_FEATURES], x["landmarks"][:, LANDMARK_FEATURES + 1])
            turn = tf.where(flip, -turn, turn)  # a mirrored hand leans the other way
            jitter = np.float32(np.radians(tilt_jitter_deg))
            if not_digit_tilt_jitter_deg is not None and y.shape[-1] == NUM_DIGITS + 1:
                jitter = tf.where(y[:, NUM_DIGITS] > 0.5, np.float32(np.radians(not_digit_tilt_jitter_deg)), jitter)
            turn = turn + tf.random.uniform([n], -1.0, 1.0) * jitter
            if digit_tilt_max_deg is not None and y.shape[-1] == NUM_DIGITS + 1:
                limit = np.float32(np.radians(digit_tilt_max_deg))
                turn = tf.where(y[:, NUM_DIGITS] > 0.5, turn, tf.clip_by_value(turn, -limit, limit))
            tilt_sc = tf.stack([tf.sin(turn), tf.cos(turn)], axis=-1)
        if thumb_jitter_deg > 0:  # no ops at 0, so --thumb-jitter 0 draws what the recipe before it drew
            th = np.float32(np.radians(thumb_jitter_deg))
            a = tf.random.uniform([n], -th, th)
            if y.shape[-1] == NUM_DIGITS + 1:
                a = a * tf.cast(y[:, NUM_DIGITS] < 0.5, tf.float32)  # "not a digit" keeps its thumb
            lm = tf.concat([lm[:, :2], _turn(lm[:, 2:5] - lm[:, 1:2], a[:, None]) + lm[:, 1:2], lm[:, 5:]], axis=1)
        lm = _turn(lm, tf.random.uniform([n, 1], -0.3, 0.3))
        lm = lm * tf.random.uniform([n, 1, 1], 0.9, 1.1) + tf.random.normal(tf.shape(lm), 0, 0.03)
        def swap(lm, rows):
            """The chosen rows take the landmarks of other examples in the batch."""
            return tf.where(rows[:, None, None], tf.gather(lm, tf.random.shuffle(tf.range(n))), lm)

        if landmark_swap > 0:
            lm = swap(lm, coin(landmark_swap))
        if grey_landmark_swap > 0:  # ops added only when used: the default draws stay as they were
            grey = tf.reduce_max(tf.reduce_max(x_crop, axis=-1) - tf.reduce_min(x_crop, axis=-1), axis=[1, 2]) < 3
            lm = swap(lm, tf.logical_and(grey, coin(grey_landmark_swap)))

        crop = geometric(crop, training=True)
        gray = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(crop))
        crop = tf.where(coin(0.15)[:, None, None, None], gray, crop)
        mean = tf.reduce_mean(crop, axis=[1, 2, 3], keepdims=True)
        contrast = tf.random.uniform([n, 1, 1, 1], 0.6, 1.4)
        brightness = tf.random.uniform([n, 1, 1, 1], -50, 50)
        colour = tf.random.uniform([n, 1, 1, 3], 0.85, 1.15)
        crop = ((crop - mean) * contrast + mean + brightness) * colour
        blurred = tf.nn.avg_pool2d(crop, 3, 1, "SAME")
        crop = tf.where(coin(0.25)[:, None, None, None], blurred, crop)
        crop = crop + tf.random.normal(tf.shape(crop), 0, 1) * tf.random.uniform([n, 1, 1, 1], 0, 8)
        crop = tf.clip_by_value(crop, 0, 255)
        lm = tf.reshape(lm, [-1, LANDMARK_FEATURES])
        if tilt:
            lm = tf.concat([lm, tilt_sc], axis=-1)
        return {"crop": crop, "landmarks": lm}, y

    return augment


def make_dataset(inputs: dict[str, np.ndarray], labels: np.ndarray, batch_size: int, augment=None, seed: int = 0):
    """Batches of (inputs, labels): shuffled and passed through `augment` (an `_augment_fn`) for
    training; as they are otherwise (an input "mask" is then dropped)."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(({k: v for k, v in inputs.items()}, labels))
    if augment is not None:
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if augment is not None:
        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda x, y: ({"crop": tf.cast(x["crop"], tf.float32), "landmarks": x["landmarks"]}, y))
    return ds.prefetch(tf.data.AUTOTUNE)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the labels at a temperature."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    return float(-np.mean(z[np.arange(len(labels)), labels] - np.log(np.exp(z).sum(axis=1))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature that minimises the validation negative log-likelihood, so the app's
    confidence threshold means what it says."""
    if len(labels) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 161))
    return float(min(grid, key=lambda t: nll(logits, labels, t)))


def train(
    train_inputs: dict[str, np.ndarray],
    train_labels: np.ndarray,
    val_inputs: dict[str, np.ndarray],
    val_labels: np.ndarray,
    settings: TrainSettings = TrainSettings(),
    *,
    initial_model=None,
    num_classes: int = NUM_DIGITS,
    rooms: np.ndarray | None = None,
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> TrainResult:
    """Fit a model (a new one, or fine-tune `initial_model`), keeping the weights of the epoch
    with the lowest validation loss (finer-grained than accuracy, which saturates early).
    `rooms`: patches of real rooms for new backgrounds (TrainSettings.room_backgrounds)."""
    from .quiet import import_keras

    keras = import_keras()

    from .model import build_model

    keras.utils.set_random_seed(settings.seed)
    model = initial_model or build_model(train_inputs["crop"].shape[1], num_classes, fusion=settings.fusion,
                                         crop_drop=settings.crop_drop,
                                         landmark_features=train_inputs["landmarks"].shape[1],
                                         not_digit_from=settings.not_digit_from, geometry=settings.geometry)
    num_classes = int(model.outputs[0].shape[-1])
    model.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=settings.label_smoothing),
        metrics=["accuracy"],
    )
    one_hot = lambda y: np.eye(num_classes, dtype=np.float32)[y]  # noqa: E731
    augment = _augment_fn(train_inputs["crop"].shape[1], settings.seed, settings.landmark_swap,
                          settings.grey_landmark_swap, train_inputs["landmarks"].shape[1] > LANDMARK_FEATURES,
                          settings.tilt_jitter_deg, rooms, settings.room_backgrounds, settings.background_swap,
                          settings.not_digit_tilt_jitter_deg, settings.thumb_jitter_deg,
                          DIGIT_TILT_MAX if settings.hard_negatives > 0 and "G" in settings.hard_negative_kinds
                          else None) if settings.augment else None
    train_ds = make_dataset(train_inputs, one_hot(train_labels), settings.batch_size, augment, settings.seed)
    has_val = len(val_labels) > 0
    val_ds = make_dataset(val_inputs, one_hot(val_labels), 256) if has_val else None
    monitor = "val_loss" if has_val else "loss"
    state = {"best": np.inf, "weights": None, "epoch": 0, "stopped": "completed", "wait": 0}

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if should_stop():
                state["stopped"] = "cancelled"
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            score = logs.get(monitor, np.inf)
            if score < state["best"]:
                state.update(best=score, weights=self.model.get_weights(), epoch=epoch + 1, wait=0)
            else:
                state["wait"] += 1
                if state["wait"] >= settings.patience:
                    state["stopped"] = "early-stopping"
                    self.model.stop_training = True
            shown = "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if "accuracy" in k or "loss" in k)
            progress("Training", epoch + 1, settings.epochs, f"epoch {epoch + 1}: {shown}")

    history: dict[str, list[float]] = {}
    try:
        plateau = keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=3, min_lr=1e-5)
        h = model.fit(train_ds, validation_data=val_ds, epochs=settings.epochs, callbacks=[Watch(), plateau],
                      verbose=0, shuffle=False)  # the dataset shuffles itself
        history = {k: [float(v) for v in vals] for k, vals in h.history.items()}
    except KeyboardInterrupt:
        state["stopped"] = "interrupted"
        history = {k: [float(v) for v in vals] for k, vals in getattr(model, "history", None).history.items()} \
            if getattr(model, "history", None) is not None else {}
    if state["weights"] is not None:
        model.set_weights(state["weights"])
    temperature = 1.0
    if has_val and state["weights"] is not None:
        logits = model.predict(val_ds, verbose=0)
        temperature = fit_temperature(logits, val_labels)
    return TrainResult(model, history, state["epoch"], state["stopped"], temperature)
