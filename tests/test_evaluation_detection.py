"""Detection metrics: IoU, greedy matching with ignored faces, PR curves and AP, worked by hand.

Boxes are ``x, y, w, h``. Every expected value below is derived in the comment above it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emostudy.errors import InvalidInputError
from emostudy.evaluation import (
    average_precision,
    evaluate_detections,
    evaluate_wider,
    iou_matrix,
    match_detections,
    precision_recall_curve,
)
from emostudy.evaluation.detection import FALSE_POSITIVE, IGNORED, TRUE_POSITIVE


def test_iou_by_hand_in_both_pixel_conventions():
    a, b = [[0, 0, 10, 10]], [[5, 5, 10, 10]]
    # continuous boxes: intersection 5 x 5 = 25, union 100 + 100 - 25 = 175
    assert iou_matrix(a, b)[0, 0] == pytest.approx(25 / 175)
    # "+1" pixel boxes: A covers pixels 0..10 (11 wide), B 5..15; overlap 6 x 6 = 36,
    # union 121 + 121 - 36 = 206
    assert iou_matrix(a, b, plus_one=True)[0, 0] == pytest.approx(36 / 206)
    # disjoint, identical, and empty inputs
    assert iou_matrix(a, [[20, 20, 5, 5], [0, 0, 10, 10]]).tolist() == [[0.0, 1.0]]
    assert iou_matrix(np.zeros((0, 4)), b).shape == (0, 1)


# Three faces in a row; g2 is ignored (outside the setting, or invalid).
GT = np.array([[0, 0, 10, 10], [20, 0, 10, 10], [40, 0, 10, 10]])
IGNORE = np.array([False, False, True])
DETS = np.array(
    [
        [0, 0, 10, 10, 0.9],  # d0: exactly g0 -> true positive
        [1, 0, 10, 10, 0.8],  # d1: best is g0 (IoU 90/110 = 0.82), already taken -> duplicate, FP
        [40, 0, 10, 10, 0.7],  # d2: g2, ignored -> neither TP nor FP
        [60, 0, 10, 10, 0.6],  # d3: overlaps nothing -> FP
        [21, 0, 10, 10, 0.5],  # d4: g1 with IoU 0.82 -> TP
    ]
)


def test_greedy_matching_by_score_with_an_ignored_face():
    shuffled = DETS[[3, 0, 4, 2, 1]]  # the input order must not matter: visits go by score
    m = match_detections(shuffled[:, :4], shuffled[:, 4], GT, IGNORE)
    assert m.scores.tolist() == [0.9, 0.8, 0.7, 0.6, 0.5]
    assert m.outcome.tolist() == [TRUE_POSITIVE, FALSE_POSITIVE, IGNORED, FALSE_POSITIVE, 1]
    assert m.matched_gt.tolist() == [0, 0, 2, -1, 1]
    # each counted face remembers the score of the detection that found it
    assert m.gt_score[:2].tolist() == [0.9, 0.5] and np.isnan(m.gt_score[2])
    assert m.n_positive == 2  # the ignored face is not a miss


def test_pr_curve_and_ap_by_hand():
    curve, _ = evaluate_detections([DETS], [GT], [IGNORE], plus_one=False)
    # counted detections by score: 0.9 TP, 0.8 FP, 0.6 FP, 0.5 TP; 2 faces count
    assert curve.thresholds.tolist() == [0.9, 0.8, 0.6, 0.5]
    assert curve.precision.tolist() == pytest.approx([1, 1 / 2, 1 / 3, 2 / 4])
    assert curve.recall.tolist() == [0.5, 0.5, 0.5, 1.0]
    assert curve.n_positive == 2 and curve.n_detections == 4
    # envelope: best precision at recall >= r: 1 up to recall 0.5, then 0.5 up to recall 1
    # AP = 0.5 * 1 + 0.5 * 0.5 = 0.75
    assert curve.ap == pytest.approx(0.75)
    assert curve.at(0.85) == (1.0, 0.5) and curve.at(0.5) == (0.5, 1.0)


def test_ignored_faces_do_not_count_as_misses():
    # nothing detected except the ignored face: recall denominator is 2, AP 0
    curve, _ = evaluate_detections([DETS[[2]]], [GT], [IGNORE], plus_one=False)
    assert curve.n_positive == 2 and curve.n_detections == 0 and curve.ap == 0.0
    # without the ignore flag the same detection is a true positive: 1 of 3 faces at precision 1
    curve, _ = evaluate_detections([DETS[[2]]], [GT], plus_one=False)
    assert curve.ap == pytest.approx(1 / 3)


def test_tied_scores_enter_together_whatever_their_order():
    gt = [np.array([[0, 0, 10, 10]]), np.zeros((0, 4))]
    hit, miss = np.array([[0, 0, 10, 10, 0.8]]), np.array([[50, 50, 10, 10, 0.8]])
    # one threshold (0.8): 1 TP + 1 FP -> precision 0.5 at recall 1 -> AP 0.5 in both orders
    for dets, truth in (([hit, miss], gt), ([miss, hit], gt[::-1])):
        curve, _ = evaluate_detections(dets, truth, plus_one=False)
        assert curve.thresholds.tolist() == [0.8] and curve.ap == pytest.approx(0.5)


def test_average_precision_edge_cases():
    assert average_precision([1.0], [1.0]) == 1.0  # perfect
    assert average_precision([], []) == 0.0  # no detections
    # half the faces found, all correct: the curve stops at recall 0.5 -> AP 0.5
    assert average_precision([0.25, 0.5], [1.0, 1.0]) == pytest.approx(0.5)
    # a dip in precision is filled by the envelope: [1, 0.5, 0.75] at recall [0.25, 0.5, 0.75]
    # -> 0.25 * 1 + 0.25 * 0.75 + 0.25 * 0.75 = 0.625
    assert average_precision([0.25, 0.5, 0.75], [1.0, 0.5, 0.75]) == pytest.approx(0.625)
    with pytest.raises(InvalidInputError):
        average_precision([0.5, 0.25], [1.0, 1.0])
    with pytest.raises(InvalidInputError):
        precision_recall_curve([match_detections(np.zeros((0, 4)), [], np.zeros((0, 4)))])


def _official_wider_ap(preds, gts, ignores, thresh_num=1000, iou=0.5):
    """The official WIDER FACE evaluation algorithm, written out independently (per-image
    proposal / recall counts at 1000 thresholds of normalised scores, then voc_ap)."""
    pr = np.zeros((thresh_num, 2))
    count = 0
    for pred, gt, ign in zip(preds, gts, ignores, strict=True):
        keep = ~ign
        count += keep.sum()
        if len(gt) == 0 or len(pred) == 0:
            continue
        pred = pred[np.argsort(-pred[:, 4], kind="stable")]
        overlaps = iou_matrix(pred[:, :4], gt, plus_one=True)
        recalled = np.zeros(len(gt))
        proposal = np.ones(len(pred))
        pred_recall = np.zeros(len(pred))
        for h in range(len(pred)):
            j = overlaps[h].argmax()
            if overlaps[h, j] >= iou:
                if not keep[j]:
                    recalled[j], proposal[h] = -1, -1
                elif recalled[j] == 0:
                    recalled[j] = 1
            pred_recall[h] = (recalled == 1).sum()
        for t in range(thresh_num):
            thr = 1 - (t + 1) / thresh_num
            above = np.flatnonzero(pred[:, 4] >= thr)
            if above.size:
                r = above[-1]
                pr[t] += [(proposal[: r + 1] == 1).sum(), pred_recall[r]]
    with np.errstate(invalid="ignore"):
        precision = pr[:, 1] / pr[:, 0]
    recall = pr[:, 1] / count
    precision = np.nan_to_num(precision)
    mrec, mpre = np.r_[0, recall, 1], np.r_[0, precision, 0]
    for i in range(len(mpre) - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    i = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


@pytest.mark.parametrize("seed", range(4))
def test_matches_the_official_wider_algorithm_on_random_scenes(seed):
    rng = np.random.default_rng(seed)
    preds, gts, ignores = [], [], []
    for _ in range(30):
        n = rng.integers(1, 12)
        gt = np.c_[rng.uniform(0, 400, (n, 2)), rng.uniform(8, 60, (n, 2))].round()
        ignore = rng.random(n) < 0.3
        found = gt[rng.random(n) < 0.7]
        jitter = found + np.c_[rng.normal(0, 3, (len(found), 2)), rng.normal(0, 3, (len(found), 2))]
        dup = jitter[: rng.integers(0, len(jitter) + 1)] + rng.normal(0, 2, (1, 4))
        junk = np.c_[rng.uniform(0, 400, (3, 2)), rng.uniform(8, 60, (3, 2))]
        boxes = np.concatenate([jitter, dup, junk])
        scores = rng.random(len(boxes)).round(6)  # already in [0, 1], as after normalisation
        preds.append(np.c_[boxes, scores])
        gts.append(gt)
        ignores.append(ignore)
    curve, _ = evaluate_detections(preds, gts, ignores)
    # identical rules; the official code samples 1000 thresholds, hence the small tolerance
    assert curve.ap == pytest.approx(_official_wider_ap(preds, gts, ignores), abs=3e-3)


class _FakeWider:
    """The two methods and two tables evaluate_wider uses."""

    def __init__(self):
        self.images = pd.DataFrame({"file": ["a.jpg", "b.jpg"]})
        self.faces = pd.DataFrame(
            {
                "file": ["a.jpg", "a.jpg", "b.jpg"],
                "face": [0, 1, 0],
                "x": [0, 20, 0],
                "y": [0, 0, 0],
                "w": [10, 10, 30],
                "h": [10, 10, 30],
                "invalid": [0, 0, 1],
                "easy": [True, False, False],
                "medium": [True, True, False],
                "hard": [True, True, False],
            }
        )

    def face_rows(self, file):
        return self.faces[self.faces["file"] == file]

    def boxes(self, file):
        return self.face_rows(file)[["x", "y", "w", "h"]].to_numpy(float)

    def ignore(self, file, setting):
        rows = self.face_rows(file)
        return ~rows[setting].to_numpy(bool) | (rows["invalid"].to_numpy() == 1)


def test_evaluate_wider_per_setting_and_per_face():
    wider = _FakeWider()
    dets = [np.array([[20, 0, 10, 10, 0.9]]), np.array([[0, 0, 30, 30, 0.8]])]
    result = evaluate_wider(dets, wider)
    # easy: only face a/0 counts, the detection on a/1 is ignored -> no TP, AP 0
    # medium and hard: a/0 and a/1 count; one TP at precision 1 -> AP 0.5
    # the detection on the invalid face b/0 is ignored in every setting
    assert result.ap == pytest.approx({"easy": 0.0, "medium": 0.5, "hard": 0.5})
    assert result.n_images == 2
    assert np.isnan(result.faces["score"].iloc[0]) and result.faces["score"].iloc[1] == 0.9
    assert np.isnan(result.faces["score"].iloc[2])  # invalid faces are never "found"
    assert result.found(0.95).tolist() == [False, False, False]
    assert result.found().tolist() == [False, True, False]
    with pytest.raises(InvalidInputError):
        evaluate_wider(dets[:1], wider)


def test_wilson_interval_by_hand():
    from emostudy.evaluation import wilson_interval

    # 8 of 10 at 95%: z = 1.96; centre (0.8 + 0.19208) / 1.38416 = 0.7167,
    # half-width 1.96 * sqrt(0.016 + 0.0096040) / 1.38416 = 0.2266 -> (0.490, 0.943)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert wilson_interval(0, 5)[0] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(wilson_interval(0, 0)[0])


def test_recall_by_group_and_size_buckets():
    from emostudy.evaluation import recall_by, size_bucket

    buckets = size_bucket([5, 12, 25, 25, 200, np.nan])
    assert [str(b) for b in buckets[:5]] == ["<10", "10-20", "20-40", "20-40", ">=160"]
    table = recall_by([False, True, True, False, True, True], buckets)
    # the NaN height is left out; empty buckets are not listed
    assert table["faces"].tolist() == [1, 1, 2, 1] and table["recall"].tolist() == [0, 1, 0.5, 1]
    assert list(table.index) == ["<10", "10-20", "20-40", ">=160"]
    skin = recall_by([True, False, True], ["I", None, "V"])
    assert skin["faces"].tolist() == [1, 1]


def test_agreement_between_two_detectors():
    from emostudy.evaluation import agreement

    a = [[0, 0, 10, 10], [50, 50, 10, 10]]
    b = [[1, 0, 10, 10], [100, 100, 10, 10], [50, 52, 10, 10]]
    # pairs (a0, b0) IoU 0.82 and (a1, b2) IoU 80/120 = 0.67 match: 2 * 2 / (2 + 3) = 0.8
    assert agreement(a, b) == (2, 0.8)
    assert agreement(np.zeros((0, 4)), np.zeros((0, 4))) == (0, 1.0)
    assert agreement(a, np.zeros((0, 4))) == (0, 0.0)


def test_detect_all_refuses_one_image_instead_of_a_list():
    from emostudy.detectors import create_detector
    from emostudy.evaluation import detect_all

    haar = create_detector("haar")
    for one in ("photo.jpg", np.zeros((64, 64, 3), np.uint8)):
        with pytest.raises(InvalidInputError, match=r"For one image pass \[image\]"):
            detect_all(haar, one)
    detections, seconds = detect_all(haar, [np.zeros((64, 64, 3), np.uint8)])
    assert len(detections) == 1 and detections[0].shape == (0, 5) and seconds.shape == (1,)
