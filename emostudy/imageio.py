"""Reading an image from a path or an array, in one colour order (floor 0)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emostudy.errors import CorruptImageError, DataNotFoundError, InvalidInputError

#: Colour orders an image array may come in (the ``color_order`` of every reader).
COLORS = ("bgr", "rgb", "gray")


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as a BGR ``uint8`` array (clear errors for missing or broken files)."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidInputError(
            f"{path} is a folder, not an image file. Pass the path of one image inside it (or "
            "a list of paths to detect_all)."
        )
    if not path.is_file():
        raise DataNotFoundError(f"Image file not found: {path}. Check the path.")
    buffer = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR) if buffer.size else None
    if image is None:
        raise CorruptImageError(
            f"Cannot decode image file {path} ({buffer.size} bytes): it is empty, truncated or not "
            "an image (JPEG, PNG, BMP...)."
        )
    return image


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
    "read_image",
    "as_bgr",
]
