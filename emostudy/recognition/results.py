"""What the recognizer returns: per-face results and per-image results, with plain conversions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from emostudy.data.classes import FER_CLASSES


@dataclass(frozen=True)
class FaceEmotion:
    """One face: where it is, how sure the detector was, and the model's seven probabilities.

    Attributes
    ----------
    box
        ``(x, y, w, h)`` in pixels of the input image (floats).
    score
        The detector's score (its own scale; see :class:`emostudy.detectors.Face`).
    landmarks
        ``(K, 2)`` landmark points in image pixels (5 for RetinaFace/YuNet), or ``None``.
    probabilities
        ``(7,)`` float probabilities in ``classes`` order (smoothed over time in a video).
    classes
        Class names, FER-2013 order.
    track_id
        The face's track in a video (``None`` for a single image).
    raw_probabilities
        In a video, this frame's unsmoothed probabilities (``None`` otherwise).
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None = field(default=None, compare=False, repr=False)
    probabilities: np.ndarray = field(default_factory=lambda: np.full(7, 1 / 7), repr=False)
    classes: tuple[str, ...] = FER_CLASSES
    track_id: int | None = None
    raw_probabilities: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def emotion(self) -> str:
        """The most probable class."""
        return self.classes[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float:
        """The probability of :attr:`emotion`."""
        return float(np.max(self.probabilities))

    def with_track(self, track_id: int, probabilities: np.ndarray) -> FaceEmotion:
        """This face assigned to a track, with smoothed ``probabilities`` (the raw ones kept)."""
        return replace(
            self,
            track_id=int(track_id),
            probabilities=np.asarray(probabilities, dtype=np.float64),
            raw_probabilities=self.probabilities,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (JSON-ready): box, score, landmarks, emotion, probabilities."""
        out: dict[str, Any] = {
            "box": [round(float(v), 2) for v in self.box],
            "score": round(float(self.score), 4),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "probabilities": {
                c: round(float(p), 4) for c, p in zip(self.classes, self.probabilities, strict=True)
            },
            "landmarks": None
            if self.landmarks is None
            else [[round(float(x), 2), round(float(y), 2)] for x, y in self.landmarks],
        }
        if self.track_id is not None:
            out["track"] = int(self.track_id)
        return out

    def __repr__(self) -> str:
        box = ", ".join(f"{v:.0f}" for v in self.box)
        track = "" if self.track_id is None else f", track={self.track_id}"
        return (
            f"FaceEmotion(box=({box}), emotion={self.emotion!r}, "
            f"confidence={self.confidence:.2f}, score={self.score:.2f}{track})"
        )


@dataclass
class Recognition:
    """Every face of one image, largest first, with the time each stage took.

    Attributes
    ----------
    faces
        :class:`FaceEmotion` per detected face.
    image_size
        ``(width, height)`` of the input image in pixels.
    source
        The file the image came from, if any.
    timings
        Milliseconds per stage: ``detect``, ``crop``, ``classify`` (and ``total``).
    """

    faces: list[FaceEmotion]
    image_size: tuple[int, int]
    source: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.faces)

    def __iter__(self):
        return iter(self.faces)

    def __getitem__(self, index: int) -> FaceEmotion:
        return self.faces[index]

    def to_dicts(self) -> list[dict[str, Any]]:
        """One plain dict per face (see :meth:`FaceEmotion.to_dict`)."""
        return [face.to_dict() for face in self.faces]

    def to_dict(self) -> dict[str, Any]:
        """The whole result: source, image size, faces and stage timings (ms)."""
        return {
            "source": self.source,
            "image_size": list(self.image_size),
            "faces": self.to_dicts(),
            "timings_ms": {k: round(float(v), 3) for k, v in self.timings.items()},
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string (``kwargs`` go to :func:`json.dumps`)."""
        return json.dumps(self.to_dict(), **kwargs)

    def to_frame(self):
        """A pandas DataFrame, one row per face: ``source``, ``face``, box ``x y w h``, ``score``,
        ``emotion``, ``confidence`` and one probability column per class."""
        return faces_frame(self.faces, source=self.source)


def faces_frame(faces: list[FaceEmotion], *, source: str | None = None, **columns: Any):
    """One DataFrame row per face (see :meth:`Recognition.to_frame`); extra ``columns`` are
    constants added to every row (e.g. ``frame=12``)."""
    import pandas as pd

    rows = []
    for i, face in enumerate(faces):
        x, y, w, h = face.box
        row = {**columns, "source": source, "face": i}
        if face.track_id is not None:
            row["track"] = face.track_id
        row.update(
            {
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "score": face.score,
                "emotion": face.emotion,
                "confidence": face.confidence,
            }
        )
        row.update(dict(zip(face.classes, map(float, face.probabilities), strict=True)))
        if face.raw_probabilities is not None:
            row.update(
                {
                    f"raw_{c}": float(p)
                    for c, p in zip(face.classes, face.raw_probabilities, strict=True)
                }
            )
        rows.append(row)
    base = [*columns, "source", "face", "x", "y", "w", "h", "score", "emotion", "confidence"]
    return pd.DataFrame(rows, columns=None if rows else [*base, *FER_CLASSES])
