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
