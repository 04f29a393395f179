"""Silencing library output: native stderr (TensorFlow, MediaPipe) and progress bars (floor 0)."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_silenced():
    """Redirect file descriptor 2 to ``/dev/null`` inside the block (no-op if that fails)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, AttributeError, ValueError):
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_unless(progress: bool) -> dict[str, bool]:
    """tqdm arguments: off when ``progress`` is False, else tqdm's defaults (which honour
    ``TQDM_DISABLE=1``, set by the notebook runner)."""
    return {} if progress else {"disable": True}
