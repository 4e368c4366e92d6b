"""The kinds of model a run folder can hold: one registry, looked up by the name a config records.

Each kind says what it is called, which script trains it, where its runs go by
default, what a resume must keep the same, how its recorded architecture is
checked, and how its inference graph is built for the reload scripts. The
run folder's bookkeeping (record, checkpoints, runs) and the reload scripts
look a kind up here and never compare its name; a new model (a convolutional
or a variational autoencoder, say) is one `register(Kind(...))` beside its
training script.

TensorFlow-free: a kind's graph is built by its `build`, which imports what it needs.
"""

import dataclasses
from typing import Callable

from aelab import LabError


@dataclasses.dataclass(frozen=True)
class Kind:
    """A model a run folder can hold.

    name: what model_config.json records ("autoencoder"); title: what a person
    calls it ("deep autoencoder"); script: the script that trains it; logdir:
    its runs' default folder, with {n_code}; build: (x, n_code, phase_train,
    config) -> (code, output), its inference graph from a recorded config;
    learns: the settings a resume must keep the same, each with the value that
    a config written before the setting existed stands for; architecture: the
    recorded layer widths a resume must keep and a reload builds, each with how
    many it has; corrupted: its encoder sees corrupted input, in validation and
    test too (the denoising autoencoder); details: (config) -> what else its
    label says ("25% masking"); score: (x, n_code, phase_train, config) -> (code, output, score),
    its inference graph with each image's anomaly score, (batch,) float32, larger for an image it
    reconstructs worse (a VAE's negative ELBO, say); None for `build`'s graph scored by the squared
    reconstruction error (see `scored`).
    """

    name: str
    title: str
    script: str
    logdir: str
    build: Callable
    learns: dict = dataclasses.field(default_factory=dict)
    architecture: dict = dataclasses.field(default_factory=dict)
    corrupted: bool = False
    details: Callable = lambda config: []
    score: Callable = None

    def default_logdir(self, n_code):
        """A run's folder when --logdir does not name one: mnist_autoencoder_hidden=2_logs, say."""
        return self.logdir.format(n_code=n_code)

    def scored(self, x, n_code, phase_train, config):
        """(code, output, score): the inference graph with each image's anomaly score (the kind's
        `score`, or the squared distance between the image and its reconstruction)."""
        if self.score is not None:
            return self.score(x, n_code, phase_train, config)
        import tensorflow.compat.v1 as tf
        code, output = self.build(x, n_code, phase_train, config)
        return code, output, tf.reduce_sum(tf.square(output - x), axis=1)

    def check(self, config):
        """ValueError unless config's n_code and architecture are positive whole numbers, as many
        as the kind has."""
        widths = [config["n_code"]]
        for key, count in self.architecture.items():
            recorded = config.get(key, [1] * count)  # configs from before the key: the defaults
            if not isinstance(recorded, list) or len(recorded) != count:
                raise ValueError(key)
            widths += recorded
        if not all(type(n) is int and n > 0 for n in widths):
            raise ValueError("widths")


REGISTRY = {}


def register(kind):
    """Makes kind one that run folders may hold; returns it."""
    REGISTRY[kind.name] = kind
    return kind


def get(name):
    """The kind a config names; LabError for one this kit does not know."""
    if name not in REGISTRY:
        raise LabError(f"the model {name!r} is none this kit knows ({', '.join(REGISTRY)})")
    return REGISTRY[name]


# ---------------------------------------------------------------- the lab's kinds

def build_autoencoder(x, n_code, phase_train, config):
    """The slides' deep autoencoder, with the architecture its config records."""
    from aelab import model
    code = model.encoder(x, n_code, phase_train, config.get("encoder_hidden", model.ENCODER_HIDDEN))
    return code, model.decoder(code, n_code, phase_train,
                               config.get("decoder_hidden", model.DECODER_HIDDEN))


def build_linear(x, n_code, phase_train, config):
    """The theory's linear autoencoder (phase_train unused: no batch norm)."""
    from aelab import model
    _, code, output = model.linear_autoencoder(x, n_code)
    return code, output


def masking(config):
    """The denoising autoencoder's corruption level in its label, where it is not the slides' 1/2."""
    level = config.get("corruption", 0.5)
    return [] if level == 0.5 else [f"{level:.0%} masking"]


LAB = dict(learns={"loss": "l2", "pretrain": "none", "pretrain_epochs": 5},
           architecture={"encoder_hidden": 3, "decoder_hidden": 3}, build=build_autoencoder)
AUTOENCODER = register(Kind("autoencoder", "deep autoencoder", "autoencoder_mnist.py",
                            "mnist_autoencoder_hidden={n_code}_logs", **LAB))
DENOISING_AUTOENCODER = register(Kind(
    "denoising_autoencoder", "denoising autoencoder", "denoising_autoencoder_mnist.py",
    "dn_mnist_autoencoder_hidden={n_code}_logs", corrupted=True, details=masking, **LAB))
LINEAR_AUTOENCODER = register(Kind("linear_autoencoder", "linear autoencoder",
                                   "linear_ae_vs_pca.py", "linear_autoencoder_hidden={n_code}_logs",
                                   build_linear, learns={"loss": "squared error"}))
