"""The models past the slides: step time against a Keras model of the same architecture, and test
loss against the deep autoencoder with the same code size, measured in one run.

    python bench/kinds_speed.py --data-dir /usr/share/datasets/fashion-mnist

Speed, interleaved over several rounds, each run in a fresh process (medians
reported): each lab script as a user runs it for two epochs of --steps steps,
timing the second epoch's training (record.csv's train_seconds) per step, and
its Keras 3 model.fit peer (bench/keras_kinds.py; for the deep autoencoder,
../shared/bench-peers/keras_model_fit.py where that folder is); then ours /
Keras for each.

Quality (--quality-epochs E, 0 to skip): each script trained E whole epochs
from seed 0, its own `Test Loss:` (the convolutional model's per-image L2, the
sparse model's squared error plus penalty, the VAE's negative ELBO), and the
per-image L2 distance of its reconstructions of the test images, from its last
checkpoint, beside the deep autoencoder's with the same code size trained the
same epochs. No number here is promised: it is what this machine measured now.
"""

import argparse
import collections
import importlib.metadata
import os
import re
import statistics
import sys
import tempfile

import numpy as np
from train_speed import BATCH, DEFAULT_PEERS, REPO, cpu_name, last_epochs, measure_script, run_lab, run_measured

# A model the bench measures: its name, its script's arguments ({n} for --n-code), its Keras
# peer (keras_kinds.py's kind, or None: the deep autoencoder's peer in --peers), and the code
# size of the deep autoencoder it is compared with ({n}, or a number).
Model = collections.namedtuple("Model", "name script keras code")
MODELS = (
    Model("deep autoencoder", ("autoencoder_mnist.py", "{n}"), None, "{n}"),
    Model("convolutional", ("conv_autoencoder_mnist.py", "{n}"), "conv", "{n}"),
    Model("sparse", ("sparse_autoencoder_mnist.py",), "sparse", "256"),
    Model("variational", ("variational_autoencoder_mnist.py", "{n}"), "vae", "{n}"),
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist", metavar="DIR",
                        help="folder with the four IDX files (default: %(default)s)")
    parser.add_argument("--n-code", type=int, default=2,
                        help="code size of the convolutional, variational and deep models "
                             "(default: 2)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per run (default: 200)")
    parser.add_argument("--warmup", type=int, default=30,
                        help="untimed steps of the Keras peers first (default: 30; ours warm up "
                             "with a first epoch of --steps steps)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds; medians are reported (default: 3; 0 to skip)")
    parser.add_argument("--peers", default=DEFAULT_PEERS, metavar="DIR",
                        help="folder of the deep autoencoder's Keras peer, keras_model_fit.py "
                             "(default: %(default)s)")
    parser.add_argument("--quality-epochs", type=int, default=5, metavar="E",
                        help="whole epochs each model trains for the test losses (default: 5; "
                             "0 to skip)")
    parser.add_argument("--quality-steps", type=int, default=None, metavar="N",
                        help="steps of each of those epochs (default: a whole epoch)")
    parser.add_argument("--tiny", action="store_true",
                        help="a few steps of everything, to check the benchmark runs; its "
                             "numbers mean nothing")
    args = parser.parse_args(argv)
    if args.tiny:
        args.steps, args.warmup, args.rounds, args.quality_epochs, args.quality_steps = 3, 1, 1, 1, 3
    return args


def script_of(model, args):
    return tuple(part.format(n=args.n_code) for part in model.script)


def keras_command(model, args):
    """The command of a model's Keras peer, or None where there is none here."""
    common = ["--steps", str(args.steps), "--warmup", str(args.warmup)]
    if model.keras:
        return [sys.executable, os.path.join(REPO, "bench", "keras_kinds.py"), model.keras,
                "--data-dir", args.data_dir, "--n-code", str(args.n_code), *common]
    peer = os.path.join(args.peers, "keras_model_fit.py")
    return [sys.executable, peer, "--k", str(args.n_code), *common] if os.path.isfile(peer) else None


