"""The speed benchmark runs (tiny mode: a few steps of everything; no time is asserted)."""

import os
import re
import subprocess
import sys

import pytest

from aelab.precision import cpu_has_bfloat16
from running import REPO


@pytest.mark.slow
def test_benchmark_tiny_mode_prints_its_table(fashion_dir):
    peers = os.path.join(os.path.dirname(REPO), "shared", "bench-peers")
    result = subprocess.run([sys.executable, os.path.join(REPO, "bench", "train_speed.py"),
                             "--tiny", "--profile", "--data-dir", fashion_dir],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"ours, float32 \(autoencoder_mnist\.py\)\s+\d+\.\d\d\s+\d+\s+1\.00x", out), out
    assert re.search(r"whole epoch as the script runs it: \d+\.\d\d s, of which 3 training steps", out)
    assert re.search(r"peak memory: training run \d+\.\d\d GB", out)
    assert re.search(r"one float32 training step by op type .*ResourceApplyAdam \d+%", out)
    assert "target" not in out  # measured figures and ratios only
    if os.path.isdir(peers):
        assert re.search(r"plain TF1 port \(peer\)\s+\d+\.\d\d\s+\d+\s+\d+\.\d\dx", out)
        assert re.search(r"Keras 3 model\.fit \(peer\)\s+\d+\.\d\d", out)
        assert re.search(r"GEMM lower bound .* \d+\.\d\dx \(float32 peak", out)
    if cpu_has_bfloat16():
        assert re.search(r"ours, --precision mixed \(bfloat16\)\s+\d+\.\d\d\s+\d+\s+\d\.\d\dx", out)
        assert re.search(r"validation loss after \d+ epochs from seed 0: float32 \d+\.\d{4}, mixed "
                         r"bfloat16 \d+\.\d{4} \(mixed / float32 = \d\.\d{4}\)", out)
        assert re.search(r"one mixed training step by op type .*Cast \d+%", out)
        if os.path.isdir(peers):
            assert re.search(r"Keras 3 fit, mixed_bfloat16 \(peer\)\s+\d+\.\d\d", out)


@pytest.mark.slow
def test_the_models_past_the_slides_benchmark_prints_its_tables(small_dataset):
    """Each new model against its Keras peer (bench/keras_kinds.py), and its test losses beside the
    deep autoencoder's with the same code size, in tiny mode."""
    result = subprocess.run([sys.executable, os.path.join(REPO, "bench", "kinds_speed.py"), "--tiny",
                             "--data-dir", small_dataset], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for name in ("convolutional", "sparse", "variational"):
        assert re.search(rf"^{name}\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\dx$", out, re.M), out
    assert re.search(r"^deep autoencoder\s+\d+\.\d\d\s+(\d+\.\d\d\s+\d+\.\d\dx|nan\s+\(no peer\))$",
                     out, re.M), out
    assert "Test loss after 1 epoch of 3 steps from seed 0" in out and "500 test images" in out
    for name, code in (("convolutional", 2), ("sparse", 256), ("variational", 2)):
        assert re.search(rf"^{name}\s+\d+\.\d{{4}}\s+\d+\.\d{{4}}\s+\d+\.\d{{4}}\s+N_CODE={code}: "
                         rf"\d+\.\d{{4}}, \d+\.\d{{4}}$", out, re.M), out
