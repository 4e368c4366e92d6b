"""MNIST-format data for the tests: small IDX files written on the fly, and where the real
Fashion-MNIST is (the Debian package's folder)."""

import gzip
import os
import struct

import numpy as np

FASHION_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def idx_bytes(array, magic):
    """The IDX encoding of a uint8 array: big-endian magic, dimensions, data."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def gz(data):
    """gzip bytes that are the same on every run (no time in the header)."""
    return gzip.compress(data, mtime=0)


def write_idx_files(folder, splits, compress=True):
    """Writes the four MNIST files: splits maps "train" and "t10k" to (images (N, 28, 28), labels)."""
    os.makedirs(folder, exist_ok=True)
    for prefix, (images, labels) in splits.items():
        for kind, array, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
            name = f"{prefix}-{kind}-ubyte"
            data = idx_bytes(array, magic)
            with open(os.path.join(folder, name + (".gz" if compress else "")), "wb") as f:
                f.write(gz(data) if compress else data)


def write_idx_dataset(folder, n_train=5500, n_test=500, seed=0, compress=True):
    """Writes the four MNIST files (random digits-like blobs) into folder.

    Each image is a bright square at a place fixed by its label plus noise, so
    a model has something to learn. Returns (train_labels, test_labels).
    """
    rng = np.random.RandomState(seed)
    splits = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        y = rng.randint(0, 10, size=n).astype(np.uint8)
        images = rng.randint(0, 60, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(y):
            r, c = 2 + 2 * label, 4 + label
            images[i, r:r + 8, c:c + 8] = 255
        splits[prefix] = (images, y)
    write_idx_files(folder, splits, compress)
    return splits["train"][1], splits["t10k"][1]


def write_low_rank_dataset(folder, rank=2, n_train=3000, n_test=500, seed=0):
    """Images that vary strongly along `rank` fixed directions, plus weak noise in every pixel.

    Their first `rank` principal components span those directions, so a linear
    autoencoder with a code of `rank` should find them. Returns the directions (rank, 784).
    """
    rng = np.random.RandomState(seed)
    directions = np.linalg.qr(rng.standard_normal((784, rank)))[0].T
    splits = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        weights = rng.standard_normal((n, rank)) * np.linspace(30, 20, rank) * 28
        noise = rng.normal(0, 12, (n, 784))
        images = np.clip(np.rint(128 + weights @ directions + noise), 0, 255).astype(np.uint8)
        splits[prefix] = (images.reshape(n, 28, 28), rng.randint(0, 10, n).astype(np.uint8))
    write_idx_files(folder, splits)
    return directions
