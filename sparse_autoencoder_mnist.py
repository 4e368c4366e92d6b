"""Sparse autoencoder on MNIST (past the slides; docs/lab.md).

    python sparse_autoencoder_mnist.py

trains the basic autoencoder's 784-256-784 sigmoid network with a sparsity
penalty on its hidden units, so that each image is coded by a few of them
(the classic sparse autoencoder: cost = reconstruction + beta * sum_j
KL(rho || rho_hat_j), rho_hat_j unit j's mean activation over the batch, rho
the target 0.05, beta 3; --penalty l1 puts an L1 penalty on the activations
instead). It prints the deep autoencoder's lines with the cost's parts and the
hidden units' mean activation beside the cost, per epoch

    Epoch: 0001 cost = 10.861570473 (reconstruction 9.27, penalty 0.531, mean activation 0.0631)
    Validation Loss: 8.764436 (reconstruction 7.91, penalty 0.285, mean activation 0.0561)

and writes sparse_mnist_autoencoder_logs/ as autoencoder_mnist.py does;
Ctrl-C stops cleanly, the same command resumes (a new --sparsity-weight or
--sparsity-target is noticed and recorded, like a new learning rate).
ae_vs_pca.py reloads it and draws its hidden units as 28x28 tiles and the
histogram of their activations. The data, the loop and the outputs are
autoencoder_mnist.py's `train`; the model functions are aelab/model.py's.
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

from aelab import argtypes, cli, kinds
from aelab.model import sparse_decoder, sparse_encoder
from autoencoder_mnist import parse_args, train

# Architecture (the basic autoencoder's)
n_hidden = 256  # 히든 레이어의 뉴런 갯수: the code, N_CODE

# Parameters of the sparsity penalty (each one a command-line option)
sparsity_target = 0.05  # rho: the mean activation each hidden unit is held to
sparsity_weight = {"kl": 3.0, "l1": 0.01}  # beta, by --penalty


def sparse_autoencoder(x, n_code, phase_train, loss):
    """신경망 모델 구성: x -> hidden (sigmoid) -> output (sigmoid), and the loss: the reconstruction
    of x plus the sparsity penalty on the hidden units (phase_train unused: no batch norm).

    Returns:
      output, cost, train_summary_op.
    """
    hidden = sparse_encoder(x, n_code)
    output = sparse_decoder(hidden, n_code)
    cost, train_summary_op = loss(output, x, hidden)
    return output, cost, train_summary_op


def add_options(group):
    """The sparsity penalty's options."""
    group.add_argument("--penalty", choices=sorted(sparsity_weight), default="kl",
                       help="kl: beta * sum over the hidden units of KL(rho || the unit's mean "
                            "activation); l1: beta * each image's sum of |activation| (default: kl)")
    group.add_argument("--sparsity-target", type=argtypes.fraction, default=sparsity_target,
                       metavar="RHO", help="the mean activation the KL penalty holds each hidden "
                                           f"unit to (default: {sparsity_target})")
    group.add_argument("--sparsity-weight", type=argtypes.non_negative_float, default=None,
                       metavar="BETA", help="the penalty's weight (default: "
                       + ", ".join(f"{w} with {p}" for p, w in sparsity_weight.items()) + ")")


def main(argv=None):
    args = parse_args(argv, kinds.SPARSE_AUTOENCODER, "784-N_CODE-784, sigmoid, sparse hidden units",
                      options=add_options, architecture={}, n_code=n_hidden)
    if args.sparsity_weight is None:  # the penalty's own default weight
        args.sparsity_weight = sparsity_weight[args.penalty]
    return train(args, sparse_autoencoder)


if __name__ == "__main__":
    cli.run(main)
