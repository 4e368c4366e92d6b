"""ae_vs_pca.py and dn_ae_test.py on checkpoints the training scripts wrote."""

import json
import os
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from running import last_line, run_main


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
def test_ae_vs_pca_table_and_figures_from_each_path_style(trained, tmp_path, which):
    """The figures go beside the checkpoint read, named for it, and their paths are printed."""
    run = trained.link(trained.DEEP, tmp_path)
    path = {"folder": run, "prefix": os.path.join(run, "model-checkpoint-0003-15"),
            "index file": os.path.join(run, "model-checkpoint-0003-15.index")}[which]
    result = run_main("ae_vs_pca.py", path, "--no-show", cwd=tmp_path)
    assert re.search(TABLE_ROW.format(label=r"PCA, 2 components"), result.stdout), result.stdout
    assert re.search(TABLE_ROW.format(label=r"deep autoencoder, epoch 3, 15 steps"), result.stdout)
    assert "Test set: 500 MNIST-format images" in result.stdout
    written = ["codes", "reconstructions", "manifold"]
    assert [f"Figure saved: {os.path.join(run, f'ae_vs_pca_{name}_epoch0003.png')}"
            for name in written] == re.findall(r"^Figure saved: .*$", result.stdout, re.M)
    figure = os.path.join(run, "ae_vs_pca_{}_epoch0003.png").format
    assert tile_rows(figure("reconstructions")) == 3  # test, PCA, autoencoder
    with Image.open(figure("codes")) as image:
        assert image.size[0] > 1.6 * image.size[1]  # two scatter plots side by side
    assert sorted(os.listdir(tmp_path)) == [trained.DEEP]  # nothing in the current folder


def test_ae_vs_pca_several_checkpoints_give_a_row_per_epoch(trained, tmp_path):
    result = run_main("ae_vs_pca.py", trained.deep("model-checkpoint-0001-5"),
                      trained.deep("model-checkpoint-0002-10"), trained.deep(), "--save-dir",
                      "figs", cwd=tmp_path)
    for epoch in (1, 2, 3):  # each labelled with the training it holds: 5 steps an epoch
        assert re.search(TABLE_ROW.format(label=f"deep autoencoder, epoch {epoch}, {5 * epoch} steps"),
                         result.stdout)
    assert result.stdout.count("PCA, 2 components") == 1
    assert "Figure saved: figs/ae_vs_pca_epochs_epoch0003.png" in result.stdout
    assert tile_rows(tmp_path / "figs" / "ae_vs_pca_epochs_epoch0003.png") == 4  # test + 3 epochs


def test_dn_ae_test_with_and_without_a_plain_autoencoder(trained, tmp_path):
    run = trained.link(trained.DENOISING, tmp_path)
    result = run_main("dn_ae_test.py", os.path.join(run, "model-checkpoint-0001-5.meta"),
                      cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if not line.startswith("Extracting ")]
    assert lines[0] == ("L2 error against the clean test images (mean over 500, "
                        "50% of pixels zeroed, as the model was trained):")
    assert re.fullmatch(r"  corrupted input\s+\d+\.\d{4}", lines[1])
    assert re.fullmatch(r"  denoising autoencoder, epoch 1\s+\d+\.\d{4}", lines[2])
    for name in ("dn_ae_test", "dn_ae_test_codes"):
        assert f"Figure saved: {os.path.join(run, name)}_epoch0001.png" in result.stdout
    assert tile_rows(os.path.join(run, "dn_ae_test_epoch0001.png")) == 3  # original, corrupted, rec.

    both = run_main("dn_ae_test.py", trained.denoising("model-checkpoint-0001-5.data-00000-of-00001"),
                    trained.deep(), "--save-dir", "both", cwd=tmp_path)
    assert re.search(r"  deep autoencoder, epoch 3\s+\d+\.\d{4}", both.stdout)
    assert tile_rows(tmp_path / "both" / "dn_ae_test_epoch0001.png") == 4
    assert (tmp_path / "both" / "dn_ae_test_codes_epoch0001.png").is_file()


def test_dn_ae_test_corruption_strength(trained, tmp_path):
    result = run_main("dn_ae_test.py", trained.denoising(), "--corruption", 0, "--no-show",
                      cwd=tmp_path)
    assert re.search(r"  corrupted input\s+0\.0000\n", result.stdout)
    assert "0% of pixels zeroed, --corruption" in result.stdout
    older = run_main("dn_ae_test.py", trained.denoising(), "--drop-prob", 0.3, "--no-show",
                     cwd=tmp_path)
    assert "30% of pixels zeroed, --corruption" in older.stdout  # the earlier name still works


def _fails(script, *args, cwd):
    result = run_main(script, *args, cwd=cwd, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return last_line(result)


def test_wrong_checkpoint_arguments_each_get_one_clear_line(trained, tmp_path):
    ae, dn, runs = trained.deep, trained.denoising, trained.base
    assert _fails("ae_vs_pca.py", ae("model-checkpoint-0009-45"), cwd=tmp_path) == (
        f"error: no checkpoint at {ae('model-checkpoint-0009-45')}; checkpoints in "
        f"{os.path.relpath(ae(), tmp_path)} and its run folders: "
        + ", ".join(os.path.relpath(ae(f"model-checkpoint-000{e}-{5 * e}"), tmp_path)
                    for e in (1, 2, 3)))
    message = _fails("ae_vs_pca.py", os.path.join(runs, "nowhere", "x"), cwd=runs)
    assert message.startswith(f"error: no checkpoint at {os.path.join(runs, 'nowhere', 'x')}; "
                              "checkpoints in . and its run folders: ")  # runs: the nearest
    assert "mnist_autoencoder_hidden=2_logs/model-checkpoint-0003-15" in message

    empty = tmp_path / "empty_logs"
    empty.mkdir()
    assert "holds no model-checkpoint-* files" in _fails("ae_vs_pca.py", empty, cwd=tmp_path)
    assert "is not a TensorFlow checkpoint" in _fails("ae_vs_pca.py", ae("record.csv"),
                                                      cwd=tmp_path)

    # A checkpoint with nothing beside it to say what it is (the basic autoencoder, a foreign one).
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in os.listdir(ae()):
        if name.startswith("model-checkpoint-0003-15"):
            shutil.copy(ae(name), bare)
    assert "has no model_config.json beside it" in _fails("dn_ae_test.py", bare, cwd=tmp_path)

    # A config that does not match the weights (another architecture).
    (bare / "model_config.json").write_text(json.dumps({"model": "autoencoder", "n_code": 3}))
    assert "does not hold the deep autoencoder with N_CODE 3" in _fails("ae_vs_pca.py", bare,
                                                                         cwd=tmp_path)

    # The models the wrong way round.
    assert ("was written by autoencoder_mnist.py; give a checkpoint of "
            "denoising_autoencoder_mnist.py") in _fails("dn_ae_test.py", ae(), dn(),
                                                        cwd=tmp_path)
    assert "give a checkpoint of autoencoder_mnist.py" in _fails("dn_ae_test.py", dn(), dn(),
                                                                 cwd=tmp_path)
    assert "argument --corruption/--drop-prob: must be a number from 0 to below 1, not '2'" in _fails(
        "dn_ae_test.py", dn(), "--drop-prob", 2, cwd=tmp_path)
