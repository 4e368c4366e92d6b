"""The kinds of model a run folder can hold: one registry, looked up by the name a config records.

Each kind says what it is called, which script trains it, where its runs go by
default, what a resume must keep the same, how its recorded architecture is
checked, and how its inference graph is built for the reload scripts. The
run folder's bookkeeping (record, checkpoints, runs) and the reload scripts
look a kind up here and never compare its name. Every kind is registered
below, in this module, so that every process sees it: a training script, and
a reload script (ae_vs_pca.py, dn_ae_test.py) run later in a process of its
own. A new model is one `register(Kind(...))` here, with its graph functions
in aelab/model.py.

TensorFlow-free: a kind's graph is built by its `build`, which imports what it needs.
"""

import dataclasses
from typing import Callable

from aelab import LabError

# What a loss curve's axis says it plots, by the --loss it was trained with
LOSS_LABELS = {"l2": "mean per-image L2 error", "cross-entropy": "mean per-image cross-entropy",
               "squared error": "mean squared error per pixel",
               "negative ELBO": "mean per-image negative ELBO (cross-entropy + KL)"}


def loss_label(config):
    """The loss curve's axis of a kind trained on one of LOSS_LABELS."""
    return LOSS_LABELS[config.get("loss", "l2")]


def lab_losses(args):
    """The slides' per-image L2 loss, or --loss cross-entropy: model.LOSSES's (loss, evaluate)."""
    from aelab import model
    return model.LOSSES[args.loss]


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

    For its training script (autoencoder_mnist.py's `train` serves every kind):
    trained_with: its own settings a resume may change and says so, like the
    learning rate (the denoising autoencoder's corruption, a VAE's beta), each
    with how a resume names the new value and how it names an earlier one;
    layerwise: --pretrain layerwise applies (the dense autoencoders' layers);
    losses: (args) -> (loss, evaluate), the model.py functions its cost and its
    validation loss come from; measure: (config) -> what its loss curve's
    axis says it plots; reports: the names of its cost's parts (model.report),
    printed beside the cost, kept in record.csv and drawn below the curve.

    For the reload scripts: pictures: the figures ae_vs_pca.py draws of it
    beyond every kind's ("units": the hidden units as 28x28 tiles and the
    histogram of their activations; "prior": the decoder on the prior's
    quantiles and on samples from it).

    Contract of build (and score): the output is (batch, 784), a tf.nn.sigmoid
    op wherever the kind may train on --loss cross-entropy (model.cross_entropy
    reads its logits; every kind but the linear one); it depends on x only
    through code, so that feeding code decodes (aelab/reload.py); the code is
    what the reload scripts draw (a VAE's: the mean of q(z|x)).
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
    trained_with: dict = dataclasses.field(default_factory=dict)
    layerwise: bool = False
    losses: Callable = lab_losses
    measure: Callable = loss_label
    pictures: tuple = ()
    reports: tuple = ()

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


CORRUPTION = {"corruption": ("at corruption {}", "at {}")}
LAB = dict(learns={"loss": "l2", "pretrain": "none", "pretrain_epochs": 5},
           architecture={"encoder_hidden": 3, "decoder_hidden": 3}, build=build_autoencoder,
           layerwise=True)
AUTOENCODER = register(Kind("autoencoder", "deep autoencoder", "autoencoder_mnist.py",
                            "mnist_autoencoder_hidden={n_code}_logs", **LAB))
DENOISING_AUTOENCODER = register(Kind(
    "denoising_autoencoder", "denoising autoencoder", "denoising_autoencoder_mnist.py",
    "dn_mnist_autoencoder_hidden={n_code}_logs", corrupted=True, details=masking,
    trained_with=CORRUPTION, **LAB))
LINEAR_AUTOENCODER = register(Kind("linear_autoencoder", "linear autoencoder",
                                   "linear_ae_vs_pca.py", "linear_autoencoder_hidden={n_code}_logs",
                                   build_linear, learns={"loss": "squared error"}))


# ------------------------------------------------- past the slides (docs/lab.md)

def build_conv(x, n_code, phase_train, config):
    """The convolutional autoencoder, with the channels its config records."""
    from aelab import model
    filters = config.get("filters", model.CONV_FILTERS)
    code = model.conv_encoder(x, n_code, phase_train, filters)
    return code, model.conv_decoder(code, n_code, phase_train, filters)


CONV = dict(learns={"loss": "l2"}, architecture={"filters": 2}, build=build_conv)
CONV_AUTOENCODER = register(Kind("conv_autoencoder", "convolutional autoencoder",
                                 "conv_autoencoder_mnist.py",
                                 "conv_mnist_autoencoder_hidden={n_code}_logs", **CONV))
CONV_DENOISING_AUTOENCODER = register(Kind(
    "conv_denoising_autoencoder", "convolutional denoising autoencoder",
    "conv_autoencoder_mnist.py", "dn_conv_mnist_autoencoder_hidden={n_code}_logs",
    corrupted=True, details=masking, trained_with=CORRUPTION, **CONV))


def build_sparse(x, n_code, phase_train, config):
    """The sparse autoencoder: its code is the n_code hidden units (phase_train unused)."""
    from aelab import model
    hidden = model.sparse_encoder(x, n_code)
    return hidden, model.sparse_decoder(hidden, n_code)


def sparse_losses(args):
    """The sparse autoencoder's cost (the reconstruction by --loss plus the weighted --penalty),
    measured on the validation images as it is."""
    import functools

    from aelab import model
    return (functools.partial(model.sparse_loss, measure=model.MEASURES[args.loss],
                              penalty=args.penalty, weight=args.sparsity_weight,
                              target=args.sparsity_target), model.cost_evaluate)


def sparsity(config):
    """The sparse autoencoder's penalty in its label: "KL to 0.05, weight 3", say."""
    weight = f"weight {config.get('sparsity_weight', 3.0):g}"
    if config.get("penalty", "kl") == "l1":
        return [f"L1 penalty, {weight}"]
    return [f"KL to {config.get('sparsity_target', 0.05):g}, {weight}"]


SPARSE_AUTOENCODER = register(Kind(
    "sparse_autoencoder", "sparse autoencoder", "sparse_autoencoder_mnist.py",
    "sparse_mnist_autoencoder_logs", build_sparse, learns={"loss": "l2", "penalty": "kl"},
    details=sparsity, losses=sparse_losses, pictures=("units",),
    reports=("reconstruction", "penalty", "mean activation"),
    trained_with={"sparsity_weight": ("at sparsity weight {}", "at {}"),
                  "sparsity_target": ("at sparsity target {}", "at {}")},
    measure=lambda config: loss_label(config) + " + weight x sparsity penalty"))


def build_vae(x, n_code, phase_train, config):
    """The VAE for inference: the code is the mean of q(z|x), and the output its decoding."""
    from aelab import model
    mean, _ = model.vae_encoder(x, n_code, config.get("encoder_hidden", model.VAE_ENCODER_HIDDEN))
    return mean, model.vae_decoder(mean, n_code,
                                   config.get("decoder_hidden", model.VAE_DECODER_HIDDEN))


def score_vae(x, n_code, phase_train, config):
    """`build_vae`'s graph, and each image's negative ELBO (beta 1) from one sampled code."""
    from aelab import model
    mean, log_var = model.vae_encoder(x, n_code, config.get("encoder_hidden",
                                                            model.VAE_ENCODER_HIDDEN))
    hidden = config.get("decoder_hidden", model.VAE_DECODER_HIDDEN)
    output = model.vae_decoder(mean, n_code, hidden)
    sampled = model.vae_decoder(model.sample_code(mean, log_var), n_code, hidden)
    score, _, _ = model.negative_elbo(sampled, x, mean, log_var)
    return mean, output, score


def vae_losses(args):
    """The VAE's cost, the negative ELBO (its KL weighted by --beta), measured on the validation
    images as it is."""
    import functools

    from aelab import model
    return functools.partial(model.vae_loss, beta=args.beta), model.cost_evaluate


VARIATIONAL_AUTOENCODER = register(Kind(
    "variational_autoencoder", "variational autoencoder", "variational_autoencoder_mnist.py",
    "vae_mnist_hidden={n_code}_logs", build_vae, learns={"loss": "negative ELBO"},
    architecture={"encoder_hidden": 2, "decoder_hidden": 2}, score=score_vae,
    trained_with={"beta": ("at beta {}", "at {}")}, losses=vae_losses, pictures=("prior",),
    reports=("reconstruction", "KL"),
    details=lambda config: [] if config.get("beta", 1.0) == 1.0 else [f"beta {config['beta']:g}"]))
