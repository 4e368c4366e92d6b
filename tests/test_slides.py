"""Each code slide's lines live, as running code, in the file the slide names, in its order."""

import ast
import os
import shutil

import numpy as np
import pytest

from aelab.workshop.source import SCRIPTS
from running import REPO, parse, run_main, run_process


def code_lines(path):
    """(line number, statement) for every statement that runs, compound ones by their header.

    Comments and docstrings are not statements, so a slide line quoted there does not count.
    """
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, (ast.For, ast.While)):
            target = f"for {ast.unparse(node.target)} in " if isinstance(node, ast.For) else "while "
            text = target + ast.unparse(getattr(node, "iter", getattr(node, "test", None))) + ":"
        elif isinstance(node, (ast.FunctionDef, ast.If, ast.With, ast.Try)):
            continue
        elif isinstance(node, ast.stmt) and not (isinstance(node, ast.Expr)
                                                 and isinstance(node.value, ast.Constant)):
            text = ast.unparse(node)
        else:
            continue
        found.append((node.lineno, text))
    return sorted(found)


def normal(line):
    """A whole line as ast.unparse writes it, so spacing and quotes do not matter.

    The start of a line (a call cut after some arguments) is kept as written,
    in ast.unparse's style; so is a loop header.
    """
    try:
        return ast.unparse(ast.parse(line.strip()))
    except SyntaxError:
        return line.strip()


def assert_in_order(path, slide_lines):
    lines = code_lines(path)
    where = 0
    for line in slide_lines:
        wanted = normal(line)
        later = [number for number, text in lines if text.startswith(wanted) and number > where]
        assert later, f"{path}: no running line {wanted!r} after line {where}"
        where = later[0]


def test_basic_autoencoder_has_the_slides_lines_in_order():
    assert_in_order("basic_autoencoder.py", [
        "learning_rate = 0.01", "training_epoch = 20", "batch_size = 100", "n_hidden = 256",
        "n_input = 28 * 28",
        "mnist = input_data.read_data_sets(args.data_dir, one_hot=True",
        "X = tf.placeholder(tf.float32, [None, n_input])",
        "W_encode = tf.Variable(tf.random_normal([n_input, n_hidden]))",
        "b_encode = tf.Variable(tf.random_normal([n_hidden]))",
        "encoder = tf.nn.sigmoid(tf.add(tf.matmul(X, W_encode), b_encode))",
        "W_decode = tf.Variable(tf.random_normal([n_hidden, n_input]))",
        "b_decode = tf.Variable(tf.random_normal([n_input]))",
        "decoder = tf.nn.sigmoid(tf.add(tf.matmul(encoder, W_decode), b_decode))",
        "cost = tf.reduce_mean(tf.pow(X - decoder, 2))",
        "optimizer = tf.train.RMSPropOptimizer(learning_rate).minimize(cost)",
        "init = tf.global_variables_initializer()", "sess = tf.Session()", "sess.run(init)",
        "total_batch = min(int(mnist.train.num_examples / batch_size)",
        "for epoch in range(training_epoch):", "total_cost = 0",
        "for i in range(total_batch):",
        "batch_xs, batch_ys = mnist.train.next_batch(batch_size)",
        "_, cost_val = sess.run([optimizer, cost], feed_dict={X: batch_xs})",
        "total_cost += cost_val",
        "print('Epoch:', '%04d' % (epoch + 1), 'Avg. cost =', '{:.4f}'.format(total_cost / total_batch))",
        "print('최적화 완료!')",
        "samples = sess.run(decoder, feed_dict={X: mnist.test.images[:sample_size]})",
        "fig, ax = plt.subplots(2, sample_size",
        "for i in range(sample_size):",
        "ax[0][i].set_axis_off()", "ax[1][i].set_axis_off()",
        "ax[0][i].imshow(np.reshape(mnist.test.images[i], (28, 28)))",
        "ax[1][i].imshow(np.reshape(samples[i], (28, 28)))",
    ])


