"""Reading an image from a path or an array, in one colour order (floor 0)."""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np

from emostudy._validation import check_path
from emostudy.errors import (
    CorruptImageError,
    DataNotFoundError,
    FileAccessError,
    InvalidInputError,
)

#: Colour orders an image array may come in (the ``color_order`` of every reader).
COLORS = ("bgr", "rgb", "gray")

#: Largest image file :func:`read_image` decodes, in pixels (150 megapixels, e.g. 15,000 x 10,000:
#: 450 MB as a BGR array). Larger files are refused from their header, before any decoding.
MAX_IMAGE_PIXELS = 150_000_000


def _header_size(buffer: np.ndarray) -> tuple[int, int] | None:
    """``(width, height)`` from an encoded image's header (Pillow reads only the header), or
    None when Pillow does not know the format (OpenCV then decides)."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(buffer.tobytes())) as image:
                return image.size
    except Image.DecompressionBombError:  # Pillow's own limit (179 megapixels), above ours
        return (Image.MAX_IMAGE_PIXELS * 2 + 1, 1)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def read_image(
    path: str | os.PathLike, *, color_order: str = "bgr", hint: str | None = None
) -> np.ndarray:
    """Read an image file as a ``uint8`` array; the one image decoder of emostudy.

    Parameters
    ----------
    path
        A local image file (JPEG, PNG, BMP, TIFF, WebP...).
    color_order
        ``"bgr"``: an ``(H, W, 3)`` array in OpenCV's order (colour files; gray files are
        expanded); ``"gray"``: an ``(H, W)`` array (colour files are converted).
    hint
        A sentence added to the message when the file cannot be decoded (e.g. "Re-download the
        data set.").

    Raises
    ------
    InvalidInputError
        ``path`` is not a path, is a folder, or a URL.
    DataNotFoundError
        The file does not exist.
    FileAccessError
        The file exists but this user may not read it.
    CorruptImageError
        The file is empty, truncated, not an image, or larger than :data:`MAX_IMAGE_PIXELS`.
    """
    if color_order not in ("bgr", "gray"):
        raise InvalidInputError(f"color_order must be 'bgr' or 'gray', got {color_order!r}.")
    path = check_path("path", path)
    if path.is_dir():
        raise InvalidInputError(
            f"{path} is a folder, not an image file. Pass the path of one image inside it."
        )
    try:
        buffer = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise DataNotFoundError(f"Image file not found: {path}. Check the path.") from None
    except PermissionError:
        raise FileAccessError(
            f"Cannot read image file {path}: permission denied. Make it readable (chmod u+r) or "
            "run as a user who may read it."
        ) from None
    except OSError as error:
        raise CorruptImageError(f"Cannot read image file {path}: {error}.") from None
    size = _header_size(buffer) if buffer.size else None
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        shown = (
            f"{size[0]:,} x {size[1]:,} pixels"
            if size[1] > 1
            else f"more than {(size[0] - 1) / 1e6:.0f} megapixels"
        )
        raise CorruptImageError(
            f"Image file {path} is too large to read: its header says {shown}, and emostudy "
            f"reads images up to {MAX_IMAGE_PIXELS / 1e6:.0f} megapixels (MAX_IMAGE_PIXELS; "
            "memory grows with the pixels). Shrink it first, or cut it into parts."
        )
    flag = cv2.IMREAD_COLOR if color_order == "bgr" else cv2.IMREAD_GRAYSCALE
    image, refused = None, ""
    if buffer.size:
        try:
            image = cv2.imdecode(buffer, flag)
        except cv2.error:
            refused = (
                " OpenCV refused to decode it: its header claims more pixels than OpenCV's "
                "limit (CV_IO_MAX_IMAGE_PIXELS, 2**30)."
            )
    if image is None:
        raise CorruptImageError(
            f"Cannot decode image file {path} ({buffer.size} bytes): it is empty, truncated or "
            f"not an image (JPEG, PNG, BMP...).{refused}" + (f" {hint}" if hint else "")
        )
    return image


def check_readable(path: str | os.PathLike, *, what: str = "folder") -> None:
    """Raise :class:`~emostudy.errors.FileAccessError` when ``path`` exists but this user may not
    read it (a folder: list and enter it), so that no caller meets a bare ``PermissionError``."""
    path = check_path("path", path)
    needed = os.R_OK | (os.X_OK if path.is_dir() else 0)
    if path.exists() and not os.access(path, needed):
        raise FileAccessError(
            f"Cannot open {what} {path}: permission denied. Make it readable "
            f"(chmod u+r{'x' if path.is_dir() else ''}) or run as a user who may read it."
        )


def list_folder(path: str | os.PathLike, *, what: str = "folder") -> list:
    """The visible entries of a folder (hidden ``.*`` names left out), sorted.

    The one place emostudy lists a folder, so that a folder this user may not open raises
    :class:`~emostudy.errors.FileAccessError` naming it, never a bare ``PermissionError``.

    Parameters
    ----------
    path
        The folder.
    what
        What the folder is, for messages (``"CK+ class folder"``...).
    """
    folder = check_path("path", path)
    check_readable(folder, what=what)
    try:
        entries = list(folder.iterdir())
    except PermissionError:
        raise FileAccessError(
            f"Cannot open {what} {folder}: permission denied. Make it readable (chmod u+rx) or "
            "run as a user who may read it."
        ) from None
    except FileNotFoundError:
        raise DataNotFoundError(f"{what.capitalize()} not found: {folder}.") from None
    except NotADirectoryError:
        raise InvalidInputError(f"{folder} is a file, not a {what}.") from None
    return sorted(entry for entry in entries if not entry.name.startswith("."))


def as_bgr(image: Any, color_order: str = "bgr") -> np.ndarray:
    """Validate a detector input and return it as a contiguous ``(H, W, 3)`` uint8 BGR array.

    Parameters
    ----------
    image
        ``uint8`` array: ``(H, W)`` or ``(H, W, 1)`` grayscale, or ``(H, W, 3)`` colour; or the path
        of an image file (``str`` or ``PathLike``), read in colour whatever ``color_order`` says.
    color_order
        Channel order of a 3-channel array: ``"bgr"`` (OpenCV, the default) or ``"rgb"``
        (Matplotlib, PIL). ``"gray"`` says the array is single-channel.
    """
    if color_order not in COLORS:
        raise InvalidInputError(f"color_order must be one of {COLORS}, got {color_order!r}.")
    if image is None:
        raise InvalidInputError(
            "The image is None. If it came from cv2.imread, the file was missing or unreadable: "
            "check the path (or pass the path itself to detect())."
        )
    if isinstance(image, str | os.PathLike):
        return read_image(image)
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(
            f"Expected a NumPy uint8 image or a file path, got {type(image).__name__}."
        )
    if image.dtype != np.uint8:
        hint = (
            " Scale floats in [0, 1] with (image * 255).round().astype(np.uint8)."
            if np.issubdtype(image.dtype, np.floating)
            else " Convert it with image.astype(np.uint8) if its values are 0..255."
        )
        raise InvalidInputError(f"Expected a uint8 image, got dtype {image.dtype}.{hint}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or min(image.shape[:2]) < 1:
        raise InvalidInputError(
            f"Expected an image of shape (H, W) or (H, W, 3), got {image.shape}."
        )
    if image.ndim == 2:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_GRAY2BGR)
    channels = image.shape[2]
    if channels != 3:
        extra = (
            " Drop the alpha channel first, e.g. cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)."
            if channels == 4
            else ""
        )
        raise InvalidInputError(
            f"Expected 1 or 3 colour channels, got {channels} (shape {image.shape}).{extra}"
        )
    if color_order == "gray":
        raise InvalidInputError(
            f"color_order='gray' but the image has 3 channels (shape {image.shape}); pass "
            "color_order='bgr' or color_order='rgb'."
        )
    if color_order == "rgb":
        return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    return np.ascontiguousarray(image)


__all__ = [
    "COLORS",
    "MAX_IMAGE_PIXELS",
    "read_image",
    "check_readable",
    "list_folder",
    "as_bgr",
]
