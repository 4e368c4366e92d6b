"""The workshop's TODOs: for each, the slide section, the hints, the lines and the observer.

Each TODO is declared beside the observer that checks it. A region names the
kit's lines that become the blank (`make` cuts them out and stores what the
kit's own lines give); the observer runs a student's lines on their own, on
fixed inputs, with stand-ins for the other TODOs, and yields what they give
(`Observation`), for the checker to compare. Adding a TODO: its observer and its
declaration here, and its name in TODOS.
"""

import os
from types import SimpleNamespace

import numpy as np

from aelab import input_data
from aelab.workshop.observers import (
    CLOSE,
    VARIABLES,
    Observation,
    StandInWriter,
    building,
    fill,
    fingerprint,
    fixed,
    module,
    need,
    run_region,
    shape,
    stand_in_conv_layer,
    stand_in_decoder,
    stand_in_encoder,
    stand_in_layer,
    stand_in_loss,
    tensorflow,
    tf,
    tf_module,
    variable_shapes,
)
from aelab.workshop.source import Problem, Region, Todo

MODEL = os.path.join("aelab", "model.py")


def observe_basic_model(handout, todo):
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        X = tf.placeholder(tf.float32, [None, 784])
        ns = run_region(handout, todo, 0, {"tf": tf_module(), "n_input": 784, "n_hidden": 256,
                                           "X": X})
        variables = need(ns, ("W_encode", "b_encode", "W_decode", "b_decode"), tensorflow.Variable,
                         "a tf.Variable")
        tensors = need(ns, ("encoder", "decoder"), tf.Tensor, "a tensor")
        for name, value in {**variables, **tensors}.items():
            yield Observation(f"shape of {name}", shape(value),
                      f"{name} has shape {{got}}, expected {{want}}")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            start = sess.run(variables["W_encode"])
            yield Observation("W_encode starts", [float(start.mean()), float(start.std())],
                      "W_encode starts with mean and standard deviation {got}, expected about "
                      "{want}: random normal numbers", (0, 0.05))
            fill(sess, variables)
            for name, tensor in tensors.items():
                yield Observation(f"{name} values", fingerprint(sess.run(tensor, {X: fixed((5, 784), 1)})),
                          f"{name} differs from the reference: the layer before it times the "
                          f"weights, plus the bias, through a sigmoid?", CLOSE)


TODO_1 = Todo(1, "오토인코더 모델 구성",
              "인코더와 디코더: 가중치와 편향을 정규분포 난수로 만들고, 각 층은 sigmoid 를 쓴다",
              "encoder and decoder: weights and biases from random normal numbers, a sigmoid "
              "on each layer (W_encode, b_encode, encoder, W_decode, b_decode, decoder)",
              [Region("basic_autoencoder.py", "main", "W_encode", 6)],
              observe_basic_model, "basic")


def observe_basic_training(handout, todo):
    with tf.Graph().as_default():
        X = tf.placeholder(tf.float32, [None, 784])
        V = tf.Variable(fixed((1, 784), 2, -2, 2))
        ns = run_region(handout, todo, 0, {"tf": tf_module(), "learning_rate": 0.01, "X": X,
                                           "decoder": tf.sigmoid(V)})
        cost = need(ns, ["cost"], tf.Tensor, "a tensor")["cost"]
        optimizer = need(ns, ["optimizer"], tf.Operation, "the op that minimize() returns")
        feed = {X: fixed((6, 784), 3)}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            yield Observation("cost", float(sess.run(cost, feed)), "cost is {got}, expected {want}: the "
                      "mean of the squared difference between X and decoder?", CLOSE)
            sess.run(optimizer["optimizer"], feed)
            yield Observation("one step", fingerprint(sess.run(V)), "one training step differs from the "
                      "reference: RMSProp at learning_rate, minimising cost?", CLOSE)