def test_deep_autoencoder_has_the_slides_blocks_model_and_loop_in_order():
    import autoencoder_mnist as ae
    assert (ae.n_encoder_hidden_1, ae.n_encoder_hidden_2, ae.n_encoder_hidden_3) == (1000, 500, 250)
    assert (ae.n_decoder_hidden_1, ae.n_decoder_hidden_2, ae.n_decoder_hidden_3) == (250, 500, 1000)
    assert (ae.training_epochs, ae.batch_size) == (1000, 100)
    assert callable(ae.encoder) and callable(ae.decoder) and callable(ae.layer)  # as the original
    assert_in_order("autoencoder_mnist.py", [
        # 모델 구조와 하이퍼파라미터 설정
        "n_encoder_hidden_1 = 1000", "n_encoder_hidden_2 = 500", "n_encoder_hidden_3 = 250",
        "n_decoder_hidden_1 = 250", "n_decoder_hidden_2 = 500", "n_decoder_hidden_3 = 1000",
        "learning_rate = 0.001", "training_epochs = 1000", "batch_size = 100",
        # 인코더/디코더, 손실 함수
        "code = encoder(x, n_code, phase_train, encoder_hidden)",
        "output = decoder(code, n_code, phase_train, decoder_hidden)",
        "cost, train_summary_op = loss(output, x)",
        # 필요한 모듈 호출 및 데이터셋 로드, then the graph as the original main builds it
        "mnist = input_data.read_data_sets(args.data_dir, one_hot=True",
        "total_batch = min(int(mnist.train.num_examples / batch_size)",
        "x = tf.placeholder(tf.float32, name='x', shape=[None, 784])",
        "phase_train = tf.placeholder(tf.bool, name='phase_train'",
        "global_step = tf.Variable(0, name='global_step', trainable=False)",
        "train_op = training(cost, global_step, learning_rate",
        "eval_op, in_im_op, out_im_op, val_summary_op = evaluate(output, x)",
        "saver = tf.train.Saver(",
        "sess.run(tf.global_variables_initializer())",
        # 모델 학습시키기
        "for epoch in range(start_epoch, training_epochs):", "avg_cost = 0.0",
        "for i in range(total_batch):",
        "minibatch_x, minibatch_y = mnist.train.next_batch(batch_size)",
        "_, new_cost, train_summary = sess.run([train_op, cost, train_summary_op], "
        "feed_dict={x: minibatch_x, phase_train: True})",
        "train_writer.add_summary(train_summary, sess.run(global_step))",
        "avg_cost += new_cost / total_batch",
        # the slide's line, then the parts of a cost that has some (run.parts.epoch_note: a VAE's KL)
        "print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost)",
        "validation_loss, in_im, out_im, val_summary = run.evaluate([eval_op, in_im_op, "
        "out_im_op, val_summary_op]",
        "val_writer.add_summary(summary, sess.run(global_step))",
        "print('Validation Loss:', ",
        "saver.save(sess, ",
        "print('Optimization Finished!')",
        "test_loss = run.evaluate(eval_op, feed_dict={x: mnist.test.images, phase_train: False})",
        "print('Test Loss:', ",
    ])


def _function(path, name):
    return next(node for node in ast.walk(parse(path))
                if isinstance(node, ast.FunctionDef) and node.name == name)


def _assigned(nodes):
    """The names the statements assign (=, +=, for targets, with ... as), each with its line."""
    found = []
    for node in (n for statement in nodes for n in ast.walk(statement)):
        targets = {ast.Assign: lambda n: n.targets, ast.AugAssign: lambda n: [n.target],
                   ast.AnnAssign: lambda n: [n.target], ast.For: lambda n: [n.target],
                   ast.withitem: lambda n: [n.optional_vars] if n.optional_vars else []}
        for target in targets.get(type(node), lambda n: [])(node):
            found += [(name.id, name.lineno) for name in ast.walk(target) if isinstance(name, ast.Name)]
    return found


def test_the_deep_loop_reads_like_the_slide():
    """train() initialises where it can be seen, resumes over it, and rebinds nothing in the loop."""
    train = _function("autoencoder_mnist.py", "train")
    source = ast.unparse(train)
    assert source.index("sess.run(tf.global_variables_initializer())") < source.index("run.resume(")
    loop = next(node for node in ast.walk(train) if isinstance(node, ast.For)
                and ast.unparse(node.target) == "epoch")
    before = {name for name, line in _assigned(train.body) if line < loop.lineno}
    rebound = [(name, line) for name, line in _assigned(loop.body) if name in before]
    assert not rebound, f"the epoch loop rebinds {rebound}"
    # One step count: the graph's global_step, as the slide reads it.
    steps = [node.attr for node in ast.walk(train) if isinstance(node, ast.Attribute)
             and node.attr in ("step", "global_step")]
    assert steps == [], steps
    # The file in the slides' order: the blocks, the model, the loop, then the options.
    tree = parse("autoencoder_mnist.py")
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert functions == ["autoencoder", "train", "parse_args", "main"]
    first_block = next(node.lineno for node in tree.body if isinstance(node, ast.Assign))
    assert first_block < _function("autoencoder_mnist.py", "autoencoder").lineno


