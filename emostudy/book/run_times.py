"""How long each chapter's full run took, and on which processor: the reproducing page's table.

Read from what the runs themselves left behind, never typed: papermill writes each executed
notebook's wall time and end time into ``metadata.papermill``, and every result table records
the processor it was measured on (``cpu``, :func:`emostudy.hardware.cpu_description`).
``emostudy pages`` writes :data:`DEFAULT_RUN_TIMES`, which ``book/reproducing.md`` includes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emostudy.book.results_page import CHAPTERS, DEFAULT_RESULTS_DIR, describe_cpu, load_tables
from emostudy.book.runner import list_notebooks

#: Where ``emostudy pages`` writes the table (included by ``book/reproducing.md``).
DEFAULT_RUN_TIMES = Path("book") / "_generated" / "run_times.md"


def chapter_run_times(
    notebooks: list[Path] | None = None,
    *,
    results_dir: str | Path = DEFAULT_RESULTS_DIR,
) -> list[dict[str, Any]]:
    """One row per chapter notebook: its number, title, full-run wall time and processor.

    Parameters
    ----------
    notebooks
        Chapter notebooks (default: :func:`emostudy.book.list_notebooks`, in order).
    results_dir
        Folder of the result tables, whose ``cpu`` entries name the processors.

    Returns
    -------
    list of dict
        Keys ``chapter`` (``"01"``…), ``title`` (the notebook's first heading), ``seconds``
        (float, wall time of the committed run; ``None`` when the notebook carries no papermill
        record), ``finished`` (``YYYY-MM-DD`` of the run's end, or ``None``) and ``cpu`` (one line
        from :func:`~emostudy.book.results_page.describe_cpu`; "not recorded in its table" when
        the chapter's table predates the ``cpu`` field).
    """
    tables = load_tables(results_dir)
    table_of = {number.zfill(2): stem for stem, number in CHAPTERS.items()}
    rows = []
    for path in notebooks if notebooks is not None else list_notebooks():
        notebook = json.loads(Path(path).read_text())
        record = notebook.get("metadata", {}).get("papermill", {})
        chapter = path.name[:2]
        table = tables.get(table_of.get(chapter, ""), {})
        end = record.get("end_time")
        rows.append(
            {
                "chapter": chapter,
                "title": _title(notebook) or path.stem,
                "seconds": record.get("duration"),
                "finished": end[:10] if end else None,
                "cpu": describe_cpu(table.get("cpu"), bfloat16=False),
            }
        )
    return rows


def _title(notebook: dict[str, Any]) -> str | None:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def render_run_times(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of :func:`chapter_run_times`, with the total of the recorded times.

    Times are given in minutes (one decimal) below an hour, in hours and minutes above.
    """
    lines = [
        "| chapter | full run | run on | processor |",
        "|---|--:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['title']} | {_duration(row['seconds'])} | {row['finished'] or '–'} "
            f"| {row['cpu']} |"
        )
    recorded = [row["seconds"] for row in rows if row["seconds"] is not None]
    lines.append(f"| **all {len(recorded)} chapters** | **{_duration(sum(recorded))}** | | |")
    return "\n".join(lines) + "\n"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.1f} min"
    return f"{int(minutes // 60)} h {round(minutes % 60):02d} min"


def write_run_times(path: str | Path = DEFAULT_RUN_TIMES, **options: Any) -> Path:
    """Write :func:`render_run_times` of :func:`chapter_run_times` (``options``) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_run_times(chapter_run_times(**options)))
    return path
