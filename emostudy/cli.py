"""The ``emostudy`` command: emotions in photos, folders, videos and a live camera; model export.

::

    emostudy --demo                     # a photo shipped with scikit-image, no data needed
    emostudy photo.jpg -o annotated.jpg # print faces and emotions, write an annotated copy
    emostudy photo.jpg --json           # machine-readable results
    emostudy photos/ -o summary.csv     # every image of a folder (one bad file is skipped)
    emostudy big.jpg --tile             # small faces in a large photo, at full resolution
    emostudy clip.mp4 -o annotated.mp4  # annotated video + per-track CSV (annotated.csv)
    emostudy --camera 0                 # live window with smoothed labels (q quits)
    emostudy export -o exported/        # the model as ONNX and TFLite, with measured parity
    emostudy headline train --recipe v3 # retrain a headline model (also: estimate, package)
    emostudy run quick OUTDIR 07        # run chapters in their quick profile (full: in place)
    emostudy pages                      # regenerate the book's generated pages from the results

``python -m emostudy`` is the same command. ``emostudy recognize SOURCE`` is the long form of
``emostudy SOURCE``.

Exit codes: 0 done; 1 an input, model or video problem (one line says what and how to fix it);
2 a usage mistake; 3 no face found; 4 a folder run skipped some images (each named on stderr; the
results of the others are printed and written).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from emostudy.errors import EmostudyError, InvalidInputError

#: File suffixes read as images when a folder is given.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")

EXIT_ERROR, EXIT_USAGE, EXIT_NO_FACE, EXIT_SKIPPED = 1, 2, 3, 4


class NoFaceFound(EmostudyError):
    """The input holds no face the detector finds at the minimum score."""


class ImagesSkipped(EmostudyError):
    """A folder run skipped some images that cannot be read (the others were processed)."""


# ---------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``emostudy`` console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args and args[0] in SUBCOMMANDS else None
    command = SUBCOMMANDS[name] if name else recognize_command
    if name:
        args = args[1:]
    prog = f"emostudy {name}" if name and name != "recognize" else "emostudy"
    try:
        result = command.main(args=args, prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("emostudy: interrupted", err=True)
        return EXIT_ERROR
    except NoFaceFound as error:
        click.echo(f"emostudy: {error}", err=True)
        return EXIT_NO_FACE
    except ImagesSkipped as error:
        click.echo(f"emostudy: {error}", err=True)
        return EXIT_SKIPPED
    except EmostudyError as error:
        click.echo(f"emostudy: error: {error}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("emostudy: interrupted", err=True)
        return EXIT_ERROR
    except Exception as error:  # a bug: say so in one line, traceback on request
        if os.environ.get("EMOSTUDY_DEBUG"):
            raise
        click.echo(
            f"emostudy: unexpected error: {type(error).__name__}: {error} "
            "(set EMOSTUDY_DEBUG=1 to see the traceback, and please report it)",
            err=True,
        )
        return EXIT_ERROR
    return int(result or 0)


# ---------------------------------------------------------------------------------------------
@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Other commands (each with --help): emostudy export (ONNX and TFLite), emostudy "
    "headline (train a headline model), emostudy run (execute the book's chapters). Exit codes: "
    "0 done, 1 input/model/video problem, 2 usage, 3 no face found, 4 a folder run skipped "
    "unreadable images.",
)
@click.argument("source", required=False, type=str)
@click.option("--camera", type=int, default=None, help="Read a live camera (index, e.g. 0).")
@click.option("--demo", is_flag=True, help="Run on scikit-image's astronaut photo.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Image: annotated copy. Folder: summary .csv or .json. Video/camera: annotated .mp4/.avi "
    "(tracks go to the same name with .csv), or just a tracks .csv.",
)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.option(
    "--detector", default="retinaface", show_default=True, help="Face detector registry name."
)
@click.option(
    "--min-score",
    type=float,
    default=None,
    help="Drop faces the detector scores lower (default: its operating threshold, chapter 7). "
    "In [0, 1] for the detectors whose score is a probability (all but haar, dlib_hog, "
    "dlib_mmod).",
)
@click.option("--model", default=None, help="Shipped model name or .keras/.onnx/.tflite file.")
@click.option(
    "--max-side",
    type=click.IntRange(min=16),
    default=None,
    help="Longest side (pixels) the detector searches; default 1280 for images, 320 for video "
    "and camera frames (faster, but faces under about 40 px high in a frame are missed that the "
    "photo setting finds; pass --max-side 1280 to search frames like photos). Faces are still "
    "cropped at full resolution. Values above 2048 act as 2048, the detectors' memory bound: "
    "for small faces in a large photo use --tile.",
)
@click.option(
    "--tile",
    is_flag=True,
    help="Large photos: also search overlapping full-resolution tiles of --max-side pixels "
    "(finds small faces the shrunk photo loses; memory of one tile, time grows with the "
    "photo's area). Images up to 150 megapixels are read.",
)
@click.option("--no-smoothing", is_flag=True, help="Video: show each frame's own probabilities.")
@click.option("--no-tta", is_flag=True, help="Classify each face once (no mirror average).")
@click.option("--workers", type=int, default=2, show_default=True, help="Folder: parallel images.")
@click.option("--every", type=int, default=1, show_default=True, help="Video: every N-th frame.")
@click.option("--max-frames", type=int, default=None, help="Video: stop after this many frames.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def recognize_command(
    source: Path | None,
    camera: int | None,
    demo: bool,
    output: Path | None,
    as_json: bool,
    detector: str,
    min_score: float | None,
    model: str | None,
    max_side: int | None,
    tile: bool,
    no_smoothing: bool,
    no_tta: bool,
    workers: int,
    every: int,
    max_frames: int | None,
    quiet: bool,
) -> int:
    """Recognise facial expressions in an image, a folder of images, a video or a camera.

    SOURCE is an image file, a folder of images or a video file.
    """
    chosen = sum([source is not None, camera is not None, demo])
    if chosen != 1:
        raise click.UsageError("Give exactly one of SOURCE, --camera N or --demo.")
    from emostudy._validation import check_path
    from emostudy.detectors import DEFAULT_MAX_SIDE as DETECTOR_MAX_SIDE
    from emostudy.detectors import DETECTORS
    from emostudy.recognition.recognizer import DEFAULT_MAX_SIDE, VIDEO_MAX_SIDE, EmotionRecognizer
    from emostudy.recognition.video import VIDEO_SUFFIXES

    if source is not None:
        source = check_path("SOURCE", source)
        if not source.exists():
            raise InvalidInputError(f"No such file or folder: {source}.")
    if min_score is not None and detector in DETECTORS:
        try:
            DETECTORS[detector].check_score("--min-score", min_score)
        except InvalidInputError as error:
            raise click.BadParameter(str(error), param_hint="'--min-score'") from None
    video = camera is not None or (
        source is not None and source.is_file() and source.suffix.lower() in VIDEO_SUFFIXES
    )
    if max_side is not None and max_side > DETECTOR_MAX_SIDE:
        click.echo(
            f"emostudy: --max-side {max_side} is above the detectors' limit of "
            f"{DETECTOR_MAX_SIDE} px (their memory bound), which is used; --tile searches a large "
            "photo at full resolution.",
            err=True,
        )
    if max_side is None:
        max_side = VIDEO_MAX_SIDE if video else DEFAULT_MAX_SIDE
        if video:
            click.echo(
                f"emostudy: video frames are searched at {VIDEO_MAX_SIDE} px (photos at "
                f"{DEFAULT_MAX_SIDE}): faster, but faces under about 40 px high may be missed; "
                f"--max-side {DEFAULT_MAX_SIDE} searches frames like photos.",
                err=True,
            )
    recognizer = EmotionRecognizer(
        detector, model, min_score=min_score, flip_tta=not no_tta, max_side=max_side, tile=tile
    )
    smoothing = 0.0 if no_smoothing else 0.7
    if demo:
        from emostudy.recognition.demo import demo_image

        return _one_image(recognizer, demo_image(), "astronaut (scikit-image)", output, as_json)
    if camera is not None:
        return _video(recognizer, camera, output, as_json, smoothing, every, max_frames, quiet)
    if source.is_dir():
        return _folder(recognizer, source, output, as_json, workers, quiet)
    if source.suffix.lower() in VIDEO_SUFFIXES:
        return _video(recognizer, source, output, as_json, smoothing, every, max_frames, quiet)
    return _one_image(recognizer, source, str(source), output, as_json)


def _one_image(recognizer, image: Any, name: str, output: Path | None, as_json: bool) -> int:
    from emostudy.detectors.base import TILE_FACTOR
    from emostudy.imageio import as_bgr

    if output is not None:
        _check_image_output(output)
    bgr = as_bgr(image)
    result = recognizer.recognize(bgr)
    result.source = name
    if output is not None:
        _write_image(output, bgr, result)
        click.echo(f"annotated image: {output}", err=True)
    if as_json:
        click.echo(result.to_json(indent=2))
    else:
        click.echo(_describe(name, result))
    if not result.faces:
        height, width = bgr.shape[:2]
        searched = recognizer.detector.max_side
        if searched and max(height, width) > TILE_FACTOR * searched and not recognizer.tile:
            hint = (
                f"this photo is {width}x{height} px and the detector searched it shrunk to "
                f"{searched} px, where small faces vanish: try --tile (full-resolution tiles)"
            )
        else:
            hint = "try a lower --min-score or another --detector"
        score = (
            "" if recognizer.min_score is None else f", minimum score {recognizer.min_score:.3g}"
        )
        raise NoFaceFound(
            f"no face found in {name} (detector {recognizer.detector.name}{score}); {hint}."
        )
    return 0


def _describe(name: str, result) -> str:
    count = len(result.faces)
    lines = [f"{name}: {count} face{'' if count == 1 else 's'}"]
    for i, face in enumerate(result.faces, 1):
        x, y, w, h = (round(v) for v in face.box)
        ranked = sorted(zip(face.classes, face.probabilities, strict=True), key=lambda t: -t[1])
        others = ", ".join(f"{c} {p:.0%}" for c, p in ranked[1:3])
        lines.append(
            f"  face {i}: {face.emotion} {face.confidence:.0%} ({others})  "
            f"box x={x} y={y} w={w} h={h}  detector score {face.score:.2f}"
        )
    return "\n".join(lines)


def _check_output_file(output: Path, example: str) -> None:
    """``-o`` must name a file whose folder exists, never an existing folder."""
    if output.is_dir():
        raise InvalidInputError(
            f"-o {output} is an existing folder; -o names the file to write, e.g. "
            f"{output / example}."
        )
    if not output.parent.resolve().is_dir():
        raise InvalidInputError(f"Output folder does not exist: {output.parent}.")


def _check_image_output(output: Path) -> None:
    _check_output_file(output, "annotated.jpg")
    if output.suffix.lower() not in IMAGE_SUFFIXES:
        raise InvalidInputError(
            f"Cannot write an image as {output.name!r}: use one of {', '.join(IMAGE_SUFFIXES)}."
        )


def _write_image(output: Path, bgr, result) -> None:
    import cv2

    from emostudy.recognition.drawing import DrawingWarning, draw_faces

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DrawingWarning)
        annotated = draw_faces(bgr, result)
    for warning in caught:
        click.echo(f"emostudy: note: {warning.message}", err=True)
    ok, buffer = cv2.imencode(output.suffix.lower(), annotated)
    if not ok:
        raise InvalidInputError(f"OpenCV cannot encode {output.suffix} images here; try .png.")
    output.write_bytes(buffer.tobytes())


def _folder(recognizer, folder: Path, output, as_json, workers: int, quiet: bool) -> int:
    import pandas as pd
    from tqdm import tqdm

    from emostudy.imageio import list_folder
    from emostudy.recognition.results import faces_frame

    files = [p for p in list_folder(folder) if p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise InvalidInputError(f"No images ({', '.join(IMAGE_SUFFIXES)}) in folder {folder}.")
    if output is not None:
        _check_output_file(output, "summary.csv")
    if output is not None and output.suffix.lower() not in (".csv", ".json"):
        raise InvalidInputError(
            f"For a folder, -o names the summary file (.csv or .json), got {output.name!r}."
        )
    rows, records, skipped = [], [], []
    start = time.perf_counter()
    results = recognizer.recognize_files(files, workers=workers)
    for path, result in tqdm(
        results, total=len(files), desc="images", unit="img", disable=quiet, file=sys.stderr
    ):
        name = Path(path).name
        if isinstance(result, EmostudyError):
            skipped.append(name)
            click.echo(f"emostudy: skipped {name}: {result}", err=True)
            rows.append(pd.DataFrame([{"source": name, "error": str(result)}]))
            records.append({"source": name, "error": str(result)})
            continue
        result.source = name
        records.append(result.to_dict())
        table = faces_frame(result.faces, source=name)
        rows.append(table if len(table) else pd.DataFrame([{"source": name}]))
        if not as_json:
            emotions = ", ".join(f.emotion for f in result.faces) or "no face"
            click.echo(f"{name}: {len(result.faces)} faces: {emotions}")
    seconds = time.perf_counter() - start
    done = len(files) - len(skipped)
    faces = sum(len(r.get("faces", [])) for r in records)
    click.echo(
        f"{done} images, {faces} faces, {len(skipped)} skipped, "
        f"{done / max(seconds, 1e-9):.1f} images/s",
        err=True,
    )
    if as_json:
        click.echo(json.dumps(records, indent=2))
    if output is not None:
        if output.suffix.lower() == ".json":
            output.write_text(json.dumps(records, indent=2))
        else:
            summary = pd.concat(rows, ignore_index=True)
            if "error" in summary:
                summary = summary[[c for c in summary.columns if c != "error"] + ["error"]]
            summary.to_csv(output, index=False)
        click.echo(f"summary: {output}", err=True)
    if done == 0:
        raise InvalidInputError(f"None of the {len(files)} images in {folder} could be read.")
    if skipped:
        raise ImagesSkipped(
            f"skipped {len(skipped)} of {len(files)} images that cannot be read "
            f"({', '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}); the others' "
            "results are complete (exit code "
            f"{EXIT_SKIPPED})."
        )
    return 0


def _video(recognizer, source, output, as_json, smoothing, every, max_frames, quiet) -> int:
    from tqdm import tqdm

    from emostudy.recognition.drawing import DrawingWarning, draw_faces
    from emostudy.recognition.video import (
        AnnotatedVideoWriter,
        open_video,
        recognize_video,
        track_summary,
        tracks_table,
        video_info,
    )

    camera = isinstance(source, int)
    csv_path = video_path = None
    if output is not None:
        _check_output_file(output, "annotated.mp4")
        if output.suffix.lower() == ".csv":
            csv_path = output
        else:
            video_path, csv_path = output, output.with_suffix(".csv")
    if camera:
        import cv2

        capture = open_video(source)  # a clear error before any window opens
        info = {
            "fps": capture.get(cv2.CAP_PROP_FPS) or 25.0,
            "frames": 0,
            "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        }
        capture.release()
    else:
        info = video_info(source)
    writer = None
    if video_path is not None:
        fps = (info["fps"] or 25.0) / max(1, every)
        writer = AnnotatedVideoWriter(video_path, fps=fps, size=(info["width"], info["height"]))
    total = info["frames"] // max(1, every) or None
    if max_frames is not None and total is not None:
        total = min(total, max_frames)
    frames = []
    window = "emostudy (q quits)"
    try:
        stream = recognize_video(
            recognizer,
            source,
            smoothing=smoothing,
            every=every,
            max_frames=max_frames,
            keep_frames=True,
        )
        for frame in tqdm(
            stream, total=total, desc="frames", unit="frame", disable=quiet, file=sys.stderr
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DrawingWarning)  # a label suffices in a video
                annotated = draw_faces(frame.frame, frame.recognition)
            frame.frame = None  # keep only the results in memory
            frames.append(frame)
            if writer is not None:
                writer.write(annotated)
            if camera and _show(window, annotated):
                break
    finally:
        if writer is not None:
            writer.close()
        if camera:
            _close_windows()
    table = tracks_table(frames)
    if csv_path is not None:
        table.to_csv(csv_path, index=False)
    summary = track_summary(table)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "source": f"camera {source}" if camera else str(source),
                    "frames": len(frames),
                    "tracks": summary.reset_index().to_dict(orient="records"),
                },
                indent=2,
            )
        )
    else:
        name = f"camera {source}" if camera else str(source)
        click.echo(f"{name}: {len(frames)} frames, {len(summary)} face tracks")
        for track, row in summary.iterrows():
            click.echo(
                f"  track {track}: {row['emotion']} ({row[row['emotion']]:.0%} on average), "
                f"{row['first_s']:.1f}-{row['last_s']:.1f} s, {row['frames']} frames"
            )
    if writer is not None:
        click.echo(f"annotated video: {video_path}", err=True)
    if csv_path is not None:
        click.echo(f"tracks: {csv_path}", err=True)
    if not camera and len(frames) == 0:
        raise InvalidInputError(f"Video {source} has no readable frames.")
    if not camera and table.empty:
        raise NoFaceFound(f"no face found in any frame of {source}.")
    return 0


def _show(window: str, frame) -> bool:
    """Show a frame; True when the user pressed q (or closed the window)."""
    import cv2

    try:
        cv2.imshow(window, frame)
        key = cv2.waitKey(1) & 0xFF
    except cv2.error:
        raise InvalidInputError(
            "Cannot open a window (no display, or OpenCV was built without GUI support, as "
            "opencv-python-headless is). Record instead with -o camera.mp4."
        ) from None
    return key in (ord("q"), 27)


def _close_windows() -> None:
    import cv2

    with contextlib.suppress(cv2.error):
        cv2.destroyAllWindows()


# ---------------------------------------------------------------------------------------------
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--model", default=None, help="Shipped model name or .keras file (default model).")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("exported"),
    show_default=True,
    help="Folder for the exported files.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["onnx", "tflite", "all"]),
    default="all",
    show_default=True,
)
def export_command(model: str | None, out_dir: Path, formats: str) -> int:
    """Export the emotion model as ONNX and TFLite, and check each against Keras."""
    from emostudy.models.engines import load_keras_file
    from emostudy.models.export import PARITY_TOLERANCE, parity
    from emostudy.models.pretrained import DEFAULT_EMOTION_MODEL, load_emotion_model, model_path

    name = model or DEFAULT_EMOTION_MODEL
    if name.endswith(".keras"):
        source = Path(name)
        keras_model = load_keras_file(name)
        stem = source.stem
    elif name.endswith((".onnx", ".tflite")):
        raise InvalidInputError("export converts a Keras model; give a shipped name or .keras.")
    else:
        source = model_path(name)
        keras_model = load_emotion_model(name)
        stem = name
    wanted = ["onnx", "tflite"] if formats == "all" else [formats]
    failed = []
    for fmt in wanted:  # one format's failure never blocks another
        path = out_dir / f"{stem}.{fmt}"
        try:
            how = _export_one(fmt, keras_model, path, source=source, shipped=stem == name)
            check = parity(keras_model, path)
        except EmostudyError as error:
            failed.append(fmt)
            click.echo(f"emostudy: {fmt}: {error}", err=True)
            continue
        verdict = "ok" if check["max_abs_logit_diff"] <= PARITY_TOLERANCE else "FAILED"
        if verdict != "ok":
            failed.append(fmt)
        click.echo(
            f"{path}: {path.stat().st_size / 1e6:.1f} MB ({how}), parity with Keras on "
            f"{check['n_faces']} faces: max |logit diff| {check['max_abs_logit_diff']:.2g} "
            f"(tolerance {PARITY_TOLERANCE:g}), same class {check['argmax_agreement']:.0%}: "
            f"{verdict}"
        )
    if failed:
        raise InvalidInputError(
            f"The {', '.join(failed)} export failed or does not match Keras within "
            f"{PARITY_TOLERANCE:g} (see above); do not use it. The other formats were written."
        )
    return 0


def _has_tf2onnx() -> bool:
    try:
        import tf2onnx  # noqa: F401
    except ImportError:
        return False
    return True


def _export_one(fmt: str, keras_model, path: Path, *, source: Path, shipped: bool) -> str:
    """Write one export; returns how it was made. A shipped model's ONNX file is copied when
    tf2onnx is not installed (a plain ``pip install`` has no tf2onnx): it is the same network,
    exported at packaging, and its parity is measured here all the same."""
    import shutil

    from emostudy.models.engines import shipped_onnx_path
    from emostudy.models.export import export_onnx, export_tflite

    if fmt == "tflite":
        export_tflite(keras_model, path)
        return "converted by TensorFlow Lite"
    shipped_file = shipped_onnx_path(source.stem) if shipped else None
    if not _has_tf2onnx() and shipped_file is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shipped_file, path)
        return "the shipped export; tf2onnx is not installed"
    export_onnx(keras_model, path, source=source)
    return "converted by tf2onnx"


# ---------------------------------------------------------------------------------------------
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("action", type=click.Choice(["train", "estimate", "package"]), default="train")
@click.option("--out", default="runs/headline", show_default=True, help="Run folder (resumable).")
@click.option("--recipe", type=click.Choice(["v2", "v3", "v4"]), default="v2", show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Default: the recipe's.")
@click.option("--snapshots", is_flag=True, help="Also keep every epoch's model (ensembles).")
@click.option(
    "--profile",
    type=click.Choice(["full", "quick"]),
    default="full",
    show_default=True,
    help="quick: 30 images per class.",
)
@click.option("--precision", type=click.Choice(["float32", "mixed_bfloat16"]), default=None)
@click.option(
    "--name", default=None, help="package: the shipped model's name (default per recipe)."
)
def headline_command(action, out, recipe, epochs, snapshots, profile, precision, name) -> int:
    """Train, time or package a headline model (ACTION: train, estimate or package).

    On a TF_CONFIG cluster every worker runs the same command (multi-worker training).
    """
    from dataclasses import replace

    from emostudy.book.headline import (
        PACKAGE_NAMES,
        RECIPES,
        describe_estimate,
        estimate_training_time,
        package_headline,
        train_headline,
    )
    from emostudy.training.distributed import multiworker_strategy, worker_out_dir

    # On a TF_CONFIG cluster the strategy must start before anything else touches TensorFlow.
    strategy = multiworker_strategy() if action == "train" else None
    chosen = RECIPES[recipe]
    config = replace(
        chosen.config,
        epochs=epochs or chosen.config.epochs,
        precision=precision or chosen.config.precision,
    )
    if action == "estimate":
        click.echo(describe_estimate(estimate_training_time(config)))
    elif action == "train":
        train_headline(
            worker_out_dir(out),
            config=config,
            recipe=chosen,
            snapshots=snapshots,
            profile=profile,
            strategy=strategy,
        )
    else:
        package_headline(out, name or PACKAGE_NAMES[recipe], recipe=chosen)
    return 0


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("profile", type=click.Choice(["full", "quick"]))
@click.argument("args", nargs=-1)
def run_command(profile: str, args: tuple[str, ...]) -> int:
    """Execute chapters with papermill: ``full [NN ...]`` re-executes them in place (the published
    results); ``quick OUTDIR [NN ...]`` runs them in the quick profile into OUTDIR."""
    from emostudy.book.runner import list_notebooks, regenerate, run_notebook

    if profile == "quick":
        if not args:
            raise click.UsageError("quick needs an OUTDIR: emostudy run quick OUTDIR [NN ...]")
        outdir, chapters = Path(args[0]), args[1:]
    else:
        outdir, chapters = None, args
    for path in list_notebooks(chapters):
        click.echo(f"== {path.name} ({profile})")
        if outdir is None:
            seconds = regenerate(path)
        else:
            outdir.mkdir(parents=True, exist_ok=True)
            results = outdir / "results"
            seconds = run_notebook(
                path,
                outdir / path.name,
                profile="quick",
                parameters={"results_dir": str(results.resolve())},
            )
        click.echo(f"   done in {seconds:.0f} s")
    return 0


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--no-figure", is_flag=True, help="Skip the landing figure (it runs the recognizer).")
def pages_command(no_figure: bool) -> int:
    """Regenerate the book's generated pages from the committed results (run from the checkout's
    root): the results page, the landing headline, the chapters' run times, the API page and the
    landing figure."""
    from emostudy.book import landing_figure, write_api_page, write_pages, write_run_times

    for path in write_pages():
        click.echo(f"wrote {path}")
    click.echo(f"wrote {write_run_times()}")
    click.echo(f"wrote {write_api_page(Path('book') / 'api.md')}")
    if not no_figure:
        summary = landing_figure()
        click.echo(f"wrote the landing figure: {len(summary['faces'])} face(s)")
    return 0


#: The sub-commands of ``emostudy``; without one, the arguments go to ``recognize``.
SUBCOMMANDS = {
    "recognize": recognize_command,
    "export": export_command,
    "headline": headline_command,
    "run": run_command,
    "pages": pages_command,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
