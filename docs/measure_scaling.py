"""Measure data-parallel scaling on MNIST (784-256-128-10, Adam, global batch 128).

Run once per configuration and compare the printed JSON lines::

    OPENBLAS_NUM_THREADS=2 .venv/bin/mpiexec -n 1 .venv/bin/python docs/measure_scaling.py
    OPENBLAS_NUM_THREADS=1 .venv/bin/mpiexec -n 2 .venv/bin/python docs/measure_scaling.py

Besides the training epochs it times the gradient ``Allreduce`` alone (same buffer, ranks
lined up by a barrier first), which separates the cost of moving the bytes from time
spent waiting for a slower rank.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from mpi4py import MPI

import neuroflow as nf

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
comm = MPI.COMM_WORLD
x_train, y_train, x_test, y_test = nf.datasets.mnist()
net = nf.Network.from_sizes([784, 256, 128, 10], hidden="relu", output="softmax", seed=0)
history = nf.distributed.fit(net, x_train, y_train, epochs=EPOCHS, batch_size=128,
                             optimizer="adam", learning_rate=1e-3, verbose=0)

buffer = np.ones(net.parameter_count + 3, dtype=np.float32)
result = np.empty_like(buffer)
lone = []
for _ in range(50):
    comm.Barrier()
    tick = time.perf_counter()
    comm.Allreduce(buffer, result)
    lone.append(time.perf_counter() - tick)

if comm.Get_rank() == 0:
    steps = -(-x_train.shape[0] // 128)
    epoch_times = history.history["time"][1:] or history.history["time"]  # skip warm-up
    reduce_times = history.history["allreduce_time"][1:] or history.history["allreduce_time"]
    print(json.dumps({
        "ranks": comm.Get_size(),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "epoch_seconds": [round(t, 3) for t in history.history["time"]],
        "allreduce_seconds": [round(t, 3) for t in history.history["allreduce_time"]],
        "step_ms": round(1e3 * float(np.mean(epoch_times)) / steps, 3),
        "allreduce_share": round(float(np.sum(reduce_times) / np.sum(epoch_times)), 4),
        "lone_allreduce_ms": round(1e3 * float(np.median(lone)), 4),
        "buffer_bytes": buffer.nbytes,
        "test_accuracy": round(net.evaluate(x_test, y_test)["accuracy"], 4),
        "load": os.getloadavg(),
    }))
