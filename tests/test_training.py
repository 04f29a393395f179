"""Model builders, preprocessing and the seeded training entry point, on the synthetic faces."""

import json
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest

from emostudy.data import make_synthetic_faces
from emostudy.errors import InvalidInputError
from emostudy.hardware import bfloat16_support, has_native_bfloat16
from emostudy.models import ARCHITECTURES, build_model, predict_logits, to_model_input
from emostudy.training import (
    GENERATIONS,
    Augmentation,
    TrainConfig,
    make_dataset,
    sitting_seed,
    train,
)


@pytest.fixture(scope="module")
def faces():
    data = make_synthetic_faces(150, seed=1)
    train_set, val_set = data.where(usage="Training"), data.where(usage="PublicTest")
    return (
        (to_model_input(train_set.images), train_set.labels),
        (to_model_input(val_set.images), val_set.labels),
    )


def test_to_model_input_scales_and_shapes():
    images = np.full((2, 48, 48), 255, np.uint8)
    out = to_model_input(images)
    assert out.shape == (2, 48, 48, 1) and out.dtype == np.float32 and out.max() == 1.0
    assert to_model_input(np.zeros((48, 48), np.uint8)).shape == (1, 48, 48, 1)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 48, 48, 1), np.float32), "uint8"),
        (np.zeros((2, 64, 64, 1), np.uint8), "48x48"),
        (np.zeros((2, 48, 48, 3), np.uint8), "grayscale"),
    ],
)
def test_to_model_input_refuses_bad_faces(images, message):
    with pytest.raises(InvalidInputError, match=message):
        to_model_input(images)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_architecture_maps_faces_to_seven_logits(name):
    model = build_model(name)
    assert model.output_shape == (None, 7)
    assert model.layers[-1].get_config()["activation"] == "linear"
    assert model(np.zeros((2, 48, 48, 1), np.float32)).shape == (2, 7)


def test_vgg_lite_fits_the_shipped_model_budget():
    # Four blocks of two 3x3 convolutions, 48-96-192-256 filters, fused BN, GAP: 1.68M
    # parameters, 6.7 MB as float32 -- under the 10 MB the package may ship.
    model = build_model("vgg_lite")
    assert model.count_params() == 1_681_975
    assert model.count_params() * 4 < 10e6


def test_dropout_without_dense_layers_falls_on_the_pooled_features():
    import keras

    model = build_model("vgg_lite", dropout=0.3)
    before_logits = model.layers[-2]
    assert isinstance(before_logits, keras.layers.Dropout) and before_logits.rate == 0.3
    assert isinstance(model.layers[-3], keras.layers.GlobalAveragePooling2D)
    x = np.random.default_rng(0).random((4, 48, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(model(x, training=False), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=False))
    plain = build_model("vgg_lite")
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in plain.layers)
    assert plain.count_params() == model.count_params()
    # with a dense head, dropout follows each hidden dense layer only
    head = build_model("vgg_bn_cnn")
    rates = [layer.rate for layer in head.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.2, 0.2, 0.2, 0.5]  # after each of 3 poolings, then after the dense layer
    assert isinstance(head.layers[-2], keras.layers.Dropout)
    assert isinstance(head.layers[-3], keras.layers.Activation)


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(InvalidInputError, match="tiny_cnn"):
        build_model("resnet9000")


def test_augmented_dataset_keeps_shapes_and_changes_pixels(faces):
    (x, y), _ = faces
    plain = next(iter(make_dataset(x[:16], y[:16], batch_size=16)))[0].numpy()
    augmented = next(
        iter(make_dataset(x[:16], y[:16], batch_size=16, augment=Augmentation(), seed=0))
    )[0].numpy()
    assert augmented.shape == plain.shape
    assert not np.allclose(augmented, plain)
    assert augmented.min() >= 0.0 and augmented.max() <= 1.0 + 1e-6


