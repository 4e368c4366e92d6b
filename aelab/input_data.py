"""MNIST loader with the late TensorFlow 1.x `read_data_sets` contract.

A library, not a script: the lab scripts call it as the slides do,

    from aelab import input_data
    mnist = input_data.read_data_sets("./mnist/data/", one_hot=True)

and get `mnist.train`, `mnist.validation`, `mnist.test`, each a `DataSet`
with `.images` (N, 784) float32 in [0, 1], `.labels` and `next_batch()`.

The four IDX files are downloaded on first use (checksums verified, each file
written under a temporary name and renamed only when whole). Any folder that
holds the four files can be used instead: Fashion-MNIST from the Debian
package `dataset-fashion-mnist` is one. Problems with the files end the
program with one message saying what is wrong and what to do (`DataError`).

`python -m aelab.input_data --data-dir DIR` loads a folder and prints its sizes.
"""

import argparse
import collections
import difflib
import gzip
import hashlib
import os
import sys
import tempfile
import urllib.request
import zlib

import numpy as np

from aelab import LabError
from aelab.argtypes import count

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
IMAGE_SIDE = 28
NUM_CLASSES = 10

# Where each dataset comes from: mirrors in the order they are tried, and the
# checksum (algorithm, hex digest) of each published file.
Source = collections.namedtuple("Source", "title default_dirs mirrors checksums")

