"""How fast autoencoder_mnist.py trains, in float32 and mixed precision, against peers measured in the same run.

    python bench/train_speed.py --data-dir /usr/share/datasets/fashion-mnist

Measures, interleaved over several rounds, each in a fresh process:
- ours: autoencoder_mnist.py itself, run as a user runs it for two epochs of
  --steps steps, in float32 and (where the machine gains by it) with
  --precision mixed; the second epoch's training time (record.csv's
  train_seconds) per step;
- peers from ../shared/bench-peers (when present): the plain TF1 port of the
  original code and the same model in Keras 3 model.fit, also with Keras'
  mixed_bfloat16 policy on a CPU that has bfloat16;
- the machine's float32 GEMM rate, and from it the step's lower bound
  (6 x weights x batch FLOPs at that rate);
- one whole epoch of autoencoder_mnist.py as a user runs it (validation,
  checkpoint, summaries, record), whose excess over its training steps is the
  per-epoch overhead, and the peak memory of that training process;
- the validation loss after --quality-epochs whole epochs in each precision.
Then prints one table of medians and ratios. `--profile` adds the share of
each op type in one traced training step. No number here is promised: it is
what this machine measured now.
"""

import argparse
import csv
import functools
import importlib.metadata
import json
import math
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PEERS = os.path.join(os.path.dirname(REPO), "shared", "bench-peers")
BATCH = 100


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist", metavar="DIR",
                        help="folder with the four IDX files (default: %(default)s)")
    parser.add_argument("--n-code", type=int, default=2, help="code size (default: 2)")
    parser.add_argument("--steps", type=int, default=300, help="timed steps per run (default: 300)")
    parser.add_argument("--warmup", type=int, default=50,
                        help="untimed steps first, for the peers and the profile (default: 50; "
                             "ours warms up with a first epoch of --steps steps)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of ours and the peers; medians are reported "
                             "(default: 3)")
    parser.add_argument("--peers", default=DEFAULT_PEERS, metavar="DIR",
                        help="folder of the peer benchmarks (default: %(default)s)")
    parser.add_argument("--epoch-steps", type=int, default=None, metavar="N",
                        help="steps of the whole-epoch run (default: a full epoch)")
    parser.add_argument("--tiny", action="store_true",
                        help="a few steps of everything, to check the benchmark runs; "
                             "its numbers mean nothing")
    parser.add_argument("--profile", action="store_true",
                        help="also trace one training step and print time by op type")
    parser.add_argument("--quality-epochs", type=int, default=5, metavar="N",
                        help="whole epochs trained in each precision to compare their validation "
                             "loss (default: 5; 0 to skip)")
    parser.add_argument("--worker", choices=["profile"], help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.steps, args.warmup, args.rounds, args.epoch_steps, args.quality_epochs = 3, 1, 1, 3, 2
    return args


# ---------------------------------------------------------------- worker (child process)

def worker(args):
    """Builds the lab's graph through aelab, as autoencoder_mnist.py does, and profiles a step
    in each precision of --precision (comma-separated); prints {precision: shares} as JSON."""
    sys.path.insert(0, REPO)
    import tensorflow.compat.v1 as tf

    from aelab import (
        input_data,
        model,
        quiet_tensorflow,  # TensorFlow starts quietly, in graph mode
    )
    from aelab.precision import Precision

    mnist = input_data.read_data_sets(args.data_dir, seed=0)
    shares = {}
    for name in args.precision.split(","):
        precision = Precision(name)
        with tf.Graph().as_default():
            tf.set_random_seed(0)
            x = tf.placeholder(tf.float32, name="x", shape=[None, 784])
            phase_train = tf.placeholder(tf.bool, name="phase_train", shape=[])
            output = model.decoder(model.encoder(x, args.n_code, phase_train), args.n_code,
                                   phase_train)
            cost, _ = model.loss(output, x)
            train_op = model.training(cost, tf.Variable(0, name="global_step", trainable=False),
                                      loss_scale=precision.loss_scale)
            with tf.Session(config=precision.config) as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(max(1, args.warmup)):
                    sess.run(train_op, {x: mnist.train.next_batch(BATCH)[0], phase_train: True})
                shares[name] = profile_step(sess, train_op, cost, x, phase_train, mnist.train)
    print(json.dumps(shares), flush=True)


def profile_step(sess, train_op, cost, x, phase_train, train_set, repeats=5):
    """Share of a training step's op time by kernel, from TensorFlow's step trace.

    Kernels are named as they ran, after Grappler's rewrites (a forward MatMul
    and its bias add run as one _MklNativeFusedMatMul, for instance).
    """
    import tensorflow.compat.v1 as tf
    totals = {}
    for _ in range(repeats):
        feed = {x: train_set.next_batch(BATCH)[0], phase_train: True}
        metadata = tf.RunMetadata()
        sess.run([train_op, cost], feed_dict=feed, run_metadata=metadata,
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE))
        for device in metadata.step_stats.dev_stats:
            for node in device.node_stats:
                kernel = node.timeline_label.partition(" = ")[2].partition("(")[0] or "other"
                totals[kernel] = totals.get(kernel, 0) + node.all_end_rel_micros
    whole = sum(totals.values()) or 1
    return {kind: micros / whole for kind, micros in sorted(totals.items(), key=lambda kv: -kv[1])}