def test_random_erasing_replaces_a_patch_with_noise_in_range(faces):
    (x, y), _ = faces
    flat = np.full_like(x[:32], 0.5)
    erase_only = Augmentation(flip=False, rotation=0, shift=0, zoom=0, erasing=1.0)
    erased = next(iter(make_dataset(flat, y[:32], batch_size=32, augment=erase_only)))[0].numpy()
    changed = (erased != 0.5).mean(axis=(1, 2, 3))
    assert (changed > 0.01).all() and (changed < 0.5).all()  # one patch of 2-33% per image
    assert erased.min() >= 0.0 and erased.max() <= 1.0


def test_mixup_blends_images_and_labels_of_pairs_in_the_batch():
    rng = np.random.default_rng(0)
    x = rng.random((64, 48, 48, 1)).astype(np.float32)
    y = np.eye(7, dtype=np.float32)[np.arange(64) % 7]
    mix_only = Augmentation(flip=False, rotation=0, shift=0, zoom=0, mixup=0.2)
    batches = list(make_dataset(x, y, batch_size=32, augment=mix_only, seed=0))
    images = np.concatenate([b[0].numpy() for b in batches])
    labels = np.concatenate([b[1].numpy() for b in batches])
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)
    assert labels.max(axis=1).min() >= 0.5  # a two-class blend: one class weighs at least half
    assert (labels.max(axis=1) < 0.99).sum() >= 8  # Beta(0.2, 0.2): most weights near 0 or 1
    assert images.min() >= 0.0 and images.max() <= 1.0
    # unshuffled, image i of the first batch is w * x[i] + (1 - w) * x[j] for a partner j of the
    # batch, and its label w * y[i] + (1 - w) * y[j]
    for i in np.flatnonzero(labels[:32].max(axis=1) < 0.99):
        w = labels[i, np.argmax(y[i])]
        partners = [
            j
            for j in range(32)
            if np.argmax(y[j]) != np.argmax(y[i])
            and np.allclose(images[i], w * x[i] + (1 - w) * x[j], atol=1e-4)
        ]
        assert len(partners) == 1
        np.testing.assert_allclose(labels[i], w * y[i] + (1 - w) * y[partners[0]], atol=1e-5)
    again = np.concatenate(
        [b[1].numpy() for b in make_dataset(x, y, batch_size=32, augment=mix_only, seed=0)]
    )
    np.testing.assert_allclose(again, labels)  # seeded
    plain = next(iter(make_dataset(x, y, batch_size=32, augment=replace(mix_only, mixup=0.0))))
    np.testing.assert_array_equal(plain[1].numpy(), y[:32])  # off: labels untouched


def test_augmentation_runs_in_a_private_one_thread_pool(faces):
    (x, y), _ = faces
    augmented = make_dataset(x[:8], y[:8], batch_size=8, augment=Augmentation())
    assert augmented.options().threading.private_threadpool_size == 1
    plain = make_dataset(x[:8], y[:8], batch_size=8)
    assert plain.options().threading.private_threadpool_size != 1


def test_training_learns_is_seeded_and_writes_its_files(faces, tmp_path):
    config = TrainConfig(epochs=6, batch_size=32, learning_rate=3e-3, seed=3)
    build = lambda: build_model("tiny_cnn", dense=(32,))  # noqa: E731
    first = train(build, *faces, config, out_dir=tmp_path / "run", progress=False)
    second = train(build, *faces, config, progress=False)
    assert first.history["val_accuracy"].max() > 0.5  # chance is 1/7
    np.testing.assert_allclose(first.history["loss"], second.history["loss"], rtol=1e-4)
    assert first.best_epoch == int(first.history["val_accuracy"].idxmax())
    assert {"best.keras", "log.csv", "config.json"} <= {
        p.name for p in (tmp_path / "run").iterdir()
    }
    # the returned model carries the best epoch's weights
    x_val, y_val = faces[1]
    accuracy = (predict_logits(first.model, x_val).argmax(1) == y_val).mean()
    assert accuracy == pytest.approx(first.best_score, abs=1e-6)
    assert first.seconds_per_epoch > 0 and first.n_params == build().count_params()


