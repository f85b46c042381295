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