TODO_2 = Todo(2, "모델 학습시키기 (손실 함수와 최적화 함수 설정)",
              "X 와 decoder 의 차이의 제곱의 평균을 cost 로, RMSProp 으로 최소화하는 optimizer",
              "cost: the mean squared difference of X and decoder; optimizer: RMSProp at "
              "learning_rate minimising it",
              [Region("basic_autoencoder.py", "main", "cost", 2)],
              observe_basic_training, "basic")


def observe_basic_test(handout, todo):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    images, samples = fixed((12, 784), 4), fixed((10, 784), 16)
    ns = run_region(handout, todo, 0, {
        "tf": tf_module(), "np": np, "plt": plt, "sample_size": 10, "samples": samples,
        "mnist": SimpleNamespace(test=SimpleNamespace(images=images))})
    if "ax" not in ns:
        raise Problem("ax is not defined")
    shown, off = [], []
    for row in range(2):
        for i in range(10):
            axes = ns["ax"][row][i]
            if not axes.get_images():
                raise Problem(f"ax[{row}][{i}] shows no image")
            shown.append(np.asarray(axes.get_images()[-1].get_array(), np.float64))
            off.append(not axes.axison)
    plt.close("all")
    yield Observation("shown shape", list(shown[0].shape), "the images shown are {got}, expected {want}")
    yield Observation("shown", fingerprint(np.stack(shown)), "the images shown differ from the "
              "reference: test images on the top row, samples below, each reshaped to 28x28?",
              CLOSE)
    yield Observation("axes off", all(off), "some axes still show their frame and ticks: set_axis_off()")


TODO_3 = Todo(3, "모델 테스트 해보기",
              "plt.subplots 로 2 x sample_size 칸을 만들고, 위에는 테스트 이미지, 아래에는 "
              "samples 를 28x28 로 imshow (축은 끄기)",
              "plt.subplots with 2 x sample_size axes: the test images on top and samples "
              "below, each reshaped to 28x28 and shown with imshow, axes off",
              [Region("basic_autoencoder.py", "main", "fig", 2)],
              observe_basic_test, "basic")


def observe_layer(handout, todo):
    model = module(handout, todo, MODEL)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 100])
        phase_train = tf.placeholder(tf.bool, [])
        with tf.variable_scope("check"):
            output = building(model["layer"], x, [100, 50], [50], phase_train, prefix="check/")
        yield Observation("variables", variable_shapes("check/"), "", kind=VARIABLES)
        variables = {v.op.name: v for v in tf.global_variables()}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            W, b = sess.run([variables["check/W"], variables["check/b"]])
            yield Observation("W starts", [float(W.mean()), float(W.std())], "W starts with mean and "
                      "standard deviation {got}, expected about {want}: sqrt(1/n_in)", (0, 0.01))
            yield Observation("b starts", float(np.abs(b).max()), "b should start at 0", (0, 1e-6))
            fill(sess, variables)
            for phase in (False, True):
                value = sess.run(output, {x: fixed((8, 100), 5), phase_train: phase})
                yield Observation(f"output, phase_train {phase}", fingerprint(value),
                          "output differs from the reference: is the activation a sigmoid of "
                          "layer_batch_norm(input W + b)?", CLOSE)


TODO_4 = Todo(4, "layer함수",
              "W (표준편차 sqrt(1/n_in) 정규분포) 와 b (0) 를 만들고 input W + b 를 "
              "layer_batch_norm 한 뒤 sigmoid",
              "make W (normal, standard deviation sqrt(1/n_in)) and b (zeros); return the "
              "sigmoid of layer_batch_norm of input W + b",
              [Region(MODEL, "layer", None, None)],
              observe_layer, "deep")


def kit_name(name):
    """A variable's name as the kit's decoder has it: its last scope "output", the slide's "code"."""
    return name.replace("decoder/code/", "decoder/output/")


