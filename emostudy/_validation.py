"""One home for the checks of public arguments: numbers, ranges, sizes, boxes and paths.

Every check raises :class:`~emostudy.errors.InvalidInputError` (or a data error for paths) whose
message echoes the value received and says what to pass instead, so that a wrongly typed setting
never surfaces as a bare ``TypeError`` from deep inside NumPy, OpenCV or TensorFlow. Booleans are
refused where numbers are expected (``True`` is an ``int`` to Python, never a threshold to a user).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from emostudy.errors import DataNotFoundError, InvalidInputError


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_real(value: Any) -> bool:
    return isinstance(value, Real | np.floating | np.integer) and not isinstance(
        value, bool | np.bool_
    )


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``value`` as an ``int``, refusing floats, strings, booleans and values out of range."""
    if not isinstance(value, Integral | np.integer) or isinstance(value, bool | np.bool_):
        hint = f" Pass int({value!r})." if isinstance(value, float) and value.is_integer() else ""
        raise InvalidInputError(
            f"{name} must be an integer, got {_shown(value)} ({type(value).__name__}).{hint}"
        )
    too_low = minimum is not None and value < minimum
    too_high = maximum is not None and value > maximum
    if too_low or too_high:
        lo = "" if minimum is None else f" >= {minimum}"
        hi = "" if maximum is None else f"{' and' if lo else ''} <= {maximum}"
        raise InvalidInputError(f"{name} must be an integer{lo}{hi}, got {value}.")
    return int(value)


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite ``float`` inside the interval given by ``low`` and ``high``.

    ``low_open`` / ``high_open`` exclude the bound itself. Strings are refused with a hint, so
    ``"0.5"`` never reaches a C++ library.
    """
    if not _is_real(value):
        hint = f" Pass the number itself, e.g. {value.strip()}." if isinstance(value, str) else ""
        raise InvalidInputError(
            f"{name} must be a number, got {_shown(value)} ({type(value).__name__}).{hint}"
        )
    number = float(value)
    interval = _interval(low, high, low_open, high_open)
    if not math.isfinite(number):
        raise InvalidInputError(f"{name} must be a finite number{interval}, got {value}.")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise InvalidInputError(f"{name} must lie in {interval.strip()}, got {value}.")
    return number


def _interval(low, high, low_open, high_open) -> str:
    if low is None and high is None:
        return ""
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f" {left}{lo}, {hi}{right}"


def check_probability(name: str, value: Any, *, zero_ok: bool = True) -> float:
    """A threshold in ``[0, 1]`` (``(0, 1]`` when ``zero_ok`` is False)."""
    return check_number(name, value, low=0.0, high=1.0, low_open=not zero_ok)


def check_numbers(
    name: str, values: Any, length: int, *, example: str, **bounds: Any
) -> tuple[float, ...]:
    """A sequence of exactly ``length`` numbers, each checked by :func:`check_number`.

    ``example`` is shown in the message (for instance ``"(0.6, 0.7, 0.8)"``).
    """
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise InvalidInputError(
            f"{name} must be a sequence of {length} numbers such as {example}, got "
            f"{_shown(values)} ({type(values).__name__})."
        )
    if len(values) != length:
        raise InvalidInputError(
            f"{name} needs {length} values such as {example}, got {len(values)}: {_shown(values)}."
        )
    return tuple(check_number(f"{name}[{i}]", v, **bounds) for i, v in enumerate(values))


def check_size(
    name: str, value: Any, *, minimum: int = 1, maximum: int | None = None
) -> tuple[int, int]:
    """A ``(width, height)`` pair of integers, each in ``minimum .. maximum`` pixels."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise InvalidInputError(
            f"{name} must be a (width, height) pair of integers >= {minimum}, such as (320, 320); "
            f"got {_shown(value)} ({type(value).__name__})."
        )
    if len(value) != 2:
        raise InvalidInputError(
            f"{name} must be a (width, height) pair, such as (320, 320); got {_shown(value)}."
        )
    size = tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(value))
    if maximum is not None and max(size) > maximum:
        raise InvalidInputError(
            f"{name} must be at most {maximum} pixels a side (memory grows with its area), got "
            f"{value}."
        )
    return size


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices`` (compared with ``==``; strings only equal strings)."""
    if not any(type(value) is type(choice) and value == choice for choice in choices):
        raise InvalidInputError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {_shown(value)}."
        )
    return value


def check_boxes(name: str, boxes: Any, *, columns: int = 4) -> np.ndarray:
    """An ``(N, 4)`` float64 array of ``x, y, w, h`` boxes (``(0, 4)`` for an empty input).

    A flat ``(4,)`` box becomes ``(1, 4)``. Any other shape (``(2, 6)``, ``(8,)``...) is refused
    rather than reshaped, and non-finite coordinates are refused.
    """
    try:
        array = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"{name} must be an (N, {columns}) array of numbers (x, y, w, h), got "
            f"{type(boxes).__name__}."
        ) from None
    if array.size == 0:
        return np.zeros((0, columns))
    if array.ndim == 1 and array.shape[0] == columns:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != columns:
        extra = (
            f" If the rows carry more columns (a score...), pass {name}[:, :{columns}]."
            if array.ndim == 2 and array.shape[1] > columns
            else ""
        )
        raise InvalidInputError(
            f"{name} must be an (N, {columns}) array of x, y, w, h boxes, got shape "
            f"{array.shape}.{extra}"
        )
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{name} holds non-finite values (NaN or inf); drop those rows.")
    return array


def check_path(name: str, value: Any) -> Path:
    """``value`` as a :class:`Path` (``~`` expanded), refusing anything but ``str`` and PathLike.

    An empty string, a URL (emostudy reads local files only) and ``~user`` for a user this
    machine does not know are refused with a message that names the fix.
    """
    if not isinstance(value, str | os.PathLike):
        raise InvalidInputError(
            f"{name} must be a folder or file path (str or pathlib.Path), got "
            f"{_shown(value)} ({type(value).__name__})."
        )
    text = os.fspath(value)
    if isinstance(text, str) and text.strip() == "":
        raise InvalidInputError(
            f"{name} is an empty string; give a file or folder path ('.' for this folder)."
        )
    if isinstance(text, str) and "://" in text:
        raise InvalidInputError(
            f"{name} {text!r} is a URL; emostudy reads local files only (no network at run "
            "time). Download the file first, then pass its path."
        )
    try:
        return Path(value).expanduser()
    except RuntimeError:  # "~nosuchuser/..."
        raise InvalidInputError(
            f"{name} {text!r} starts with '~' but names no user of this machine; write the "
            "path out in full."
        ) from None


def check_existing_file(path: Any, what: str = "file") -> Path:
    """``path`` as a :class:`Path` to an existing file; clear errors for folders and absences."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidInputError(
            f"The {what} path must be a str or Path, got {type(path).__name__}."
        )
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidInputError(
            f"{path} is a folder, not a {what}. Pass the path of one {what} inside it."
        )
    if not path.is_file():
        raise DataNotFoundError(f"{what.capitalize()} not found: {path}. Check the path.")
    return path
