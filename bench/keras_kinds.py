"""The models past the slides in Keras 3 (model.fit), the peers bench/kinds_speed.py times ours against.

    python bench/keras_kinds.py conv --steps 300 --warmup 50 --n-code 2

Each is the architecture its lab script trains (aelab/model.py), written as a
Keras user would write it, with the same batch (100), optimiser and loss:

- conv: 28x28x1 -> conv 3x3x32 SAME, batch norm, ReLU, max-pool 2 -> conv
  3x3x64, batch norm, ReLU, max-pool 2 -> flatten -> dense N_CODE; back:
  dense 7*7*64, batch norm, ReLU -> transposed conv 3x3 stride 2 to 32, batch
  norm, ReLU -> transposed conv 3x3 stride 2 to 1, sigmoid; each image's L2
  distance, Adam 0.001;
- sparse: 784-256-784 sigmoid, each image's L2 distance plus beta times the
  KL divergence of rho from each hidden unit's mean activation over the batch
  (rho 0.05, beta 3), Adam 0.001;
- vae: 784-512-256 ReLU -> mean and log-variance (N_CODE each) -> z = mean +
  exp(log_var / 2) * eps -> 256-512 ReLU -> 784 logits; each image's
  cross-entropy summed over its pixels plus its KL divergence from N(0, I), the
  batch mean, Adam 0.001.

Timing as the Keras peer of ../shared/bench-peers does it: one fit of one step
(it traces the step), --warmup more steps, then one fit of --steps steps,
timed from on_train_begin to on_train_end. Prints one JSON line: ms_per_step,
the first and the last timed losses.
"""

import argparse
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 100
KINDS = ("conv", "sparse", "vae")
RHO, BETA = 0.05, 3.0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=KINDS, help="the model")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist", metavar="DIR",
                        help="folder with the four IDX files (default: %(default)s)")
    parser.add_argument("--n-code", type=int, default=2,
                        help="code size of conv and vae (default: 2)")
    parser.add_argument("--steps", type=int, default=300, help="timed steps (default: 300)")
    parser.add_argument("--warmup", type=int, default=50,
                        help="untimed steps before them (default: 50)")
    parser.add_argument("--seed", type=int, default=0, help="Keras' seed (default: 0)")
    return parser.parse_args(argv)


def l2_per_image(images, output):
    from keras import ops
    return ops.sqrt(ops.sum(ops.square(output - images), axis=-1))


def conv(n_code):
    """The convolutional autoencoder; its loss."""
    import keras
    from keras import layers

    def normalised(h):
        return layers.ReLU()(layers.BatchNormalization(momentum=0.9, epsilon=1e-3)(h))

    images = keras.Input((784,))
    h = layers.Reshape((28, 28, 1))(images)
    for filters in (32, 64):
        h = layers.MaxPooling2D(2)(normalised(layers.Conv2D(filters, 3, padding="same")(h)))
    code = layers.Dense(n_code)(layers.Flatten()(h))
    h = layers.Reshape((7, 7, 64))(normalised(layers.Dense(7 * 7 * 64)(code)))
    h = normalised(layers.Conv2DTranspose(32, 3, strides=2, padding="same")(h))
    h = layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")(h)
    return keras.Model(images, layers.Flatten()(h)), l2_per_image


def sparse(n_code):
    """The sparse autoencoder (n_code unused: 256 hidden units); its loss."""
    import keras
    from keras import layers, ops

    class SparsityPenalty(layers.Layer):
        """Adds beta * sum_j KL(rho || rho_hat_j) to the loss; passes its input on."""

        def call(self, hidden):
            rho_hat = ops.clip(ops.mean(hidden, axis=0), 1e-6, 1 - 1e-6)
            self.add_loss(BETA * ops.sum(RHO * ops.log(RHO / rho_hat)
                                         + (1 - RHO) * ops.log((1 - RHO) / (1 - rho_hat))))
            return hidden

    images = keras.Input((784,))
    hidden = SparsityPenalty()(layers.Dense(256, activation="sigmoid")(images))
    output = layers.Dense(784, activation="sigmoid")(hidden)
    return keras.Model(images, output), l2_per_image


def vae(n_code):
    """The variational autoencoder (outputs logits); its loss (reconstruction; KL added)."""
    import keras
    from keras import layers, ops

    class Sample(layers.Layer):
        """z = mean + exp(log_var / 2) * eps; adds the batch mean of KL(q(z|x) || N(0, I))."""

        def __init__(self):
            super().__init__()
            self.seed = keras.random.SeedGenerator(0)

        def call(self, mean, log_var):
            kl = -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
            self.add_loss(ops.mean(kl))
            eps = keras.random.normal(ops.shape(mean), seed=self.seed)
            return mean + ops.exp(log_var / 2) * eps

    images = keras.Input((784,))
    h = layers.Dense(256, activation="relu")(layers.Dense(512, activation="relu")(images))
    z = Sample()(layers.Dense(n_code)(h), layers.Dense(n_code)(h))
    h = layers.Dense(512, activation="relu")(layers.Dense(256, activation="relu")(z))
    logits = layers.Dense(784)(h)

    def cross_entropy(x, out):
        return ops.sum(ops.binary_crossentropy(x, out, from_logits=True), axis=-1)
    return keras.Model(images, logits), cross_entropy


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    sys.path.insert(0, REPO)
    import keras

    from aelab import input_data
    keras.utils.set_random_seed(args.seed)
    images = input_data.read_data_sets(args.data_dir, seed=args.seed).train.images
    model, loss = {"conv": conv, "sparse": sparse, "vae": vae}[args.kind](args.n_code)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                                                  epsilon=1e-8), loss=loss)

    class Timer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.began = time.perf_counter()

        def on_train_end(self, logs=None):
            self.ended = time.perf_counter()

    def fit(steps, callbacks=()):
        return model.fit(images, images, batch_size=BATCH, epochs=1, steps_per_epoch=steps,
                         shuffle=True, verbose=0, callbacks=list(callbacks)).history["loss"][-1]

    first_loss = fit(1)
    if args.warmup > 1:
        fit(args.warmup - 1)
    timer = Timer()
    last_loss = fit(args.steps, [timer])
    ms = 1000 * (timer.ended - timer.began) / args.steps
    print(json.dumps({"peer": f"keras_{args.kind}", "steps": args.steps,
                      "ms_per_step": round(ms, 3), "first_loss": round(float(first_loss), 4),
                      "window_loss": round(float(last_loss), 4)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