def observe_encoder_decoder(handout, todo):
    model = module(handout, todo, MODEL)
    model["layer"] = stand_in_layer
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        phase_train = tf.placeholder(tf.bool, [])
        code = building(model["encoder"], x, 2, phase_train)
        output = building(model["decoder"], code, 2, phase_train)
        yield Observation("variables", {kit_name(name): shape
                                        for name, shape in variable_shapes().items()},
                          "", kind=VARIABLES)
        with tf.Session() as sess:
            fill(sess, {kit_name(v.op.name): v for v in tf.global_variables()})
            images = fixed((3, 784), 6)
            yield Observation("code", fingerprint(sess.run(code, {x: images})), "code differs from the "
                      "reference: each encoder layer on the one before, from x to the code?", CLOSE)
            yield Observation("output", fingerprint(sess.run(output, {x: images})), "output differs from "
                      "the reference: each decoder layer on the one before, from the code?", CLOSE)


TODO_5 = Todo(5, "인코더/디코더",
              "variable_scope 안에서 layer 를 네 번: 784-1000-500-250-n_code, 디코더는 그 반대",
              "four layers, each in its variable_scope: 784-1000-500-250-n_code for the encoder, "
              "back to 784 for the decoder",
              [Region(MODEL, "encoder", 1, None),
               Region(MODEL, "decoder", 1, None)],
              observe_encoder_decoder, "deep")


def observe_loss_and_training(handout, todo):
    model = module(handout, todo, MODEL)
    with tf.Graph().as_default():
        output = tf.placeholder(tf.float32, [None, 784])
        x = tf.placeholder(tf.float32, [None, 784])
        train_loss, train_summary_op = model["loss"](output, x)
        val_loss = model["evaluate"](output, x)[0]
        V = tf.Variable(fixed((10,), 8))
        global_step = tf.Variable(0, trainable=False)
        train_op = model["training"](tf.reduce_sum(tf.square(V - fixed((10,), 9))), global_step,
                                     0.001)
        feed = {output: fixed((5, 784), 6), x: fixed((5, 784), 7)}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            message = ("{} is {{got}}, expected {{want}}: the minibatch mean of each image's L2 "
                       "distance sqrt(sum((output - x)^2))?")
            yield Observation("train_loss", float(sess.run(train_loss, feed)), message.format("train_loss"),
                      CLOSE)
            yield Observation("val_loss", float(sess.run(val_loss, feed)), message.format("val_loss"), CLOSE)
            summary = tf.Summary.FromString(sess.run(train_summary_op, feed))
            yield Observation("summary tag", summary.value[0].tag, "the summary is tagged {got}, expected "
                      "{want}")
            sess.run(train_op)
            yield Observation("one step", fingerprint(sess.run(V)), "one training step differs from the "
                      "reference: Adam (beta1 0.9, beta2 0.999, epsilon 1e-8) at learning_rate?",
                      CLOSE)
            yield Observation("global step", int(sess.run(global_step)), "global_step is {got} after one "
                      "step, expected {want}: minimize(cost, global_step=global_step)")
    yield from observe_loss_call(handout, todo, 3)


def observe_loss_call(handout, todo, index):
    with tf.Graph().as_default():
        ns = run_region(handout, todo, index, {
            "tf": tf_module(), "loss": stand_in_loss, "output": tf.constant(fixed((2, 784), 11)),
            "x": tf.constant(fixed((2, 784), 12))})
        cost = need(ns, ("cost", "train_summary_op"), object, "")["cost"]
        with tf.Session() as sess:
            yield Observation("cost line", float(sess.run(cost)), "cost differs from the reference: "
                      "the loss of the output against x?", CLOSE)


TODO_6 = Todo(6, "손실 함수 정의 및 신경망 학습 알고리즘",
              "각 이미지의 L2 거리 sqrt(sum((output - x)^2)) 의 미니배치 평균; Adam 으로 최소화",
              "the minibatch mean of each image's L2 distance sqrt(sum((output - x)^2)); Adam "
              "(beta1 0.9, beta2 0.999, epsilon 1e-8) minimising cost",
              [Region(MODEL, "loss", "l2", 2),
               Region(MODEL, "training", None, None),
               Region(MODEL, "evaluate", "l2", 2),
               Region("autoencoder_mnist.py", "autoencoder", "cost", 1)],
              observe_loss_and_training, "deep")


