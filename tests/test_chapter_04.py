"""Chapter 4 (convolutional networks): the numbers its quick run must reproduce."""

import pytest

from emostudy.book import load_results


@pytest.fixture(scope="module")
def table(quick_run):
    _, results_dir = quick_run("04_convolutional_networks")
    return load_results("convolutional_networks", results_dir)["results"]


@pytest.mark.notebook
def test_numpy_convolution_pooling_and_kernels_agree_with_the_libraries(table):
    assert table["conv_vs_keras"]["max_abs_difference"] < 1e-5
    assert len(table["conv_vs_keras"]["by_setting"]) >= 5
    assert table["pool_vs_keras_max_abs_difference"] < 1e-5
    assert table["classic_kernels_vs_scipy"] < 1e-12


@pytest.mark.notebook
def test_receptive_fields_and_parameter_counts(table):
    assert table["receptive_field_mismatches"] == 0
    assert table["receptive_fields"]["three 3x3 convs"] == 7
    assert table["param_formula_mismatches"] == 0
    first = table["first_layer_params"]
    assert first["convolution 3x3"] == 320
    assert first["convolution 3x3"] < first["locally connected 3x3"] < first["dense"]
    params = table["face_model_params"]
    assert params["small_cnn"]["parameters"] < params["mlp"]["parameters"]
    # most of tiny_cnn's parameters sit in its dense head, not in its convolutions
    assert params["tiny_cnn"]["in Dense"] > 10 * params["tiny_cnn"]["in Conv2D"]


@pytest.mark.notebook
def test_pooling_makes_edge_maps_tolerant_to_small_shifts(table):
    corr = table["shift_correlation"]
    assert corr["shift1_pool4"] > corr["shift1_pool2"] > corr["shift1_pool1"]


@pytest.mark.notebook
def test_cnn_and_mlp_learn_digits_and_faces(table):
    for name in ("mlp", "tiny_cnn"):
        assert table["digits"][name]["test accuracy"] > 0.8  # chance: 0.1
    fer = table["fer2013"]
    assert fer["n_train"] > 0 and fer["n_publictest"] > 0
    # every model sees the inputs of chapters 2-3: standardised with the Training statistics
    assert abs(fer["train_input_mean"]) < 1e-3 and abs(fer["train_input_std"] - 1) < 1e-2
    for name in ("mlp", "tiny_cnn", "small_cnn"):
        model = fer["models"][name]
        assert model["PublicTest accuracy"] > 1 / 7  # above guessing among 7 classes
        assert model["seconds per epoch"] > 0
    best_cnn = max(fer["models"][n]["PublicTest accuracy"] for n in ("tiny_cnn", "small_cnn"))
    assert best_cnn > fer["majority_baseline"]
