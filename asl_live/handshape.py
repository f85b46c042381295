"""What is wrong with a hand shape for a given ASL digit, in words a learner can act on.

The practice mode prompts a digit; when the learner's hand is not that digit's shape, it says
why ("Your ring finger is up: for 7, touch it to your thumb."). The finger states and the
digits' definitions are `trainer.finger_states` (Qt-free, shared with `asl-train evaluate`);
this module turns a reading into sentences and decides which digits get them: the app reads
the held-out agreement figures from `handshape_agreement.json` (written by
scripts/finger_agreement.py) through `hinted_digits` and gives hints only for digits whose
rules agree with the labels often enough.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from trainer.finger_states import ANY_FINGER, DIGIT_SHAPES, FINGERS, HandReading, matches

AGREEMENT_FILE = Path(__file__).with_name("handshape_agreement.json")


def _name(finger: str) -> str:
    return "thumb" if finger == "thumb" else f"{finger} finger"


def _problems(reading: HandReading, digit: int) -> list[tuple[frozenset[str], str]]:
    """What is wrong with the hand for `digit`, most important first: per problem, the fingers
    it is about and one short sentence (`problems` says the sentences, `wrong_fingers` marks
    the fingers, so a drawing and a hint never disagree)."""
    shape = DIGIT_SHAPES[digit]
    out: list[tuple[frozenset[str], str]] = []

    def say(fingers: str, text: str) -> None:
        out.append((frozenset(fingers.split()), text))

    if not reading.upright:
        say("", f"Point your fingers up: {digit} is signed with the hand upright, not sideways or down.")
    target = shape.thumb_touches if shape.thumb_touches not in (None, ANY_FINGER) else None
    for f in FINGERS:
        up = reading.extended[f]
        if f in shape.up and not up:
            if reading.bent.get(f):
                say(f, f"Your {_name(f)} is bent: for {digit}, hold it straight up.")
            elif f == "thumb":
                say(f, f"Your thumb is tucked in: for {digit}, hold it out to the side.")
            else:
                say(f, f"Your {_name(f)} is down: for {digit}, raise it.")
        elif f in shape.down and up:
            if f == target:
                say(f"{f} thumb", f"Your {_name(f)} is up: for {digit}, touch it to your thumb.")
            elif f == "thumb":
                say(f, f"Your thumb is out: for {digit}, fold it across your palm.")
            elif digit == 0:
                say(f, f"Your {_name(f)} is straight: for 0, curve it round to meet your thumb.")
            else:
                say(f, f"Your {_name(f)} is up: for {digit}, fold it down.")
        elif f in shape.curved and reading.curled[f]:
            say(f, f"Your {_name(f)} is curled into your palm: for {digit}, curve it round to meet your thumb.")
    if shape.thumb_touches == ANY_FINGER and reading.thumb_touches is None:
        say("thumb", "For 0, close the circle: touch your fingertips to your thumb.")
    elif shape.index_closes and not reading.index_closes:
        say("thumb index", f"Bring your index fingertip to your thumb: for {digit}, the circle closes there.")
    elif target is not None and reading.thumb_touches != target and not reading.extended[target]:
        if reading.thumb_touches is None:
            say(f"thumb {target}", f"Touch your thumb to the tip of your {_name(target)} for {digit}.")
        else:
            say(f"thumb {target}", f"Your thumb is touching your {_name(reading.thumb_touches)}: "
                                   f"for {digit}, touch your {_name(target)} instead.")
    if shape.index_up and reading.extended["index"] and not reading.index_points_up:
        say("index", f"Point your index finger straight up: for {digit} it points up, not to the side.")
    if shape.spread and not reading.spread:
        say("index middle", f"Spread your index and middle fingers apart for {digit}.")
    return out


def problems(reading: HandReading, digit: int) -> list[str]:
    """What is wrong with the hand for `digit`, one short sentence per problem, most important
    first; empty when the hand matches."""
    return [text for _, text in _problems(reading, digit)]


def near_miss(reading: HandReading, digit: int) -> str:
    """What to tell a learner whose hand the model read as `digit` but that plainly is not it
    (trainer.classifier's shape check answered "not a digit"): the first thing to change."""
    return f"Close to {digit}. " + (hint(reading, digit) or f"Make the shape of {digit} plainly.")


def wrong_fingers(reading: HandReading, digit: int) -> set[str]:
    """The fingers the drawing of the learner's hand marks for `digit`: those the problems with
    the hand are about (up where it must be down or the other way round, curled where it must
    curve, the thumb and the fingertip it must touch)."""
    return set().union(*(fingers for fingers, _ in _problems(reading, digit)))


# -- pairs learners confuse -----------------------------------------------------------------

PAIRS: tuple[frozenset[int], ...] = (frozenset({3, 6}), frozenset({6, 7, 8, 9}), frozenset({1, 2}))
"""Digits learners mix up (ASL teaching material): a 3 made with the three middle fingers is a
6; 6-9 differ only in the fingertip the thumb touches; a 1 and a 2 by one finger."""

_TOUCHED = {6: "pinky", 7: "ring", 8: "middle", 9: "index"}

LETTER_TWINS: dict[int, str] = {0: "O", 2: "V", 6: "W", 9: "F"}
"""Digits with the same hand shape as a letter: only context tells them apart."""


def confused(shown: int, target: int) -> bool:
    """Whether `shown` is the other digit of a pair that contains `target`."""
    return shown != target and any(shown in p and target in p for p in PAIRS)


def pair_hint(shown: int, target: int) -> str:
    """What tells `target` from the `shown` digit of its pair, naming both."""
    if {shown, target} == {3, 6}:
        how = ("the thumb is up and the ring finger down" if target == 3
               else "the thumb holds the pinky down and the ring finger is up")
    elif {shown, target} == {1, 2}:
        how = "raise your middle finger beside the index, apart" if target == 2 else "only the index is up"
    else:
        how = (f"your thumb touches your {_TOUCHED[target]} finger, not your {_TOUCHED[shown]} finger"
               .replace("pinky finger", "pinky"))
    return f"That is {shown}: for {target}, {how}."


def letter_note(digit: int) -> str | None:
    """The note for a digit that shares its hand shape with a letter (never a judgement)."""
    letter = LETTER_TWINS.get(digit)
    return None if letter is None else f"{digit} has the hand shape of the letter {letter}: context tells them apart."


def hint(reading: HandReading, target: int, model_digit: int | None = None) -> str | None:
    """The one thing to say about the hand for `target`: when the model and the finger states
    both see the other digit of a pair, that pair, named; else the first problem; else None."""
    if model_digit is not None and confused(model_digit, target) and matches(reading, model_digit):
        return pair_hint(model_digit, target)
    wrong = problems(reading, target)
    return wrong[0] if wrong else None


# -- which digits get hints ------------------------------------------------------------------

HINT_MIN_AGREEMENT = 0.90
"""Hints for a digit only when its rules agree with at least this share of its held-out photos
in every dataset: below that, a hint would too often tell a correct learner they are wrong."""


def hinted_digits(path: str | os.PathLike[str] = AGREEMENT_FILE) -> set[int]:
    """Digits whose agreement in `path` (written by scripts/finger_agreement.py) is at least
    HINT_MIN_AGREEMENT in every dataset; an unreadable or malformed file gives no hints."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        datasets: Mapping[str, Mapping] = data["datasets"]
        if not datasets:
            return set()
        ok = set(range(10))
        for figures in datasets.values():
            per = figures["per_digit"]
            ok &= {d for d in range(10) if isinstance(per.get(str(d)), (int, float))
                   and per[str(d)] >= HINT_MIN_AGREEMENT}
        return ok
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()
