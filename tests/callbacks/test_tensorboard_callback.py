"""TensorBoard: the event file it writes, read back record by record (TFRecord framing
with CRC-32C checked here, events parsed with the protobuf classes tensorboardX ships)."""

import os
import struct

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.callbacks import TensorBoard

if os.environ.get("CI"):  # make test installs the tensorboard extra: a failure, not a skip
    from tensorboardX.proto import event_pb2
else:
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2",
                                    reason="the tensorboard extra (tensorboardX)")


def _crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), bit by bit: an implementation independent of the writer's."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(path):
    """Every Event of a TFRecord file, after checking each record's two checksums."""
    data = path.read_bytes()
    events, offset = [], 0
    while offset < len(data):
        header = data[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[offset + 8:offset + 12])
        assert header_crc == _masked(_crc32c(header))
        record = data[offset + 12:offset + 12 + length]
        (record_crc,) = struct.unpack("<I", data[offset + 12 + length:offset + 16 + length])
        assert record_crc == _masked(_crc32c(record))
        events.append(event_pb2.Event.FromString(record))
        offset += 16 + length
    return events


def _fit(log_dir, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    net = nf.Network.from_sizes([3, 5, 2], seed=0)
    board = TensorBoard(log_dir, **kwargs)
    history = net.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[board],
                      validation_data=(x[:16], y[:16]),
                      optimizer=nf.optimizers.SGD(learning_rate=0.05))
    return net, board, history


def test_scalars_per_epoch_read_back(tmp_path):
    _, board, history = _fit(tmp_path / "runs")
    (path,) = board.event_files
    scalars: dict[str, list[tuple[int, float]]] = {}
    for event in read_events(path):
        for value in event.summary.value:
            scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    assert set(scalars) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate",
                            "time"}
    for tag in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"):
        assert [step for step, _ in scalars[tag]] == [1, 2, 3]
        np.testing.assert_allclose([v for _, v in scalars[tag]], history.history[tag],
                                   rtol=1e-6)
    assert [v for _, v in scalars["learning_rate"]] == pytest.approx([0.05] * 3)


def test_weight_histograms(tmp_path):
    net, board, _ = _fit(tmp_path, histogram_freq=2)
    histograms = {}
    for event in read_events(board.event_files[0]):
        for value in event.summary.value:
            if value.HasField("histo"):
                histograms[(value.tag, event.step)] = value.histo
    assert set(histograms) == {(name, 2) for name, _, _ in net.named_parameters()}
    weights = histograms[("layers.0.W", 2)]
    assert weights.num == 15
    assert weights.min <= weights.max


def test_tensorboard_errors(tmp_path):
    with pytest.raises(ValueError, match="histogram_freq: expected a non-negative integer"):
        TensorBoard(tmp_path, histogram_freq=-1)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="log_dir: expected a folder"):
        _fit(tmp_path / "file")