def observe_training_loop(handout, todo):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        phase_train = tf.placeholder(tf.bool, [])
        W = tf.Variable(fixed((784, 1), 14, -0.1, 0.1))
        cost = tf.reduce_mean(tf.square(tf.matmul(x, W) - 1)) * (1 + tf.cast(phase_train, tf.float32))
        global_step = tf.Variable(0, trainable=False)
        train_op = tf.train.GradientDescentOptimizer(0.01).minimize(cost, global_step)
        writer = StandInWriter()
        data = input_data.DataSet(fixed((20, 784), 15), np.zeros(20), seed=0)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            ns = {"tf": tf_module(), "np": np, "mnist": SimpleNamespace(train=data),
                  "batch_size": 4, "total_batch": 3, "sess": sess, "train_op": train_op, "cost": cost,
                  "train_summary_op": tf.summary.scalar("train_cost", cost), "x": x,
                  "phase_train": phase_train, "train_writer": writer, "global_step": global_step,
                  "avg_cost": 0.0}
            for i in range(3):
                ns["i"] = i
                run_region(handout, todo, 0, ns)
                need(ns, ["new_cost"], (float, np.floating), "a number (the cost sess.run gives)")
            yield Observation("steps", int(sess.run(global_step)), "global_step is {got} after 3 steps, "
                      "expected {want}: run train_op once per step")
            yield Observation("weights", fingerprint(sess.run(W)), "the weights after 3 steps differ from "
                      "the reference: feed x each minibatch of mnist.train.next_batch(batch_size), "
                      "with phase_train True?", CLOSE)
            yield Observation("avg_cost", float(ns["avg_cost"]), "avg_cost is {got} after 3 steps, "
                      "expected {want}: add new_cost / total_batch at each step", CLOSE)
            yield Observation("summaries", writer.steps, "summaries were written at steps {got}, expected "
                      "{want}: train_writer.add_summary(train_summary, ...) at each step, at "
                      "sess.run(global_step)")


TODO_7 = Todo(7, "모델 학습시키기",
              "next_batch 로 미니배치를 가져와 train_op, cost, train_summary_op 를 실행하고 "
              "(x 와 phase_train True 를 feed), 요약을 global_step 에 기록, avg_cost 에 "
              "new_cost/total_batch 를 더한다",
              "take a minibatch with next_batch, run train_op, cost and train_summary_op "
              "(feeding x, and phase_train True), write the summary at the global step, add "
              "new_cost/total_batch to avg_cost",
              [Region("autoencoder_mnist.py", "train", "minibatch_x", 4)],
              observe_training_loop, "deep")


def observe_corrupt_input(handout, todo):
    model = module(handout, todo, MODEL)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 784])
        corrupted = model["corrupt_input"](x)
        # images at a scale of their own at each grading (fixed inputs are salted there), so that
        # what half of their pixels add up to is known only to lines that keep half of them
        images = fixed((200, 784), 17, 0.1, 1.0) * float(fixed((1,), 18, 0.5, 5.0)[0])
        with tf.Session() as sess:
            first, again = sess.run(corrupted, {x: images}), sess.run(corrupted, {x: images})
    yield Observation("kept", float(np.mean(first != 0)), "a share of {got} of the pixels is kept, "
                      "expected about {want}", (0, 0.02))
    yield Observation("times 0 or 1", bool(np.all((first == 0) | np.isclose(first, images))),
                      "the corrupted images should hold each pixel as it is, or 0: x times 0 or 1")
    yield Observation("sum", float(first.sum()), "the corrupted images add up to {got}, expected "
                      "about {want}: about half of the pixels kept, as they are", (0.03, 0))
    yield Observation("fresh", not np.array_equal(first, again), "the same pixels are dropped at "
                      "every run: draw the random numbers in the graph, with tf.random_uniform")


TODO_8 = Todo(8, "corrupt_input 함수",
              "tf.random_uniform 으로 0 또는 1 인 정수를 x 크기만큼 뽑아 x 에 곱한다",
              "draw integers 0 or 1 (tf.random_uniform, int32) shaped like x and multiply them "
              "into x",
              [Region(MODEL, "corrupt_input", None, None)],
              observe_corrupt_input, "denoising")


