"""Faces followed across video frames: IoU association and exponentially smoothed probabilities.

Each frame's faces are matched to the live tracks by box overlap (IoU), one-to-one, with the
Hungarian algorithm (``scipy.optimize.linear_sum_assignment``); a face that overlaps no track by
at least ``iou_threshold`` starts a new track, and a track that misses more than ``max_missed``
frames in a row ends. A track's probabilities are an exponential moving average,
``p_t = smoothing * p_(t-1) + (1 - smoothing) * q_t`` with ``q_t`` the frame's own probabilities:
with ``smoothing = 0.7`` a change of expression takes about three frames to dominate, and a
one-frame flicker moves the label by at most 30%.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from emostudy._validation import check_int, check_number
from emostudy.geometry import box_iou
from emostudy.recognition.results import FaceEmotion


@dataclass
class Track:
    """A face followed over frames: its id, last box, smoothed probabilities and misses."""

    id: int
    box: tuple[float, float, float, float]
    probabilities: np.ndarray
    missed: int = 0
    hits: int = 1
    first_frame: int = 0
    last_frame: int = 0
    history: list[int] = field(default_factory=list)


class FaceTracker:
    """Assign track ids to the faces of consecutive frames and smooth their probabilities.

    Parameters
    ----------
    iou_threshold
        Smallest box overlap that continues a track (0.3).
    max_missed
        Frames a track survives without a matching face (5).
    smoothing
        Weight of the past in the exponential moving average, in ``[0, 1)``; 0 turns smoothing
        off (every face keeps its own frame's probabilities).
    """

    def __init__(
        self, *, iou_threshold: float = 0.3, max_missed: int = 5, smoothing: float = 0.7
    ) -> None:
        iou_threshold = check_number("iou_threshold", iou_threshold, low=0, high=1, low_open=True)
        max_missed = check_int("max_missed", max_missed, minimum=0)
        smoothing = check_number("smoothing", smoothing, low=0, high=1, high_open=True)
        self.iou_threshold = float(iou_threshold)
        self.max_missed = int(max_missed)
        self.smoothing = float(smoothing)
        self.tracks: list[Track] = []
        self.finished: list[Track] = []
        self._next_id = 0
        self._frame = -1

    def update(self, faces: list[FaceEmotion]) -> list[FaceEmotion]:
        """Match one frame's faces to the tracks; returns them with track ids and smoothed
        probabilities (their own kept as ``raw_probabilities``), in the input order."""
        from scipy.optimize import linear_sum_assignment

        self._frame += 1
        assigned: dict[int, Track] = {}
        if self.tracks and faces:
            track_boxes = np.array([t.box for t in self.tracks], dtype=np.float64)
            face_boxes = np.array([f.box for f in faces], dtype=np.float64)
            overlap = box_iou(face_boxes, track_boxes)
            rows, cols = linear_sum_assignment(-overlap)
            for r, c in zip(rows, cols, strict=True):
                if overlap[r, c] >= self.iou_threshold:
                    assigned[int(r)] = self.tracks[int(c)]
        out = []
        for i, face in enumerate(faces):
            track = assigned.get(i)
            if track is None:
                track = Track(
                    self._next_id,
                    face.box,
                    np.asarray(face.probabilities, dtype=np.float64),
                    first_frame=self._frame,
                )
                self._next_id += 1
                self.tracks.append(track)
            else:
                a = self.smoothing
                track.probabilities = a * track.probabilities + (1 - a) * face.probabilities
                track.hits += 1
            track.box, track.missed, track.last_frame = face.box, 0, self._frame
            track.history.append(self._frame)
            out.append(face.with_track(track.id, track.probabilities.copy()))
        for track in self.tracks:
            if track.last_frame != self._frame:
                track.missed += 1
        ended = [t for t in self.tracks if t.missed > self.max_missed]
        self.finished.extend(ended)
        self.tracks = [t for t in self.tracks if t.missed <= self.max_missed]
        return out

    def all_tracks(self) -> list[Track]:
        """Every track so far, finished and live, by id."""
        return sorted([*self.finished, *self.tracks], key=lambda t: t.id)
