"""Variational autoencoder on MNIST (past the slides; docs/lab.md).

    python variational_autoencoder_mnist.py 2

trains a VAE (Kingma and Welling): the encoder 784-512-256 (ReLU) gives each
image a Gaussian q(z|x), its mean and log-variance, N_CODE numbers each; a
code is drawn from it by the reparameterisation z = mean + exp(log_var / 2) *
eps, eps ~ N(0, I), so that the gradient reaches the encoder; the decoder
256-512 (ReLU) -> 784 (sigmoid) gives each pixel's Bernoulli probability.
The loss is the negative ELBO per image: the reconstruction cross-entropy,
summed over the pixels, plus KL(q(z|x) || N(0, I)); the batch mean is the
cost. It prints the deep autoencoder's lines with the two parts beside the
cost, per epoch

    Epoch: 0001 cost = 202.316421204 (reconstruction 196.8, KL 5.49)
    Validation Loss: 175.94662 (reconstruction 170.3, KL 5.69)

and writes vae_mnist_hidden=2_logs/ as autoencoder_mnist.py does; Ctrl-C
stops cleanly, the same command resumes (a new --beta is noticed and
recorded). ae_vs_pca.py reloads it (its code: the mean) and draws, for a
2-number code, the manifold decoded from a grid of the prior's quantiles,
digits sampled from the prior and the test codes coloured by class. The
data, the loop and the outputs are autoencoder_mnist.py's `train`; the model
functions are aelab/model.py's.
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

from aelab import argtypes, cli, kinds
from aelab.model import sample_code, vae_decoder, vae_encoder
from autoencoder_mnist import parse_args, train

# Architecture
n_encoder_hidden_1 = 512
n_encoder_hidden_2 = 256
n_decoder_hidden_1 = 256
n_decoder_hidden_2 = 512
encoder_hidden = (n_encoder_hidden_1, n_encoder_hidden_2)
decoder_hidden = (n_decoder_hidden_1, n_decoder_hidden_2)

# Parameters (each one a command-line option)
beta = 1.0  # the KL term's weight: 1 is the ELBO's (beta-VAE: more than 1)


def variational_autoencoder(x, n_code, phase_train, loss):
    """신경망 모델 구성: x -> encoder -> mean, log_var -> z (reparameterised) -> decoder -> output,
    and the loss: the negative ELBO (phase_train unused: no batch norm).

    Returns:
      output, cost, train_summary_op.
    """
    mean, log_var = vae_encoder(x, n_code, encoder_hidden)
    z = sample_code(mean, log_var)  # z = mean + exp(log_var / 2) * eps, eps ~ N(0, I)
    output = vae_decoder(z, n_code, decoder_hidden)
    cost, train_summary_op = loss(output, x, mean, log_var)  # reconstruction + beta * KL
    return output, cost, train_summary_op


def add_options(group):
    """The KL term's weight."""
    group.add_argument("--beta", type=argtypes.non_negative_float, default=beta,
                       help=f"weight of the KL term (default: {beta}, the ELBO; more than 1 "
                            "trades reconstruction for a code closer to the prior)")


def main(argv=None):
    args = parse_args(argv, kinds.VARIATIONAL_AUTOENCODER,
                      f"784-{n_encoder_hidden_1}-{n_encoder_hidden_2}-N_CODE x 2 (mean, "
                      f"log-variance), sampled, then N_CODE-{n_decoder_hidden_1}-"
                      f"{n_decoder_hidden_2}-784", options=add_options,
                      architecture={"encoder_hidden": encoder_hidden,
                                    "decoder_hidden": decoder_hidden})
    return train(args, variational_autoencoder)


if __name__ == "__main__":
    cli.run(main)
