"""Video: tracking by IoU, smoothing, files and cameras, drawing, and the study helpers."""

import cv2
import matplotlib
import numpy as np
import pytest

from emostudy.book import (
    CanvasSpec,
    compose_frame,
    in_the_loop_scores,
    place_on_canvas,
    slideshow_frames,
    write_video,
)
from emostudy.data import FER_CLASSES
from emostudy.errors import DataNotFoundError, InvalidInputError
from emostudy.plots import plot_track
from emostudy.recognition import (
    AnnotatedVideoWriter,
    EmotionRecognizer,
    FaceEmotion,
    FaceTracker,
    VideoError,
    demo_image,
    draw_faces,
    open_video,
    read_frames,
    recognize_video,
    track_summary,
    tracks_table,
    video_info,
)

matplotlib.use("Agg")


def _face(x, y, p, size=50):
    return FaceEmotion(box=(x, y, size, size), score=0.9, probabilities=np.asarray(p, float))


def _onehot(k):
    p = np.zeros(7)
    p[k] = 1.0
    return p


def test_tracks_follow_moving_faces_and_new_faces_get_new_ids():
    tracker = FaceTracker(smoothing=0.0)
    first = tracker.update([_face(0, 0, _onehot(0)), _face(200, 0, _onehot(3))])
    assert [f.track_id for f in first] == [0, 1]
    # both move a little and arrive in the other order; a third face appears
    second = tracker.update(
        [_face(205, 5, _onehot(3)), _face(300, 300, _onehot(6)), _face(5, 5, _onehot(0))]
    )
    assert [f.track_id for f in second] == [1, 2, 0]
    np.testing.assert_array_equal(second[0].probabilities, _onehot(3))  # smoothing off


def test_a_track_survives_missed_frames_then_ends():
    tracker = FaceTracker(max_missed=2)
    tracker.update([_face(0, 0, _onehot(0))])
    for _ in range(2):
        tracker.update([])
    assert tracker.update([_face(2, 2, _onehot(0))])[0].track_id == 0  # back after 2 misses
    for _ in range(3):
        tracker.update([])
    assert tracker.update([_face(2, 2, _onehot(0))])[0].track_id == 1  # 3 misses: a new track
    assert [t.id for t in tracker.all_tracks()] == [0, 1]


def test_exponential_smoothing_known_answer():
    tracker = FaceTracker(smoothing=0.75)
    tracker.update([_face(0, 0, _onehot(3))])
    out = tracker.update([_face(0, 0, _onehot(0))])[0]
    np.testing.assert_allclose(out.probabilities, 0.75 * _onehot(3) + 0.25 * _onehot(0))
    np.testing.assert_array_equal(out.raw_probabilities, _onehot(0))
    assert out.emotion == "happy"  # one frame of anger does not flip the label
    for _ in range(5):
        out = tracker.update([_face(0, 0, _onehot(0))])[0]
    assert out.emotion == "angry"  # a lasting change does


def test_tracker_rejects_bad_settings():
    with pytest.raises(InvalidInputError, match="smoothing"):
        FaceTracker(smoothing=1.0)
    with pytest.raises(InvalidInputError, match="iou_threshold"):
        FaceTracker(iou_threshold=0)
    with pytest.raises(InvalidInputError, match="max_missed"):
        FaceTracker(max_missed=-1)


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory):
    """A 12-frame 320x240 video of the astronaut sliding right, written with cv2.VideoWriter."""
    path = tmp_path_factory.mktemp("video") / "tiny.mp4"
    face = cv2.resize(demo_image(), (200, 200))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240))
    for i in range(12):
        frame = np.full((240, 320, 3), 80, np.uint8)
        frame[20:220, 5 + 8 * i : 205 + 8 * i] = face
        writer.write(frame)
    writer.release()
    return path


def test_recognize_a_video_file_with_one_track(tiny_video):
    info = video_info(tiny_video)
    assert (info["width"], info["height"]) == (320, 240) and info["fps"] == pytest.approx(10)
    frames = list(recognize_video(EmotionRecognizer(), tiny_video, keep_frames=True))
    assert len(frames) == 12 and frames[3].frame.shape == (240, 320, 3)
    assert frames[5].time_s == pytest.approx(0.5)
    table = tracks_table(frames)
    assert len(table) == 12 and set(table["track"]) == {0}
    assert {"frame", "time_s", *FER_CLASSES, *(f"raw_{c}" for c in FER_CLASSES)} <= set(table)
    summary = track_summary(table)
    assert summary.loc[0, "frames"] == 12 and summary.loc[0, "emotion"] == "happy"
    assert summary.loc[0, "last_s"] == pytest.approx(1.1)
    # every other frame, at most 3 of them
    assert [i for i, _, _ in read_frames(tiny_video, every=2, max_frames=3)] == [0, 2, 4]


