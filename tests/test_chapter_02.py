"""Chapter 2 (multilayer networks, backpropagation): the numbers its quick run must reproduce."""

import pytest

from emostudy.book import load_results


@pytest.fixture(scope="module")
def table(quick_run):
    _, results_dir = quick_run("02_multilayer_networks")
    return load_results("multilayer_networks", results_dir)["results"]


@pytest.mark.notebook
def test_backprop_matches_finite_differences_and_tensorflow(table):
    check = table["gradient_check"]
    assert check["max_rel_error_finite_differences"] < 1e-6
    assert check["max_rel_error_tensorflow"] < 1e-8
    assert check["max_loss_difference_tensorflow"] < 1e-10
    assert check["missing_l2_term_rel_error"] > 1e-4  # a real bug is caught
    full_net = table["backprop_vs_finite_differences"]
    assert full_net["relative_error"] < 1e-6
    assert full_net["speedup"] > 10


@pytest.mark.notebook
def test_learning_rate_regimes_and_optimisers(table):
    quad = table["quadratic_sgd_final_loss"]
    assert quad["0.21"] > 1e3  # beyond 2 / curvature: diverges
    assert quad["0.18"] < quad["0.1"] < quad["0.01"] < 19.25  # all others converge, at their pace
    sgd = table["digits_lr_sweep"]["final_train_loss"]["SGD"]
    rates = list(sgd)
    best = min(sgd, key=sgd.get)
    assert best not in (rates[0], rates[-1])  # the sweet spot lies inside the grid
    assert sgd[best] < 0.1 < sgd[rates[0]]  # too small: slow
    assert sgd[rates[-1]] > 1.0  # too large: wrecked
    rosen = table["rosenbrock_final_loss"]
    assert rosen["momentum"] < rosen["sgd"] and rosen["adam"] < rosen["sgd"]


@pytest.mark.notebook
def test_xor_is_solved_by_one_hidden_layer(table):
    xor = table["xor"]
    assert xor["shown_accuracy"] >= 0.99
    assert xor["solved_by_width"]["8"] == xor["restarts"]


@pytest.mark.notebook
def test_numpy_and_keras_digits_networks_agree(table):
    digits = table["digits"]
    assert digits["weight_transfer_max_prob_difference"] < 1e-5
    assert digits["numpy_test_accuracy"] > 0.9
    assert digits["keras_test_accuracy"] > 0.9
    assert abs(digits["numpy_test_accuracy"] - digits["keras_test_accuracy"]) < 0.03


@pytest.mark.notebook
def test_faces_show_the_gap(table):
    faces = table["faces"]
    assert faces["train_accuracy"] > faces["publictest_accuracy"] + 0.1
    assert faces["publictest_balanced_accuracy"] > 0.2  # chance is 1/7
