"""What this machine allows for one training epoch, measured piece by piece.

The sgemm lower bound of :mod:`benchmarks.run` prices every FLOP at the rate of one
large square product (2048²). A training step at batch 128 multiplies thinner
matrices, which BLAS runs more slowly, and it also updates every parameter. This
module measures both at the configuration's own sizes:

- **products**: each matrix product of a step (forward ``x W``, weight gradient
  ``xᵀ δ``, input gradient ``δ Wᵀ`` except the first layer's; for a convolution the
  same three on its im2col matrix, :func:`benchmarks.models.step_products`), timed
  alone with ``np.matmul`` on operands of the step's shapes and memory layouts (the
  im2col copies themselves are not products and are left out);
- **optimizer**: one Adam step of :class:`neuroflow.optimizers.Adam` over the packed
  parameters of the configuration's network (the pass ``fit`` makes);
- **inference**: the forward products ``x W`` of the 10,000 test images, layer by layer
  (the floor of a ``predict`` of the test set: any tool's inference does these; for
  image layers timed on 1,000 images and counted ten times, the im2col matrix of
  10,000 being gigabytes).

Each is the best of several runs with warm caches, so their sum per epoch is a floor:
a training loop that does this work can at best match it. ``python -m benchmarks``
measures them in its probe process (:mod:`benchmarks.probe`), at the kernel its tools
run; run alone, this module measures at the kernel the caller's environment gives and
says which. Printed per configuration::

    python -m benchmarks.floors [--configs mlp-b128,wide-b128] [--threads N] [--repeats N]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import neuroflow as nf
from benchmarks import models
from benchmarks.probe import FORCED_KERNEL_VARIABLES, blas_in_use, describe_kernels
from benchmarks.run import CONFIGS, config_flops, matmul_gflops

#: Timed runs per measurement (the best counts) and calls per timed run.
REPEATS = 7
CALLS = 20


def best_seconds(function: Callable[[], object], calls: int = CALLS,
                 repeats: int = REPEATS) -> float:
    """Best mean time of ``calls`` consecutive calls, over ``repeats`` runs (one warm-up)."""
    function()
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def step_products(sizes: list[int], batch: int) -> list[tuple[str, int, int, int, bool]]:
    """The matrix products of one training step of the MLP of ``sizes``: ``(name, m, k,
    n, transposed_a)`` for an ``(m, k) @ (k, n)`` product, ``transposed_a`` when the left
    operand is a transposed view (the weight gradient ``xᵀ δ``); see
    :func:`benchmarks.models.step_products`, which also counts convolutions."""
    return models.step_products(models.neuroflow_network({"sizes": sizes}, 0), batch)


def product_seconds(m: int, k: int, n: int, transposed_a: bool,
                    rng: np.random.Generator, calls: int = CALLS,
                    repeats: int = REPEATS) -> float:
    """Best time of one float32 ``(m, k) @ (k, n)`` product written into a kept array."""
    a = rng.random((k, m) if transposed_a else (m, k), dtype=np.float32)
    left = a.T if transposed_a else a
    right = rng.random((k, n), dtype=np.float32)
    out = np.empty((m, n), np.float32)
    return best_seconds(lambda: np.matmul(left, right, out=out), calls=calls,
                        repeats=repeats)


def optimizer_seconds(network: nf.Network, batch: int, repeats: int = REPEATS) -> float:
    """Best time of one Adam step over the packed parameters of ``network``."""
    network.pack_parameters()
    pairs = network.parameter_buffer  # one update over the flat arrays, as fit steps
    rng = np.random.default_rng(0)
    for gradient in network.gradients():
        gradient[...] = rng.standard_normal(gradient.shape, dtype=np.float32) / batch
    optimizer = nf.optimizers.Adam()
    return best_seconds(lambda: optimizer.step(pairs), repeats=repeats)


def inference_seconds(network: nf.Network, n_samples: int = 10000, chunk: int = 10000,
                      repeats: int = REPEATS) -> float:
    """Best time of the forward products of ``n_samples`` samples through ``network``,
    timed on ``chunk`` samples at a time (the products grow with the rows)."""
    rng = np.random.default_rng(0)
    forward = [product for product in models.step_products(network, chunk)
               if not product[4] and product[0].endswith("x W")]
    return n_samples / chunk * sum(product_seconds(m, k, n, False, rng, calls=3,
                                                   repeats=repeats)
                                   for _, m, k, n, _ in forward)


@dataclass
class Floor:
    """Per-epoch floor of one configuration, in seconds (``inference``: of one forward
    pass over the 10,000 test images)."""

    products: float
    optimizer: float
    flops: float
    inference: float = float("nan")

    @property
    def total(self) -> float:
        return self.products + self.optimizer

    @property
    def product_rate(self) -> float:
        """The products' effective rate in GFLOP/s."""
        return self.flops / self.products / 1e9


