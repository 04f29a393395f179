"""Published reference numbers: every row carries its protocol, so a table of them has no gaps."""

import pandas as pd

from emostudy.evaluation import ORIGINAL_STUDY_FER2013, PUBLISHED_FER2013

FIELDS = {"name", "accuracy", "protocol", "selected_on", "reported_on"}


def test_every_reference_row_says_what_selected_and_what_reported():
    rows = [*PUBLISHED_FER2013, ORIGINAL_STUDY_FER2013]
    for row in rows:
        assert set(row) == FIELDS, row["name"]
        assert 0 < row["accuracy"] < 1, row["name"]
        assert all(isinstance(row[k], str) and row[k].strip() for k in FIELDS - {"accuracy"})
    # Chapter 9's comparison table: one frame of all of them, with no missing cell.
    table = pd.DataFrame(rows).set_index("name")
    assert not table.isna().any().any()
    assert "Training" in ORIGINAL_STUDY_FER2013["reported_on"]