def observe_c_x(handout, todo):
    mask = (fixed((1, 784), 10) > 0.5).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        corrupt = tf.placeholder(tf.float32, [])
        ns = run_region(handout, todo, 0, {
            "tf": tf_module(), "x": x, "corrupt": corrupt, "n_code": 2, "phase_train": False,
            "encoder_hidden": (1000, 500, 250), "encoder": stand_in_encoder,
            "corrupt_input": lambda t: t * tf.constant(mask)})
        c_x, code = need(ns, ["c_x", "code"], tf.Tensor, "a tensor").values()
        with tf.Session() as sess:
            for value, meaning in ((1.0, "corrupt_input(x)"), (0.0, "x itself")):
                got = sess.run([c_x, code], {x: fixed((4, 784), 9), corrupt: value})
                yield Observation(f"c_x, corrupt {value:g}", fingerprint(got[0]), f"c_x with corrupt = "
                          f"{value:g} differs from the reference: it should be {meaning}", CLOSE)
                yield Observation(f"code, corrupt {value:g}", fingerprint(got[1]), "code differs from the "
                          "reference: the encoder's input should be c_x", CLOSE)


TODO_9 = Todo(9, "손상된 이미지 생성",
              "corrupt 가 1 이면 corrupt_input(x), 0 이면 x 가 c_x 가 된다; 인코더의 입력은 x 대신 c_x",
              "c_x is corrupt_input(x) when corrupt is 1 and x when it is 0; the encoder's input "
              "is c_x instead of x",
              [Region("denoising_autoencoder_mnist.py", "denoising_autoencoder", "c_x", 2)],
              observe_c_x, "denoising")


def observe_denoising_loss(handout, todo):
    images = fixed((2, 784), 12)
    with tf.Graph().as_default():
        ns = run_region(handout, todo, 0, {
            "tf": tf_module(), "loss": stand_in_loss, "decoder": stand_in_decoder, "n_code": 2,
            "phase_train": False, "decoder_hidden": (250, 500, 1000),
            "code": tf.constant(fixed((2, 2), 11)), "x": tf.constant(images),
            "c_x": tf.constant(images * (fixed((2, 784), 13) > 0.5))})
        output, cost = need(ns, ("output", "cost"), tf.Tensor, "a tensor").values()
        need(ns, ["train_summary_op"], object, "")
        with tf.Session() as sess:
            yield Observation("output", fingerprint(sess.run(output)), "output differs from the "
                      "reference: the decoder's output for the code?", CLOSE)
            yield Observation("cost", float(sess.run(cost)), "cost differs from the reference: does the "
                      "loss compare the output with the clean x (not c_x)?", CLOSE)


TODO_10 = Todo(10, "loss function",
               "output 은 code 를 디코더에 넣은 것; 손실 함수는 기본 오토인코더와 같지만 손상된 "
               "c_x 가 아닌 원본 x 와 비교",
               "output: the decoder of the code; the same loss as the deep autoencoder, against "
               "the clean x (not c_x)",
               [Region("denoising_autoencoder_mnist.py", "denoising_autoencoder", "output", 2)],
               observe_denoising_loss, "denoising")


# ---------------------------------------------------------------- past the slides

def observe_conv_block(handout, todo):
    model = module(handout, todo, MODEL)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 8, 8, 3])
        phase_train = tf.placeholder(tf.bool, [])
        with tf.variable_scope("check"):
            output = building(model["conv_layer"], x, [3, 3, 3, 16], phase_train, prefix="check/")
        yield Observation("variables", variable_shapes("check/"), "", kind=VARIABLES)
        yield Observation("output shape", shape(output), "the block's output has shape {got}, expected "
                          "{want}: a 'SAME' convolution of stride 1 keeps height and width")
        variables = {v.op.name: v for v in tf.global_variables()}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            W, b = sess.run([variables["check/W"], variables["check/b"]])
            yield Observation("W starts", [float(W.mean()), float(W.std())], "W starts with mean and "
                              "standard deviation {got}, expected about {want}: sqrt(2/fan_in), "
                              "fan_in = 3 * 3 * in_channels", (0, 0.04))
            yield Observation("b starts", float(np.abs(b).max()), "b should start at 0", (0, 1e-6))
            fill(sess, variables)
            for phase in (False, True):
                value = sess.run(output, {x: fixed((4, 8, 8, 3), 19), phase_train: phase})
                yield Observation(f"output, phase_train {phase}", fingerprint(value),
                                  "the block's output differs from the reference: the ReLU of "
                                  "layer_batch_norm(conv2d(input, W) + b)?", CLOSE)
    yield from observe_first_block(handout, todo, model["max_pool"])


