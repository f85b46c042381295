"""Training-time augmentation on real tensors: what each knob does to a batch."""

import numpy as np

from trainer.train import _augment_fn


def _sources(landmark_swap: float = 0.0, grey_landmark_swap: float = 0.0, grey: bool = False) -> np.ndarray:
    """Which example's landmarks each row carries after augmentation: row i holds 21 points at
    distance 2**i from the wrist, which rotation, mirroring and +-10% scaling cannot confuse."""
    n = 8
    lm = np.zeros((n, 21, 2), np.float32)
    lm[:, :, 0] = (2.0 ** np.arange(n))[:, None]
    crops = np.random.default_rng(0).integers(0, 255, (n, 32, 32, 3)).astype(np.uint8)
    if grey:
        crops[..., 1] = crops[..., 2] = crops[..., 0]
    out, _ = _augment_fn(32, seed=1, landmark_swap=landmark_swap, grey_landmark_swap=grey_landmark_swap)(
        {"crop": crops, "landmarks": lm.reshape(n, 42)}, np.zeros((n, 10), np.float32))
    norms = np.linalg.norm(out["landmarks"].numpy().reshape(n, 21, 2), axis=2).mean(axis=1)
    return np.round(np.log2(norms)).astype(int)


def test_landmark_swap_gives_examples_other_examples_landmarks():
    assert list(_sources(0.0)) == list(range(8))
    swapped = _sources(1.0)
    assert sorted(swapped) == list(range(8))  # a shuffle of the batch: nothing invented
    assert list(swapped) != list(range(8))


def test_grey_landmark_swap_touches_grey_examples_only():
    assert list(_sources(grey_landmark_swap=1.0)) == list(range(8))  # colour crops keep theirs
    grey = _sources(grey_landmark_swap=1.0, grey=True)
    assert sorted(grey) == list(range(8)) and list(grey) != list(range(8))
    assert list(_sources(grey=True)) == list(range(8))


def test_crop_drop_trains_some_examples_on_their_landmarks_alone():
    """Fused models drop the whole crop embedding of a share of training examples (never at
    inference): the landmarks carry a digit across datasets, the crop does not."""
    import keras

    from trainer.model import build_model

    model = build_model(64, fusion="fused", crop_drop=0.5)
    drop = model.get_layer("crop_branch_drop")
    feats = np.ones((400, 128), dtype="float32")
    kept = keras.ops.convert_to_numpy(drop(feats, training=True))
    zeroed = (kept == 0).all(axis=1)
    assert ((kept == 0) | (kept == 2)).all()  # whole embeddings dropped, the rest scaled
    assert 0.35 < zeroed.mean() < 0.65
    assert np.array_equal(keras.ops.convert_to_numpy(drop(feats, training=False)), feats)
    for fusion in ("crop", "landmarks"):
        names = {layer.name for layer in build_model(64, fusion=fusion, crop_drop=0.5).layers}
        assert "crop_branch_drop" not in names, fusion


def _background_spread(background_swap: float, with_mask: bool = True) -> np.ndarray:
    """Per-example spread of the mean values of the 8x8 blocks outside the hand after augmentation,
    for plain grey crops (light, colour and averaged noise keep a plain picture plain; a new
    background does not)."""
    n, size = 16, 32
    crops = np.full((n, size, size, 3), 128, np.uint8)
    x = {"crop": crops, "landmarks": np.zeros((n, 42), np.float32)}
    if with_mask:
        mask = np.zeros((n, size, size, 1), np.uint8)
        mask[:, 12:20, 12:20] = 1
        x["mask"] = mask
    out, _ = _augment_fn(size, seed=1, background_swap=background_swap)(x, np.zeros((n, 11), np.float32))
    blocks = out["crop"].numpy().reshape(n, 4, 8, 4, 8, 3).mean(axis=(2, 4, 5)).reshape(n, 16)
    return blocks[:, [0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 14, 15]].std(axis=1)  # the border blocks


def test_background_swap_puts_new_backgrounds_behind_any_hand():
    """Not only black backgrounds: where each class's photos were taken must not be a cue."""
    assert (_background_spread(0.0) < 2).all()
    assert (_background_spread(1.0, with_mask=False) < 2).all()  # no mask, nothing to cut along
    assert (_background_spread(1.0) > 8).mean() > 0.7  # random textures: now and then a plain one


def test_shape_gate_lets_only_the_landmarks_say_not_a_digit():
    """With not_digit_from="landmarks" the crop can move probability between digits but not
    towards "not a digit": a camera, skin or room unlike the training photos cannot turn a
    digit away. The eleven outputs stay log-probabilities (softmax gives them back)."""
    from trainer.model import build_model

    rng = np.random.default_rng(0)
    lm = rng.normal(size=(6, 42)).astype("float32")
    crops = [rng.integers(0, 255, (6, 32, 32, 3)).astype("float32") for _ in range(2)]
    for not_digit_from, crop_moves_it in (("landmarks", False), ("all", True)):
        model = build_model(32, 11, "fused", not_digit_from=not_digit_from)
        out = [model.predict({"crop": c, "landmarks": lm}, verbose=0) for c in crops]
        prob = [np.exp(o) / np.exp(o).sum(axis=1, keepdims=True) for o in out]
        if not_digit_from == "landmarks":
            assert np.allclose(np.exp(out[0]).sum(axis=1), 1, atol=1e-5)
        moved = np.abs(prob[0][:, 10] - prob[1][:, 10]).max()
        assert (moved > 1e-4) == crop_moves_it, (not_digit_from, moved)
        assert np.abs(prob[0][:, :10] - prob[1][:, :10]).max() > 1e-4  # the crop still weighs in on digits
