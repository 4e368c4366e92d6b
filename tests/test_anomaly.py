"""anomaly_detection.py: one-class training through the kind's own script, the AUROC the CSV
recomputes, resuming and reusing, wrong classes, and a real Fashion-MNIST run."""

import csv
import glob
import json
import os
import re
import signal

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from datasets import write_idx_files
from running import last_line, read_record, run_main, signal_at_step

LINE = r"^AUROC \(class (\d) normal\): autoencoder (\d\.\d{4}), PCA (\d\.\d{4})$"
FOLDER = "anomaly_mnist_autoencoder_hidden=4_logs"


def options(data, *more):
    """A short one-class run on the small dataset: about 10 steps an epoch (batch 40, 450 images
    of a class), a 4-number code."""
    return ["--data-dir", data, "--validation-size", 500, "--n-code", 4, "--epochs", 2,
            "--batch-size", 40, "--seed", 1, *more]


def read_scores(folder):
    """{column: array} of the one scores CSV in folder."""
    path, = glob.glob(os.path.join(folder, "anomaly_scores_epoch*.csv"))
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}


def test_one_class_trains_on_that_class_and_the_csv_recomputes_the_auroc(small_dataset, tmp_path):
    from aelab import input_data
    data = input_data.read_data_sets(str(small_dataset), validation_size=500)
    result = run_main("anomaly_detection.py", "--normal-class", 3, *options(str(small_dataset)),
                      cwd=tmp_path)
    normal, model_auroc, pca_auroc = re.search(LINE, result.stdout, re.M).groups()
    assert result.stdout.rstrip().endswith(re.search(LINE, result.stdout, re.M).group(0))
    run = tmp_path / FOLDER / "class=3"
    # the kind's own script trained it, on class 3's training images only (past the validation's)
    steps = int(np.sum(data.train.labels == 3) // 40)
    assert [int(row["global_step"]) for row in read_record(str(run))] == [steps, 2 * steps]
    with open(run / "model_config.json") as f:
        config = json.load(f)
    assert (config["model"], config["n_code"], config["train_class"]) == ("autoencoder", 4, 3)
    # the CSV: every test image, in order, with its label; both AUROCs recomputed from it
    scores = read_scores(str(run))
    assert list(scores["index"]) == list(range(data.test.num_examples))
    assert list(scores["label"]) == list(data.test.labels)
    anomalous = scores["label"] != 3
    assert f"{roc_auc_score(anomalous, scores['score']):.4f}" == model_auroc
    assert f"{roc_auc_score(anomalous, scores['pca_score']):.4f}" == pca_auroc
    assert float(pca_auroc) > 0.9  # the class's bright square sits where no other class's does
    for name in ("anomaly_roc", "anomaly_images", "anomaly_scores"):
        assert os.path.getsize(run / f"{name}_epoch0002.png") > 10000


KINDS = ["conv_autoencoder", "conv_denoising_autoencoder", "denoising_autoencoder",
         "linear_autoencoder", "sparse_autoencoder", "variational_autoencoder"]


def test_every_kind_is_registered_for_anomaly_detection():
    from aelab import kinds
    assert sorted(kinds.REGISTRY) == sorted(["autoencoder", *KINDS])


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_trains_one_class_through_its_own_script(small_dataset, tmp_path, kind):
    """--kind: the kind's own script trains on the class's images only (its steps say so), the run
    folder records that kind, and its score (a VAE's negative ELBO) gives the AUROC line."""
    from aelab import input_data, kinds
    result = run_main("anomaly_detection.py", "--normal-class", 7, "--kind", kind,
                      *options(str(small_dataset), "--epochs", 1), cwd=tmp_path)
    assert re.search(LINE.replace("autoencoder", kind), result.stdout, re.M), result.stdout[-500:]
    run = tmp_path / f"anomaly_{kinds.get(kind).default_logdir(4)}" / "class=7"
    labels = input_data.read_data_sets(str(small_dataset), validation_size=500).train.labels
    assert [int(row["global_step"]) for row in read_record(str(run))] == [np.sum(labels == 7) // 40]
    with open(run / "model_config.json") as f:
        assert json.load(f)["model"] == kind
    assert len(read_scores(str(run))["score"]) == 500


def test_the_score_is_the_squared_reconstruction_error(small_dataset, tmp_path):
    """reload.Autoencoder.score, through Kind.scored: each image's squared distance from its
    reconstruction, in batches."""
    from aelab import input_data, reload
    run_main("autoencoder_mnist.py", 3, "--data-dir", small_dataset, "--validation-size", 500,
             "--epochs", 1, "--steps-per-epoch", 2, "--seed", 1, cwd=tmp_path)
    model = reload.load(str(tmp_path / "mnist_autoencoder_hidden=3_logs"))
    images = input_data.read_data_sets(str(small_dataset)).test.images
    scores = model.score(images)
    assert scores.shape == (len(images),)
    expected = np.sum((model.reconstruct(images) - images) ** 2, axis=1)
    np.testing.assert_allclose(scores, expected, rtol=1e-4)


def test_a_rerun_reuses_the_class_and_a_longer_one_resumes_it(small_dataset, tmp_path):
    first = run_main("anomaly_detection.py", "--normal-class", 5, *options(str(small_dataset)),
                     cwd=tmp_path)
    again = run_main("anomaly_detection.py", "--normal-class", 5, *options(str(small_dataset)),
                     cwd=tmp_path)
    assert "Epoch:" not in again.stdout and "nothing to train" in again.stderr
    assert re.search(LINE, again.stdout, re.M).group(0) == re.search(LINE, first.stdout, re.M).group(0)
    longer = run_main("anomaly_detection.py", "--normal-class", 5,
                      *options(str(small_dataset), "--epochs", 3), cwd=tmp_path)
    assert re.findall(r"^Epoch: (\d{4})", longer.stdout, re.M) == ["0003"]
    assert os.path.isfile(tmp_path / FOLDER / "class=5" / "anomaly_roc_epoch0003.png")


def test_a_smoothed_score_rescores_a_trained_class_in_its_own_files(small_dataset, tmp_path):
    """--score smoothed reuses the trained class and writes its own CSV and figures beside the
    first ones: the model's scores are the smoothed error of its reconstructions, PCA's too."""
    from aelab import anomaly, input_data, reload
    first = run_main("anomaly_detection.py", "--normal-class", 5, *options(str(small_dataset)),
                     cwd=tmp_path)
    smoothed = run_main("anomaly_detection.py", "--normal-class", 5, "--score", "smoothed",
                        *options(str(small_dataset)), cwd=tmp_path)
    assert "Epoch:" not in smoothed.stdout and "nothing to train" in smoothed.stderr
    normal, model_auroc, pca_auroc = re.search(LINE, smoothed.stdout, re.M).groups()
    assert re.search(LINE, first.stdout, re.M).groups()[1:] != (model_auroc, pca_auroc)
    run = tmp_path / FOLDER / "class=5"
    for name in ("anomaly_roc", "anomaly_images", "anomaly_scores"):
        assert os.path.isfile(run / f"{name}_epoch0002.png")
        assert os.path.getsize(run / f"{name}_smoothed_epoch0002.png") > 10000
    with open(run / "anomaly_scores_smoothed_epoch0002.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    scores = np.array([float(row["score"]) for row in rows])
    anomalous = np.array([row["label"] != "5" for row in rows])
    assert f"{roc_auc_score(anomalous, scores):.4f}" == model_auroc
    data = input_data.read_data_sets(str(small_dataset), validation_size=500)
    train = data.train.images[data.train.labels == 5]
    model = reload.load(str(run))
    fitted = anomaly.smoothed_error(train, model.reconstruct(train))
    np.testing.assert_allclose(scores, fitted(data.test.images, model.reconstruct(data.test.images)),
                               rtol=1e-5)


def test_the_smoothed_score_weighs_spread_errors_and_rarely_wrong_pixels_more():
    """anomaly.smoothed_error: an error over a patch outweighs the same squared error over
    scattered pixels, and an error where the training images are always reconstructed well
    outweighs one where they are often wrong."""
    from aelab import anomaly
    rng = np.random.RandomState(0)
    train = rng.uniform(0, 1, (200, 784)).astype(np.float32)
    outputs = train + rng.normal(0, 0.01, train.shape).astype(np.float32)
    outputs[:, 0:28 * 4] += rng.normal(0, 0.3, (200, 28 * 4))  # the top rows: usually wrong
    fitted = anomaly.smoothed_error(train, outputs)
    image = np.zeros((1, 784), np.float32)

    def scored(*pixels):
        output = image.copy()
        output[0, list(pixels)] = 0.5
        return fitted(image, output)[0]
    patch = [28 * row + column for row in range(12, 15) for column in range(12, 15)]
    scattered = [28 * row + column for row in range(8, 26, 6) for column in range(8, 26, 6)]
    assert scored(*patch) > 2 * scored(*scattered)
    assert scored(28 * 14 + 14) > 20 * scored(28 * 2 + 14)  # the middle, against the top rows
    np.testing.assert_allclose(anomaly.squared_error(train, outputs)(image, image + 0.5), [196.0])


def test_a_resume_notices_another_class(small_dataset, tmp_path):
    """--train-class is a data option the run records: the folder of class 5 refuses class 6,
    and a run of every class."""
    run = str(tmp_path / "run")
    base = [4, "--data-dir", small_dataset, "--validation-size", 500, "--epochs", 1,
            "--steps-per-epoch", 2, "--logdir", run]
    run_main("autoencoder_mnist.py", *base, "--train-class", 5, cwd=tmp_path)
    for other in (["--train-class", 6], []):
        result = run_main("autoencoder_mnist.py", *base, *other, "--epochs", 2, cwd=tmp_path,
                          check=False)
        assert result.returncode == 1
        assert last_line(result) == (f"error: {run} was trained on the images of class 5; resume "
                                     f"with the same --train-class, or --restart to move that run aside")


def test_ctrl_c_stops_a_class_and_the_same_command_resumes_it(small_dataset, tmp_path, monkeypatch):
    command = ["--normal-class", 2, *options(str(small_dataset), "--epochs", 3)]
    with monkeypatch.context() as patch:
        signal_at_step(patch, signal.SIGINT, 15)  # in epoch 2
        stopped = run_main("anomaly_detection.py", *command, cwd=tmp_path, check=False)
    assert stopped.returncode == 130 and "AUROC" not in stopped.stdout
    assert "Run the same command to resume." in stopped.stderr
    again = run_main("anomaly_detection.py", *command, cwd=tmp_path)
    assert "(epoch 1, step " in again.stdout
    assert re.findall(r"^Epoch: (\d{4})", again.stdout, re.M) == ["0002", "0003"]
    assert re.search(LINE, again.stdout, re.M)


def test_a_wrong_class_gets_one_line(tmp_path, capsys):
    result = run_main("anomaly_detection.py", "--normal-class", 10, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert last_line(result).endswith("error: argument --normal-class: must be a class from 0 to 9, "
                                      "not '10'")
    # a class the data does not have
    rng = np.random.RandomState(0)
    splits = {name: (rng.randint(0, 255, (n, 28, 28)), np.arange(n) % 7) for name, n in
              (("train", 700), ("t10k", 70))}
    write_idx_files(str(tmp_path / "seven"), splits)
    result = run_main("anomaly_detection.py", "--normal-class", 8, "--data-dir", tmp_path / "seven",
                      "--validation-size", 100, cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert last_line(result) == (
        f"error: {tmp_path / 'seven' / 'train-images-idx3-ubyte.gz'} holds no training images of "
        f"class 8 (past the 100 held out for validation); choose a class its labels have, or a "
        f"smaller --validation-size")


@pytest.mark.slow
def test_all_classes_print_the_table_and_a_rerun_reuses_them(small_dataset, tmp_path):
    command = ["--all-classes", *options(str(small_dataset), "--epochs", 1, "--steps-per-epoch", 2)]
    first = run_main("anomaly_detection.py", *command, cwd=tmp_path)
    lines = first.stdout.rstrip().splitlines()[-11:]
    found = [re.match(LINE, line).groups() for line in lines[:10]]
    assert [int(normal) for normal, _, _ in found] == list(range(10))
    means = [np.mean([float(row[i]) for row in found]) for i in (1, 2)]
    assert re.match(r"^mean AUROC: autoencoder (\d\.\d{4}), PCA (\d\.\d{4})$", lines[10])
    assert lines[10] == f"mean AUROC: autoencoder {means[0]:.4f}, PCA {means[1]:.4f}"
    with open(tmp_path / FOLDER / "auroc.csv", newline="") as f:
        assert [[row["normal_class"], row["autoencoder"], row["PCA"]]
                for row in csv.DictReader(f)] == [list(row) for row in found]
    again = run_main("anomaly_detection.py", *command, cwd=tmp_path)
    assert "Epoch:" not in again.stdout
    assert again.stdout.rstrip().splitlines()[-11:] == lines


@pytest.mark.slow
def test_on_fashion_mnist_the_autoencoder_beats_chance_clearly(fashion_dir, tmp_path):
    """Class 0 (T-shirt/top), 3 epochs of its 5,400 training images: the other classes score
    higher than the T-shirts far more often than chance's half."""
    result = run_main("anomaly_detection.py", "--normal-class", 0, "--data-dir", fashion_dir,
                      "--epochs", 3, "--seed", 1, cwd=tmp_path)
    normal, model_auroc, pca_auroc = re.search(LINE, result.stdout, re.M).groups()
    assert float(model_auroc) > 0.75 and float(pca_auroc) > 0.75, result.stdout[-300:]


@pytest.mark.slow
def test_the_optional_notebook_runs_one_class_and_recomputes_its_auroc(solution, tmp_path):
    """The handout's optional part, on a real Jupyter kernel: the run shows its figures below the
    cell, and the last cell recomputes from the CSV the AUROCs the run printed (here with the
    options its settings cell suggests, --score smoothed, whose CSV has a name of its own)."""
    import shutil

    from aelab.workshop import notebooks
    from test_notebooks import execute, shown
    folder = shutil.copytree(solution, tmp_path / "practice")
    cells = execute(folder, notebooks.ANOMALY_NOTEBOOK, "epochs = 1\nnormal_class = 4\noptions = "
                    "'--steps-per-epoch 3 --validation-size 500 --n-code 4 --score smoothed'")
    stdout, stderr, mimetypes, errors, _ = shown(cells[1])
    assert not errors and "image/png" in mimetypes, (errors, stderr[-2000:])
    _, model_auroc, pca_auroc = re.search(LINE, stdout, re.M).groups()
    assert shown(cells[2])[0].split() == ["score", model_auroc, "pca_score", pca_auroc]