def observe_first_block(handout, todo, max_pool):
    with tf.Graph().as_default():
        ns = run_region(handout, todo, 1, {
            "tf": tf_module(), "conv_layer": stand_in_conv_layer, "max_pool": max_pool,
            "image": tf.constant(fixed((2, 28, 28, 1), 20)), "n_filters_1": 32,
            "phase_train": tf.constant(True)})
        conv_1 = need(ns, ["conv_1"], tf.Tensor, "a tensor")["conv_1"]
        yield Observation("conv_1 shape", shape(conv_1), "conv_1 has shape {got}, expected {want}: "
                          "n_filters_1 filters of 3x3 on the 28x28x1 image, then max_pool")
        with tf.Session() as sess:
            fill(sess, {v.op.name: v for v in tf.global_variables()})
            yield Observation("conv_1", fingerprint(sess.run(conv_1)), "conv_1 differs from the "
                              "reference: conv_layer on image with a [3, 3, 1, n_filters_1] "
                              "filter, then max_pool?", CLOSE)


TODO_11 = Todo(11, "합성곱 블록 (합성곱 오토인코더)",
               "3x3 필터 W (표준편차 sqrt(2/fan_in) 정규분포, fan_in = 3*3*입력 채널) 와 b (0) 로 "
               "tf.nn.conv2d (stride 1, 'SAME') + b 를 layer_batch_norm 한 뒤 ReLU; 첫 블록은 "
               "28x28x1 image 에 n_filters_1 개의 필터, 그 뒤 max_pool",
               "a 3x3 filter W (normal, standard deviation sqrt(2/fan_in), fan_in = 3 * 3 * "
               "in_channels) and b (zeros); the ReLU of layer_batch_norm of tf.nn.conv2d "
               "(stride 1, 'SAME') plus b; the first block: conv_layer on the 28x28x1 image "
               "with n_filters_1 filters, then max_pool",
               [Region(MODEL, "conv_layer", None, None),
                Region(MODEL, "conv_encoder", "conv_1", 1)],
               observe_conv_block, "beyond")


def observe_sparsity_penalty(handout, todo):
    model = module(handout, todo, MODEL)
    with tf.Graph().as_default():
        hidden = tf.constant(fixed((6, 20), 21, 0.01, 0.99))
        penalties = {rho: model["sparsity_penalty"](hidden, "kl", rho) for rho in (0.05, 0.2)}
        with tf.Session() as sess:
            for rho, penalty in penalties.items():
                yield Observation(f"shape, rho {rho}", shape(penalty), "the penalty has shape {got}, "
                                  "expected {want}: one number, summed over the hidden units")
                yield Observation(f"penalty, rho {rho}", float(sess.run(penalty)),
                                  f"the penalty with target {rho} is {{got}}, expected {{want}}: the "
                                  f"sum over the hidden units of KL(rho || rho_hat), rho_hat each "
                                  f"unit's mean activation over the batch?", CLOSE)


TODO_12 = Todo(12, "희소성 벌점 (희소 오토인코더)",
               "rho_hat 은 은닉 유닛마다 배치에 대한 평균 활성값; 모든 유닛에 대해 KL(rho || rho_hat) = "
               "rho log(rho/rho_hat) + (1-rho) log((1-rho)/(1-rho_hat)) 을 더한다 (rho 는 target)",
               "rho_hat: each hidden unit's mean activation over the batch; return the sum over "
               "the units of KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) "
               "log((1 - rho) / (1 - rho_hat)), rho being target",
               [Region(MODEL, "sparsity_penalty", "rho_hat", 2)],
               observe_sparsity_penalty, "beyond")