def test_the_bookkeeping_calls_in_train_are_few_and_each_says_what_it_does():
    with open(os.path.join(REPO, "autoencoder_mnist.py"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    train = _function("autoencoder_mnist.py", "train")
    kit = {"run", "runs", "stacking", "pretraining", "input_data", "Precision"}
    calls = sorted({node.lineno for node in ast.walk(train) if isinstance(node, ast.Call)
                    and ast.unparse(node.func).split(".")[0] in kit
                    and ast.unparse(node.func) != "input_data.read_data_sets"})  # the slide's
    assert len(calls) <= 12, [lines[n - 1].strip() for n in calls]
    silent = [lines[n - 1].strip() for n in calls
              if "#" not in lines[n - 1] and not lines[n - 2].strip().startswith("#")]
    assert not silent, f"bookkeeping calls without a comment: {silent}"


def test_denoising_autoencoder_has_the_slides_corruption_lines_in_order():
    assert_in_order("denoising_autoencoder_mnist.py", [
        "corrupt = tf.placeholder_with_default(1.0",
        "c_x = corrupt_input(x) * corrupt + x * (1 - corrupt)",
        "code = encoder(c_x, n_code, phase_train",
        "output = decoder(code, n_code, phase_train",
        "cost, train_summary_op = loss(output, x)",
    ])


def test_corrupt_input_draws_integers_0_or_1_as_on_the_slide():
    import tensorflow.compat.v1 as tf

    from aelab import model
    with tf.Graph().as_default() as graph:
        model.corrupt_input(tf.placeholder(tf.float32, [None, 784]))
        draws = [op for op in graph.get_operations() if op.type == "RandomUniformInt"]
        assert len(draws) == 1
        with tf.Session() as sess:
            low, high = sess.run(list(draws[0].inputs)[1:])
    assert (low, high) == (0, 2)  # maxval excluded: 0 or 1


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_help_is_the_first_screen_without_tensorflow_start_up_lines(script, tmp_path):
    result = run_process(script, "--help", cwd=tmp_path)
    assert result.stdout.startswith("usage: ")
    assert result.stderr == "", result.stderr  # no oneDNN, CUDA or CPU-feature lines


@pytest.mark.parametrize("script, args", [("autoencoder_mnist.py", [2]),
                                          ("denoising_autoencoder_mnist.py", [2]),
                                          ("basic_autoencoder.py", [])])
def test_a_failed_start_leaves_no_run_folder(script, args, tmp_path, small_data):
    damaged = tmp_path / "damaged"
    shutil.copytree(small_data, damaged)
    (damaged / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    bad_data = run_main(script, *args, "--data-dir", damaged, cwd=tmp_path, check=False)
    too_big = run_main(script, *args, "--data-dir", small_data, "--batch-size", 6000, cwd=tmp_path,
                       check=False)
    for result in (bad_data, too_big):
        assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "t10k-labels-idx1-ubyte.gz is not a gzip file" in bad_data.stderr
    assert "--batch-size 6000 is larger than the training set (500 images)" in too_big.stderr
    assert sorted(os.listdir(tmp_path)) == ["damaged", "data"]


def test_restart_moves_nothing_aside_when_the_data_fails(small_data, tmp_path):
    run_main("autoencoder_mnist.py", 2, "--epochs", 1, "--data-dir", small_data,
             "--validation-size", 500, "--steps-per-epoch", 2, cwd=tmp_path)
    failed = run_main("autoencoder_mnist.py", 2, "--restart", "--data-dir", small_data,
                      "--batch-size", 6000, cwd=tmp_path, check=False)
    assert failed.returncode == 1
    assert sorted(os.listdir(tmp_path)) == ["data", "mnist_autoencoder_hidden=2_logs"]


def test_the_architecture_block_is_what_trains_and_reloads(small_data, tmp_path, monkeypatch):
    import json

    import tensorflow.compat.v1 as tf

    import autoencoder_mnist
    from aelab import checkpoints, reload
    monkeypatch.setattr(autoencoder_mnist, "encoder_hidden", (64, 32, 16))
    monkeypatch.setattr(autoencoder_mnist, "decoder_hidden", (16, 32, 64))
    run_main("autoencoder_mnist.py", 3, "--epochs", 1, "--data-dir", small_data,
             "--validation-size", 500, "--steps-per-epoch", 2, "--no-show", cwd=tmp_path)
    logdir = tmp_path / "mnist_autoencoder_hidden=3_logs"
    prefix = checkpoints.list_checkpoints(str(logdir))[-1]
    assert tf.train.load_variable(prefix, "encoder/hidden_1/W").shape == (784, 64)
    assert tf.train.load_variable(prefix, "decoder/hidden_3/W").shape == (32, 64)
    config = json.loads((logdir / "model_config.json").read_text())
    assert (config["encoder_hidden"], config["decoder_hidden"]) == ([64, 32, 16], [16, 32, 64])
    assert reload.load(str(logdir)).encode(np.zeros((5, 784), np.float32)).shape == (5, 3)