def measure(config: dict[str, Any], n_samples: int = 60000, repeats: int = REPEATS) -> Floor:
    """The floor of one epoch of ``n_samples`` of ``config`` (an entry of
    :data:`benchmarks.run.CONFIGS`: the network and ``batch_size``; BLAS threads as
    currently set), each piece the best of ``repeats`` timed runs."""
    rng = np.random.default_rng(0)
    batch = config["batch_size"]
    network = models.neuroflow_network({**config, "seed": 0})
    full, rest = divmod(n_samples, batch)
    products = 0.0
    for _, m, k, n, transposed in models.step_products(network, batch):
        seconds = product_seconds(m, k, n, transposed, rng, repeats=repeats)
        products += full * seconds
        if rest:  # the last, partial batch: its products scale with its rows
            products += seconds * rest / batch
    steps = full + (1 if rest else 0)
    # the products of step_products are the epoch's FLOPs without the first layer's
    # input gradient
    images = models.is_convolutional(config)
    return Floor(products, steps * optimizer_seconds(network, batch, repeats),
                 config_flops(config, n_samples, first_input_gradient=False),
                 inference_seconds(network, chunk=1000 if images else 10000,
                                   repeats=repeats))


def describe(name: str, floor: Floor, bound: float) -> str:
    """One report line for configuration ``name`` against its sgemm ``bound``."""
    return (f"- {name}: products {floor.products:.3f} s at {floor.product_rate:.0f} GFLOP/s "
            f"+ Adam {floor.optimizer:.3f} s = {floor.total:.3f} s/epoch, "
            f"{floor.total / bound:.2f} × the sgemm bound; inference: the forward products "
            f"of the 10,000 test images take {1e3 * floor.inference:.1f} ms "
            f"({1e4 / floor.inference:,.0f} samples/s at most)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floors",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated subset of {', '.join(CONFIGS)}")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="BLAS threads (default: all cores)")
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help="timed runs per measurement, the best counts (default "
                             "%(default)s; fewer: quicker, less steady)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats: expected a positive integer, received {args.repeats}")
    names = args.configs.split(",")
    unknown = [name for name in names if name not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration: {', '.join(unknown)}")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.threads):
        gflops = matmul_gflops(repeats=args.repeats)
        forced = ", ".join(f"{key}={os.environ[key]}" for key in FORCED_KERNEL_VARIABLES
                           if key in os.environ)
        print(f"float32 matmul (2048²): {gflops:.0f} GFLOP/s, {args.threads} thread(s), "
              f"{describe_kernels(blas_in_use())}"
              + (f" (forced: {forced}; `python -m benchmarks` measures its floors with "
                 f"both unset)" if forced else ""))
        for name in names:
            # the sgemm bound of benchmarks.run: the tight count (products computed only)
            bound = config_flops(CONFIGS[name], 60000, first_input_gradient=False) / (
                gflops * 1e9)
            print(describe(name, measure(CONFIGS[name], repeats=args.repeats), bound),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
