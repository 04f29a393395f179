"""Video: the same code for a file and a camera, per-face tracks, and an annotated copy.

>>> from emostudy.recognition import EmotionRecognizer, recognize_video, tracks_table
>>> frames = list(recognize_video(EmotionRecognizer(), "clip.mp4"))   # doctest: +SKIP
>>> table = tracks_table(frames)       # one row per face per frame     # doctest: +SKIP
>>> track_summary(table)               # one row per track              # doctest: +SKIP

A source is a video file path or a camera index (``0`` is the first camera); frames are read
with OpenCV, in BGR, and go through :meth:`EmotionRecognizer.recognize` unchanged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emostudy._validation import check_int, check_number, check_size
from emostudy.data.classes import FER_CLASSES, FERPLUS_CLASSES
from emostudy.errors import DataNotFoundError, InvalidInputError
from emostudy.imageio import as_bgr
from emostudy.recognition.results import Recognition, faces_frame
from emostudy.recognition.tracking import FaceTracker

#: File suffixes the command line treats as videos.
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


class VideoError(InvalidInputError):
    """A video file or camera cannot be opened, or a video cannot be written."""


@dataclass
class FrameResult:
    """One processed frame: its index, its time in seconds and its recognised, tracked faces."""

    index: int
    time_s: float
    recognition: Recognition
    frame: np.ndarray | None = None


def open_video(source: str | os.PathLike | int) -> cv2.VideoCapture:
    """Open a video file or a camera index with OpenCV, with a clear error if it cannot."""
    if isinstance(source, bool) or not isinstance(source, str | os.PathLike | int):
        raise InvalidInputError(
            f"A video source is a file path or a camera index, got {type(source).__name__}."
        )
    if isinstance(source, int):
        if source < 0:
            raise InvalidInputError(f"A camera index is >= 0, got {source}.")
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # our message suffices
        try:
            capture = cv2.VideoCapture(source)
        finally:
            cv2.utils.logging.setLogLevel(level)
        if not capture.isOpened():
            raise VideoError(
                f"Cannot open camera {source}: no such camera, or it is in use. List cameras with "
                "`v4l2-ctl --list-devices` (Linux) and try another index with --camera N."
            )
        return capture
    path = Path(source)
    if not path.is_file():
        raise DataNotFoundError(f"Video file not found: {path}.")
    capture = cv2.VideoCapture(str(path))
    ok = capture.isOpened()
    if ok:
        ok, _ = capture.read()
        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    if not ok:
        capture.release()
        raise VideoError(
            f"Cannot decode video {path}: it is empty, truncated, not a video, or its codec is "
            "not supported by this OpenCV build (re-encode it, e.g. ffmpeg -i in -c:v libx264 "
            "out.mp4)."
        )
    return capture


def video_info(source: str | os.PathLike) -> dict[str, float]:
    """``fps``, ``frames`` (as the container states it), ``width`` and ``height`` of a video."""
    capture = open_video(source)
    try:
        return {
            "fps": float(capture.get(cv2.CAP_PROP_FPS) or 0.0),
            "frames": int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
            "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        }
    finally:
        capture.release()


def read_frames(
    source: str | os.PathLike | int, *, max_frames: int | None = None, every: int = 1
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield ``(index, time_s, bgr_frame)`` from a video file or camera.

    Time comes from the file's frame rate (frame index / fps), or from the wall clock for a
    camera. ``every=k`` keeps every k-th frame; ``max_frames`` (``None`` or >= 1) stops after that
    many kept frames. Arguments are checked and the video opened when this is called, not at the
    first frame.
    """
    every = check_int("every", every, minimum=1)
    if max_frames is not None:
        max_frames = check_int("max_frames", max_frames, minimum=1)
    capture = open_video(source)
    return _frames(capture, isinstance(source, int), max_frames, every)


def _frames(capture, camera: bool, max_frames: int | None, every: int):
    """The frames of an opened capture (a generator, so that the checks above run at once)."""
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    fps = fps if fps > 0 else 25.0
    start = time.perf_counter()
    kept = index = 0
    try:
        while max_frames is None or kept < max_frames:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            if index % every == 0:
                seconds = time.perf_counter() - start if camera else index / fps
                yield index, seconds, frame
                kept += 1
            index += 1
    finally:
        capture.release()