def test_training_the_generations_in_a_row_prints_no_retracing_warning(faces, capfd, caplog):
    """Each run builds a new model, so Keras retraces its train step by design (chapter 9
    trains generations 1-3 in a row); TensorFlow's "triggered tf.function retracing" warning
    must not reach the reader."""
    for name in ["gen1_tiny", "gen2_vgg", "gen3_regularised"]:
        recipe = GENERATIONS[name].with_epochs(1).with_precision("float32")
        train(recipe.build, *faces, recipe.config, progress=False)
    printed = capfd.readouterr()
    assert "retracing" not in printed.out + printed.err + caplog.text


def test_an_interrupted_run_resumes_from_its_backup(faces, tmp_path):
    import keras

    class StopAfterTwo(keras.callbacks.Callback):  # the cut comes as the third epoch starts
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("power cut")

    class Count(keras.callbacks.Callback):
        epochs: list = []

        def on_epoch_begin(self, epoch, logs=None):
            Count.epochs.append(epoch)

    config = TrainConfig(epochs=4, batch_size=64, seed=0)
    build = lambda: build_model("mlp", hidden=(16,))  # noqa: E731
    with pytest.raises(RuntimeError, match="power cut"):
        train(build, *faces, config, out_dir=tmp_path, progress=False, callbacks=[StopAfterTwo()])
    result = train(build, *faces, config, out_dir=tmp_path, progress=False, callbacks=[Count()])
    assert Count.epochs == [2, 3]  # 0-based: two epochs were saved before the cut
    assert list(result.history.index) == [1, 2, 3, 4]


def test_sitting_seeds_keep_the_first_sitting_and_differ_after():
    assert sitting_seed(2013, 0) == 2013  # an uninterrupted run draws as it always did
    seeds = [sitting_seed(2013, done) for done in range(1, 30)]
    assert len(set(seeds)) == len(seeds) and 2013 not in seeds
    assert all(0 <= seed < 2**31 for seed in seeds)
    assert seeds == [sitting_seed(2013, done) for done in range(1, 30)]  # reproducible
    assert sitting_seed(7, 5) != sitting_seed(2013, 5)


def test_a_resumed_sitting_does_not_replay_the_first_epoch(faces, tmp_path):
    """Keras' backup restores weights and optimizer, not the pipeline's random state: a resumed
    sitting seeded like the first would see the first epoch's order (and augmentations) again."""
    import keras

    class FirstImage(keras.layers.Layer):  # keeps the sum of the first image of the last batch
        def build(self, shape):
            self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x, training=False):
            if training:
                self.seen.assign(keras.ops.sum(x[0]))
            return x

    class FirstBatches(keras.callbacks.Callback):
        def __init__(self, cut_at=None):
            super().__init__()
            self.sums, self.cut_at = {}, cut_at

        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                self.sums[len(self.sums)] = float(self.model.layers[0].seen.numpy())

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == self.cut_at:
                raise RuntimeError("power cut")

    def build():
        return keras.Sequential(
            [keras.Input((48, 48, 1)), FirstImage(), build_model("mlp", hidden=(16,))]
        )

    config = TrainConfig(epochs=3, batch_size=32, seed=0)
    whole = FirstBatches()
    train(build, *faces, config, progress=False, callbacks=[whole])
    first, second = FirstBatches(cut_at=1), FirstBatches()
    with pytest.raises(RuntimeError, match="power cut"):
        train(build, *faces, config, out_dir=tmp_path, progress=False, callbacks=[first])
    train(build, *faces, config, out_dir=tmp_path, progress=False, callbacks=[second])
    assert first.sums[0] == whole.sums[0]  # a first sitting draws like an uninterrupted run
    assert len(set(whole.sums.values())) == 3  # each epoch has its own order
    assert len(second.sums) == 2  # the resumed sitting trained epochs 2 and 3
    assert second.sums[0] != whole.sums[0]  # ...not epoch 1's order again


