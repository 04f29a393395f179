"""Lazy public names for a package's ``__init__`` (floor 0): heavy modules load on first use."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_attributes(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of a package whose names load lazily.

    Parameters
    ----------
    package
        The package's ``__name__``.
    homes
        Public name -> the module that defines it, imported on first access of the name (the
        value is then cached in the package's namespace).

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)``, to be assigned at the package's top level.
    """

    def __getattr__(name: str) -> object:
        if name in homes:
            value = getattr(import_module(homes[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted([*vars(sys.modules[package]), *homes])

    return __getattr__, __dir__
