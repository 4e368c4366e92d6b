"""The MNIST loader: splits, batches, bad files, downloads."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from aelab import input_data
from aelab.input_data import FILES, DataError, DataSet, read_data_sets
from datasets import gz, idx_bytes, write_idx_dataset
from running import REPO


def test_splits_sizes_dtype_and_range(small_data):
    data = read_data_sets(small_data)
    assert data.train.num_examples == 500
    assert data.validation.num_examples == 5000
    assert data.test.num_examples == 500
    for split in data:
        assert split.images.dtype == np.float32
        assert split.images.shape[1] == 784
        assert split.images.min() >= 0.0 and split.images.max() == 1.0
        assert split.labels.shape == (split.num_examples,)


def test_validation_is_the_first_training_rows_in_file_order(tmp_path):
    train_labels, test_labels = write_idx_dataset(str(tmp_path))
    data = read_data_sets(str(tmp_path), validation_size=1000)
    np.testing.assert_array_equal(data.validation.labels, train_labels[:1000])
    np.testing.assert_array_equal(data.train.labels, train_labels[1000:])
    np.testing.assert_array_equal(data.test.labels, test_labels)


def test_one_hot_labels(tmp_path):
    train_labels, _ = write_idx_dataset(str(tmp_path))
    data = read_data_sets(str(tmp_path), one_hot=True)
    assert data.train.labels.shape == (500, 10)
    np.testing.assert_array_equal(data.train.labels.sum(axis=1), 1)
    np.testing.assert_array_equal(data.train.labels.argmax(axis=1), train_labels[5000:])


def test_uncompressed_files_are_read_too(tmp_path):
    write_idx_dataset(str(tmp_path), compress=False)
    assert read_data_sets(str(tmp_path)).test.num_examples == 500


def test_next_batch_covers_each_example_once_per_epoch_and_reshuffles():
    n, batch = 50, 7
    data = DataSet(np.arange(n, dtype=np.float32)[:, None], np.arange(n), seed=3)
    seen, epochs = [], []
    for _ in range(15):  # 105 examples: two whole epochs and a bit
        images, labels = data.next_batch(batch)
        assert len(images) == len(labels) == batch
        np.testing.assert_array_equal(images[:, 0], labels)
        seen.extend(labels)
        epochs.append(data.epochs_completed)
    first, second = seen[:n], seen[n:2 * n]
    assert sorted(first) == list(range(n))
    assert sorted(second) == list(range(n))
    assert first != second and first != list(range(n))
    # The counter moves when a batch crosses the end: batch 8 (index 7) is the first to.
    assert epochs[:7] == [0] * 7 and epochs[7] == 1 and epochs[14] == 2


def test_next_batch_without_shuffle_keeps_file_order():
    data = DataSet(np.zeros((10, 784), np.float32), np.arange(10))
    batches = [data.next_batch(4, shuffle=False)[1] for _ in range(3)]
    assert [list(b) for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]


def test_seed_makes_batches_reproducible(small_data):
    a = read_data_sets(small_data, seed=5).train.next_batch(100)[1]
    b = read_data_sets(small_data, seed=5).train.next_batch(100)[1]
    c = read_data_sets(small_data, seed=6).train.next_batch(100)[1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_batch_larger_than_the_set_is_refused():
    data = DataSet(np.zeros((10, 784), np.float32), np.arange(10))
    with pytest.raises(ValueError, match="between 1 and 10"):
        data.next_batch(11)


def _replace(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


BAD_FILES = {  # what is written, made when the test runs: (file, its bytes, the message)
    "not gzip": ("train-images-idx3-ubyte.gz", lambda good: b"this is not gzip",
                 "is not a gzip file"),
    "gzip cut short": ("t10k-labels-idx1-ubyte.gz", lambda good: good[:-30],
                       "is truncated or damaged"),
    "labels as images": ("train-images-idx3-ubyte.gz",
                         lambda good: gz(idx_bytes(np.zeros(5500, np.uint8), 2049)),
                         "is not an IDX images file: magic number 2049"),
    "images as labels": ("train-labels-idx1-ubyte.gz",
                         lambda good: gz(idx_bytes(np.zeros((5500, 28, 28), np.uint8), 2051)),
                         "is not an IDX labels file: magic number 2051"),
    "32x32 images": ("t10k-images-idx3-ubyte.gz",
                     lambda good: gz(idx_bytes(np.zeros((500, 32, 32), np.uint8), 2051)),
                     "holds 32x32 images, expected 28x28"),
    "images cut short": ("t10k-images-idx3-ubyte.gz",
                         lambda good: gz(idx_bytes(np.zeros((500, 28, 28), np.uint8), 2051)[:-100]),
                         "header promises 500 items"),
    "a label short": ("t10k-labels-idx1-ubyte.gz",
                      lambda good: gz(idx_bytes(np.zeros(499, np.uint8), 2049)),
                      "holds 500 images but"),
    "label 12": ("t10k-labels-idx1-ubyte.gz",
                 lambda good: gz(idx_bytes(np.full(500, 12, np.uint8), 2049)), "has label 12"),
}


@pytest.mark.parametrize("bad", sorted(BAD_FILES))
def test_each_bad_file_gives_one_message_naming_it(small_data, bad):
    name, content, message = BAD_FILES[bad]
    with open(os.path.join(small_data, name), "rb") as f:
        good = f.read()
    _replace(small_data, name, content(good))
    with pytest.raises(DataError) as info:
        read_data_sets(small_data)
    text = str(info.value.code)
    assert message in text
    assert text.startswith("error: ") and name in text


def test_validation_size_larger_than_training_set(small_data):
    with pytest.raises(DataError, match="does not fit in the 5500 training images.*--validation-size"):
        read_data_sets(small_data, validation_size=6000)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local 'mirror' (a file:// URL) serving a small dataset whose checksums are known."""
    folder = tmp_path / "mirror"
    write_idx_dataset(str(folder))
    checksums = {}
    for name in FILES:
        with open(folder / name, "rb") as f:
            checksums[name] = ("sha256", hashlib.sha256(f.read()).hexdigest())
    source = input_data.SOURCES["mnist"]._replace(checksums=checksums)
    monkeypatch.setitem(input_data.SOURCES, "mnist", source)
    return folder.as_uri() + "/"