def observe_vae_terms(handout, todo):
    model = module(handout, todo, MODEL)
    means, log_vars = fixed((20000, 2), 22, -2, 2), fixed((20000, 2), 23, -1, 1)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        mean, log_var = tf.constant(means), tf.constant(log_vars)
        z = model["sample_code"](mean, log_var)
        if not isinstance(z, tf.Tensor):
            raise Problem(f"sample_code should return a tensor, not {type(z).__name__}")
        by_mean, by_log_var = tf.gradients(tf.reduce_sum(z), [mean, log_var])
        if by_mean is None or by_log_var is None:
            raise Problem("z does not depend on mean and log_var in the graph: make it from them "
                          "with TensorFlow operations")
        with tf.Session() as sess:
            z_value, by_mean, by_log_var = sess.run([z, by_mean, by_log_var])
            again = sess.run(z)
    yield Observation("z shape", list(z_value.shape), "z has shape {got}, expected {want}: mean's")
    eps = (z_value - means) / np.exp(log_vars / 2)
    yield Observation("eps mean", float(eps.mean()), "(z - mean) / exp(log_var / 2) has mean {got}, "
                      "expected about {want}: eps from a standard normal (tf.random_normal)?", (0, 0.05))
    yield Observation("eps spread", float(eps.std()), "(z - mean) / exp(log_var / 2) has standard "
                      "deviation {got}, expected about {want}: z = mean + exp(log_var / 2) * eps, "
                      "exp(log_var / 2) being the standard deviation?", (0, 0.05))
    yield Observation("dz/dmean", float(np.abs(by_mean - 1).max()), "z should move one for one with "
                      "mean (z = mean + ...): its gradient is off by up to {got}", (0, 1e-5))
    yield Observation("dz/dlog_var", float(np.abs(by_log_var - (z_value - means) / 2).max()),
                      "z's gradient with respect to log_var is off by up to {got}: z = mean + "
                      "exp(log_var / 2) * eps, eps drawn apart from mean and log_var?", (0, 1e-4))
    yield Observation("fresh", not np.array_equal(z_value, again), "z is the same at every run: draw "
                      "eps in the graph (tf.random_normal), afresh at each run")
    with tf.Graph().as_default():
        kl = model["kl_divergence"](tf.constant(fixed((5, 3), 24, -2, 2)),
                                    tf.constant(fixed((5, 3), 25, -1, 1)))
        yield Observation("KL shape", shape(kl), "the KL has shape {got}, expected {want}: one number "
                          "per image, summed over its code")
        with tf.Session() as sess:
            yield Observation("KL", fingerprint(sess.run(kl)), "the KL differs from the reference: "
                              "-1/2 sum(1 + log_var - mean^2 - exp(log_var)) over each image's code?",
                              CLOSE)


TODO_13 = Todo(13, "재매개화와 KL 항 (변분 오토인코더)",
               "eps 를 mean 과 같은 크기의 표준정규분포 (tf.random_normal) 에서 뽑아 z = mean + "
               "exp(log_var / 2) * eps; KL 은 이미지마다 -1/2 sum(1 + log_var - mean^2 - exp(log_var))",
               "draw eps from a standard normal shaped like mean (tf.random_normal) and return "
               "z = mean + exp(log_var / 2) * eps; the KL of each image: -1/2 sum(1 + log_var - "
               "mean^2 - exp(log_var)) over its code",
               [Region(MODEL, "sample_code", None, None),
                Region(MODEL, "kl_divergence", None, None)],
               observe_vae_terms, "beyond")


TODOS = (TODO_1, TODO_2, TODO_3, TODO_4, TODO_5, TODO_6, TODO_7, TODO_8, TODO_9, TODO_10,
         TODO_11, TODO_12, TODO_13)
