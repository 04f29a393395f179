"""The WIDER FACE validation subset: images, ground-truth boxes and attributes, the easy / medium /
hard keep-lists of the official evaluation, and the perceived demographics of each face.

Expected layout (``$EMOSTUDY_DATA/wider_face_val/``), as in the official downloads::

    images/<event>/<name>.jpg           e.g. images/0--Parade/0_Parade_Parade_0_102.jpg
    wider_face_val_bbx_gt.txt           name, face count, then "x y w h blur expression
                                        illumination invalid occlusion pose" per face
    ground_truth/wider_face_val.mat     official evaluation files (all 3,226 val images)
    ground_truth/wider_{easy,medium,hard}_val.mat
    demographics_val.csv                optional: file, face (0-based index), perceived_skin,
                                        perceived_gender, perceived_age

The text file defines which images form the set (here a subset) and the order of faces; the
``.mat`` keep-lists index faces 1-based in that same order, and are checked against it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emostudy._validation import check_int, check_seed
from emostudy.errors import DataLayoutError, DataNotFoundError, InvalidInputError
from emostudy.settings import dataset_path

#: The three evaluation settings of WIDER FACE, easiest first.
WIDER_SETTINGS = ("easy", "medium", "hard")

#: Per-face attribute columns of ``wider_face_val_bbx_gt.txt`` and the meaning of their values.
WIDER_ATTRIBUTES: dict[str, dict[int, str]] = {
    "blur": {0: "clear", 1: "normal blur", 2: "heavy blur"},
    "expression": {0: "typical", 1: "exaggerated"},
    "illumination": {0: "normal", 1: "extreme"},
    "invalid": {0: "valid", 1: "invalid"},
    "occlusion": {0: "none", 1: "partial", 2: "heavy"},
    "pose": {0: "typical", 1: "atypical"},
}

GT_FILE = "wider_face_val_bbx_gt.txt"
DEMOGRAPHICS_FILE = "demographics_val.csv"
DEMOGRAPHIC_COLUMNS = ("perceived_skin", "perceived_gender", "perceived_age")
_BOX_COLUMNS = ["x", "y", "w", "h", *WIDER_ATTRIBUTES]


@dataclass(frozen=True)
class WiderFaceSet:
    """A (subset of the) WIDER FACE validation set.

    Attributes
    ----------
    root
        The data set folder.
    images
        One row per image, in file order: ``file`` (``<event>/<name>.jpg``), ``event``, ``path``
        (absolute) and ``n_faces``.
    faces
        One row per annotated face: ``file``, ``face`` (0-based index within the image), ``x``,
        ``y``, ``w``, ``h`` (pixels), the attributes of :data:`WIDER_ATTRIBUTES` (ints), the keep
        flags ``easy``, ``medium``, ``hard`` (bool: the face counts in that setting), and, when the
        demographics file is present, ``perceived_skin`` (``I`` .. ``VI``, ``Not Sure``, or
        missing), ``perceived_gender`` and ``perceived_age``.
    """

    root: Path
    images: pd.DataFrame
    faces: pd.DataFrame

    def __post_init__(self) -> None:
        positions = self.faces.groupby("file", sort=False).indices
        object.__setattr__(self, "_rows", {f: np.asarray(v) for f, v in positions.items()})

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[str]:
        return iter(self.images["file"])

    def path(self, file: str) -> Path:
        """Absolute path of an image, by its ``<event>/<name>.jpg`` key."""
        return self.root / "images" / file

    def face_rows(self, file: str) -> pd.DataFrame:
        """The faces of one image, in annotation order."""
        positions = self._rows.get(file)  # type: ignore[attr-defined]
        if positions is None:
            if file not in set(self.images["file"]):
                raise InvalidInputError(f"{file!r} is not an image of this set.")
            return self.faces.iloc[:0]
        return self.faces.iloc[positions]

    def boxes(self, file: str) -> np.ndarray:
        """``(G, 4)`` float ``x, y, w, h`` ground-truth boxes of one image."""
        return self.face_rows(file)[["x", "y", "w", "h"]].to_numpy(np.float64)

    def ignore(self, file: str, setting: str) -> np.ndarray:
        """``(G,)`` bool: faces of ``file`` that do not count in ``setting`` (easy/medium/hard).

        A face is ignored when it is not in the setting's keep-list or is marked ``invalid``.
        """
        if setting not in WIDER_SETTINGS:
            raise InvalidInputError(f"setting must be one of {WIDER_SETTINGS}, got {setting!r}.")
        rows = self.face_rows(file)
        return ~rows[setting].to_numpy(bool) | (rows["invalid"].to_numpy() == 1)

    def subset(self, files) -> WiderFaceSet:
        """The set restricted to ``files`` (keys), in the given order."""
        files = list(files)
        missing = sorted(set(files) - set(self.images["file"]))
        if missing:
            raise InvalidInputError(f"Not images of this set: {missing[:3]}.")
        images = self.images.set_index("file").loc[files].reset_index()
        faces = self.faces[self.faces["file"].isin(files)].copy()
        faces["_order"] = faces["file"].map({f: i for i, f in enumerate(files)})
        faces = faces.sort_values(["_order", "face"], kind="stable").drop(columns="_order")
        return WiderFaceSet(self.root, images, faces.reset_index(drop=True))

    def sample(self, n: int, seed: int = 0) -> WiderFaceSet:
        """A seeded random subset of ``n`` images (all of them when ``n >= len(self)``), in file
        order."""
        n = check_int("n", n, minimum=1)
        seed = check_seed("seed", seed)
        if n >= len(self):
            return self
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(len(self), size=n, replace=False))
        return self.subset(self.images["file"].iloc[chosen])


def parse_wider_gt(path: str | os.PathLike) -> pd.DataFrame:
    """Parse ``wider_face_val_bbx_gt.txt``: one row per face (``file``, ``face``, box, attributes).

    An image with no face is written as a count of 0 followed by one line of zeros; it gets no
    row here (its file is still listed by :func:`load_wider_face_val`).
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"WIDER FACE ground-truth file not found: {path}.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataLayoutError(
            f"{path} is not UTF-8 text (byte {error.start}: {error.reason}); the official "
            "wider_face_val_bbx_gt.txt is plain ASCII. Download it again or re-save it as UTF-8."
        ) from None
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    rows, files = [], []
    i = 0
    try:
        while i < len(lines):
            file = lines[i]
            if not file.lower().endswith((".jpg", ".jpeg", ".png")):
                raise ValueError(f"expected an image name, got {file!r}")
            count = int(lines[i + 1])
            files.append(file)
            i += 2
            if count == 0:
                i += 1  # the official file writes one dummy line of zeros
                continue
            for k in range(count):
                values = [int(float(v)) for v in lines[i + k].split()[:10]]
                if len(values) != 10:
                    raise ValueError(f"face line {lines[i + k]!r} has {len(values)} of 10 values")
                rows.append((file, k, *values))
            i += count
    except (ValueError, IndexError) as error:
        raise DataLayoutError(
            f"{path} is not in the WIDER FACE ground-truth format (line {i + 1}: {error}). "
            "Expected an image name, a face count, then 'x y w h blur expression illumination "
            "invalid occlusion pose' per face."
        ) from None
    faces = pd.DataFrame(rows, columns=["file", "face", *_BOX_COLUMNS])
    faces.attrs["files"] = files
    return faces


