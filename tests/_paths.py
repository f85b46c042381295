"""Where the read-only shared data lives: `../shared` beside the repository."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HAND_MODEL = SHARED / "models" / "hand_landmarker.task"
KAGGLE = SHARED / "datasets" / "asl-digits-kaggle"
KAGGLE_IMAGES = KAGGLE / "American Sign Language Digits Dataset"
SLD = SHARED / "datasets" / "sign-language-digits"
LETTERS = SHARED / "datasets" / "asl-letters-dlee"  # hand shapes that are no digit


def kaggle_image(digit: int, k: int) -> Path:
    return KAGGLE_IMAGES / str(digit) / f"Input Images - Sign {digit}" / f"Sign {digit} ({k}).jpeg"


def sld_images(digit: int) -> list[Path]:
    return sorted((SLD / "Dataset" / str(digit)).glob("*.JPG"))
