"""The emostudy command: an image, a folder with a corrupt file, a video, export, and each error
with its exit code and one clear line (never a traceback)."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pandas as pd
import pytest

from emostudy.cli import EXIT_ERROR, EXIT_NO_FACE, EXIT_USAGE, main
from emostudy.models import DEFAULT_EMOTION_MODEL
from emostudy.recognition import demo_image, video_info


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "astronaut.jpg"
    cv2.imwrite(str(path), demo_image())
    return path


def test_demo_prints_json_from_a_fresh_process():
    done = subprocess.run(
        [sys.executable, "-m", "emostudy", "--demo", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["faces"][0]["emotion"] == "happy"
    assert "Traceback" not in done.stderr


def test_an_image_prints_faces_and_writes_an_annotated_copy(capsys, photo, tmp_path):
    out_file = tmp_path / "annotated.png"
    code, out, _ = run(capsys, photo, "-o", out_file)
    assert code == 0
    assert "1 face" in out and "happy" in out and "detector score" in out
    annotated = cv2.imread(str(out_file))
    assert annotated.shape == (512, 512, 3)
    assert np.abs(annotated.astype(int) - demo_image()).max() > 100  # boxes were drawn
    code, out, _ = run(capsys, photo, "--json", "--detector", "haar", "--no-tta")
    assert code == 0 and json.loads(out)["faces"][0]["emotion"] == "happy"


def test_a_folder_with_one_corrupt_file_is_summarised(capsys, photo, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.jpg", "c.png"):
        cv2.imwrite(str(folder / name), cv2.imread(str(photo)))
    (folder / "b.jpg").write_bytes(b"this is not a jpeg")
    (folder / "notes.txt").write_text("ignored: not an image suffix")
    summary = tmp_path / "summary.csv"
    code, out, err = run(capsys, folder, "-o", summary, "--workers", "2")
    assert code == 0
    assert "skipped b.jpg" in err and "2 images, 2 faces, 1 skipped" in err
    assert "a.jpg: 1 faces: happy" in out
    table = pd.read_csv(summary)
    assert list(table["source"]) == ["a.jpg", "b.jpg", "c.png"]
    assert table.loc[1, "error"].startswith("Cannot decode image file")
    assert (table.loc[[0, 2], "emotion"] == "happy").all()
    code, out, _ = run(capsys, folder, "--json", "-q")
    records = json.loads(out)
    assert [r["source"] for r in records] == ["a.jpg", "b.jpg", "c.png"] and "error" in records[1]


def test_a_video_gives_an_annotated_video_and_a_track_csv(capsys, tmp_path):
    video = tmp_path / "tiny.avi"
    face = cv2.resize(demo_image(), (160, 160))
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 8, (240, 180))
    for i in range(8):
        frame = np.full((180, 240, 3), 70, np.uint8)
        frame[10:170, 4 * i : 160 + 4 * i] = face
        writer.write(frame)
    writer.release()
    out_video = tmp_path / "annotated.mp4"
    code, out, err = run(capsys, video, "-o", out_video)
    assert code == 0, err
    assert "8 frames, 1 face tracks" in out and "track 0: happy" in out
    assert video_info(out_video)["frames"] == 8
    tracks = pd.read_csv(tmp_path / "annotated.csv")
    assert len(tracks) == 8 and set(tracks["track"]) == {0}
    code, out, _ = run(capsys, video, "--json", "--no-smoothing", "--max-frames", "3", "-q")
    assert code == 0 and json.loads(out)["frames"] == 3


def test_export_writes_tflite_with_measured_parity(capsys, tmp_path):
    code, out, _ = run(capsys, "export", "-o", tmp_path, "--format", "tflite")
    assert code == 0
    assert (tmp_path / f"{DEFAULT_EMOTION_MODEL}.tflite").is_file()
    assert "max |logit diff|" in out and ": ok" in out
    code, _, err = run(capsys, "export", "--model", "model.onnx")
    assert code == EXIT_ERROR and "shipped name or .keras" in err


def test_export_writes_onnx_with_measured_parity(capsys, tmp_path):
    pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx (pip install tf2onnx onnx)")
    code, out, _ = run(capsys, "export", "-o", tmp_path, "--format", "onnx")
    assert code == 0
    assert (tmp_path / f"{DEFAULT_EMOTION_MODEL}.onnx").is_file()
    assert "max |logit diff|" in out and ": ok" in out


def test_export_after_a_plain_install_writes_both_formats(capsys, tmp_path, monkeypatch):
    # A plain `pip install .` has no tf2onnx: the shipped ONNX export is copied (its parity is
    # measured all the same), and the TFLite file is converted as usual.
    monkeypatch.setitem(sys.modules, "tf2onnx", None)
    code, out, err = run(capsys, "export", "-o", tmp_path)
    assert code == 0, err
    for suffix in ("onnx", "tflite"):
        assert (tmp_path / f"{DEFAULT_EMOTION_MODEL}.{suffix}").is_file()
    assert "the shipped export; tf2onnx is not installed" in out
    assert out.count(": ok") == 2


def test_export_of_a_keras_file_without_tf2onnx_still_writes_tflite(capsys, tmp_path, monkeypatch):
    from emostudy.models import model_path

    monkeypatch.setitem(sys.modules, "tf2onnx", None)
    source = tmp_path / "mine.keras"
    source.write_bytes(model_path(DEFAULT_EMOTION_MODEL).read_bytes())
    code, out, err = run(capsys, "export", "--model", str(source), "-o", tmp_path / "out")
    assert code == EXIT_ERROR
    assert "onnx: ONNX export needs tf2onnx" in err and "The other formats were written" in err
    assert (tmp_path / "out" / "mine.tflite").is_file() and ": ok" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing.jpg"], EXIT_ERROR, "No such file or folder"),
        (["{corrupt}"], EXIT_ERROR, "Cannot decode image file"),
        (["{text}"], EXIT_ERROR, "Cannot decode image file"),
        (["{blank}"], EXIT_NO_FACE, "no face found"),
        (["{badvideo}"], EXIT_ERROR, "Cannot decode video"),
        (["--camera", "97"], EXIT_ERROR, "Cannot open camera 97"),
        (["--demo", "--detector", "nope"], EXIT_ERROR, "Unknown detector 'nope'"),
        (["--demo", "-o", "{folder}/out.gif"], EXIT_ERROR, "Cannot write an image"),
        (["{folder}", "-o", "{folder}/out.txt"], EXIT_ERROR, "summary file"),
        (["{emptyfolder}"], EXIT_ERROR, "No images"),
        (["--demo", "--model", "nope"], EXIT_ERROR, "No shipped emotion model"),
        ([], EXIT_USAGE, "exactly one of"),
        (["--demo", "--camera", "0"], EXIT_USAGE, "exactly one of"),
        (["--bogus"], EXIT_USAGE, "No such option"),
        (["--demo", "--max-side", "8"], EXIT_USAGE, "--max-side"),
    ],
)
def test_each_error_has_one_clear_line_and_an_exit_code(capsys, tmp_path, args, code, message):
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (tmp_path / "notes.txt").write_text("hello")
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((120, 160, 3), 128, np.uint8))
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 64)
    (tmp_path / "empty").mkdir()
    (tmp_path / "photos").mkdir()
    cv2.imwrite(str(tmp_path / "photos" / "a.png"), np.full((60, 60, 3), 128, np.uint8))
    paths = {
        "corrupt": tmp_path / "corrupt.jpg",
        "text": tmp_path / "notes.txt",
        "blank": tmp_path / "blank.png",
        "badvideo": tmp_path / "bad.mp4",
        "folder": tmp_path / "photos",
        "emptyfolder": tmp_path / "empty",
    }
    got, _, err = run(capsys, *[a.format(**paths) for a in args])
    assert got == code
    assert message in err
