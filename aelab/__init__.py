"""What the lab scripts share: the MNIST loader (`input_data`) and the model (`model`)."""

import os

# TensorFlow's C++ start-up chatter (CPU features, no CUDA device) is noise in a
# classroom; warnings and errors that matter still reach Python.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
