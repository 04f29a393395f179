"""The FER-2013 protocol split: Training (minus exclusions) / PublicTest / PrivateTest."""

import numpy as np
import pandas as pd
import pytest

from emostudy.data import (
    FaceSet,
    fer2013_protocol,
    load_fer2013_protocol,
    make_synthetic_faces,
)
from emostudy.errors import InvalidInputError


def test_splits_by_usage_and_keeps_test_usages_whole():
    faces = make_synthetic_faces(20, seed=0)
    split = fer2013_protocol(faces)
    usage = faces.meta["usage"]
    assert len(split.select) == (usage == "PublicTest").sum()
    assert len(split.report) == (usage == "PrivateTest").sum()
    assert len(split.train) + len(split.excluded) == (usage == "Training").sum()
    assert set(split.train.meta["usage"]) == {"Training"}


def test_drops_a_training_copy_of_a_test_image():
    faces = make_synthetic_faces(20, seed=0)
    usage = faces.meta["usage"].to_numpy()
    first_train = np.flatnonzero(usage == "Training")[0]
    first_test = np.flatnonzero(usage == "PrivateTest")[0]
    images = faces.images.copy()
    images[first_train] = images[first_test]  # leak a test face into Training
    leaky = FaceSet(images, faces.labels, faces.classes, faces.meta, "leaky")
    split = fer2013_protocol(leaky)
    assert first_train in split.excluded["index"].to_numpy()
    assert "test_copy" in set(split.excluded["reason"])
    kept = fer2013_protocol(leaky, exclude=False)
    assert len(kept.train) == len(split.train) + len(split.excluded)


def test_refuses_a_set_without_all_three_usages():
    faces = make_synthetic_faces(10, seed=0).where(usage="Training")
    with pytest.raises(InvalidInputError, match="PublicTest and PrivateTest"):
        fer2013_protocol(faces)


@pytest.mark.needs_data
def test_real_fer2013_sizes(fer2013_dir):
    split = load_fer2013_protocol(fer2013_dir, progress=False)
    assert (len(split.train), len(split.select), len(split.report)) == (26909, 3589, 3589)
    assert isinstance(split.excluded, pd.DataFrame) and len(split.excluded) == 28706 - 26909