def test_class_weighting_and_cosine_schedule_run(faces):
    config = TrainConfig(
        epochs=2,
        batch_size=64,
        schedule="cosine",
        warmup_epochs=1,
        optimizer="adamw",
        weight_decay=1e-4,
        class_weight="balanced",
        label_smoothing=0.1,
        augment=Augmentation(),
    )
    result = train(lambda: build_model("mlp", hidden=(16,)), *faces, config, progress=False)
    lrs = result.history["lr"].to_numpy()
    assert lrs[0] == pytest.approx(1e-3, rel=1e-3)  # end of the warm-up epoch: the peak
    assert lrs[1] < 1e-4  # cosine decayed to ~0 by the end


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"x": "uint8"}, "float32"),
        ({"y": 9}, "labels must be in 0..6"),
    ],
)
def test_bad_training_input_is_named(faces, bad, message):
    (x, y), val = faces
    if "x" in bad:
        x = (x * 255).astype(np.uint8)
    if "y" in bad:
        y = y.copy()
        y[0] = bad["y"]
    with pytest.raises(InvalidInputError, match=message):
        train(
            lambda: build_model("mlp", hidden=(8,)),
            (x, y),
            val,
            TrainConfig(epochs=1),
            progress=False,
        )


def test_bad_config_is_named():
    with pytest.raises(InvalidInputError, match="optimizer"):
        TrainConfig(optimizer="lion")


