"""The emostudy command: an image, a folder with a corrupt file, a video, export, and each error
with its exit code and one clear line (never a traceback)."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pandas as pd
import pytest

from emostudy.cli import EXIT_ERROR, EXIT_NO_FACE, EXIT_SKIPPED, EXIT_USAGE, main
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
    code, out, err = run(capsys, photo, "-o", out_file)
    assert code == 0
    assert "1 face" in out and "happy" in out and "detector score" in out
    assert f"annotated image: {out_file}" in err  # says where it wrote
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
    # issue 23: a run that skipped a file exits with its own documented code (was 0), so that a
    # script can tell; the results of the other files are complete
    assert code == EXIT_SKIPPED
    assert "skipped 1 of 3 images" in err and f"summary: {summary}" in err
    assert "skipped b.jpg" in err and "2 images, 2 faces, 1 skipped" in err
    assert "a.jpg: 1 faces: happy" in out
    table = pd.read_csv(summary)
    assert list(table["source"]) == ["a.jpg", "b.jpg", "c.png"]
    assert table.loc[1, "error"].startswith("Cannot decode image file")
    assert (table.loc[[0, 2], "emotion"] == "happy").all()
    code, out, _ = run(capsys, folder, "--json", "-q")
    assert code == EXIT_SKIPPED
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
    assert "video frames are searched at 320 px" in err and "--max-side 1280" in err
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
        (["--demo", "--min-score", "2"], EXIT_USAGE, "--min-score must lie in [0, 1]"),
        (["--demo", "--min-score", "-0.5"], EXIT_USAGE, "retinaface detector scores faces"),
        ([""], EXIT_ERROR, "SOURCE is an empty string"),
        (["--demo", "-o", "{folder}"], EXIT_ERROR, "is an existing folder"),
        (["{folder}", "-o", "{folder}"], EXIT_ERROR, "is an existing folder"),
        (["{badvideo}", "-o", "{folder}"], EXIT_ERROR, "is an existing folder"),
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


def test_a_score_outside_a_probability_range_is_fine_for_haar(capsys):
    code, out, _ = run(capsys, "--demo", "--detector", "haar", "--min-score", "2")
    assert code == 0 and "happy" in out


def test_an_unreadable_image_in_a_folder_is_skipped_like_any_bad_file(
    capsys, photo, tmp_path, monkeypatch
):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.jpg", "locked.jpg"):
        (folder / name).write_bytes(photo.read_bytes())
    locked = folder / "locked.jpg"
    locked.chmod(0)
    real = np.fromfile

    def fromfile(file, *args, **kwargs):  # as root, chmod does not stop reads: refuse them here
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(np, "fromfile", fromfile)
    code, out, err = run(capsys, folder, "--detector", "haar", "-q")
    assert code == EXIT_SKIPPED, err
    assert "skipped locked.jpg: Cannot read image file" in err and "permission denied" in err
    assert "a.jpg: 1 faces: happy" in out


def test_help_says_what_max_side_does_above_2048_and_names_tile(capsys):
    code, out, _ = run(capsys, "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "Values above 2048 act as 2048" in text and "--tile" in text
    assert "faces under about 40 px high" in text and "4 a folder run skipped" in text


#: Peak resident memory the command may use on the 8,000 x 6,000 photo with --tile (measured:
#: 0.54 GB, of which 0.25 GB is the command with its models loaded and 0.14 GB the photo as a BGR
#: array; tiles are views, so the photo's size adds its own pixels only).
BIG_PHOTO_RSS_CAP_GB = 1.0


def _big_photo(path, face_side: int = 200):
    """An 8,000 x 6,000 JPEG with six copies of the astronaut (faces about 40 px high: 6 px once
    the photo is shrunk to 1,280 px), one of them across a tile border."""
    image = np.full((6000, 8000, 3), 90, np.uint8)
    image += np.random.default_rng(0).integers(0, 40, image.shape, dtype=np.uint8)
    small = cv2.resize(demo_image(), (face_side, face_side), interpolation=cv2.INTER_AREA)
    spots = [(300, 400), (2950, 1000), (1500, 4700), (5200, 6000), (900, 7500), (4000, 3000)]
    for y, x in spots:
        image[y : y + face_side, x : x + face_side] = small
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return len(spots)


def _run_measured(*args):
    """The command in a fresh process; its exit code, output and peak resident memory (GB).

    The peak is the kernel's ``VmHWM`` of that process: ``resource.getrusage``'s ``ru_maxrss``
    would carry over the peak of the forked pytest process from before ``exec`` (Linux keeps it),
    so it is only the fallback where ``/proc`` is missing.
    """
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from emostudy.cli import main\n"
        f"code = main({[str(a) for a in args]!r})\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20\n"
        "status = Path('/proc/self/status')\n"
        "if status.exists():\n"
        "    line = [l for l in status.read_text().splitlines() if l.startswith('VmHWM:')][0]\n"
        "    peak = int(line.split()[1]) / 2**20\n"
        "print(f'PEAK_RSS_GB {peak:.3f}', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=900, check=False
    )
    peak = float(done.stderr.rsplit("PEAK_RSS_GB", 1)[1].split()[0])
    return done.returncode, done.stdout, done.stderr, peak


def test_tiles_find_small_faces_in_a_large_photo_with_bounded_memory(tmp_path):
    photo = tmp_path / "big.jpg"
    n_faces = _big_photo(photo)
    code, _, err, _ = _run_measured(photo, "--json")
    assert code == EXIT_NO_FACE  # shrunk to 1,280 px, the 40-pixel faces vanish...
    assert "8000x6000 px" in err and "try --tile" in err  # ...and the hint names the lever
    code, out, err, peak = _run_measured(photo, "--json", "--tile")
    assert code == 0, err
    faces = json.loads(out)["faces"]
    recall = len(faces) / n_faces
    print(f"large photo, --tile: recall {recall:.0%} ({len(faces)}/{n_faces}), peak {peak:.2f} GB")
    assert recall == 1.0 and {f["emotion"] for f in faces} == {"happy"}
    assert peak < BIG_PHOTO_RSS_CAP_GB


def test_a_photo_above_the_pixel_limit_is_refused_from_its_header(capsys, tmp_path):
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    huge = tmp_path / "huge.png"
    header = struct.pack(">IIBBBBB", 13000, 12000, 8, 0, 0, 0, 0)
    huge.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )
    code, _, err = run(capsys, huge)
    assert code == EXIT_ERROR and "up to 150 megapixels" in err and "13,000 x 12,000" in err
