"""Loading CK+ (Extended Cohn-Kanade) peak frames: ``<class>/S<subject>_<sequence>_<frame>.png``."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from emostudy.data.classes import CKPLUS_CLASSES
from emostudy.data.faceset import FaceSet
from emostudy.data.images import IMAGE_EXTENSIONS, read_many
from emostudy.errors import DataLayoutError
from emostudy.imageio import list_folder
from emostudy.settings import dataset_path

NAME = "CK+"
FILE_PATTERN = re.compile(r"^S(\d+)_(\d+)_(\d+)\.(png|jpe?g|bmp)$", re.IGNORECASE)
EXPECTED = "S<subject>_<sequence>_<frame>.png (for example S010_004_00000018.png)"


def subject_id(digits: str) -> str:
    """The canonical subject id of a file name's subject digits: ``"10"`` and ``"010"`` are
    ``"S010"`` (CK+ numbers subjects with three digits; one person must be one subject)."""
    return f"S{int(digits):03d}"


def load_ckplus(path: str | os.PathLike | None = None, *, progress: bool = True) -> FaceSet:
    """Load CK+ as a :class:`FaceSet` (images ``(N, 48, 48, 1)`` uint8, labels 0..6).

    Parameters
    ----------
    path
        Folder of class folders (:data:`CKPLUS_CLASSES`, any letter case) holding
        ``S<subject>_<sequence>_<frame>.png`` files. Default: ``dataset_path("ckplus")``.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    FaceSet
        Named ``"CK+"``, sorted by class then file name; meta columns ``usage`` (``"all"``),
        ``source``, ``subject`` (e.g. ``"S010"``; zero-padded to three digits, so ``S10_...`` and
        ``S010_...`` files are the same subject, see :func:`subject_id`), ``sequence`` (int) and
        ``frame`` (int).

    Raises
    ------
    DataNotFoundError
        If the folder does not exist.
    DataLayoutError
        For an unknown class folder, a stray file, or a file name not matching the pattern.
    """
    root = dataset_path("ckplus", path, folder=True)
    rows = []
    for class_dir in list_folder(root, what="CK+ folder"):
        if not class_dir.is_dir():
            raise DataLayoutError(
                f"Unexpected file {class_dir} in {root}: the CK+ folder must hold only class "
                f"folders ({', '.join(CKPLUS_CLASSES)}). Move or delete it."
            )
        name = class_dir.name.lower()
        if name not in CKPLUS_CLASSES:
            raise DataLayoutError(
                f"Unknown class folder {class_dir}: CK+ class folders must be named "
                f"{', '.join(CKPLUS_CLASSES)} (any letter case). Rename or remove it."
            )
        label = CKPLUS_CLASSES.index(name)
        entries = list_folder(class_dir, what="CK+ class folder")
        if not entries:
            raise DataLayoutError(
                f"CK+ class folder {class_dir} is empty. Put its images there, or remove the "
                "folder."
            )
        for file in entries:
            match = FILE_PATTERN.match(file.name)
            if not file.is_file() or match is None or file.suffix.lower() not in IMAGE_EXTENSIONS:
                raise DataLayoutError(
                    f"Unexpected file name {file}: CK+ images must be named {EXPECTED}. Rename "
                    "or remove it."
                )
            subject, sequence, frame = match.group(1, 2, 3)
            rows.append(
                (label, file.name, str(file), subject_id(subject), int(sequence), int(frame))
            )
    if not rows:
        raise DataLayoutError(
            f"No CK+ images found in {root}: it holds no class folders. Put the class folders "
            f"({', '.join(CKPLUS_CLASSES)}) of {EXPECTED} images there, or point the path at "
            "the folder that holds them."
        )
    files = pd.DataFrame(rows, columns=["label", "name", "source", "subject", "sequence", "frame"])
    files = files.sort_values(["label", "name"], kind="stable").reset_index(drop=True)
    images, kept = read_many(list(files["source"]), progress=progress, desc="Reading CK+")
    files = files.iloc[kept].reset_index(drop=True)
    meta = pd.DataFrame(
        {
            "usage": "all",
            "source": files["source"].astype(str),
            "subject": files["subject"].astype(str),
            "sequence": files["sequence"].astype(np.int64),
            "frame": files["frame"].astype(np.int64),
        }
    )
    labels = files["label"].to_numpy(dtype=np.int64)
    return FaceSet(images, labels, CKPLUS_CLASSES, meta, NAME)
