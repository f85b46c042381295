"""The classes a model answers with, named once for the trainer and the app.

Models answer with the ten digits and, since bundles learned it, an eleventh class, "not a
digit", for hand shapes that are no digit (older bundles have ten classes only).
"""

from __future__ import annotations

DIGITS: tuple[int, ...] = tuple(range(10))
NUM_DIGITS = len(DIGITS)
NOT_DIGIT = NUM_DIGITS  # label (and output index) of "not a digit"
NOT_DIGIT_NAME = "not_digit"  # how bundle.json names that class


def class_names(classes: list[int | str] | tuple[int | str, ...]) -> list[str]:
    """Display names: "0".."9" and "not a digit"."""
    return ["not a digit" if c == NOT_DIGIT_NAME else str(c) for c in classes]

# The app's default confidence threshold: below it the smoothed decision shows "?". Figures of
# what the app would show (non-digit hands shown as a digit) use it too.
SHOW_THRESHOLD = 0.6