def speed(args):
    """{model name: (our ms per step, Keras' or None)}, medians of interleaved rounds."""
    ours, keras = collections.defaultdict(list), collections.defaultdict(list)
    env = dict(os.environ, FMNIST_DIR=args.data_dir)  # where the shared peer reads the data
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
        for model in MODELS:
            row, steps, _, _ = measure_script(args, args.steps, None, 2, script_of(model, args))
            ours[model.name].append(1000 * float(row["train_seconds"]) / steps)
            command = keras_command(model, args)
            if command:
                keras[model.name].append(run_measured(command, env=env)[0]["ms_per_step"])
    return {name: (statistics.median(ours[name]),
                   statistics.median(keras[name]) if keras[name] else None) for name in ours}


def pixel_cross_entropy(output, images):
    """The mean over images and pixels of the binary cross-entropy of output against images (the
    Keras blog's `binary_crossentropy`, its output clipped to [1e-7, 1 - 1e-7] as Keras does)."""
    output = np.clip(output, 1e-7, 1 - 1e-7)
    return float(-np.mean(images * np.log(output) + (1 - images) * np.log(1 - output)))


def quality(args):
    """({(script, its arguments): (its own test loss, the per-image L2 of its test
    reconstructions, their per-pixel cross-entropy)}, the number of test images): each model
    and each deep autoencoder it is compared with trained --quality-epochs epochs from seed 0."""
    sys.path.insert(0, REPO)
    from aelab import input_data, reload
    test = input_data.read_data_sets(args.data_dir, seed=0).test.images
    runs = [script_of(model, args) for model in MODELS]
    runs += [("autoencoder_mnist.py", model.code.format(n=args.n_code)) for model in MODELS]
    found = {}
    for script in dict.fromkeys(runs):
        print(f"training {' '.join(script)}", file=sys.stderr)
        with tempfile.TemporaryDirectory() as logdir:
            printed, _ = run_lab(args, logdir, script, args.quality_steps, args.quality_epochs)
            last_epochs(logdir)  # a cost that became NaN stops the bench here
            own = float(re.search(r"^Test Loss: (\S+)", printed, re.M).group(1))
            trained = reload.load(logdir)
            output = trained.reconstruct(test)
            found[script] = (own, reload.mean_l2_error(output, test),
                             pixel_cross_entropy(output, test))
            trained.sess.close()
    return found, len(test)


def main(argv=None):
    args = parse_args(argv)
    version = importlib.metadata.version("tensorflow")
    print(f"The models past the slides, batch {BATCH}: {cpu_name()}, {os.cpu_count()} cores, "
          f"TensorFlow {version}, Keras {importlib.metadata.version('keras')}", flush=True)
    if args.rounds:
        times = speed(args)
        print(f"\nStep time, medians of {args.rounds} interleaved rounds of {args.steps} steps")
        print(f"{'':<22}{'ours ms/step':>13}{'Keras ms/step':>15}   ours / Keras")
        for name, (ours, keras) in times.items():
            ratio = f"{ours / keras:.2f}x" if keras else "(no peer)"
            print(f"{name:<22}{ours:>13.2f}{keras or float('nan'):>15.2f}   {ratio}", flush=True)
    losses, tested = quality(args) if args.quality_epochs else (None, 0)
    if losses:
        epochs = f"{args.quality_epochs} epoch{'s' * (args.quality_epochs != 1)}" + (
            f" of {args.quality_steps} steps" if args.quality_steps else "")
        print(f"\nTest loss after {epochs} from seed 0: its own (Test Loss:), and of its "
              f"reconstructions of the {tested} test images, the mean "
              f"||reconstruction - image|| (L2) and the mean per-pixel cross-entropy (CE)")
        print(f"{'':<22}{'Test Loss':>10}{'L2':>8}{'CE':>8}   deep autoencoder, same code: L2, CE")
        for model in MODELS[1:]:
            own, l2, ce = losses[script_of(model, args)]
            code = model.code.format(n=args.n_code)
            _, deep_l2, deep_ce = losses[("autoencoder_mnist.py", code)]
            print(f"{model.name:<22}{own:>10.4f}{l2:>8.4f}{ce:>8.4f}   N_CODE={code}: "
                  f"{deep_l2:.4f}, {deep_ce:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
