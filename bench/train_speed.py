"""How fast autoencoder_mnist.py trains, against peers measured in the same run.

    python bench/train_speed.py --data-dir /usr/share/datasets/fashion-mnist

Measures, interleaved over several rounds, each in a fresh process:
- ours: autoencoder_mnist.py itself, run as a user runs it for two epochs of
  --steps steps; the second epoch's training time (record.csv's
  train_seconds) per step;
- peers from ../shared/bench-peers (when present): the plain TF1 port of the
  original code and the same model in Keras 3 model.fit;
- the machine's float32 GEMM rate, and from it the step's lower bound
  (6 x weights x batch FLOPs at that rate);
- one whole epoch of autoencoder_mnist.py as a user runs it (validation,
  checkpoint, summaries, record), whose excess over its training steps is the
  per-epoch overhead, and the peak memory of that training process.
Then prints one table of medians and ratios. `--profile` adds the share of
each op type in one traced training step. No number here is promised: it is
what this machine measured now.
"""

import argparse
import csv
import json
import math
import os
import platform
import statistics
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
    parser.add_argument("--worker", choices=["profile"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.steps, args.warmup, args.rounds, args.epoch_steps = 3, 1, 1, 3
    return args


# ---------------------------------------------------------------- worker (child process)

def worker(args):
    """Builds the lab's graph through aelab, as autoencoder_mnist.py does, and profiles a step."""
    sys.path.insert(0, REPO)
    from aelab import input_data, model
    import tensorflow.compat.v1 as tf

    mnist = input_data.read_data_sets(args.data_dir, seed=0)
    tf.set_random_seed(0)
    x = tf.placeholder(tf.float32, name="x", shape=[None, 784])
    phase_train = tf.placeholder(tf.bool, name="phase_train", shape=[])
    output = model.decoder(model.encoder(x, args.n_code, phase_train), args.n_code, phase_train)
    cost, _ = model.loss(output, x)
    train_op = model.training(cost, tf.Variable(0, name="global_step", trainable=False))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(max(1, args.warmup)):
            sess.run(train_op, {x: mnist.train.next_batch(BATCH)[0], phase_train: True})
        print(json.dumps(profile_step(sess, train_op, cost, x, phase_train, mnist.train)),
              flush=True)


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
    """Runs a command; returns (its last JSON line or None, peak RSS in MB, output)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=REPO)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}:\n{output[-2000:]}")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    return (json.loads(lines[-1]) if lines else None), usage.ru_maxrss / 1024, output


def measure_script(args, steps=None):
    """autoencoder_mnist.py as a user runs it, for two epochs of `steps` steps (None: whole epochs).

    The first epoch warms up; returns the second's (seconds, of which in
    training steps, steps, training cost) from record.csv, and the run's peak
    RSS in MB.
    """
    with tempfile.TemporaryDirectory() as logdir:
        command = [sys.executable, os.path.join(REPO, "autoencoder_mnist.py"), str(args.n_code),
                   "--epochs", "2", "--data-dir", args.data_dir, "--logdir", logdir,
                   "--seed", "0", "--no-show"]
        if steps:
            command += ["--steps-per-epoch", str(steps)]
        _, peak_mb, _ = run_measured(command)
        with open(os.path.join(logdir, "record.csv"), newline="") as f:
            first, second = list(csv.DictReader(f))
    steps = int(second["global_step"]) - int(first["global_step"])
    return (float(second["seconds"]), float(second["train_seconds"]), steps,
            float(second["train_cost"])), peak_mb


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    common = ["--steps", str(args.steps), "--warmup", str(args.warmup), "--k", str(args.n_code)]
    peers = {}
    if os.path.isdir(args.peers):
        peers = {"plain TF1 port": "tf1_reference.py", "Keras 3 model.fit": "keras_model_fit.py"}
    else:
        print(f"(no peers: {args.peers} is missing; only our own numbers follow)", file=sys.stderr)
    peer_env = dict(os.environ, FMNIST_DIR=args.data_dir)

    times = {"ours": []}
    times.update({name: [] for name in peers})
    ours_peak = 0.0
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
        (_, train_s, steps, cost), peak = measure_script(args, args.steps)
        if not math.isfinite(cost):
            raise RuntimeError(f"autoencoder_mnist.py's training cost became {cost}")
        times["ours"].append(1000 * train_s / steps)
        ours_peak = max(ours_peak, peak)
        for name, script in peers.items():
            result, _, _ = run_measured([sys.executable, os.path.join(args.peers, script), *common],
                                        env=peer_env)
            times[name].append(result["ms_per_step"])
    gemm = None
    if peers:
        quick = ["--n", "256", "--repeats", "1", "--min-time", "0.001"] if args.tiny else []
        gemm, _, _ = run_measured([sys.executable, os.path.join(args.peers, "matmul_peak.py"),
                                   "--k", str(args.n_code), *quick], env=peer_env)
    (epoch_s, train_s, epoch_steps, _), run_peak = measure_script(args, args.epoch_steps)

    ours = statistics.median(times["ours"])
    sys.path.insert(0, REPO)
    import aelab  # noqa: F401  (TensorFlow starts quietly)
    import tensorflow as tf
    print(f"\nDeep autoencoder training, N_CODE={args.n_code}, batch {BATCH}: {cpu_name()}, "
          f"{os.cpu_count()} cores, TensorFlow {tf.__version__}; medians of {args.rounds} "
          f"interleaved rounds of {args.steps} steps")
    print(f"{'':<34}{'ms/step':>9}{'images/s':>10}   ours is")
    print(f"{'ours (autoencoder_mnist.py)':<34}{ours:>9.2f}{BATCH * 1000 / ours:>10.0f}")
    targets = {"plain TF1 port": 1.3, "Keras 3 model.fit": 2.0}
    for name in peers:
        theirs = statistics.median(times[name])
        print(f"{name + ' (peer)':<34}{theirs:>9.2f}{BATCH * 1000 / theirs:>10.0f}"
              f"   {theirs / ours:.2f}x faster (target >= {targets[name]}x)")
    if gemm:
        bound = gemm["lower_bound_ms_per_step_at_peak"]
        print(f"{'GEMM lower bound (6*W*B / peak)':<34}{bound:>9.2f}{BATCH * 1000 / bound:>10.0f}"
              f"   at {bound / ours:.0%} of it (target >= 60%; peak {gemm['peak_gflops']} GFLOP/s)")
        print(f"{'GEMMs at model shapes + Adam':<34}{gemm['floor_gemm_plus_adam_ms_per_step']:>9.2f}")
    overhead = epoch_s - train_s
    print(f"whole epoch as the script runs it: {epoch_s:.2f} s, of which {epoch_steps} training "
          f"steps {train_s:.2f} s ({1000 * train_s / epoch_steps:.2f} ms/step) and validation, "
          f"checkpoint, summaries and record {overhead:.2f} s = {overhead / epoch_s:.1%} "
          f"(target < 5%)")
    print(f"peak memory: training run {run_peak / 1024:.2f} GB (whole epochs), "
          f"{ours_peak / 1024:.2f} GB ({args.steps}-step epochs) (target < 1.5 GB)")
    if args.profile:
        shares, _, _ = run_measured([sys.executable, os.path.abspath(__file__), "--worker",
                                     "profile", "--data-dir", args.data_dir, "--n-code",
                                     str(args.n_code), "--warmup", str(args.warmup)])
        print("one training step by op type (share of summed op time): " + ", ".join(
            f"{kind} {share:.0%}" for kind, share in list(shares.items())[:10]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
