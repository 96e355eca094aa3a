"""EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, LambdaCallback,
History contents, class_weight, and MSE regression with the same machinery."""

import csv

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks, schedules


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    return centres[y] + rng.normal(scale=0.8, size=(n, 2)), y


def _net(seed=0, dropout=False):
    layers = [nf.Dense(2, 16, activation="relu")]
    if dropout:
        layers.append(nf.Dropout(0.2))
    layers.append(nf.Dense(16, 3, activation="softmax"))
    return nf.Network(layers, seed=seed)


def test_history_records_loss_metrics_learning_rate_and_time():
    x, y = _blobs()
    history = _net().fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                         optimizer=nf.optimizers.SGD(schedules.StepDecay(0.1, 6, 0.5)))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "time"):
        assert len(history.history[key]) == 3, key
    assert history.history["learning_rate"] == [0.1, 0.05, 0.025]   # 6 steps per epoch
    assert all(t > 0 for t in history.history["time"])


def test_early_stopping_restores_the_best_weights_exactly():
    x, y = _blobs()
    snapshots = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(
        [p.copy() for p in net.parameters()]))
    net = _net(dropout=True)
    # a too-high learning rate makes val_loss bounce, so the best epoch is not the last
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best=True)
    history = net.fit(x, y, epochs=30, batch_size=8, validation_split=0.3, verbose=0,
                      optimizer=nf.optimizers.SGD(learning_rate=0.8, momentum=0.9),
                      callbacks=[stopper, record])
    losses = history.history["val_loss"]
    assert stopper.best_epoch == int(np.argmin(losses))
    assert stopper.stopped_epoch == len(losses) - 1 and len(losses) < 30
    assert stopper.best_epoch < len(losses) - 1
    for restored, best in zip(net.parameters(), snapshots[stopper.best_epoch]):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_without_restore_keeps_the_last_weights_and_uses_modes():
    x, y = _blobs()
    net = _net()
    stopper = callbacks.EarlyStopping(monitor="accuracy", patience=0, min_delta=1.0)
    net.fit(x, y, epochs=5, verbose=0, callbacks=[stopper])
    assert stopper.mode == "max" and stopper.stopped_epoch == 1   # nothing beats +1.0
    assert callbacks.EarlyStopping(monitor="val_loss").mode == "min"


def test_early_stopping_restores_batchnorm_running_statistics():
    x, y = _blobs()
    net = nf.Network([nf.Dense(2, 8), nf.BatchNorm(activation="relu"),
                      nf.Dense(8, 3, activation="softmax")], seed=0)
    saved = {}

    def remember(epoch, logs):
        saved[epoch] = net.layers[1].running_mean.copy()

    stopper = callbacks.EarlyStopping(monitor="loss", patience=10, restore_best=True,
                                      mode="max")      # best = first epoch (loss only falls)
    net.fit(x, y, epochs=3, verbose=0,
            callbacks=[stopper, callbacks.LambdaCallback(on_epoch_end=remember)])
    assert stopper.best_epoch == 0
    np.testing.assert_array_equal(net.layers[1].running_mean, saved[0])


def test_reduce_lr_on_plateau_multiplies_the_learning_rate():
    x, y = _blobs()
    net = _net()
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                          min_delta=10.0, minimum_learning_rate=0.02)
    history = net.fit(x, y, epochs=5, verbose=0, callbacks=[reducer],
                      optimizer=nf.optimizers.SGD(learning_rate=0.1))
    # epoch 0 sets the best; every later epoch fails to improve by 10 and halves the rate
    assert history.history["learning_rate"] == [0.1, 0.1, 0.05, 0.025, 0.02]
    with pytest.raises(ValueError, match="ReduceLROnPlateau: expected an optimizer with a "
                                         "constant learning_rate"):
        _net().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ReduceLROnPlateau()],
                   optimizer=nf.optimizers.SGD(schedules.Constant(0.1)))


def test_learning_rate_scheduler_counts_epochs():
    x, y = _blobs()
    history = _net().fit(x, y, epochs=4, verbose=0, optimizer="sgd", callbacks=[
        callbacks.LearningRateScheduler(schedules.StepDecay(0.2, step_size=2, factor=0.1))])
    np.testing.assert_allclose(history.history["learning_rate"], [0.2, 0.2, 0.02, 0.02])


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = _blobs()
    path = tmp_path / "log.csv"
    _net().fit(x, y, epochs=3, verbose=0, validation_split=0.2,
               callbacks=[callbacks.CSVLogger(path)])
    _net().fit(x, y, epochs=2, verbose=0, validation_split=0.2,
               callbacks=[callbacks.CSVLogger(path, append=True)])
    rows = list(csv.DictReader(path.open()))
    assert [row["epoch"] for row in rows] == ["0", "1", "2", "0", "1"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "time"} <= \
        set(rows[0])
    assert float(rows[0]["loss"]) > 0


