"""Denoising autoencoder on MNIST (KCC 2019 lab, slide "Denoising autoencoder").

    python denoising_autoencoder_mnist.py 2

The deep autoencoder of autoencoder_mnist.py, trained to undo damage: the
encoder sees corrupt_input(x), each pixel zeroed with probability 1/2, while
the loss compares the output with the clean x. As on the slides,

    c_x = (corrupt_input(x) * corrupt) + (x * (1 - corrupt))
    code = encoder(c_x, n_code, phase_train)
    output = decoder(code, n_code, phase_train)
    cost, train_summary_op = loss(output, x)

with the `corrupt` toggle fed as 1 (see aelab/model.py, build_autoencoder).
Model and training loop are autoencoder_mnist.py's, not a copy; the outputs go
to dn_mnist_autoencoder_hidden=<N_CODE>_logs/, and the validation and test
losses are measured on corrupted input, as in training.
"""

from aelab import cli
from autoencoder_mnist import main

if __name__ == "__main__":
    cli.run(lambda: main(denoising=True))
