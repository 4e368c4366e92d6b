"""Convolutional autoencoder on MNIST (past the slides; docs/lab.md).

    python conv_autoencoder_mnist.py 2

trains an autoencoder that sees images as images: two blocks of a 3x3
convolution (batch norm over the batch, height and width; ReLU) and 2x2 max
pooling take the 28x28 picture to 7x7x64, a dense layer to the N_CODE code,
and transposed convolutions back up to 28x28 (the Keras blog's and
TensorFlow's tutorials' model, in the slides' TensorFlow 1.x style). It prints
the deep autoencoder's lines, per epoch

    Epoch: 0001 cost = 6.512734890
    Validation Loss: 5.4468703

and writes conv_mnist_autoencoder_hidden=2_logs/ as autoencoder_mnist.py does
(checkpoints, model_config.json, TensorBoard events, record.csv,
loss_curve.png); Ctrl-C stops cleanly, the same command resumes. With
--corruption NU it is the convolutional denoising autoencoder (the slides'
masking noise on the input, the loss against the clean image), in
dn_conv_mnist_autoencoder_hidden=2_logs/, which dn_ae_test.py reloads;
ae_vs_pca.py reloads either. The data, the loop and the outputs are
autoencoder_mnist.py's `train`; the model functions are aelab/model.py's.
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import functools

import tensorflow.compat.v1 as tf

from aelab import cli, kinds
from aelab.model import conv_decoder, conv_encoder, loss, masking_noise
from autoencoder_mnist import parse_args, train

# Architecture
n_filters_1 = 32  # channels of the first convolution block: 28x28x1 -> 28x28x32, pooled to 14x14
n_filters_2 = 64  # of the second: 14x14x32 -> 14x14x64, pooled to 7x7
filters = (n_filters_1, n_filters_2)


def conv_autoencoder(x, n_code, phase_train, loss=loss, corruption=None):
    """신경망 모델 구성: x -> conv_encoder -> code -> conv_decoder -> output, and the loss against x.

    loss: the lab's (model.loss), or the cross-entropy with --loss cross-entropy;
    corruption: None, or the share of pixels the masking noise zeroes (the
    denoising model: the placeholder "corrupt" is 1 unless fed, as in
    denoising_autoencoder_mnist.py).

    Returns:
      output, cost, train_summary_op.
    """
    c_x = x
    if corruption is not None:  # 손상된 이미지 생성: the encoder sees damaged images
        corrupt = tf.placeholder_with_default(1.0, name="corrupt", shape=[])
        c_x = (masking_noise(x, corruption) * corrupt) + (x * (1 - corrupt))
    code = conv_encoder(c_x, n_code, phase_train, filters)
    output = conv_decoder(code, n_code, phase_train, filters)
    cost, train_summary_op = loss(output, x)  # against the clean x
    return output, cost, train_summary_op


def main(argv=None):
    args = parse_args(argv, kinds.CONV_AUTOENCODER,
                      f"28x28x1 -> conv 3x3x{n_filters_1}, pool -> conv 3x3x{n_filters_2}, "
                      "pool -> N_CODE, and back by transposed convolutions",
                      architecture={"filters": filters},
                      corrupted=kinds.CONV_DENOISING_AUTOENCODER)
    return train(args, functools.partial(conv_autoencoder, corruption=args.corruption))


if __name__ == "__main__":
    cli.run(main)
