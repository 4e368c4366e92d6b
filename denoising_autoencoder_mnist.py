"""Denoising autoencoder on MNIST (KCC 2019 lab, slide "Denoising autoencoder").

    python denoising_autoencoder_mnist.py 2

The deep autoencoder of autoencoder_mnist.py, trained to undo damage: the
encoder sees corrupt_input(x), each pixel zeroed with probability 1/2
(--corruption to change), while the loss compares the output with the clean
x. The lines that make it a denoising autoencoder are below, as on the
slides; the data, the training loop and the outputs are autoencoder_mnist.py's
`train`, not a copy, and the loop feeds x and phase_train only, as on the
slide: the corruption is on unless a feed turns it off. The run folder is
dn_mnist_autoencoder_hidden=<N_CODE>_logs/, and the validation and test
losses are measured on corrupted input, as in training.
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import functools

import tensorflow.compat.v1 as tf

from aelab import cli, kinds
from aelab.model import corrupt_input, decoder, encoder, loss, masking_noise
from autoencoder_mnist import decoder_hidden, encoder_hidden, parse_args, train


def denoising_autoencoder(x, n_code, phase_train, loss=loss, corrupt_input=corrupt_input):
    """신경망 모델 구성: corrupted x -> encoder -> code -> decoder -> output, loss against x.

    loss: the slides' (model.loss), or the cross-entropy with --loss cross-entropy;
    corrupt_input: the slides' masking noise (half of the pixels zeroed), or the
    same at the --corruption level.

    Returns:
      output, cost, train_summary_op. The placeholder "corrupt" is 1 unless fed
      (training, validation and test all see corrupted input; 0 gives x itself).
    """
    # 손상된 이미지 생성: corrupt 1 corrupts the input (c_x = corrupt_input(x)), 0 keeps x
    corrupt = tf.placeholder_with_default(1.0, name="corrupt", shape=[])
    c_x = (corrupt_input(x) * corrupt) + (x * (1 - corrupt))
    code = encoder(c_x, n_code, phase_train, encoder_hidden)
    # loss function: against the clean x, so that it learns to give back the original
    output = decoder(code, n_code, phase_train, decoder_hidden)
    cost, train_summary_op = loss(output, x)
    return output, cost, train_summary_op


def main(argv=None):
    args = parse_args(argv, kinds.DENOISING_AUTOENCODER)
    if args.corruption != 0.5:  # --corruption: the same masking noise at another level
        return train(args, functools.partial(
            denoising_autoencoder,
            corrupt_input=functools.partial(masking_noise, corruption=args.corruption)))
    return train(args, denoising_autoencoder)


if __name__ == "__main__":
    cli.run(main)