# ---------------------------------------------------------------- orchestrator

def run_measured(command, env=None):
    """Runs a command; returns (its last JSON line or None, peak RSS in MB or None, output)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=REPO)
    output = proc.stdout.read()
    peak = None
    if hasattr(os, "wait4"):  # POSIX: the child's peak memory comes with its exit status
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode, peak = os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024
    else:
        proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}:\n{output[-2000:]}")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    return (json.loads(lines[-1]) if lines else None), peak, output


def event_records(folder):
    """The sizes in bytes of the records in a folder's TensorBoard event files (TFRecord framing:
    an 8-byte length, a 4-byte checksum, the event, a 4-byte checksum)."""
    sizes = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        at = 0
        while at + 12 <= len(data):
            length = struct.unpack("<Q", data[at:at + 8])[0]
            sizes.append(16 + length)
            at += 16 + length
    return sizes


def run_lab(args, logdir, script, steps=None, epochs=2, options=()):
    """A lab script run as a user runs it, for `epochs` epochs of `steps` steps (None: whole),
    into logdir, from seed 0; returns (its output, the run's peak RSS in MB).

    script: the script and its positional arguments; options: more of its options.
    """
    command = [sys.executable, os.path.join(REPO, script[0]), *script[1:], "--epochs",
               str(epochs), "--data-dir", args.data_dir, "--logdir", logdir, "--seed", "0",
               "--no-show", *options]
    if steps:
        command += ["--steps-per-epoch", str(steps)]
    _, peak_mb, output = run_measured(command)
    return output, peak_mb


def last_epochs(logdir):
    """The record.csv rows of a run's last two epochs (the first a stand-in for step 0)."""
    with open(os.path.join(logdir, "record.csv"), newline="") as f:
        *_, before, last = [{"global_step": "0"}, *csv.DictReader(f)]
    if not math.isfinite(float(last["train_cost"])):
        raise RuntimeError(f"{logdir}: the training cost became {last['train_cost']}")
    return before, last


def measure_script(args, steps=None, precision="float32", epochs=2, script=None):
    """A lab script as a user runs it, for `epochs` epochs of `steps` steps (None: whole).

    script: the script and its positional arguments (default: autoencoder_mnist.py
    --n-code); precision: its --precision, or None to give none. The first epochs
    warm up; returns the last one's record.csv row, its steps, the run's peak RSS
    in MB and the sizes of the records of its training events.
    """
    script = script or ("autoencoder_mnist.py", str(args.n_code))
    options = ["--precision", precision] if precision else []
    with tempfile.TemporaryDirectory() as logdir:
        _, peak_mb = run_lab(args, logdir, script, steps, epochs, options)
        before, last = last_epochs(logdir)
        events = event_records(os.path.join(logdir, "train"))
    return last, int(last["global_step"]) - int(before["global_step"]), peak_mb, events


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# The port without the slides' per-step summary line and its sess.run(global_step)
LEAN_PORT = "plain TF1 port, --lean (peer)"
# Keras 3's mixed_bfloat16 policy around the peer's own script, which it then runs unchanged
KERAS_MIXED = ("import os, runpy, sys; os.environ['KERAS_BACKEND'] = 'tensorflow'; import keras; "
               "keras.config.set_dtype_policy('mixed_bfloat16'); sys.argv = sys.argv[1:]; "
               "runpy.run_path(sys.argv[0], run_name='__main__')")


def measure_rounds(args, mixed, first_mixed):
    """Interleaved rounds of ours and the peers; first_mixed: round 1's run with --precision mixed.

    Returns {row name: [ms per step]}, our peak RSS, and the last round's run of
    ours in each precision ({precision: what measure_script returned}).
    """
    common = ["--steps", str(args.steps), "--warmup", str(args.warmup), "--k", str(args.n_code)]
    commands = {}
    if os.path.isdir(args.peers):
        peer = functools.partial(os.path.join, args.peers)
        commands["plain TF1 port (peer)"] = [sys.executable, peer("tf1_reference.py"), *common]
        commands[LEAN_PORT] = [sys.executable, peer("tf1_reference.py"), "--lean", *common]
        commands["Keras 3 model.fit (peer)"] = [sys.executable, peer("keras_model_fit.py"), *common]
        if mixed == "mixed bfloat16":
            commands["Keras 3 fit, mixed_bfloat16 (peer)"] = [
                sys.executable, "-c", KERAS_MIXED, peer("keras_model_fit.py"), *common]
    else:
        print(f"(no peers: {args.peers} is missing; only our own numbers follow)", file=sys.stderr)
    ours = {"ours, float32 (autoencoder_mnist.py)": "float32"}
    if mixed != "float32":
        ours[f"ours, --precision mixed ({mixed.split()[-1]})"] = "mixed"
    times, peak, last = {name: [] for name in [*ours, *commands]}, 0.0, {}
    env = dict(os.environ, FMNIST_DIR=args.data_dir)
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
        for name, precision in ours.items():
            done = first_mixed if (r, precision) == (0, "mixed") else None
            last[precision] = row, steps, run_peak, _ = done or measure_script(args, args.steps,
                                                                               precision)
            times[name].append(1000 * float(row["train_seconds"]) / steps)
            peak = max(peak, run_peak or 0.0)
        for name, command in commands.items():
            times[name].append(run_measured(command, env=env)[0]["ms_per_step"])
    return times, peak, last


def quality(args, mixed, measure):
    """Validation loss after --quality-epochs whole epochs in each precision, from seed 0."""
    if not args.quality_epochs or mixed == "float32":
        return None
    return [float(measure(args.epoch_steps, precision, args.quality_epochs)[0]["val_loss"])
            for precision in ("float32", "mixed")]


def summary_cost(medians, events, epoch_steps=550, epochs=1000):
    """What the slides' per-step summary line costs: step time (the port with it against the port
    without it, in the same run) and event-file bytes per 1,000 epochs (from our run's events)."""
    port, lean = medians.get("plain TF1 port (peer)"), medians.get(LEAN_PORT)
    if port and lean:
        print(f"the slides' per-step summary (add_summary at sess.run(global_step)): the port takes "
              f"{port / lean:.3f}x the time of its --lean run ({port - lean:+.2f} ms/step)")
    scalars = [size for size in events if size < 1024]  # one a step; the graph is written once
    per_step = sum(scalars) / len(scalars)
    print(f"training events: {per_step:.0f} bytes per step ({len(scalars)} records), so "
          f"{per_step * epoch_steps * epochs / 1e6:.0f} MB per {epochs} epochs of {epoch_steps} "
          f"steps, plus the graph once ({max(events) / 1e3:.0f} kB)")


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    # What --precision mixed does on this machine ("mixed bfloat16", "mixed float16", or
    # "float32" where it gains nothing), as its first run records it; round 1 uses that run.
    first_mixed = measure_script(args, args.steps, "mixed")
    mixed = first_mixed[0]["precision"]
    times, ours_peak, last = measure_rounds(args, mixed, first_mixed)

    def measure(steps, precision="float32", epochs=2):
        """A run of ours: the last round's where it would be the same run (as with --tiny)."""
        if (steps, epochs) == (args.steps, 2) and precision in last:
            return last[precision]
        return measure_script(args, steps, precision, epochs)

    gemm = None
    if os.path.isdir(args.peers):
        quick = ["--n", "256", "--repeats", "1", "--min-time", "0.001"] if args.tiny else []
        gemm, _, _ = run_measured([sys.executable, os.path.join(args.peers, "matmul_peak.py"),
                                   "--k", str(args.n_code), *quick],
                                  env=dict(os.environ, FMNIST_DIR=args.data_dir))
    epoch, epoch_steps, run_peak, events = measure(args.epoch_steps)
    losses = quality(args, mixed, measure)

    medians = {name: statistics.median(values) for name, values in times.items()}
    ours = medians["ours, float32 (autoencoder_mnist.py)"]
    version = importlib.metadata.version("tensorflow")
    print(f"\nDeep autoencoder training, N_CODE={args.n_code}, batch {BATCH}: {cpu_name()}, "
          f"{os.cpu_count()} cores, TensorFlow {version}; medians of {args.rounds} "
          f"interleaved rounds of {args.steps} steps")
    print(f"{'':<40}{'ms/step':>9}{'images/s':>10}   time of float32 ours")
    for name, ms in medians.items():
        print(f"{name:<40}{ms:>9.2f}{BATCH * 1000 / ms:>10.0f}   {ms / ours:.2f}x")
    if gemm:
        bound, floor = gemm["lower_bound_ms_per_step_at_peak"], gemm["floor_gemm_plus_adam_ms_per_step"]
        print(f"{'GEMM lower bound (6*W*B / peak)':<40}{bound:>9.2f}{BATCH * 1000 / bound:>10.0f}"
              f"   {bound / ours:.2f}x (float32 peak {gemm['peak_gflops']} GFLOP/s)")
        print(f"{'GEMMs at model shapes + Adam':<40}{floor:>9.2f}{BATCH * 1000 / floor:>10.0f}"
              f"   {floor / ours:.2f}x")
    train_s, seconds = float(epoch["train_seconds"]), float(epoch["seconds"])
    overhead = seconds - train_s
    print(f"whole epoch as the script runs it: {seconds:.2f} s, of which {epoch_steps} training "
          f"steps {train_s:.2f} s ({1000 * train_s / epoch_steps:.2f} ms/step) and validation, "
          f"checkpoint, summaries and record {overhead:.2f} s = {overhead / seconds:.1%}")
    summary_cost(medians, events)
    if run_peak:
        print(f"peak memory: training run {run_peak / 1024:.2f} GB (whole epochs), "
              f"{ours_peak / 1024:.2f} GB ({args.steps}-step epochs)")
    if losses:
        print(f"validation loss after {args.quality_epochs} epochs from seed 0: float32 "
              f"{losses[0]:.4f}, {mixed} {losses[1]:.4f} (mixed / float32 = "
              f"{losses[1] / losses[0]:.4f})")
    elif mixed == "float32":
        print("--precision mixed trains in float32 on this machine (no GPU, no bfloat16 CPU)")
    if args.profile:  # one process profiles each precision in turn
        precisions = ["float32", "mixed"] if mixed != "float32" else ["float32"]
        profiles, _, _ = run_measured([sys.executable, os.path.abspath(__file__), "--worker",
                                       "profile", "--data-dir", args.data_dir, "--n-code",
                                       str(args.n_code), "--warmup", str(args.warmup),
                                       "--precision", ",".join(precisions)])
        for precision, shares in profiles.items():
            print(f"one {precision} training step by op type (share of summed op time): " +
                  ", ".join(f"{kind} {share:.0%}" for kind, share in list(shares.items())[:10]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