def _cell_str(cell) -> str:
    return str(np.asarray(cell).ravel()[0])


def read_wider_keep_lists(ground_truth: str | os.PathLike) -> dict[str, dict[str, object]]:
    """Read the official ``ground_truth/*.mat`` files.

    Returns
    -------
    dict
        ``{"<event>/<name>.jpg": {"boxes": (G, 4) array, "easy": idx, "medium": idx, "hard": idx}}``
        where each ``idx`` is an int array of **0-based** indices of the faces that count.
    """
    from scipy.io import loadmat

    folder = Path(ground_truth)
    paths = {name: folder / f"wider_{name}_val.mat" for name in ("face", *WIDER_SETTINGS)}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise DataNotFoundError(
            f"WIDER FACE evaluation files not found: {', '.join(missing)}. They come with the "
            "official evaluation code (eval_tools/ground_truth/) on the WIDER FACE site."
        )
    mats = {}
    for name, p in paths.items():
        try:
            mats[name] = loadmat(str(p))
        except Exception as error:  # scipy raises OSError, ValueError, TypeError... on bad files
            raise DataLayoutError(
                f"Cannot read {p} ({type(error).__name__}: {error}): it is truncated or not a "
                "MATLAB file. Download it again with the official evaluation code "
                "(eval_tools/ground_truth/) from the WIDER FACE site."
            ) from None
    try:
        events = [_cell_str(e) for e in mats["face"]["event_list"].ravel()]
        table: dict[str, dict[str, object]] = {}
        for e, event in enumerate(events):
            names = [_cell_str(f) for f in mats["face"]["file_list"][e, 0].ravel()]
            boxes = mats["face"]["face_bbx_list"][e, 0].ravel()
            for j, name in enumerate(names):
                entry: dict[str, object] = {"boxes": np.asarray(boxes[j], float).reshape(-1, 4)}
                for setting in WIDER_SETTINGS:
                    keep = np.asarray(mats[setting]["gt_list"][e, 0].ravel()[j]).ravel()
                    entry[setting] = keep.astype(np.int64) - 1  # MATLAB is 1-based
                table[f"{event}/{name}.jpg"] = entry
    except (KeyError, IndexError, ValueError) as error:
        raise DataLayoutError(
            f"The files in {folder} are not the official WIDER FACE evaluation .mat files "
            f"({type(error).__name__}: {error})."
        ) from None
    return table


