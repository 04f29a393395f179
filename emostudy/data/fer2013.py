"""Loading FER-2013 from its folder download or from the original ``fer2013.csv``.

Two layouts are accepted:

* folders: ``train/<class>/*.jpg`` (usage ``Training``) and ``test/<class>/PublicTest_*.jpg`` or
  ``test/<class>/PrivateTest_*.jpg`` (usage from the file-name prefix), class folders named after
  :data:`~emostudy.data.classes.FER_CLASSES` (any letter case);
* the original ``fer2013.csv`` (columns ``emotion,pixels,Usage``; ``pixels`` holds 2304
  space-separated gray levels 0..255, row-major), given as its path or as a folder holding it.

Images come out sorted by usage (Training, PublicTest, PrivateTest), then label, then file name
(or CSV line), so a given copy of the data always loads in the same order.
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from emostudy._quiet import quiet_unless
from emostudy.data.classes import FACE_SIZE, FER_CLASSES, FER_USAGES
from emostudy.data.faceset import FaceSet
from emostudy.data.images import IMAGE_EXTENSIONS, read_many
from emostudy.data.splits import positions_per_class, sample_per_class
from emostudy.errors import DataLayoutError, FileAccessError, InvalidInputError
from emostudy.imageio import check_readable, list_folder
from emostudy.settings import dataset_path

NAME = "FER-2013"
CSV_NAME = "fer2013.csv"
CSV_COLUMNS = ("emotion", "pixels", "Usage")
TEST_PREFIXES = {"PublicTest_": "PublicTest", "PrivateTest_": "PrivateTest"}
N_PIXELS = FACE_SIZE * FACE_SIZE

LAYOUTS = (
    "FER-2013 must be either (a) a folder with train/<class>/*.jpg and test/<class>/*.jpg, "
    "test file names starting with PublicTest_ or PrivateTest_, class folders named "
    f"{', '.join(FER_CLASSES)}; or (b) the original {CSV_NAME} (columns emotion,pixels,Usage), "
    "given as its path or as a folder that contains it."
)


def load_fer2013(
    path: str | os.PathLike | None = None,
    *,
    usage: str | Sequence[str] | None = None,
    progress: bool = True,
) -> FaceSet:
    """Load FER-2013 as a :class:`FaceSet` (images ``(N, 48, 48, 1)`` uint8, labels 0..6).

    Parameters
    ----------
    path
        The data set folder (folder layout, or a folder holding ``fer2013.csv``) or the CSV file.
        Default: ``dataset_path("fer2013")``.
    usage
        A usage or sequence of usages among ``Training``, ``PublicTest``, ``PrivateTest``; only
        those are read. Default: all three.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    FaceSet
        Named ``"FER-2013"``, class names :data:`FER_CLASSES`, meta columns ``usage``, ``source``,
        ``split`` (``train``/``test``, or ``csv``) and ``file_id`` (file stem, or ``row_<line>``).

    Raises
    ------
    DataNotFoundError
        If the path does not exist.
    DataLayoutError
        If folders, file names or CSV rows are not the expected ones (the message names them).
    CorruptImageError
        If more than max(5, 0.1%) of the image files cannot be decoded (fewer are skipped with a
        :class:`~emostudy.data.images.CorruptImageWarning`).
    """
    return load_fer2013_sample(path, usage=usage, progress=progress)


def load_fer2013_sample(
    path: str | os.PathLike | None = None,
    *,
    usage: str | Sequence[str] | None = None,
    progress: bool = True,
    per_class: int | None = None,
    seed: int = 0,
) -> FaceSet:
    """:func:`load_fer2013`, keeping at most ``per_class`` images per class and usage.

    Parameters
    ----------
    path, usage, progress
        As for :func:`load_fer2013`.
    per_class
        Images kept per class and usage, drawn with ``seed``; ``None`` keeps all. In the folder
        layout only the kept files are read, so a small sample loads in a fraction of the time.
    seed
        Seed of the draw.
    """
    usages = normalize_usages(usage)
    root = dataset_path("fer2013", path)
    check_readable(root, what="FER-2013 data")
    faceset = _load_root(root, usages, progress, per_class, seed)
    if len(faceset) == 0:
        raise DataLayoutError(
            f"No {', '.join(usages)} images found in {root}: the data set there is empty. Put "
            f"the FER-2013 files there, or point the path at the folder that holds them. {LAYOUTS}"
        )
    return faceset


def _load_root(
    root: Path, usages: tuple[str, ...], progress: bool, per_class: int | None, seed: int
) -> FaceSet:
    if root.is_file():
        if root.suffix.lower() != ".csv":
            raise DataLayoutError(f"{root} is neither a folder nor a .csv file. {LAYOUTS}")
        return _select(_load_csv(root, usages, progress), per_class, seed)
    if (root / "train").is_dir() or (root / "test").is_dir():
        files = _list_folders(root, usages)
        if per_class is not None:
            files = files.iloc[positions_per_class(files, per_class, seed)].reset_index(drop=True)
        return _read_folders(files, progress)
    if (root / CSV_NAME).is_file():
        return _select(_load_csv(root / CSV_NAME, usages, progress), per_class, seed)
    raise DataLayoutError(f"{root} has no train/ and test/ folders and no {CSV_NAME}. {LAYOUTS}")


def normalize_usages(usage: str | Sequence[str] | None) -> tuple[str, ...]:
    """The requested usages as a tuple in protocol order (any letter case accepted)."""
    if usage is None:
        return FER_USAGES
    if not isinstance(usage, str | Sequence) or isinstance(usage, bytes):
        raise InvalidInputError(
            f"usage must be a usage name or a list of them ({', '.join(FER_USAGES)}), got "
            f"{usage!r} ({type(usage).__name__})."
        )
    requested = [usage] if isinstance(usage, str) else list(usage)
    by_lower = {name.lower(): name for name in FER_USAGES}
    unknown = [value for value in requested if str(value).lower() not in by_lower]
    if unknown or not requested:
        raise InvalidInputError(
            f"Unknown FER-2013 usage(s) {unknown or requested}; valid usages: "
            f"{', '.join(FER_USAGES)}."
        )
    wanted = {by_lower[str(value).lower()] for value in requested}
    return tuple(name for name in FER_USAGES if name in wanted)


# ---------------------------------------------------------------------------------------------
# folder layout


def _list_folders(root: Path, usages: tuple[str, ...]) -> pd.DataFrame:
    """One row per image file to read: path, usage, label, split, file_id; in load order."""
    rows = []
    needed = {"train": "Training" in usages, "test": {"PublicTest", "PrivateTest"} & set(usages)}
    for split, wanted in needed.items():
        if not wanted:
            continue
        folder = root / split
        if not folder.is_dir():
            raise DataLayoutError(
                f"{root} has no {split}/ folder, needed for usage(s) "
                f"{', '.join(u for u in usages if (u == 'Training') == (split == 'train'))}. "
                f"{LAYOUTS}"
            )
        for class_dir in _visible(folder):
            if not class_dir.is_dir():
                raise DataLayoutError(
                    f"Unexpected file {class_dir} directly in {folder}: {split}/ must hold only "
                    f"class folders ({', '.join(FER_CLASSES)}). Move or delete it."
                )
            label = _class_index(class_dir)
            entries = _visible(class_dir)
            if not entries:
                raise DataLayoutError(
                    f"Class folder {class_dir} is empty. Put its images there, or remove the "
                    "folder."
                )
            for file in entries:
                if not file.is_file() or file.suffix.lower() not in IMAGE_EXTENSIONS:
                    raise DataLayoutError(
                        f"Unexpected entry {file} in class folder {class_dir}: class folders must "
                        f"hold only image files ({', '.join(IMAGE_EXTENSIONS)}). Move or delete it."
                    )
                file_usage = "Training" if split == "train" else _test_usage(file)
                if file_usage in usages:
                    rows.append((str(file), file_usage, label, split, file.stem, file.name))
    files = pd.DataFrame(rows, columns=["source", "usage", "label", "split", "file_id", "name"])
    order = files["usage"].map({u: i for i, u in enumerate(FER_USAGES)})
    files = files.assign(_order=order).sort_values(["_order", "label", "name"], kind="stable")
    return files.drop(columns=["_order", "name"]).reset_index(drop=True)


def _visible(folder: Path) -> list[Path]:
    """Entries of a folder, sorted, without hidden ones (.DS_Store, ._*)."""
    return list_folder(folder, what="FER-2013 folder")


def _class_index(class_dir: Path) -> int:
    name = class_dir.name.lower()
    if name not in FER_CLASSES:
        raise DataLayoutError(
            f"Unknown class folder {class_dir}: FER-2013 class folders must be named "
            f"{', '.join(FER_CLASSES)} (any letter case). Rename or remove it."
        )
    return FER_CLASSES.index(name)


def _test_usage(file: Path) -> str:
    for prefix, usage in TEST_PREFIXES.items():
        if file.name.startswith(prefix):
            return usage
    raise DataLayoutError(
        f"Test image {file} has a name that starts with neither PublicTest_ nor PrivateTest_, so "
        "its usage is unknown. Name test images PublicTest_<id>.jpg (validation) or "
        "PrivateTest_<id>.jpg (final test), as in the FER-2013 download."
    )


def _read_folders(files: pd.DataFrame, progress: bool) -> FaceSet:
    images, kept = read_many(list(files["source"]), progress=progress, desc="Reading FER-2013")
    files = files.iloc[kept].reset_index(drop=True)
    labels = files["label"].to_numpy(dtype=np.int64)
    meta = files[["usage", "source", "split", "file_id"]].astype(str)
    return FaceSet(images, labels, FER_CLASSES, meta, NAME)


# ---------------------------------------------------------------------------------------------
# CSV layout


def _load_csv(csv_path: Path, usages: tuple[str, ...], progress: bool) -> FaceSet:
    """Parse fer2013.csv, validating every row kept (1-based line numbers in messages)."""
    try:
        return _parse_csv(csv_path, usages, progress)
    except UnicodeDecodeError as error:
        raise DataLayoutError(
            f"{csv_path} is not UTF-8 text (byte {error.start}: {error.reason}); the original "
            f"{CSV_NAME} is plain ASCII. Re-save it as UTF-8 or download it again."
        ) from None
    except csv.Error as error:
        raise DataLayoutError(
            f"{csv_path} is not a well-formed CSV file (line {_line_of(error)}: {error}). A "
            f"row's pixels field holds 2304 numbers; fix or delete that row (or use the "
            f"original {CSV_NAME})."
        ) from None
    except PermissionError:
        raise FileAccessError(
            f"Cannot read {csv_path}: permission denied. Make it readable (chmod u+r)."
        ) from None


def _line_of(error: Exception) -> str:
    match = re.search(r"line (\d+)", str(error))
    return match.group(1) if match else "?"


def _parse_csv(csv_path: Path, usages: tuple[str, ...], progress: bool) -> FaceSet:
    rows: list[tuple[int, int, str, str]] = []  # line, label, usage, pixels
    by_lower = {name.lower(): name for name in FER_USAGES}
    # utf-8-sig: a CSV saved by Excel starts with a byte-order mark, glued to the first column name
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise DataLayoutError(f"{csv_path} is empty. {LAYOUTS}")
        lowered = [column.strip().lower() for column in header]
        missing = [column for column in CSV_COLUMNS if column.lower() not in lowered]
        if missing:
            raise DataLayoutError(
                f"{csv_path} lacks the column(s) {', '.join(missing)} (found: "
                f"{', '.join(_start(column) for column in header)}). The FER-2013 CSV must have "
                f"the columns {','.join(CSV_COLUMNS)}; use the original fer2013.csv."
            )
        i_emotion, i_pixels, i_usage = (lowered.index(c.lower()) for c in CSV_COLUMNS)
        width = len(header)
        for row in tqdm(reader, desc="Reading fer2013.csv", unit="row", **quiet_unless(progress)):
            if not row:
                continue
            line = reader.line_num

            if len(row) != width:
                raise _row_error(csv_path, line, f"{len(row)} fields instead of {width}")
            usage_value = row[i_usage].strip()
            if usage_value.lower() not in by_lower:
                raise _row_error(csv_path, line, f"unknown Usage '{_start(usage_value)}'")
            usage_value = by_lower[usage_value.lower()]
            emotion = row[i_emotion].strip()
            if not emotion.isdigit() or int(emotion) > len(FER_CLASSES) - 1:
                raise _row_error(
                    csv_path, line, f"emotion '{_start(emotion)}' is not an integer in 0..6"
                )
            if usage_value in usages:
                rows.append((line, int(emotion), usage_value, row[i_pixels]))
    if not rows:
        raise DataLayoutError(
            f"{csv_path} has no rows of usage {', '.join(usages)} (it holds a header and "
            f"{reader.line_num - 1} other lines). Use the full original {CSV_NAME}."
        )
    images = np.empty((len(rows), FACE_SIZE, FACE_SIZE, 1), dtype=np.uint8)
    for position, (line, _, _, pixels) in enumerate(rows):
        images[position, :, :, 0] = _parse_pixels(pixels, csv_path, line)
    frame = pd.DataFrame(rows, columns=["line", "label", "usage", "pixels"]).drop(columns="pixels")
    order = frame["usage"].map({u: i for i, u in enumerate(FER_USAGES)})
    sort = np.lexsort((frame["line"], frame["label"], order))
    frame = frame.iloc[sort].reset_index(drop=True)
    meta = pd.DataFrame(
        {
            "usage": frame["usage"].astype(str),
            "source": [f"{CSV_NAME}:{line}" for line in frame["line"]],
            "split": "csv",
            "file_id": [f"row_{line}" for line in frame["line"]],
        }
    )
    labels = frame["label"].to_numpy(dtype=np.int64)
    return FaceSet(images[sort], labels, FER_CLASSES, meta, NAME)


def _parse_pixels(text: str, csv_path: Path, line: int) -> np.ndarray:
    """``(48, 48)`` uint8 image from one ``pixels`` field, or a DataLayoutError naming the line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values = np.fromstring(text, dtype=np.int64, sep=" ")
        except ValueError:
            values = None
    if values is None or values.size != N_PIXELS:
        tokens = text.split()
        non_integer = [token for token in tokens if not token.lstrip("-").isdigit()]
        if non_integer:
            what = f"pixel value '{_start(non_integer[0])}' is not an integer"
            if "," in text:
                what += " (pixels must be separated by spaces, not commas)"
        else:
            what = f"{len(tokens)} pixel values instead of {N_PIXELS} (48x48)"
        raise _row_error(csv_path, line, what)
    if values.min() < 0 or values.max() > 255:
        outside = values[(values < 0) | (values > 255)][0]
        raise _row_error(csv_path, line, f"pixel value {outside} is outside 0..255")
    return values.astype(np.uint8).reshape(FACE_SIZE, FACE_SIZE)


def _start(text: str, length: int = 24) -> str:
    """The start of a long field, for messages (a pixels field is about 9 KB)."""
    return text if len(text) <= length else f"{text[:length]}... ({len(text)} characters)"


def _row_error(csv_path: Path, line: int, what: str) -> DataLayoutError:
    return DataLayoutError(
        f"{csv_path}, line {line}: {what}. Fix or delete that row (or use the original "
        f"{CSV_NAME}): each row needs emotion 0..6, {N_PIXELS} space-separated integer pixels "
        f"0..255 and Usage one of {', '.join(FER_USAGES)}."
    )


# ---------------------------------------------------------------------------------------------
# subsampling (used by the quick profile)


def _select(faceset: FaceSet, per_class: int | None, seed: int) -> FaceSet:
    if per_class is None:
        return faceset
    return sample_per_class(faceset, per_class, seed=seed)