SOURCES = {
    "mnist": Source(
        title="MNIST",
        default_dirs=("./mnist/data/",),
        mirrors=(
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        checksums={
            TRAIN_IMAGES: ("sha256", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            TRAIN_LABELS: ("sha256", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            TEST_IMAGES: ("sha256", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            TEST_LABELS: ("sha256", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        },
    ),
    "fashion": Source(
        title="Fashion-MNIST",
        # The Debian package's folder first; a download goes to the second.
        default_dirs=("/usr/share/datasets/fashion-mnist/", "./fashion-mnist/data/"),
        mirrors=(
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        checksums={
            TRAIN_IMAGES: ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            TRAIN_LABELS: ("md5", "25c81989df183df01b3e8a0aad5dffbe"),
            TEST_IMAGES: ("md5", "bef4ecab320f06d8554ea6380940ec79"),
            TEST_LABELS: ("md5", "bb300cfdad3c16e7a12a480ee83cd310"),
        },
    ),
}
DEFAULT_DATASET = "mnist"
CLASS_NAMES = {"mnist": tuple(str(digit) for digit in range(10)),
               "fashion": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")}
# The first ten training and test labels of each dataset: MNIST's digits 5 0 4 1 9 ..., and
# Fashion-MNIST's ankle boot, T-shirts, dress, ... (repacked copies have other checksums).
FIRST_LABELS = {"mnist": (5, 0, 4, 1, 9, 2, 1, 3, 1, 4), "fashion": (9, 0, 0, 3, 0, 2, 7, 2, 5, 5)}
FIRST_TEST_LABELS = {"mnist": (7, 2, 1, 0, 4, 1, 4, 9, 5, 9),
                     "fashion": (9, 2, 1, 1, 6, 1, 4, 6, 5, 7)}
DEFAULT_VALIDATION_SIZE = 5000  # as TensorFlow 1.x: 55,000 / 5,000 of MNIST's 60,000
RECORDED = "the one recorded beside the checkpoint"  # the reload scripts' data defaults
RESUMED = "the run's own when resuming"  # the training scripts' that resume

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


class DataError(LabError):
    """A data file is missing, foreign or damaged; the message says what to do."""


class DamagedFile(DataError):
    """A data file is cut short or broken; read_data_sets adds how to get a good one."""


def repair_advice(folder, dataset):
    """How to replace a damaged file in folder, by the dataset the folder holds.

    Which one it holds is read from its labels where they are whole (a
    workshop handout keeps Fashion-MNIST in MNIST's ./mnist/data/, where a
    download would bring digits instead), else taken from the folder or `dataset`.
    """
    name = identify(folder) or dataset_name(dataset, folder)
    source = SOURCES[name]
    download = source.default_dirs[-1]
    here = os.path.realpath(folder)
    if here == os.path.realpath(download):
        return f"delete it and run again to download {source.title} again"
    download_there = (f"run with --dataset {name} and no --data-dir to download {source.title} "
                      f"into {download}")
    if name == "fashion":
        debian = os.path.normpath(source.default_dirs[0])
        if here == os.path.realpath(debian):
            return "reinstall the package (sudo apt-get install --reinstall dataset-fashion-mnist)"
        return (f"copy a good one over it from {debian} (sudo apt-get install "
                f"dataset-fashion-mnist), or {download_there}")
    return f"copy a good {source.title} file over it, or {download_there}"


class DataSet:
    """Images and labels of one split, served in shuffled mini-batches."""

    def __init__(self, images, labels, seed=None):
        """images: (N, 784) float32 in [0, 1]; labels: (N,) ints or (N, 10) one-hot."""
        assert images.shape[0] == labels.shape[0], (images.shape, labels.shape)
        self._images = images
        self._labels = labels
        self._num_examples = images.shape[0]
        self._epochs_completed = 0
        self._index_in_epoch = 0
        self._order = np.arange(self._num_examples)
        self._rng = np.random.RandomState(seed)

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    @property
    def epochs_completed(self):
        return self._epochs_completed

    def next_batch(self, batch_size, shuffle=True):
        """Returns the next (images, labels) batch, always `batch_size` long.

        As in TensorFlow 1.x: the first call shuffles the set; a batch that
        runs past the end keeps the leftover tail, reshuffles the set, and is
        topped up from the new order.
        """
        if not 0 < batch_size <= self._num_examples:
            raise ValueError(f"batch_size must be between 1 and {self._num_examples} "
                             f"(the number of examples), not {batch_size}")
        start = self._index_in_epoch
        if start == 0 and self._epochs_completed == 0 and shuffle:
            self._rng.shuffle(self._order)
        if start + batch_size <= self._num_examples:
            self._index_in_epoch = start + batch_size
            picked = self._order[start:self._index_in_epoch]
        else:
            self._epochs_completed += 1
            tail = self._order[start:]
            if shuffle:
                self._order = self._rng.permutation(self._num_examples)
            self._index_in_epoch = batch_size - len(tail)
            picked = np.concatenate([tail, self._order[:self._index_in_epoch]])
        return self._images[picked], self._labels[picked]


def _read_idx(path, magic):
    """Returns the uint8 contents of an IDX file (gzip or plain) as an array."""
    name = os.path.basename(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except gzip.BadGzipFile as e:
        raise DamagedFile(f"{path} is not a gzip file ({e})") from None
    except (EOFError, zlib.error) as e:
        raise DamagedFile(f"{path} is truncated or damaged ({e})") from None
    ndim = 3 if magic == IMAGE_MAGIC else 1
    header_size = 4 * (1 + ndim)
    if len(data) < header_size:
        raise DataError(f"{path} is too short to be an IDX file ({len(data)} bytes)")
    header = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    if header[0] != magic:
        kind = "images" if magic == IMAGE_MAGIC else "labels"
        raise DataError(f"{path} is not an IDX {kind} file: magic number {int(header[0])}, "
                        f"expected {magic}; is {name} in the right place?")
    shape = tuple(int(n) for n in header[1:])
    if ndim == 3 and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{path} holds {shape[1]}x{shape[2]} images, expected "
                        f"{IMAGE_SIDE}x{IMAGE_SIDE}")
    expected = int(np.prod(shape))
    body = len(data) - header_size
    if body != expected:
        raise DamagedFile(f"{path} is truncated or damaged: its header promises {shape[0]} "
                          f"items ({expected} bytes), the file holds {body} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def extract_images(path):
    """Returns the images of an IDX file as a (N, 784) float32 array in [0, 1]."""
    print("Extracting", path)
    images = _read_idx(path, IMAGE_MAGIC)
    flat = images.reshape(images.shape[0], IMAGE_SIDE * IMAGE_SIDE)
    return flat.astype(np.float32) * np.float32(1.0 / 255.0)


def extract_labels(path, one_hot=False):
    """Returns the labels of an IDX file: (N,) int64, or (N, 10) float32 one-hot."""
    print("Extracting", path)
    labels = _read_idx(path, LABEL_MAGIC).astype(np.int64)
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError(f"{path} has label {labels.max()}; labels must be 0-{NUM_CLASSES - 1}")
    if one_hot:
        return np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    return labels


def _checksum(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _find(folder, name):
    """The path of `name` in `folder`, gzipped or not, or None."""
    for candidate in (name, name[:-len(".gz")]):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def _progress(name, done, total):
    if not sys.stderr.isatty():
        return
    if total:
        text = f"\r  {name}: {100 * done // total:3d}% of {total / 1e6:.1f} MB"
    else:
        text = f"\r  {name}: {done / 1e6:.1f} MB"
    sys.stderr.write(text)
    sys.stderr.flush()


def _download(url, path, checksum, timeout=30):
    """Fetches url into path via a temporary file; returns None, or why it failed."""
    name = os.path.basename(path)
    tmp = None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            fd, tmp = tempfile.mkstemp(prefix=name + ".", suffix=".part",
                                       dir=os.path.dirname(path))
            done = 0
            with os.fdopen(fd, "wb") as f:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    f.write(chunk)
                    done += len(chunk)
                    _progress(name, done, total)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        algorithm, expected = checksum
        actual = _checksum(tmp, algorithm)
        if actual != expected:
            return f"{algorithm} checksum mismatch ({actual}, expected {expected})"
        os.replace(tmp, path)
        tmp = None
        return None
    except (OSError, ValueError) as e:  # URLError and HTTPError are OSErrors
        return str(getattr(e, "reason", None) or e)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def maybe_download(name, folder, source, mirrors=None):
    """Returns the path of `name` in `folder`, downloading it if it is not there."""
    path = _find(folder, name)
    if path is not None:
        return path
    mirrors = source.mirrors if mirrors is None else mirrors
    created = []  # folders made here, deepest first, removed again if nothing arrives
    missing = os.path.abspath(folder)
    while not os.path.exists(missing):
        created.append(missing)
        missing = os.path.dirname(missing)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create the data folder {folder}: {e.strerror}; "
                        f"point --data-dir at a folder you can write to") from None
    path = os.path.join(folder, name)
    failures = []
    for mirror in mirrors:
        url = mirror + name
        print(f"Downloading {url}")
        why = _download(url, path, source.checksums[name])
        if why is None:
            return path
        failures.append(f"{url} ({why})")
    for made in created:
        if os.listdir(made):
            break
        os.rmdir(made)
    tried = "".join(f"\n    {f}" for f in failures)
    raise DataError(
        f"could not get {source.title} file {name} into {os.path.abspath(folder)}\n"
        f"  expected there: {', '.join(FILES)} (gzipped or not)\n"
        f"  tried:{tried}\n"
        f"  fix: put the four files in that folder by hand, or run with --data-dir DIR naming "
        f"any folder that holds them (Fashion-MNIST: apt-get install dataset-fashion-mnist, "
        f"then --data-dir /usr/share/datasets/fashion-mnist)")


def default_data_dir(dataset=DEFAULT_DATASET):
    """The folder a dataset is read from when no --data-dir is given."""
    dirs = SOURCES[dataset].default_dirs
    for folder in dirs[:-1]:
        if all(_find(folder, name) for name in FILES):
            return folder
    return dirs[-1]


def identify(folder):
    """The dataset whose labels the folder holds (by the first ten of either labels file), or None.

    A labels file that is missing or damaged says nothing; the other may.
    """
    for name, first_labels in ((TRAIN_LABELS, FIRST_LABELS), (TEST_LABELS, FIRST_TEST_LABELS)):
        path = _find(folder, name)
        try:
            labels = _read_idx(path, LABEL_MAGIC) if path else ()
        except DataError:
            continue
        first = tuple(int(label) for label in labels[:10])
        found = next((dataset for dataset, known in first_labels.items() if known == first), None)
        if found:
            return found
    return None


def dataset_shown(dataset, data_dir):
    """The dataset to name in titles and legends: what the folder holds (identify), else dataset_name.

    A workshop handout keeps Fashion-MNIST in ./mnist/data/, MNIST's folder.
    """
    return identify(data_dir or default_data_dir(dataset)) or dataset_name(dataset, data_dir)


def dataset_title(dataset, data_dir):
    """The dataset as a figure's title names it: "Fashion-MNIST", "MNIST" (dataset_shown)."""
    return SOURCES[dataset_shown(dataset, data_dir)].title


def dataset_name(dataset, data_dir):
    """The dataset a run reads: the one whose own folder data_dir is, else `dataset`."""
    if data_dir:
        for name, source in SOURCES.items():
            if any(os.path.realpath(data_dir) == os.path.realpath(d) for d in source.default_dirs):
                return name
    return dataset


def read_data_sets(train_dir=None, one_hot=False, validation_size=DEFAULT_VALIDATION_SIZE, seed=None,
                   dataset=DEFAULT_DATASET, mirrors=None, train_class=None):
    """Loads (downloading if needed) the four IDX files of `train_dir`.

    Args:
      train_dir: folder of the IDX files; None for the dataset's default folder.
      one_hot: labels as (N, 10) float32 one-hot rows instead of (N,) ints.
      validation_size: the first this many training images (file order) become
        the validation set, the rest the training set.
      seed: seed of the batch shuffling (None: a fresh one each run).
      dataset: "mnist" or "fashion": which files a download fetches.
      mirrors: base URLs to try instead of the dataset's own.
      train_class: None, or a label: each split keeps the images of that class only (one-class
        training, as anomaly_detection.py does); the validation set is still taken first, from
        the whole training file, so it holds that class's share of validation_size.

    Returns:
      Datasets(train, validation, test) of DataSet.
    """
    if dataset not in SOURCES:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(SOURCES)}")
    source = SOURCES[dataset]
    folder = default_data_dir(dataset) if train_dir is None else train_dir
    paths = [maybe_download(name, folder, source, mirrors) for name in FILES]
    try:
        train_images, train_labels, test_images, test_labels = (
            extract_images(paths[0]), extract_labels(paths[1], one_hot),
            extract_images(paths[2]), extract_labels(paths[3], one_hot))
    except DamagedFile as e:
        raise DamagedFile(f"{e.message}; {repair_advice(folder, dataset)}") from None
    for images, labels, i in ((train_images, train_labels, 0), (test_images, test_labels, 2)):
        if len(images) != len(labels):
            raise DataError(f"{paths[i]} holds {len(images)} images but {paths[i + 1]} "
                            f"holds {len(labels)} labels; the two must match")
    if not 0 <= validation_size <= len(train_images):
        raise DataError(f"the validation set of {validation_size} images does not fit in the "
                        f"{len(train_images)} training images of {paths[0]}; use a "
                        f"--validation-size between 0 and {len(train_images)}")
    splits = ((train_images[validation_size:], train_labels[validation_size:]),
              (train_images[:validation_size], train_labels[:validation_size]),
              (test_images, test_labels))
    if train_class is not None:
        splits = [only_class(images, labels, train_class) for images, labels in splits]
        if len(splits[0][0]) == 0:
            raise DataError(f"{paths[0]} holds no training images of class {train_class} (past "
                            f"the {validation_size} held out for validation); choose a class "
                            f"its labels have, or a smaller --validation-size")
    return Datasets(*(DataSet(images, labels, seed) for images, labels in splits))


def only_class(images, labels, label):
    """(images, labels) of one class: the rows whose label (an int, or one-hot) is `label`."""
    keep = (labels.argmax(axis=1) if labels.ndim == 2 else labels) == label
    return images[keep], labels[keep]


def data_folder(text, pathmod=os.path):
    """--data-dir: a folder that is there (a mistyped name would otherwise be downloaded into).

    The message names the nearest existing folder's entry that looks like it,
    and only then the way to download into a new folder. pathmod: os.path, or
    ntpath to read a path as Windows does (a drive that is not there, say).
    """
    if pathmod.isdir(text):
        return text
    if pathmod.exists(text):
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder; name the folder that "
                                         f"holds the four IDX files")
    parent, name = pathmod.split(pathmod.normpath(pathmod.abspath(text)))
    while not pathmod.isdir(parent) and pathmod.split(parent)[0] != parent:
        parent, name = pathmod.split(parent)
    try:
        near = difflib.get_close_matches(name, os.listdir(parent), n=1, cutoff=0.6)
    except OSError:  # no folder above it is there (a drive that is not), or it cannot be read
        near = []
    guess = f" (did you mean {pathmod.join(parent, near[0])}?)" if near else ""
    raise argparse.ArgumentTypeError(
        f"there is no folder {text}{guess}; check the path, or, to download the images into a "
        f"new folder, create it first")


def add_data_arguments(parser, recorded=None):
    """Adds --dataset, --data-dir and --validation-size, the data options of every script.

    recorded: where the defaults are recorded: None (they are the defaults
    below), RECORDED (beside a checkpoint: the reload scripts) or RESUMED (in
    the run folder a training script resumes, else the defaults below); call
    use_recorded_data once that config is known.
    """
    group = parser.add_argument_group("data")
    folders = "; ".join(f"{name}: {' or '.join(source.default_dirs)}"
                        for name, source in SOURCES.items())

    def default(value):
        return value if recorded is None else f"{value}, or {recorded}" if recorded == RESUMED \
            else recorded
    group.add_argument("--dataset", choices=sorted(SOURCES),
                       default=None if recorded else DEFAULT_DATASET,
                       help=f"which images to download when --data-dir lacks them (default: "
                            f"{default(DEFAULT_DATASET)})")
    group.add_argument("--data-dir", metavar="DIR", default=None, type=data_folder,
                       help=f"folder with the four IDX files (default: {default(folders)})")
    group.add_argument("--validation-size", metavar="N", type=count,
                       default=None if recorded else DEFAULT_VALIDATION_SIZE,
                       help=f"first N training images held out for validation (default: "
                            f"{default(DEFAULT_VALIDATION_SIZE)})")
    if recorded == RESUMED:  # a training run records it, and a resume must keep it
        group.add_argument("--train-class", metavar="K", type=label, default=None,
                           help="train, validate and test on the images of class K only (one-class "
                                "training, as anomaly_detection.py does; default: every class)")
    return group


def label(text):
    """--train-class, --normal-class: a class of the datasets, 0 to 9."""
    if text.strip().isdigit() and int(text) < NUM_CLASSES:
        return int(text)
    raise argparse.ArgumentTypeError(f"must be a class from 0 to {NUM_CLASSES - 1}, not {text!r}")


def use_recorded_data(args, config):
    """Fills in the data options a script was not given from a checkpoint's config (a reload
    script's, a resumed run's; {} for none: the defaults).

    Where neither --dataset nor --data-dir is given, the data recorded there is
    meant; its validation size is kept unless --validation-size is given. A
    recorded folder that is not on this machine (a run folder trained on
    another, or copied from a Linux server to a Windows laptop) is not created
    and downloaded into: the dataset's own folder is used instead, with a note.
    """
    if not (args.dataset or args.data_dir):
        args.dataset, args.data_dir = config.get("dataset"), config.get("data_dir")
        if args.data_dir and not os.path.isdir(args.data_dir):
            dataset = args.dataset or DEFAULT_DATASET
            print(f"The data folder recorded beside the checkpoint, {args.data_dir}, is not on "
                  f"this machine; reading {SOURCES[dataset].title} from "
                  f"{default_data_dir(dataset)} instead (--data-dir to choose another)",
                  file=sys.stderr)
            args.data_dir = None
    args.dataset = args.dataset or DEFAULT_DATASET
    if args.validation_size is None:
        args.validation_size = config.get("validation_size", DEFAULT_VALIDATION_SIZE)


def check_sizes(mnist, batch_size):
    """Stops with one line where the data sets leave nothing to validate or train on."""
    validation, train = mnist.validation.num_examples, mnist.train.num_examples
    if validation == 0:
        raise DataError("--validation-size 0 leaves no images to validate on; use at least 1 "
                        f"(the default is {DEFAULT_VALIDATION_SIZE})")
    if train == 0:
        raise DataError(f"--validation-size {validation} takes every training image, leaving "
                        f"none to train on; use at most {validation - batch_size}")
    if batch_size > train:
        raise DataError(f"--batch-size {batch_size} is larger than the training set "
                        f"({train} images); use a smaller one")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load an MNIST-format dataset and print its sizes.")
    add_data_arguments(parser)
    args = parser.parse_args(argv)
    data = read_data_sets(args.data_dir, validation_size=args.validation_size, dataset=args.dataset)
    for split in Datasets._fields:
        images = getattr(data, split).images
        print(f"{split:<10} {images.shape[0]:>6} images, values {images.min():.1f} to {images.max():.1f}")


if __name__ == "__main__":
    main()
