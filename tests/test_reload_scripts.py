"""ae_vs_pca.py and dn_ae_test.py on checkpoints the training scripts wrote."""

import json
import os
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import write_idx_dataset
from test_training_scripts import run

QUICK = ["--validation-size", 500, "--steps-per-epoch", 5, "--seed", 1]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A deep autoencoder trained 3 short epochs and a denoising one trained 1, on small data."""
    base = tmp_path_factory.mktemp("runs")
    data = str(base / "data")
    write_idx_dataset(data)
    run("autoencoder_mnist.py", 2, "--epochs", 3, "--data-dir", data, *QUICK, cwd=base)
    run("denoising_autoencoder_mnist.py", 2, "--epochs", 1, "--data-dir", data, *QUICK, cwd=base)
    return base


def ae(runs, name=""):
    return os.path.join(runs, "mnist_autoencoder_hidden=2_logs", name)


def dn(runs, name=""):
    return os.path.join(runs, "dn_mnist_autoencoder_hidden=2_logs", name)


def tile_rows(path):
    """Rows of image tiles in a figure: bands of non-white pixels down its right-hand tile column."""
    with Image.open(path) as image:
        grey = np.asarray(image.convert("L"))
    column = grey[:, int(grey.shape[1] * 0.96)]
    inked = column < 250
    edges = np.flatnonzero(np.diff(inked.astype(int)))
    bands = np.diff(np.concatenate([[0], edges + 1, [len(inked)]]))[int(not inked[0])::2]
    return int(np.sum(bands > 30))


TABLE_ROW = r"{label}\s+2\s+\d\.\d{{5}}\s+\d+\.\d{{4}}\s+\d+\.\d%"


@pytest.mark.parametrize("which", ["folder", "prefix", "index file"])
def test_ae_vs_pca_table_and_figures_from_each_path_style(runs, tmp_path, which):
    path = {"folder": ae(runs), "prefix": ae(runs, "model-checkpoint-0003-15"),
            "index file": ae(runs, "model-checkpoint-0003-15.index")}[which]
    result = run("ae_vs_pca.py", path, "--no-show", cwd=tmp_path)
    assert re.search(TABLE_ROW.format(label=r"PCA, 2 components"), result.stdout), result.stdout
    assert re.search(TABLE_ROW.format(label=r"deep autoencoder, epoch 3"), result.stdout)
    assert "Test set: 500 MNIST-format images" in result.stdout
    assert tile_rows(tmp_path / "ae_vs_pca_reconstructions.png") == 3  # test, PCA, autoencoder
    with Image.open(tmp_path / "ae_vs_pca_codes.png") as image:
        assert image.size[0] > 1.6 * image.size[1]  # two scatter plots side by side
    assert not (tmp_path / "ae_vs_pca_epochs.png").exists()


def test_ae_vs_pca_several_checkpoints_give_a_row_per_epoch(runs, tmp_path):
    result = run("ae_vs_pca.py", ae(runs, "model-checkpoint-0001-5"),
                 ae(runs, "model-checkpoint-0002-10"), ae(runs), "--save-dir", "figs",
                 cwd=tmp_path)
    for epoch in (1, 2, 3):
        assert re.search(TABLE_ROW.format(label=f"deep autoencoder, epoch {epoch}"), result.stdout)
    assert result.stdout.count("PCA, 2 components") == 1
    assert "Figure saved: figs/ae_vs_pca_epochs.png" in result.stderr
    assert tile_rows(tmp_path / "figs" / "ae_vs_pca_epochs.png") == 4  # test images + 3 epochs


def test_dn_ae_test_with_and_without_a_plain_autoencoder(runs, tmp_path):
    result = run("dn_ae_test.py", dn(runs, "model-checkpoint-0001-5.meta"), cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0] == ("L2 error against the clean test images (mean over 500, "
                        "50% of pixels zeroed, as the model was trained):")
    assert re.fullmatch(r"  corrupted input\s+\d+\.\d{4}", lines[1])
    assert re.fullmatch(r"  denoising autoencoder, epoch 1\s+\d+\.\d{4}", lines[2])
    assert "Figure saved: dn_ae_test.png" in result.stderr
    assert "Figure saved: dn_ae_test_codes.png" in result.stderr
    assert tile_rows(tmp_path / "dn_ae_test.png") == 3  # original, corrupted, reconstructed

    both = run("dn_ae_test.py", dn(runs, "model-checkpoint-0001-5.data-00000-of-00001"), ae(runs),
               "--save", "both.png", cwd=tmp_path)
    assert re.search(r"  deep autoencoder, epoch 3\s+\d+\.\d{4}", both.stdout)
    assert tile_rows(tmp_path / "both.png") == 4
    assert (tmp_path / "both_codes.png").is_file()


def test_dn_ae_test_corruption_strength(runs, tmp_path):
    result = run("dn_ae_test.py", dn(runs), "--corruption", 0, "--no-show", cwd=tmp_path)
    assert re.search(r"  corrupted input\s+0\.0000\n", result.stdout)
    assert "0% of pixels zeroed, --corruption" in result.stdout
    older = run("dn_ae_test.py", dn(runs), "--drop-prob", 0.3, "--no-show", cwd=tmp_path)
    assert "30% of pixels zeroed, --corruption" in older.stdout  # the earlier name still works


def _fails(script, *args, cwd):
    result = run(script, *args, cwd=cwd, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_wrong_checkpoint_arguments_each_get_one_clear_line(runs, tmp_path):
    assert _fails("ae_vs_pca.py", ae(runs, "model-checkpoint-0009-45"), cwd=tmp_path) == (
        f"error: no checkpoint at {ae(runs, 'model-checkpoint-0009-45')}; checkpoints there: "
        + ", ".join(os.path.relpath(ae(runs, f"model-checkpoint-000{e}-{5 * e}"), tmp_path)
                    for e in (1, 2, 3)))
    message = _fails("ae_vs_pca.py", os.path.join(runs, "nowhere", "x"), cwd=runs)
    assert message.startswith(f"error: no checkpoint at {os.path.join(runs, 'nowhere', 'x')}; "
                              "checkpoints there: ")
    assert "mnist_autoencoder_hidden=2_logs/model-checkpoint-0003-15" in message

    empty = tmp_path / "empty_logs"
    empty.mkdir()
    assert "holds no model-checkpoint-* files" in _fails("ae_vs_pca.py", empty, cwd=tmp_path)
    assert "is not a TensorFlow checkpoint" in _fails("ae_vs_pca.py", ae(runs, "record.csv"),
                                                      cwd=tmp_path)

    # A checkpoint with nothing beside it to say what it is (the basic autoencoder, a foreign one).
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in os.listdir(ae(runs)):
        if name.startswith("model-checkpoint-0003-15"):
            shutil.copy(ae(runs, name), bare)
    assert "has no model_config.json beside it" in _fails("dn_ae_test.py", bare, cwd=tmp_path)

    # A config that does not match the weights (another architecture).
    (bare / "model_config.json").write_text(json.dumps({"model": "autoencoder", "n_code": 3}))
    assert "does not hold the autoencoder with N_CODE 3" in _fails("ae_vs_pca.py", bare,
                                                                    cwd=tmp_path)

    # The models the wrong way round.
    assert ("was written by autoencoder_mnist.py; give a checkpoint of "
            "denoising_autoencoder_mnist.py") in _fails("dn_ae_test.py", ae(runs), dn(runs),
                                                        cwd=tmp_path)
    assert "give a checkpoint of autoencoder_mnist.py" in _fails("dn_ae_test.py", dn(runs), dn(runs),
                                                                 cwd=tmp_path)
    assert "argument --corruption/--drop-prob: must be a number from 0 to below 1, not '2'" in _fails(
        "dn_ae_test.py", dn(runs), "--drop-prob", 2, cwd=tmp_path)