def test_video_and_camera_errors_are_clear(tmp_path):
    with pytest.raises(DataNotFoundError, match="not found"):
        open_video(tmp_path / "missing.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    with pytest.raises(VideoError, match="Cannot decode video"):
        open_video(broken)
    with pytest.raises(VideoError, match="Cannot open camera 97"):
        open_video(97)
    with pytest.raises(InvalidInputError, match="camera index"):
        open_video(-1)
    with pytest.raises(VideoError, match=".mp4 or .avi"):
        AnnotatedVideoWriter(tmp_path / "out.mkv", fps=10, size=(64, 48))
    with pytest.raises(DataNotFoundError, match="Output folder"):
        AnnotatedVideoWriter(tmp_path / "no" / "out.mp4", fps=10, size=(64, 48))


def test_draw_faces_marks_boxes_on_a_copy():
    image = np.zeros((240, 320, 3), np.uint8)
    face = _face(100, 60, _onehot(3), size=80).with_track(4, _onehot(3))
    drawn = draw_faces(image, [face])
    assert drawn.shape == image.shape and image.max() == 0  # the input is untouched
    assert drawn[60, 100:180].any() and drawn[140, 100:180].any()  # top and bottom edges
    assert drawn[60:140, 184:215].any()  # probability bars beside the box
    assert drawn[40:60, 100:180].any()  # the label sits above the box
    assert drawn[150:, :100].max() == 0  # nothing drawn away from the face
    gray = draw_faces(np.zeros((100, 100), np.uint8), [])
    assert gray.shape == (100, 100, 3)


def test_plot_track_draws_raw_and_smoothed_lines():
    import matplotlib.pyplot as plt
    import pandas as pd

    rows = [
        {"track": 0, "time_s": t / 10, **dict(zip(FER_CLASSES, _onehot(3), strict=True))}
        for t in range(5)
    ]
    table = pd.DataFrame(rows)
    for c in FER_CLASSES:
        table[f"raw_{c}"] = table[c]
    ax = plot_track(table, 0)
    assert len(ax.lines) == 14 and ax.get_xlabel() == "time (s)"
    plt.close("all")


def test_canvas_placement_is_seeded_and_exact():
    noise = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    face = cv2.GaussianBlur(noise, (0, 0), 1.5)  # smooth, like a face
    spec = CanvasSpec(scale=2.0, size=(200, 160), seed=3)
    canvas, (x, y, w, h) = place_on_canvas(face, 7, spec)
    again, box = place_on_canvas(face, 7, spec)
    np.testing.assert_array_equal(canvas, again)
    assert box == (x, y, w, h) and w == h == 96 and canvas.shape == (160, 200)
    patch = canvas[int(y) : int(y + h), int(x) : int(x + w)]
    back = cv2.resize(patch, (48, 48), interpolation=cv2.INTER_AREA)
    assert np.abs(back.astype(int) - face).mean() < 3
    with pytest.raises(InvalidInputError, match="must fit"):
        CanvasSpec(scale=10, size=(320, 320))


def test_in_the_loop_scores_count_missed_faces_as_wrong():
    labels = np.array([0, 1, 2, 3])
    predicted = np.array([0, 1, 0, 3])
    found = np.array([True, True, True, False])
    scores = in_the_loop_scores(labels, predicted, found)
    assert scores["found"] == 0.75
    assert scores["accuracy_found"] == pytest.approx(2 / 3)
    assert scores["accuracy_end_to_end"] == 0.5


def test_compose_frame_and_slideshow(tmp_path):
    patch = np.full((60, 40, 3), 200, np.uint8)
    for n in (1, 5, 20):
        frame = compose_frame([patch] * n)
        assert frame.shape == (480, 640, 3)
        count, _ = cv2.connectedComponents((frame[..., 0] == 200).astype(np.uint8))
        assert count - 1 == n
    frames = list(slideshow_frames([demo_image(), demo_image()], frames_per_image=4))
    assert len(frames) == 8 and frames[0].shape == (480, 640, 3)
    path = write_video(iter(frames), tmp_path / "show.mp4", fps=5)
    assert video_info(path)["frames"] == 8
