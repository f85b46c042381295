"""The 3D hands the Practice tab draws (asl_live.hand3d): normalised like the classifier's
input, turned to a view, cut into palm, finger segments and nails drawn far to near."""

from __future__ import annotations

import numpy as np
import pytest

from asl_live.hand3d import FINGER_POINTS, TAPER, WIDTH, View, digit_shapes, draw_items, in_view, palm_faces_viewer, upright_3d


@pytest.fixture(scope="module")
def shapes(good_bundle):
    return digit_shapes(str(good_bundle))


def test_a_hand_is_normalised_like_the_classifier_input_with_its_depth():
    rng = np.random.default_rng(0)
    hand = rng.uniform(100, 300, (21, 3))
    hand[9, :2] = hand[0, :2] + (30.0, -40.0)  # wrist -> middle knuckle: 50 px, leaning right
    p = upright_3d(hand, "Right")
    assert np.allclose(p[0], 0) and np.allclose(p[9, :2], [0, -1])
    assert np.isclose(p[4, 2], (hand[4, 2] - hand[0, 2]) / 50)  # depth scaled like x and y
    mirrored = hand.copy()
    mirrored[:, 0] = -mirrored[:, 0]
    assert np.allclose(upright_3d(mirrored, "Left"), p)  # a left hand is drawn as the right one it mirrors
    with pytest.raises(ValueError):
        upright_3d(hand[:20], "Right")


def test_the_digits_average_hands_show_their_shape(shapes):
    assert sorted(shapes) == list(range(10)) and all(s.shape == (21, 3) for s in shapes.values())
    one, five = shapes[1], shapes[5]
    assert -one[8, 1] > -one[12, 1] + 0.5 and -five[20, 1] > 1.0  # a 1's index up; a 5's pinky up too


def test_the_default_view_is_the_learners_own_from_behind_the_front_view_shows_the_palm(shapes):
    five = shapes[5]
    own, front = in_view(five, View()), in_view(five, View(yaw=0.0))
    assert np.allclose(own[:, 0], -front[:, 0]) and np.allclose(own[:, 2], -front[:, 2])
    assert palm_faces_viewer(five, View(yaw=0.0)) and not palm_faces_viewer(five, View())
    # a right hand seen from behind has its thumb on the left; a left hand on the right
    assert own[4, 0] < own[20, 0] and in_view(five, View(mirrored=True))[4, 0] > own[20, 0]
    assert palm_faces_viewer(five, View(yaw=0.0, mirrored=True))  # mirrored is still the palm
    side = in_view(five, View().turned(yaw=90.0))
    assert np.ptp(side[:, 0]) < 0.6 * np.ptp(own[:, 0])  # from the side the hand is narrow
    assert View().turned(pitch=500).pitch == 80 and View().turned(yaw=270).yaw == 90


def test_a_hand_is_drawn_far_to_near_with_nails_only_from_behind(shapes):
    items = draw_items(shapes[3], View())
    kinds = [i.kind for i in items]
    assert kinds.count("palm") == 1 and kinds.count("bone") == sum(len(c) - 1 for c in FINGER_POINTS.values())
    assert kinds.count("nail") == 5  # the back of the hand is seen
    depths = [i.depth for i in items]
    assert depths == sorted(depths, reverse=True)
    nails = {i.finger: i for i in items if i.kind == "nail"}
    for finger, nail in nails.items():  # each right after (over) its finger's last segment
        tip = min((i for i in items if i.kind == "bone" and i.finger == finger),
                  key=lambda i: abs(i.depth - nail.depth))
        assert items.index(nail) == items.index(tip) + 1 and np.allclose(tip.points[1], nail.points[1], atol=0.1)
    front = draw_items(shapes[3], View(yaw=0.0))
    assert not [i for i in front if i.kind == "nail"]
    widths = [i.width for i in items if i.kind == "bone" and i.finger == "index"]
    assert sorted(widths) == pytest.approx([WIDTH["index"] * TAPER, WIDTH["index"] * 0.9, WIDTH["index"]])  # tapered