def load_wider_face_val(
    path: str | os.PathLike | None = None, *, demographics: bool = True
) -> WiderFaceSet:
    """Load the WIDER FACE validation set (or the subset that the text file lists).

    Parameters
    ----------
    path
        The ``wider_face_val`` folder. Default: ``dataset_path("wider_face_val")``.
    demographics
        Join ``demographics_val.csv`` (perceived skin tone, gender, age per face) when present.

    Raises
    ------
    DataNotFoundError
        When the folder, the ground-truth text file, an image or a ``.mat`` file is missing.
    DataLayoutError
        When a file is malformed, or the ``.mat`` boxes disagree with the text file.
    """
    root = dataset_path("wider_face_val", path, folder=True)
    faces = parse_wider_gt(root / GT_FILE)
    files = faces.attrs["files"]
    absent = [f for f in files if not (root / "images" / f).is_file()]
    if absent:
        raise DataNotFoundError(
            f"{len(absent)} images listed in {GT_FILE} are missing under {root / 'images'}, "
            f"for example {absent[0]}."
        )
    keep_lists = read_wider_keep_lists(root / "ground_truth")
    flags = {s: np.zeros(len(faces), bool) for s in WIDER_SETTINGS}
    for file, rows in faces.groupby("file", sort=False):
        entry = keep_lists.get(file)
        if entry is None:
            raise DataLayoutError(f"{file} is in {GT_FILE} but not in the evaluation .mat files.")
        mat_boxes = entry["boxes"]
        txt_boxes = rows[["x", "y", "w", "h"]].to_numpy(float)
        if mat_boxes.shape != txt_boxes.shape or not np.allclose(mat_boxes, txt_boxes):
            raise DataLayoutError(
                f"{file}: the boxes of {GT_FILE} and wider_face_val.mat disagree; the keep-lists "
                "index faces in the .mat order, so the two files must come from the same release."
            )
        for setting in WIDER_SETTINGS:
            keep = entry[setting]
            if len(keep) and (keep.min() < 0 or keep.max() >= len(rows)):
                wrong = int(keep.min() if keep.min() < 0 else keep.max()) + 1
                raise DataLayoutError(
                    f"{file}: wider_{setting}_val.mat keeps face {wrong} "
                    f"but the image has {len(rows)} faces; keep-lists are 1-based indices "
                    f"1..{len(rows)}. Download the official evaluation files again."
                )
            flags[setting][rows.index.to_numpy()[keep]] = True
    for setting in WIDER_SETTINGS:
        faces[setting] = flags[setting]
    if demographics and (root / DEMOGRAPHICS_FILE).is_file():
        faces = _join_demographics(faces, root / DEMOGRAPHICS_FILE)
    images = pd.DataFrame({"file": files})
    images["event"] = images["file"].str.split("/").str[0]
    images["path"] = [str(root / "images" / f) for f in files]
    images["n_faces"] = images["file"].map(faces.groupby("file").size()).fillna(0).astype(int)
    return WiderFaceSet(root, images, faces.reset_index(drop=True))


def _join_demographics(faces: pd.DataFrame, path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataLayoutError(
            f"Cannot read {path} as a CSV table ({type(error).__name__}: {error}). Delete it to "
            "load WIDER FACE without demographics, or download it again."
        ) from None
    needed = {"file", "face", *DEMOGRAPHIC_COLUMNS}
    if not needed <= set(table.columns):
        raise DataLayoutError(
            f"{path} must have the columns {sorted(needed)}; it has {list(table.columns)}."
        )
    table = table[["file", "face", *DEMOGRAPHIC_COLUMNS]].copy()
    if not pd.api.types.is_integer_dtype(table["face"]):
        raise DataLayoutError(
            f"{path}: the 'face' column must hold 0-based integer face indices, got values such "
            f"as {table['face'].head(3).tolist()}."
        )
    if not table["file"].map(lambda v: isinstance(v, str)).all():
        raise DataLayoutError(
            f"{path}: the 'file' column must hold image paths such as "
            f"'images/0--Parade/0_Parade_marchingband_1_20.jpg', got values such as "
            f"{table['file'].head(3).tolist()}."
        )
    table["file"] = table["file"].str.replace(r"^images/", "", regex=True)
    if table.duplicated(["file", "face"]).any():
        raise DataLayoutError(f"{path} lists the same (file, face) twice.")
    merged = faces.merge(table, on=["file", "face"], how="left", validate="one_to_one")
    return merged
