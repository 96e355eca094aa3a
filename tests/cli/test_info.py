"""``neuroflow info``: the machine as neuroflow sees it. No timing thresholds: the
measured rate only has to be a positive number."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from neuroflow.cli import info, main


def test_info_prints_every_section(capsys, monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    monkeypatch.setattr(info, "TIMING_SECONDS", 0.02)
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for start in ("neuroflow ", "cpu: ", "instruction sets: ", "BLAS: ", "forced kernel: ",
                  "thread variables: ", "kernels: ", "float32 GFLOP/s at 784-256-128-10, "
                                                     "batch 128: "):
        assert re.search(f"^{re.escape(start)}", out, re.MULTILINE), start
    assert "numpy " in out and "numba " in out
    assert "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE not set" in out
    assert "note: a forced kernel" not in out
    rates = re.search(r"^float32 GFLOP/s .*: forward ([\d.]+), backward ([\d.]+)$", out,
                      re.MULTILINE)
    assert rates and float(rates[1]) > 0 and float(rates[2]) > 0


def test_a_forced_kernel_is_named_in_a_fresh_process():
    # OpenBLAS reads the variable when it loads: only a new process shows its effect
    env = {**os.environ, "OPENBLAS_CORETYPE": "Haswell"}
    env.pop("OPENBLAS_L2_SIZE", None)
    done = subprocess.run([sys.executable, "-m", "neuroflow", "info"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "forced kernel: OPENBLAS_CORETYPE=Haswell" in done.stdout
    assert "note: a forced kernel can be slower than the one this CPU would pick" in done.stdout
    blas = [line for line in done.stdout.splitlines() if line.startswith("BLAS: ")]
    if any("openblas" in line for line in blas):  # OpenBLAS obeys it: Haswell runs
        assert any("Haswell kernel" in line for line in blas), blas


def test_instruction_sets_come_from_the_cpu_flags(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: Example CPU @ 2.0GHz\n"
                       "flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw\n")
    monkeypatch.setattr(info, "CPUINFO", cpuinfo)
    assert info.cpu_model() == "Example CPU @ 2.0GHz"
    assert info.instruction_sets() == ["SSE4.2", "AVX", "AVX2", "FMA", "AVX-512F", "AVX-512BW"]
    monkeypatch.setattr(info, "CPUINFO", tmp_path / "missing")
    assert info.instruction_sets() == []
    assert info.cpu_model()  # platform's answer instead


def test_without_threadpoolctl_numpy_build_configuration_is_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    libraries, source = info.blas_libraries()
    assert source.startswith("numpy.show_config")
    for library in libraries:
        assert set(library) == {"internal_api", "version", "architecture", "num_threads"}
    lines = info.report(measure=False)
    assert any(line.startswith("BLAS: ") and "numpy.show_config" in line for line in lines)


def test_kernel_path_names_the_variable(monkeypatch):
    monkeypatch.setenv("NEUROFLOW_KERNELS", "numpy")
    lines = info.report(measure=False)
    assert any(line.startswith("kernels: ") and "NEUROFLOW_KERNELS=numpy" in line
               for line in lines)


def test_step_products_are_the_default_networks():
    forward, backward = info.step_products()
    assert forward == [(128, 784, 256, False), (128, 256, 128, False), (128, 128, 10, False)]
    # weight gradients for every layer, input gradients for all but the first
    assert len(backward) == 5 and (784, 128, 256, True) in backward
    assert (128, 256, 784, False) not in backward


def test_an_avx512_cpu_on_an_avx2_kernel_is_warned(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: Example\nflags\t\t: avx2 fma avx512f\n")
    monkeypatch.setattr(info, "CPUINFO", cpuinfo)
    haswell = {"internal_api": "openblas", "version": "0.3.31", "architecture": "Haswell",
               "num_threads": 2}
    monkeypatch.setattr(info, "blas_libraries", lambda: ([haswell], "threadpoolctl"))
    lines = info.report(measure=False)
    assert "BLAS: openblas 0.3.31, Haswell kernel, 2 thread(s) (threadpoolctl)" in lines
    assert ("  warning: this AVX-512 CPU runs OpenBLAS's Haswell kernel, which does not use "
            "AVX-512") in lines
    skylake = {**haswell, "architecture": "SkylakeX"}
    monkeypatch.setattr(info, "blas_libraries", lambda: ([skylake], "threadpoolctl"))
    assert not any("warning" in line for line in info.report(measure=False))