def recognize_video(
    recognizer,
    source: str | os.PathLike | int,
    *,
    smoothing: float = 0.7,
    iou_threshold: float = 0.3,
    max_missed: int = 5,
    every: int = 1,
    max_frames: int | None = None,
    keep_frames: bool = False,
) -> Iterator[FrameResult]:
    """Recognise every frame of a video file or camera, with tracked and smoothed faces.

    Parameters
    ----------
    recognizer
        An :class:`~emostudy.recognition.EmotionRecognizer`.
    smoothing
        Weight of the past in each track's moving average (0: no smoothing); see
        :class:`~emostudy.recognition.tracking.FaceTracker`.
    keep_frames
        Attach each BGR frame to its :class:`FrameResult` (for drawing or writing a video).
    """
    tracker = FaceTracker(iou_threshold=iou_threshold, max_missed=max_missed, smoothing=smoothing)
    if not callable(getattr(recognizer, "recognize", None)):
        raise InvalidInputError(
            f"recognizer must be an EmotionRecognizer, got {type(recognizer).__name__}."
        )
    frames = read_frames(source, max_frames=max_frames, every=every)
    return _recognized(recognizer, tracker, frames, source, keep_frames)


def _recognized(recognizer, tracker, frames, source, keep_frames: bool) -> Iterator[FrameResult]:
    for index, seconds, frame in frames:
        recognition = recognizer.recognize(frame)
        recognition.faces = tracker.update(recognition.faces)
        recognition.source = None if isinstance(source, int) else str(source)
        yield FrameResult(index, seconds, recognition, frame if keep_frames else None)


def tracks_table(frames: Iterable[FrameResult]):
    """One DataFrame row per face per frame: ``frame``, ``time_s``, ``track``, box, ``score``,
    ``emotion`` (smoothed), smoothed probabilities per class and ``raw_<class>`` columns."""
    import pandas as pd

    parts = [
        faces_frame(f.recognition.faces, frame=f.index, time_s=f.time_s)
        for f in frames
        if f.recognition.faces
    ]
    if not parts:
        columns = ["frame", "time_s", "track", "x", "y", "w", "h", "score", "emotion"]
        return pd.DataFrame(columns=[*columns, *FER_CLASSES])
    table = pd.concat(parts, ignore_index=True)
    return table.drop(columns=["source", "face"])


def track_summary(table, *, min_frames: int = 1):
    """One row per track: ``first_s``, ``last_s``, ``frames``, the ``emotion`` with the highest
    mean smoothed probability, and the mean probability of each class.

    ``min_frames`` drops tracks seen in fewer frames (brief false detections).
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or not {"track", "time_s"} <= set(table.columns):
        raise InvalidInputError(
            "track_summary takes the table of tracks_table(frames) (a DataFrame with track and "
            f"time_s columns), got {type(table).__name__}."
        )
    min_frames = check_int("min_frames", min_frames, minimum=1)
    if len(table) == 0:
        return pd.DataFrame(columns=["first_s", "last_s", "frames", "emotion", *FER_CLASSES])
    classes = [c for c in FERPLUS_CLASSES if c in table.columns]
    grouped = table.groupby("track")
    summary = pd.DataFrame(
        {
            "first_s": grouped["time_s"].min(),
            "last_s": grouped["time_s"].max(),
            "frames": grouped.size(),
        }
    )
    means = grouped[classes].mean()
    summary["emotion"] = means.idxmax(axis=1)
    summary = summary.join(means)
    return summary[summary["frames"] >= int(min_frames)]


class AnnotatedVideoWriter:
    """Write BGR frames to a video file (``mp4v`` for .mp4/.m4v/.mov, ``MJPG`` otherwise), with a
    clear error when OpenCV cannot open an encoder for the path."""

    def __init__(self, path: str | os.PathLike, *, fps: float, size: tuple[int, int]) -> None:
        path = Path(path)
        if path.suffix.lower() not in (".mp4", ".m4v", ".mov", ".avi"):
            raise VideoError(f"Write annotated videos as .mp4 or .avi, got {path.name!r}.")
        if not path.parent.is_dir():
            raise DataNotFoundError(f"Output folder does not exist: {path.parent}.")
        codec = "MJPG" if path.suffix.lower() == ".avi" else "mp4v"
        self.path = path
        self.size = check_size("size", size, maximum=8192)
        fps = check_number("fps", fps, low=0, high=1000, low_open=True)
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, self.size)
        if not self._writer.isOpened():
            raise VideoError(
                f"Cannot open a {codec} video encoder for {path}: this OpenCV build lacks the "
                "codec. Try an .avi output (MJPG)."
            )
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR uint8 frame ``(H, W, 3)`` (a gray ``(H, W)`` frame is expanded), resized
        to the video's size if it differs."""
        if not isinstance(frame, np.ndarray):
            raise InvalidInputError(
                f"frame must be a uint8 image array, got {type(frame).__name__}."
            )
        frame = as_bgr(frame)
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size)
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        """Finish the file (also done on leaving a ``with`` block)."""
        self._writer.release()

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