def test_download_tries_mirrors_in_order_and_verifies(tmp_path, mirror, capsys):
    target = tmp_path / "downloaded"
    dead = (tmp_path / "no-such-mirror").as_uri() + "/"
    data = read_data_sets(str(target), mirrors=[dead, mirror])
    assert data.test.num_examples == 500
    assert sorted(os.listdir(target)) == sorted(FILES)
    assert "Downloading " + dead + FILES[0] in capsys.readouterr().out
    # Files present and valid are not fetched again, even with no mirror at all.
    assert read_data_sets(str(target), mirrors=[]).test.num_examples == 500


def test_checksum_mismatch_is_rejected_and_leaves_nothing(tmp_path, mirror, monkeypatch):
    source = input_data.SOURCES["mnist"]
    bad = dict(source.checksums, **{FILES[1]: ("sha256", "0" * 64)})
    monkeypatch.setitem(input_data.SOURCES, "mnist", source._replace(checksums=bad))
    target = tmp_path / "downloaded" / "deeper"
    with pytest.raises(DataError, match="sha256 checksum mismatch"):
        read_data_sets(str(target), mirrors=[mirror])
    assert os.listdir(target) == [FILES[0]]  # the good first file only; no partial second


def test_offline_message_names_folder_files_mirrors_and_ways_out(tmp_path):
    target = tmp_path / "empty"
    dead = [(tmp_path / f"mirror{i}").as_uri() + "/" for i in range(2)]
    with pytest.raises(DataError) as info:
        read_data_sets(str(target), mirrors=dead)
    text = info.value.message
    assert str(target) in text
    assert all(name in text for name in FILES)
    assert all(url + FILES[0] in text for url in dead)
    assert "--data-dir" in text and "dataset-fashion-mnist" in text
    assert not target.exists()  # the folder made for the download is gone again


def test_a_script_stopped_by_bad_data_prints_one_message_not_a_traceback(tmp_path):
    code = ("from aelab import input_data; "
            f"input_data.read_data_sets({str(tmp_path)!r}, mirrors=['file:///no/such/mirror/'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: could not get MNIST file train-images-idx3-ubyte.gz" in result.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_real_fashion_mnist(fashion_dir):
    data = read_data_sets(fashion_dir, one_hot=True)
    assert (data.train.num_examples, data.validation.num_examples,
            data.test.num_examples) == (55000, 5000, 10000)
    for split in data:
        assert split.images.shape[1] == 784 and split.images.dtype == np.float32
        assert split.images.min() == 0.0 and split.images.max() == 1.0
        assert split.labels.shape[1] == 10
    assert set(data.test.labels.argmax(axis=1)) == set(range(10))
