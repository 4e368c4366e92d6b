"""Basic autoencoder on MNIST (KCC 2019 lab, slide "Basic autoencoder").

    python basic_autoencoder.py

A 784-256-784 sigmoid network trained to give back its input (RMSProp, 20
epochs, mean squared error). Prints `Epoch: 0001 Avg. cost = 0.2015` per epoch
and `최적화 완료!`, then shows the first ten test images above their
reconstructions (saved as basic_autoencoder.png where there is no display).
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import argparse

import matplotlib.pyplot as plt
import numpy as np
import tensorflow.compat.v1 as tf

from aelab import cli, figures, input_data, steps

# 옵션 설정 (the slides' hyperparameters; each one a command-line option)
learning_rate = 0.01
training_epoch = 20
batch_size = 100
# 신경망 레이어 구성 옵션
n_hidden = 256  # 히든 레이어의 뉴런 갯수 (neurons in the hidden layer)
n_input = 28 * 28  # 입력값 크기 - 이미지 픽셀 수 (pixels per image)
sample_size = 10  # test images shown in the figure

FIGURE_FILE = "basic_autoencoder.png"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Train the slides' basic 784-256-784 autoencoder on MNIST and show "
                    "ten test images with their reconstructions.")
    cli.add_training_arguments(parser, training_epoch, batch_size, learning_rate)
    figures.add_figure_arguments(parser, FIGURE_FILE)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    learning_rate, training_epoch, batch_size = args.learning_rate, args.epochs, args.batch_size
    mnist = input_data.read_data_sets(args.data_dir, one_hot=True, dataset=args.dataset,
                                      validation_size=args.validation_size, seed=args.seed)
    input_data.check_sizes(mnist, batch_size)
    tf.set_random_seed(args.seed)

    # 신경망 모델 구성
    # Y 가 없다: 비지도 학습이므로 입력 X 가 곧 정답이다 (no labels: the input is the target).
    X = tf.placeholder(tf.float32, [None, n_input])
    # 인코더: 784 -> 256, 정보를 압축해 특징을 뽑는다 (squeeze the image into 256 numbers)
    W_encode = tf.Variable(tf.random_normal([n_input, n_hidden]))
    b_encode = tf.Variable(tf.random_normal([n_hidden]))
    encoder = tf.nn.sigmoid(tf.add(tf.matmul(X, W_encode), b_encode))
    # 디코더: 256 -> 784, 입력과 같은 크기의 출력을 만든다 (and back to an image)
    W_decode = tf.Variable(tf.random_normal([n_hidden, n_input]))
    b_decode = tf.Variable(tf.random_normal([n_input]))
    decoder = tf.nn.sigmoid(tf.add(tf.matmul(encoder, W_decode), b_decode))
    # 입력값 X 와 디코더의 출력의 차이를 최소화한다 (mean squared error)
    cost = tf.reduce_mean(tf.pow(X - decoder, 2))
    optimizer = tf.train.RMSPropOptimizer(learning_rate).minimize(cost)

    # 신경망 모델 학습
    init = tf.global_variables_initializer()
    sess = tf.Session()
    sess.run(init)
    total_batch = min(int(mnist.train.num_examples / batch_size), args.steps_per_epoch)
    with steps.Steps(total_batch, epochs=training_epoch) as watch:  # progress; Ctrl-C or NaN ends it
        for epoch in range(training_epoch):
            total_cost = 0
            for i in range(total_batch):
                batch_xs, batch_ys = mnist.train.next_batch(batch_size)
                _, cost_val = sess.run([optimizer, cost], feed_dict={X: batch_xs})
                total_cost += cost_val
                watch.step_done(cost_val)
            print("Epoch:", "%04d" % (epoch + 1), "Avg. cost =", "{:.4f}".format(total_cost / total_batch))
        print("최적화 완료!")
    if watch.stopped:
        return steps.ending(watch, watch.place, "this model is not saved",
                            then=f"A full run of {args.epochs} epochs takes a few minutes.")

    # 모델 테스트 해보기: 앞에서부터 테스트 이미지 sample_size 개를 X 에 넣어 디코더의 출력을 얻고,
    # 위에는 원본, 아래에는 재구성한 이미지를 그린다 (test images on top, reconstructions below)
    samples = sess.run(decoder, feed_dict={X: mnist.test.images[:sample_size]})
    fig, ax = plt.subplots(2, sample_size, figsize=(sample_size, 2.4))
    for i in range(sample_size):
        ax[0][i].set_axis_off()
        ax[1][i].set_axis_off()
        ax[0][i].imshow(np.reshape(mnist.test.images[i], (28, 28)))
        ax[1][i].imshow(np.reshape(samples[i], (28, 28)))
    fig.suptitle(f"Basic autoencoder: {input_data.dataset_title(args.dataset, args.data_dir)} "
                 f"test images (top) and their reconstructions (bottom)")
    figures.finish_figure(fig, FIGURE_FILE, save=args.save, no_show=args.no_show)
    return 0


if __name__ == "__main__":
    cli.run(main)
