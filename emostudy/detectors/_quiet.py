"""Silence native (C++) log lines that TensorFlow and TF Lite write straight to file descriptor 2.

TensorFlow 2.21 prints start-up notices ("oneDNN custom operations are on", "Could not find cuda
drivers", "Created TensorFlow Lite XNNPACK delegate") from C++ before any Python logging setting
can apply (``TF_CPP_MIN_LOG_LEVEL`` no longer stops them). In a notebook they land in the cell's
output. Python exceptions and warnings are not affected: they go through ``sys.stderr``.
"""

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
