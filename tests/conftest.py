"""The tests' fixtures; their helpers are modules of their own: running.py (running scripts),
datasets.py (data), shared.py (made once per session), kernels.py (a Jupyter kernel).

The scripts run here as on a machine with no screen.
"""

import os

for name in ("DISPLAY", "WAYLAND_DISPLAY"):
    os.environ.pop(name, None)
os.environ["MPLBACKEND"] = "Agg"

import shutil  # noqa: E402

import pytest  # noqa: E402

from datasets import FASHION_DIR, write_idx_dataset  # noqa: E402
from kernels import Kernel  # noqa: E402
from running import REPO, quick, run_main  # noqa: E402
from shared import TrainedRuns, once_per_session  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def tensorflow_started():
    """TensorFlow, started in each test process as the scripts start it: quietly, in graph mode.

    (A fixture, not an import here: pytest-xdist's controlling process, which runs no test,
    imports this file too.)
    """
    from aelab import quiet_tensorflow  # noqa: F401


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    """The small dataset, written once per session: 5,500 training images (500 after validation), 500 test."""
    def make(folder):
        write_idx_dataset(str(folder))
    folder, _ = once_per_session(tmp_path_factory, "small_data", make)
    return folder


@pytest.fixture
def small_data(small_dataset, tmp_path):
    """A copy of the small dataset in the test's own folder, free to damage: its path."""
    folder = tmp_path / "data"
    shutil.copytree(small_dataset, folder)
    return str(folder)


@pytest.fixture
def fashion_dir():
    """The Debian package's Fashion-MNIST folder; CI must have it, elsewhere it is skipped."""
    if not os.path.isfile(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")):
        if os.environ.get("CI"):
            pytest.fail(f"Fashion-MNIST is missing from {FASHION_DIR}; .ci/run must install "
                        "the Debian package dataset-fashion-mnist")
        pytest.skip(f"no Fashion-MNIST in {FASHION_DIR} (apt-get install dataset-fashion-mnist)")
    return FASHION_DIR


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A deep autoencoder trained 3 short epochs and a denoising one trained 1, on small data.

    Shared by every test that only reads them; a test that changes one copies it first.
    """
    def make(base):
        data = str(base / "data")
        write_idx_dataset(data)  # its own, so that the runs' recorded data folder stays theirs
        options = [*quick(data), "--no-show"]
        deep = run_main("autoencoder_mnist.py", 2, "--epochs", 3, *options, cwd=base)
        noisy = run_main("denoising_autoencoder_mnist.py", 2, "--epochs", 1, *options, cwd=base)
        return {"deep": deep._asdict(), "denoising": noisy._asdict()}
    base, outputs = once_per_session(tmp_path_factory, "trained", make)
    return TrainedRuns(base, outputs)


@pytest.fixture(scope="session")
def handouts(tmp_path_factory, small_dataset):
    """A workshop handout and its solution (`make`, `make --solution`), with the small dataset.

    Made once per session; a test that changes one copies it first.
    """
    def make(base):
        for name, more in (("handout", []), ("solution", ["--solution"])):
            run_main("aelab.workshop.__main__", "make", base / name, "--data-dir", small_dataset, *more,
                     cwd=REPO)
    base, _ = once_per_session(tmp_path_factory, "handouts", make)
    return base / "handout", base / "solution"


@pytest.fixture
def handout(handouts):
    return handouts[0]


@pytest.fixture
def solution(handouts):
    return handouts[1]


@pytest.fixture
def kernel_in():
    """kernel_in(folder): a Kernel started there, shut down after the test."""
    started = []

    def start(folder):
        started.append(Kernel(folder))
        return started[-1]
    yield start
    for kernel in started:
        kernel.close()
