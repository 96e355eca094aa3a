"""Data-parallel training over MPI: ``mpiexec -n 2`` must reproduce one process.

The two-rank runs happen in one ``mpiexec`` launch of the worker script below (about a
second); the assertions compare the weights each rank wrote with the one-process
references that rank 0 computed alone (``MPI.COMM_SELF``) and with plain ``fit``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="the [mpi] extra (mpi4py, mpich) is not installed")

import neuroflow as nf  # noqa: E402
from neuroflow import distributed  # noqa: E402

WORKER = textwrap.dedent('''
    import sys

    import numpy as np
    from mpi4py import MPI

    import neuroflow as nf

    out = sys.argv[1]
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    rng = np.random.default_rng(7)
    x = rng.normal(size=(250, 6))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 1)
    arrays = {}


    class Meddler(nf.callbacks.Callback):
        """Halves the learning rate after epoch 1 and stops after batch 3 of epoch 3."""

        def on_epoch_end(self, epoch, logs=None):
            self.network.optimizer.learning_rate *= 0.5

        def on_batch_end(self, batch, logs=None):
            if self.network.epochs_trained == 2 and batch == 3:
                self.network.stop_training = True


    def network(dtype):
        return nf.Network.from_sizes([6, 16, 3], hidden="tanh", output="softmax", seed=3,
                                     dtype=dtype)


    def record(name, net, history):
        for key, param, _ in net.named_parameters():
            arrays[f"{name}/{key}"] = param
        arrays[f"{name}/loss"] = np.array(history.history["loss"])
        arrays[f"{name}/val_loss"] = np.array(history.history["val_loss"])


    def train(name, dtype, callback=False, **options):
        net = network(dtype)
        if rank == 1:  # rank 0's initial weights must win
            for param in net.parameters():
                param += 1.0
        callbacks = [Meddler()] if callback else []
        history = nf.distributed.fit(net, x, y, epochs=3, batch_size=33, optimizer="adam",
                                     learning_rate=0.02, validation_split=0.1, verbose=0,
                                     callbacks=callbacks, **options)
        record(name, net, history)


    # a convolutional network on 1x6x6 images: the same data parallelism, layer for layer
    images = rng.normal(size=(96, 1, 6, 6))
    image_labels = (images[:, 0, :3].sum(axis=(1, 2)) > 0).astype(np.int64)


    def convolutional():
        return nf.Network([nf.Conv2D(3, 3, input_shape=(1, 6, 6), activation="relu"),
                           nf.MaxPool2D(2), nf.Flatten(),
                           nf.Dense(12, 2, activation="softmax")], seed=3, dtype="float64")


    def fit_convolutional(net, **options):
        return nf.distributed.fit(net, images, image_labels, epochs=2, batch_size=16,
                                  optimizer="adam", learning_rate=0.01, validation_split=0.1,
                                  verbose=0, **options)


    for dtype in ("float32", "float64"):
        train(f"allreduce-{dtype}", dtype)
        train(f"ordered-{dtype}", dtype, deterministic=True)
        train(f"ordered4-{dtype}", dtype, deterministic=True, shards=4)
    for mode, options in (("allreduce", {}), ("ordered", {"deterministic": True})):
        net = convolutional()
        if rank == 1:  # rank 0's initial weights must win
            for param in net.parameters():
                param += 1.0
        record(f"conv-{mode}", net, fit_convolutional(net, **options))
    train("callbacks-float64", "float64", callback=True)
    net = network("float32")
    record("switch-float32", net, net.fit(x, y, epochs=3, batch_size=33, optimizer="adam",
                                          learning_rate=0.02, validation_split=0.1,
                                          verbose=0, distributed=True))
    try:
        nf.distributed.fit(network("float32"), x[:200 + rank], y[:200 + rank], verbose=0)
    except ValueError as error:
        arrays["mismatch"] = np.array(str(error))
    try:  # the loss and weights are the same everywhere, so every rank sees the divergence
        nf.distributed.fit(network("float32"), x, y * 0, epochs=2, batch_size=33,
                           optimizer="sgd", learning_rate=1e38, verbose=0)
    except nf.TrainingDivergedError as error:
        arrays["diverged"] = np.array(str(error))
    checkpoint = nf.callbacks.ModelCheckpoint(f"{out}/checkpoint.safetensors")
    net = network("float32")
    nf.distributed.fit(net, x, y, epochs=1, batch_size=33, verbose=0, callbacks=[checkpoint])
    # EarlyStopping (rank 0 only) restores its best weights at the end of training, and
    # every rank must end with them
    # (the rate grows each epoch and the smallest is "best", so epoch 1's weights return)
    net = network("float64")
    rising = nf.callbacks.LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))
    best = nf.callbacks.EarlyStopping("learning_rate", mode="min", patience=10,
                                      restore_best=True)
    nf.distributed.fit(net, x, y, epochs=3, batch_size=33, optimizer="sgd", verbose=0,
                       callbacks=[rising, best])
    for key, param, _ in net.named_parameters():
        arrays[f"restored/{key}"] = param
    comm.Barrier()  # rank 0 wrote the checkpoint
    saved = nf.load(f"{out}/checkpoint.safetensors")
    arrays["checkpoint_samples"] = np.array(saved.training_run["samples"])
    np.savez(f"{out}/rank{rank}.npz", **arrays)

    if rank == 0:  # one-process references
        arrays.clear()
        for dtype in ("float32", "float64"):
            net = network(dtype)
            record(f"plain-{dtype}", net, net.fit(x, y, epochs=3, batch_size=33,
                                                  optimizer="adam", learning_rate=0.02,
                                                  validation_split=0.1, verbose=0))
            for shards in (2, 4):
                net = network(dtype)
                record(f"self{shards}-{dtype}", net, nf.distributed.fit(
                    net, x, y, epochs=3, batch_size=33, optimizer="adam",
                    learning_rate=0.02, validation_split=0.1, verbose=0,
                    comm=MPI.COMM_SELF, shards=shards, deterministic=True))
        net = convolutional()
        record("conv-plain", net, net.fit(images, image_labels, epochs=2, batch_size=16,
                                          optimizer="adam", learning_rate=0.01,
                                          validation_split=0.1, verbose=0))
        net = convolutional()
        record("conv-self2", net, fit_convolutional(net, comm=MPI.COMM_SELF, shards=2,
                                                    deterministic=True))
        net = network("float64")
        record("plain-callbacks-float64", net, net.fit(
            x, y, epochs=3, batch_size=33, optimizer="adam", learning_rate=0.02,
            validation_split=0.1, verbose=0, callbacks=[Meddler()]))
        np.savez(f"{out}/reference.npz", **arrays)
''')

KEYS = ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b", "loss", "val_loss"]


def mpiexec() -> Path:
    """The ``mpiexec`` the mpich wheel installs beside this interpreter's scripts."""
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        if (folder / "mpiexec").exists():
            return folder / "mpiexec"
    raise AssertionError(f"mpiexec not found beside {sys.executable}: install neuroflow[mpi]")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    folder = tmp_path_factory.mktemp("mpi")
    script = folder / "worker.py"
    script.write_text(WORKER)
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run([str(mpiexec()), "-n", "2", sys.executable, str(script),
                             str(folder)], capture_output=True, text=True, timeout=120,
                            env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    loaded = {}
    for name in ("rank0", "rank1", "reference"):
        with np.load(folder / f"{name}.npz", allow_pickle=False) as data:
            loaded[name] = {key: data[key] for key in data.files}
    return loaded


def run(runs, source: str, name: str) -> list[np.ndarray]:
    return [runs[source][f"{name}/{key}"] for key in KEYS]


@pytest.mark.parametrize("name", ["allreduce-float32", "ordered-float32", "ordered4-float32",
                                  "allreduce-float64", "ordered-float64", "ordered4-float64",
                                  "callbacks-float64", "switch-float32"])
def test_every_rank_ends_with_identical_weights_and_history(runs, name):
    for mine, theirs in zip(run(runs, "rank0", name), run(runs, "rank1", name)):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("dtype, tolerance", [("float32", 2e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("mode", ["allreduce", "ordered", "ordered4"])
def test_two_ranks_match_one_process_within_summation_tolerance(runs, dtype, tolerance,
                                                                 mode):
    for mine, plain in zip(run(runs, "rank0", f"{mode}-{dtype}"),
                           run(runs, "reference", f"plain-{dtype}")):
        np.testing.assert_allclose(mine, plain, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode, shards", [("ordered", 2), ("ordered4", 4), ("allreduce", 2)])
def test_fixed_reduction_order_is_bit_identical_to_one_process(runs, dtype, mode, shards):
    # With the shard gradients added in shard order, the weights depend only on the data,
    # seed, batch size and shard count, not on how many processes computed the shards.
    # Plain Allreduce over two ranks is the same single addition g0 + g1 (commutative).
    for mine, alone in zip(run(runs, "rank0", f"{mode}-{dtype}"),
                           run(runs, "reference", f"self{shards}-{dtype}")):
        np.testing.assert_array_equal(mine, alone)


def _convolutional(runs, source: str, name: str) -> dict[str, np.ndarray]:
    found = {key.split("/", 1)[1]: value for key, value in runs[source].items()
             if key.startswith(f"{name}/")}
    assert {"layers.0.W", "layers.0.b", "layers.3.W", "loss"} <= set(found), sorted(found)
    return found


@pytest.mark.parametrize("mode", ["allreduce", "ordered"])
def test_a_convolutional_network_trains_on_two_ranks_as_in_one_process(runs, mode):
    mine = _convolutional(runs, "rank0", f"conv-{mode}")
    theirs = _convolutional(runs, "rank1", f"conv-{mode}")
    plain = _convolutional(runs, "reference", "conv-plain")
    alone = _convolutional(runs, "reference", "conv-self2")
    for key in plain:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
        np.testing.assert_allclose(mine[key], plain[key], rtol=1e-12, atol=1e-12, err_msg=key)
        # two shards added in shard order: the very bits of one process computing both
        np.testing.assert_array_equal(mine[key], alone[key], err_msg=key)


def test_rank_zero_callbacks_reach_every_rank(runs):
    mine = run(runs, "rank1", "callbacks-float64")
    plain = run(runs, "reference", "plain-callbacks-float64")
    # stopped during the third epoch, which is not logged as an epoch (History.partial)
    assert len(mine[KEYS.index("loss")]) == 2
    for a, b in zip(mine, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # the stop and the halved learning rate changed the result
    assert not np.allclose(mine[0], run(runs, "rank1", "allreduce-float64")[0])


def test_fit_switch_delegates_to_distributed_fit(runs):
    for mine, direct in zip(run(runs, "rank1", "switch-float32"),
                            run(runs, "rank1", "allreduce-float32")):
        np.testing.assert_array_equal(mine, direct)


def test_divergence_is_raised_on_every_rank(runs):
    """Under 0.1's separate loop, non-root ranks ended as 'interrupted' (exit 130) on a
    divergence (reliability.md D.28); the shared loop raises it on every rank."""
    for rank in ("rank0", "rank1"):
        assert "at epoch 1, batch 1" in str(runs[rank]["diverged"])


def test_distributed_checkpoints_record_the_run(runs, tmp_path_factory):
    """0.1's distributed loop wrote checkpoints with training_run = None (D.28), so a
    resume checked nothing."""
    for rank in ("rank0", "rank1"):
        assert int(runs[rank]["checkpoint_samples"]) == 250


def test_weights_a_callback_restores_at_the_end_reach_every_rank(runs):
    """The shared loop first broadcast rank 0's state and then ran on_train_end, so best
    weights restored by EarlyStopping on rank 0 stayed there alone."""
    keys = [k for k in runs["rank0"] if k.startswith("restored/")]
    assert keys
    for key in keys:
        np.testing.assert_array_equal(runs["rank0"][key], runs["rank1"][key])


def test_ranks_with_different_data_fail_together(runs):
    for rank in ("rank0", "rank1"):
        message = str(runs[rank]["mismatch"])
        assert message.startswith("samples: expected the same value on every rank")
        assert "[200, 201]" in message


# ------------------------------------------------------------------ in one process
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    return x, (x[:, 0] > 0).astype(np.int64)


class TwoRanks:
    """A stand-in communicator: arguments are checked before any message is sent."""

    def Get_size(self):  # noqa: N802 (mpi4py's spelling)
        return 2

    def Get_rank(self):  # noqa: N802
        return 0


@pytest.fixture
def comm():
    from mpi4py import MPI

    return MPI.COMM_SELF


def small(seed=0):
    return nf.Network.from_sizes([3, 5, 2], seed=seed, dtype="float64")


def test_one_rank_equals_plain_fit_bit_for_bit(comm):
    x, y = data()
    net, reference = small(), small()
    history = distributed.fit(net, x, y, epochs=2, batch_size=7, verbose=0, comm=comm,
                              sample_weight=np.linspace(0.5, 1.5, 40))
    plain = nf.fit(reference, x, y, epochs=2, batch_size=7, verbose=0,
                   sample_weight=np.linspace(0.5, 1.5, 40))
    for a, b in zip(net.parameters(), reference.parameters()):
        np.testing.assert_array_equal(a, b)
    assert history.history["loss"] == plain.history["loss"]
    assert len(history.history["allreduce_time"]) == 2


def test_more_shards_than_samples_in_a_batch_leaves_empty_shards_harmless(comm):
    x, y = data()
    net, reference = small(), small()
    distributed.fit(net, x, y, epochs=1, batch_size=3, verbose=0, comm=comm, shards=5)
    nf.fit(reference, x, y, epochs=1, batch_size=3, verbose=0)
    for a, b in zip(net.parameters(), reference.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_shard_bounds_cover_the_batch_evenly():
    assert distributed.shard_bounds(10, 3) == [0, 3, 6, 10]
    assert distributed.shard_bounds(2, 4) == [0, 0, 1, 1, 2]


def test_rank_helpers(comm):
    assert (distributed.rank(comm), distributed.size(comm), distributed.is_root(comm)) == (
        0, 1, True)


def test_shards_must_divide_among_ranks():
    x, y = data()
    with pytest.raises(ValueError, match=r"shards: expected a multiple of the number of "
                                         r"ranks \(2\), received: 3"):
        distributed.fit(small(), x, y, comm=TwoRanks(), shards=3)


@pytest.mark.parametrize("options, message", [
    ({"epochs": 0}, "epochs: expected a positive integer"),
    ({"shards": 0}, "shards: expected a positive integer"),
    ({"verbose": 3}, "verbose: expected 0, 1 or 2, received: 3"),
    ({"validation_split": 1.5}, r"validation_split: expected a number in \(0, 1\)"),
    ({"validation_data": (1, 2, 3)}, "validation_data: expected a pair"),
])
def test_bad_arguments_are_named(comm, options, message):
    x, y = data()
    with pytest.raises(ValueError, match=message):
        distributed.fit(small(), x, y, comm=comm, **options)


def test_mismatched_targets_and_validation_are_named(comm):
    x, y = data()
    with pytest.raises(ValueError, match="y: expected 40 targets"):
        distributed.fit(small(), x, y[:-1], comm=comm)
    with pytest.raises(ValueError, match="y_val: expected 40 targets, received 39"):
        distributed.fit(small(), x, y, comm=comm, validation_data=(x, y[:-1]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_raises(comm):
    x, y = data()
    net = nf.Network.from_sizes([3, 2], output="linear", loss="mse", seed=0)
    with pytest.raises(nf.TrainingDivergedError, match="loss became"):
        distributed.fit(net, x * 1e20, np.ones((40, 2)) * 1e20, optimizer="sgd",
                        learning_rate=1e10, verbose=0, comm=comm)


def test_missing_mpi4py_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install 'neuroflow\[mpi\]'"):
        distributed.world()


# ------------------------------------------------------------------ command line
def test_cli_train_distributed_speaks_and_saves_on_rank_zero_only(tmp_path):
    neuroflow = Path(sysconfig.get_path("scripts")) / "neuroflow"
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run(
        [str(mpiexec()), "-n", "2", str(neuroflow), "train", "--distributed", "--layers",
         "784,8,10", "--epochs", "1", "--batch-size", "256", "--out", "model.safetensors"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Network: 784 -> 8 -> 10") == 1
    assert result.stdout.count("epoch 1/1") == 1
    assert result.stdout.count("saved model to model.safetensors") == 1
    assert nf.load(str(tmp_path / "model.safetensors")).evaluate(
        *nf.datasets.mnist()[2:])["accuracy"] > 0.5


def test_cli_distributed_without_mpi4py_is_one_line(monkeypatch, capsys, tmp_path):
    from neuroflow.cli import main

    monkeypatch.chdir(tmp_path)  # the default --out lands here, writable for any user
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    assert main(["train", "--distributed", "--layers", "784,4,10", "--epochs", "1",
                 "--quiet"]) == 2
    assert "--distributed: distributed training needs mpi4py" in capsys.readouterr().err


def test_class_weight_is_honoured_on_one_rank():
    """distributed.fit on one rank weighs classes exactly as fit does."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 4))
    y = rng.integers(0, 3, size=40)
    nets = [nf.Network.from_sizes([4, 5, 3], seed=1, dtype="float64") for _ in range(2)]
    options = {"epochs": 2, "batch_size": 8, "verbose": 0, "class_weight": {0: 3.0, 2: 0.5}}
    nets[0].fit(x, y, **options)
    nf.distributed.fit(nets[1], x, y, **options)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    unweighted = nf.Network.from_sizes([4, 5, 3], seed=1, dtype="float64")
    nf.distributed.fit(unweighted, x, y, epochs=2, batch_size=8, verbose=0)
    assert not np.allclose(unweighted.parameters()[0], nets[1].parameters()[0])