def test_lambda_callback_calls_every_hook():
    x, y = _blobs(16)
    calls = []
    hooks = {name: (lambda *args, name=name: calls.append(name))
             for name in callbacks.LambdaCallback.HOOKS}
    _net().fit(x, y, epochs=2, batch_size=8, verbose=0,
               callbacks=[callbacks.LambdaCallback(**hooks)])
    assert calls.count("on_batch_end") == 4 and calls.count("on_epoch_end") == 2
    assert calls[0] == "on_train_begin" and calls[-1] == "on_train_end"


def test_callback_errors():
    x, y = _blobs(16)
    with pytest.raises(ValueError, match="EarlyStopping: monitor='val_loss' is not among the "
                                         "epoch logs"):
        _net().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping()])
    with pytest.raises(ValueError, match="patience: expected a non-negative integer"):
        callbacks.EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode: expected 'auto', 'min' or 'max'"):
        callbacks.EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="min_delta: expected a finite number >= 0"):
        callbacks.EarlyStopping(min_delta=-0.1)
    with pytest.raises(ValueError, match="monitor: expected the name of a logged quantity"):
        callbacks.EarlyStopping(monitor="")
    with pytest.raises(ValueError, match=r"factor: expected a number in \(0, 1\)"):
        callbacks.ReduceLROnPlateau(factor=2.0)
    with pytest.raises(ValueError, match="schedule: expected a callable"):
        callbacks.LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match="schedule: expected a finite learning rate > 0 for "
                                         "epoch 0"):
        _net().fit(x, y, epochs=1, verbose=0,
                   callbacks=[callbacks.LearningRateScheduler(lambda epoch: -1.0)])
    with pytest.raises(ValueError, match="separator: expected one character"):
        callbacks.CSVLogger("x.csv", separator="::")
    with pytest.raises(ValueError, match="on_epoch_end: expected a callable or None"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_class_weight_equals_the_matching_sample_weight():
    x, y = _blobs(60)
    a, b = _net(seed=2), _net(seed=2)
    a.fit(x, y, epochs=2, batch_size=10, verbose=0, class_weight={0: 3.0, 2: 0.5})
    table = np.array([3.0, 1.0, 0.5])
    b.fit(x, y, epochs=2, batch_size=10, verbose=0, sample_weight=table[y])
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    c = _net(seed=2)
    c.fit(x, y, epochs=2, batch_size=10, verbose=0, class_weight={0: 3.0, 2: 0.5},
          sample_weight=np.full(60, 2.0))
    d = _net(seed=2)
    d.fit(x, y, epochs=2, batch_size=10, verbose=0, sample_weight=2.0 * table[y])
    for p, q in zip(c.parameters(), d.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-6)


def test_class_weight_errors():
    x, y = _blobs(16)
    with pytest.raises(ValueError, match=r"class_weight: expected class keys in 0\.\.2, "
                                         "received key 3"):
        _net().fit(x, y, epochs=1, verbose=0, class_weight={3: 1.0})
    with pytest.raises(ValueError, match="class_weight: expected finite weights >= 0"):
        _net().fit(x, y, epochs=1, verbose=0, class_weight={0: -1.0})
    with pytest.raises(ValueError, match="class_weight: expected a dict"):
        _net().fit(x, y, epochs=1, verbose=0, class_weight=[1.0, 2.0, 3.0])
    regression = nf.Network([nf.Dense(2, 1)], loss="mse", seed=0)
    with pytest.raises(ValueError, match="class_weight: expected a classification loss"):
        regression.fit(x, y.astype(float), epochs=1, verbose=0, class_weight={0: 1.0})


def test_regression_on_a_tabular_task_with_the_same_machinery():
    from neuroflow.datasets.toy import make_regression

    x, y = make_regression(n_samples=400, n_features=4, n_targets=2, noise=0.05, seed=0)
    net = nf.Network([nf.Dense(4, 32, activation="tanh"), nf.BatchNorm(activation="relu"),
                      nf.Dropout(0.05), nf.Dense(32, 2)], loss="mse", seed=0)
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=20, restore_best=True)
    history = net.fit(x[:300], y[:300], epochs=60, batch_size=32, verbose=0,
                      validation_split=0.2, callbacks=[stopper],
                      optimizer=nf.optimizers.AdamW(
                          learning_rate=schedules.CosineDecay(0.01, 60 * 8, warmup_steps=8),
                          weight_decay=1e-3, clip_norm=5.0))
    baseline = float(np.mean((y[300:] - y[:300].mean(axis=0)) ** 2))
    test_mse = net.evaluate(x[300:], y[300:])["loss"]
    assert "accuracy" not in history.history
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert test_mse < 0.1 * baseline, (test_mse, baseline)