def test_training_under_mirrored_strategy_on_two_cpu_devices():
    # TensorFlow's logical devices must be set before it initialises: use a fresh interpreter.
    script = textwrap.dedent(
        """
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        two = [tf.config.LogicalDeviceConfiguration()] * 2
        tf.config.set_logical_device_configuration(cpu, two)
        from emostudy.data import make_synthetic_faces
        from emostudy.models import build_model
        from emostudy.models import to_model_input
        from emostudy.training import TrainConfig, train
        data = make_synthetic_faces(20, seed=0)
        tr, va = data.where(usage="Training"), data.where(usage="PublicTest")
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        xy_train = (to_model_input(tr.images), tr.labels)
        xy_val = (to_model_input(va.images), va.labels)
        result = train(lambda: build_model("mlp", hidden=(16,)), xy_train, xy_val,
                       TrainConfig(epochs=2, batch_size=32), strategy=strategy, progress=False)
        print("replicas", strategy.num_replicas_in_sync, "epochs", len(result.history))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "replicas 2 epochs 2" in done.stdout


@pytest.mark.skipif(
    not has_native_bfloat16(),
    reason=f"no native bfloat16 here ({bfloat16_support()}): train uses float32, tested below",
)
def test_mixed_bfloat16_training_restores_the_policy_and_converts_to_float32(faces):
    import keras

    from emostudy.training import as_float32

    config = TrainConfig(epochs=1, batch_size=64, precision="mixed_bfloat16")
    result = train(lambda: build_model("tiny_cnn"), *faces, config, progress=False)
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after the build
    assert result.model.layers[1].dtype_policy.name == "mixed_bfloat16"
    assert result.precision == "mixed_bfloat16"
    copy = as_float32(result.model)
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    x = faces[1][0][:32]
    mixed, exact = predict_logits(result.model, x), predict_logits(copy, x)
    assert exact.dtype == np.float32
    # bfloat16 keeps 8 significant bits: the two agree to about 1% of the logits' scale
    assert np.abs(mixed - exact).max() < 0.05 * np.abs(exact).max() + 0.05
    assert (mixed.argmax(1) == exact.argmax(1)).mean() > 0.9


def test_bfloat16_falls_back_to_float32_with_a_warning_where_it_would_be_emulated(
    faces, monkeypatch, tmp_path
):
    from emostudy import hardware
    from emostudy.training import TrainResult

    monkeypatch.setattr(hardware, "has_native_bfloat16", lambda *a, **k: False)
    config = TrainConfig(epochs=1, batch_size=64, precision="mixed_bfloat16")
    with pytest.warns(RuntimeWarning, match="only emulate bfloat16.*training in float32"):
        result = train(
            lambda: build_model("tiny_cnn"), *faces, config, out_dir=tmp_path, progress=False
        )
    assert isinstance(result, TrainResult) and result.precision == "float32"
    assert {layer.dtype_policy.name for layer in result.model.layers} == {"float32"}
    assert (tmp_path / "precision.txt").read_text().strip() == "float32"
    reused = train(lambda: build_model("tiny_cnn"), *faces, config, out_dir=tmp_path)
    assert reused.seconds == 0.0 and reused.precision == "float32"


def test_unknown_precision_is_named():
    with pytest.raises(InvalidInputError, match="precision must be one of"):
        TrainConfig(precision="float16")


def test_a_finished_run_is_loaded_not_repeated(faces, tmp_path):
    config = TrainConfig(epochs=2, batch_size=64)
    first = train(lambda: build_model("mlp", hidden=(16,)), *faces, config, out_dir=tmp_path)
    again = train(lambda: build_model("mlp", hidden=(16,)), *faces, config, out_dir=tmp_path)
    assert again.seconds == 0.0 and first.seconds > 0
    assert again.best_epoch == first.best_epoch and list(again.history.index) == [1, 2]
    x = faces[1][0]
    np.testing.assert_allclose(
        predict_logits(again.model, x), predict_logits(first.model, x), rtol=1e-5, atol=1e-6
    )
    longer = train(
        lambda: build_model("mlp", hidden=(16,)),
        *faces,
        TrainConfig(epochs=3, batch_size=64),
        out_dir=tmp_path / "other",
    )
    assert longer.seconds > 0 and len(longer.history) == 3


def test_a_run_of_another_config_in_the_same_folder_starts_afresh(faces, tmp_path):
    """A quick profile's one-epoch run left in a folder must not become the head of a longer
    run's log (the CSV log appends), nor be resumed as if it were that run."""
    build = lambda: build_model("mlp", hidden=(8,))  # noqa: E731
    train(build, *faces, TrainConfig(epochs=1, batch_size=64, seed=1), out_dir=tmp_path)
    longer = train(build, *faces, TrainConfig(epochs=2, batch_size=64, seed=1), out_dir=tmp_path)
    assert list(longer.history.index) == [1, 2]
    assert len((tmp_path / "log.csv").read_text().strip().splitlines()) == 1 + 2


def test_runs_stored_before_a_config_field_existed_are_still_reused(faces, tmp_path):
    import json

    config = TrainConfig(epochs=1, batch_size=64, augment=Augmentation())
    train(lambda: build_model("mlp", hidden=(8,)), *faces, config, out_dir=tmp_path)
    stored = json.loads((tmp_path / "config.json").read_text())
    del stored["augment"]["erasing"]  # as written before random erasing was added
    (tmp_path / "config.json").write_text(json.dumps(stored))
    again = train(lambda: build_model("mlp", hidden=(8,)), *faces, config, out_dir=tmp_path)
    assert again.seconds == 0.0
    erasing = replace(config, augment=Augmentation(erasing=0.5))
    other = train(lambda: build_model("mlp", hidden=(8,)), *faces, erasing, out_dir=tmp_path)
    assert other.seconds > 0  # a different augmentation is a different run


def test_shift_images_moves_pixels_and_repeats_the_edges():
    from emostudy.models import shift_images

    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    down_right = shift_images(x, 1, 1)[0, ..., 0]
    np.testing.assert_array_equal(down_right[1:, 1:], x[0, :3, :3, 0])
    np.testing.assert_array_equal(down_right[0], [0, 0, 1, 2])  # the top row repeated
    up_left = shift_images(x, -2, -1)[0, ..., 0]
    np.testing.assert_array_equal(up_left[:2, :3], x[0, 2:, 1:, 0])
    with pytest.raises(InvalidInputError, match="leaves nothing"):
        shift_images(x, 4, 0)


def test_ten_crop_averages_the_five_windows_and_their_mirrors():
    model = build_model("vgg_lite_crop44")
    core = build_model("vgg_lite", input_shape=(44, 44, 1))
    core.set_weights(model.get_weights())  # the crop layer has no weights
    x = np.random.default_rng(5).random((6, 48, 48, 1)).astype(np.float32)
    windows = [(2, 2), (0, 0), (0, 4), (4, 0), (4, 4)]
    expected = np.mean(
        [
            np.asarray(core(view, training=False))
            for top, left in windows
            for view in (x[:, top : top + 44, left : left + 44],)
            for view in (view, view[:, :, ::-1])
        ],
        axis=0,
    )
    np.testing.assert_allclose(predict_logits(model, x, tta="ten_crop"), expected, atol=1e-4)
    single = predict_logits(model, x)
    np.testing.assert_allclose(single, np.asarray(core(x[:, 2:46, 2:46])), atol=1e-4)
    np.testing.assert_allclose(
        predict_logits(model, x, tta="flip"), predict_logits(model, x, flip_tta=True)
    )


class _CountingLinearModel:
    """A stand-in with Keras' ``predict`` signature: fixed linear logits, passes counted."""

    def __init__(self):
        self.weights = np.random.default_rng(3).normal(size=(48 * 48, 7)).astype(np.float32)
        self.passes = 0

    def predict(self, images, batch_size, verbose):
        self.passes += 1
        return np.asarray(images, np.float32).reshape(len(images), -1) @ self.weights


def test_every_test_time_setting_from_one_set_of_passes_equals_each_setting_alone():
    from emostudy.models import predict_logits_by_tta, shift_images

    x = np.random.default_rng(4).random((5, 48, 48, 1)).astype(np.float32)
    model = _CountingLinearModel()
    by_tta = predict_logits_by_tta(model, x)
    assert model.passes == 10 and list(by_tta) == [None, "flip", "ten_crop"]
    run = _CountingLinearModel().predict
    centre, mirror = run(x, 0, 0), run(x[:, :, ::-1], 0, 0)
    np.testing.assert_array_equal(by_tta[None], centre)
    np.testing.assert_array_equal(by_tta["flip"], (centre + mirror) / 2)
    total = centre + mirror
    for dy, dx in [(-2, -2), (-2, 2), (2, -2), (2, 2)]:
        view = shift_images(x, dy, dx)
        total = total + (run(view, 0, 0) + run(view[:, :, ::-1], 0, 0))
    np.testing.assert_array_equal(by_tta["ten_crop"], total / 10)
    for tta, passes in [(None, 1), ("flip", 2), ("ten_crop", 10)]:
        alone = _CountingLinearModel()
        np.testing.assert_array_equal(predict_logits(alone, x, tta=tta), by_tta[tta])
        assert alone.passes == passes
    flip_only = _CountingLinearModel()
    assert list(predict_logits_by_tta(flip_only, x, up_to="flip")) == [None, "flip"]
    assert flip_only.passes == 2
    with pytest.raises(InvalidInputError, match="Unknown tta"):
        predict_logits_by_tta(model, x, up_to="five_crop")


def test_unknown_or_contradictory_test_time_augmentation_is_named():
    model = build_model("mlp", hidden=(4,))
    x = np.zeros((1, 48, 48, 1), np.float32)
    with pytest.raises(InvalidInputError, match="Unknown tta"):
        predict_logits(model, x, tta="five_crop")
    with pytest.raises(InvalidInputError, match="contradicts"):
        predict_logits(model, x, tta="ten_crop", flip_tta=True)


def test_an_ensemble_averages_its_members_logits():
    from emostudy.models import predict_ensemble_logits

    first, second = build_model("mlp", hidden=(4,)), build_model("mlp", hidden=(4,))
    x = np.random.default_rng(0).random((3, 48, 48, 1)).astype(np.float32)
    expected = (predict_logits(first, x, tta="flip") + predict_logits(second, x, tta="flip")) / 2
    np.testing.assert_allclose(
        predict_ensemble_logits([first, second], x, tta="flip"), expected, atol=1e-6
    )
    with pytest.raises(InvalidInputError, match="at least one"):
        predict_ensemble_logits([], x)


def test_distillation_blends_labels_with_the_teachers_probabilities(faces, tmp_path):
    from emostudy.training.pipeline import training_targets

    onehot = np.eye(7, dtype=np.float32)[[0, 3]]
    teacher = np.full((2, 7), 1 / 7, dtype=np.float32)
    blended = training_targets(onehot, teacher, 0.25)
    np.testing.assert_allclose(blended[0, 0], 0.75 + 0.25 / 7, rtol=1e-6)
    np.testing.assert_allclose(blended[1, 0], 0.25 / 7, rtol=1e-6)
    np.testing.assert_allclose(blended.sum(axis=1), 1.0, rtol=1e-6)
    assert training_targets(onehot, None, 0.0) is onehot

    # a student pulled entirely towards a uniform teacher ends far less confident than one
    # trained on the labels alone
    (x_train, y_train), val = faces
    uniform = np.full((len(x_train), 7), 1 / 7, dtype=np.float32)
    build = lambda: build_model("tiny_cnn", dense=(32,))  # noqa: E731
    config = TrainConfig(epochs=4, batch_size=32, learning_rate=3e-3, seed=3)
    labels_only = train(build, (x_train, y_train), val, config, progress=False)
    distilled = train(
        build,
        (x_train, y_train),
        val,
        replace(config, distill_weight=1.0),
        teacher_probabilities=uniform,
        progress=False,
        out_dir=tmp_path,
    )
    assert json.loads((tmp_path / "config.json").read_text())["distill_weight"] == 1.0

    def confidence(model):
        logits = predict_logits(model, val[0])
        p = np.exp(logits - logits.max(1, keepdims=True))
        return (p / p.sum(1, keepdims=True)).max(1).mean()

    assert confidence(distilled.model) < 0.3 < confidence(labels_only.model)


@pytest.mark.parametrize(
    "weight, teacher, message",
    [
        (0.5, None, "needs teacher_probabilities"),
        (0.0, np.full((2, 7), 1 / 7), "distill_weight is 0"),
        (0.5, np.full((3, 7), 1 / 7), r"shape \(2, 7\)"),
        (0.5, np.full((2, 7), 0.5), "must sum to 1"),
        (0.5, np.full((2, 7), np.nan), "finite and non-negative"),
    ],
)
def test_bad_distillation_input_is_named(weight, teacher, message):
    from emostudy.training.pipeline import training_targets

    with pytest.raises(InvalidInputError, match=message):
        training_targets(np.eye(7, dtype=np.float32)[[0, 1]], teacher, weight)
    with pytest.raises(InvalidInputError, match=r"distill_weight must be in \[0, 1\]"):
        TrainConfig(distill_weight=1.5)


def test_two_seeded_trainings_in_separate_processes_end_with_identical_weights():
    # Chapters 3 and 4 promise that a re-run with the same seed repeats their accuracies: check
    # it across fresh interpreters, with the augmentation drawing random numbers.
    script = textwrap.dedent(
        """
        import hashlib
        import numpy as np
        from emostudy.data import make_synthetic_faces
        from emostudy.models import build_model, to_model_input
        from emostudy.training import Augmentation, TrainConfig, train
        data = make_synthetic_faces(40, seed=3)
        tr, va = data.where(usage="Training"), data.where(usage="PublicTest")
        config = TrainConfig(epochs=2, batch_size=32, seed=5, augment=Augmentation())
        result = train(lambda: build_model("tiny_cnn"),
                       (to_model_input(tr.images), tr.labels),
                       (to_model_input(va.images), va.labels), config, progress=False)
        digest = hashlib.sha256()
        for weights in result.model.get_weights():
            digest.update(np.ascontiguousarray(weights).tobytes())
        print("weights", digest.hexdigest())
        """
    )
    digests = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        digests.append(done.stdout.split("weights ")[-1].strip())
    assert len(digests[0]) == 64 and digests[0] == digests[1]
