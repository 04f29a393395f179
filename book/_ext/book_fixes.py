"""Small fixes to the book's HTML, loaded as a local Sphinx extension (see ``_config.yml``)."""

from __future__ import annotations

from typing import Any


def dedupe_scripts(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Drop repeated ``<script>`` entries of a page, keeping the first of each.

    Under jupyter-book 1.x, sphinx-thebe's and sphinx-togglebutton's inline configuration scripts
    reach every page twice (once with the file name ``None``, once with ``""``, so Sphinx's own
    check does not see the repeat), and the second ``const THEBE_JS_URL`` makes the browser report
    ``Identifier 'THEBE_JS_URL' has already been declared`` on every page.

    Parameters
    ----------
    app, pagename, templatename, doctree
        Sphinx's ``html-page-context`` arguments (unused).
    context
        The page's template context; its ``script_files`` list is filtered in place.
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[str] = set()
    unique = []
    for script in scripts:
        # An inline script is registered once with filename None and once with "" (same tag).
        filename = getattr(script, "filename", script) or ""
        key = repr((filename, getattr(script, "attributes", None)))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Any) -> dict[str, Any]:
    """Register the fixes with Sphinx.

    Parameters
    ----------
    app
        The Sphinx application.

    Returns
    -------
    dict
        Extension metadata: safe for parallel reading and writing.
    """
    app.connect("html-page-context", dedupe_scripts, priority=900)  # after the themes
    return {"parallel_read_safe": True, "parallel_write_safe": True}
