"""--precision mixed: TensorFlow's automatic mixed precision for the device in use.

On a CUDA GPU, TensorFlow's graph rewrite computes in float16 where that is
safe, with the loss scaled so that small gradients do not vanish; on a CPU
with bfloat16 instructions (AVX512_BF16 or AMX), oneDNN's rewrite computes
the matrix products in bfloat16. Either way the variables, Adam's state, the
batch-norm statistics, the printed costs and the checkpoints stay float32, so
a checkpoint reloads without the flag. Where neither is there, it says so and
the run stays float32.
"""

import re
import sys

import tensorflow.compat.v1 as tf
from tensorflow.core.protobuf import rewriter_config_pb2

# Static loss scale for float16 on a GPU. With Adam it needs no unscaling: Adam's step
# divides the gradient's average by its spread, so a constant factor cancels (but for
# epsilon, which it makes 1024 times smaller in effect).
LOSS_SCALE = 1024.0


def cpu_has_bfloat16():
    """True where the CPU says it has bfloat16 instructions (read from Linux's /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:  # not Linux: the flags cannot be read this way, so do not promise a gain
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


class Precision:
    """What --precision asks for, as this machine can do it.

    name: "float32", "mixed bfloat16" or "mixed float16"; config: the
    tf.ConfigProto for the session (None for float32); loss_scale: what the
    loss is multiplied by before the gradients (1 but for float16).
    """

    def __init__(self, asked="float32"):
        self.name, self.config, self.loss_scale = "float32", None, 1.0
        if asked != "mixed":
            return
        on = rewriter_config_pb2.RewriterConfig.ON
        if tf.config.list_physical_devices("GPU"):
            self.config = tf.ConfigProto()
            self.config.graph_options.rewrite_options.auto_mixed_precision = on
            self.name, self.loss_scale = "mixed float16", LOSS_SCALE
        elif cpu_has_bfloat16():
            self.config = tf.ConfigProto()
            self.config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = on
            self.name = "mixed bfloat16"
        else:
            print("--precision mixed: no GPU, and this CPU has no bfloat16 instructions "
                  "(AVX512_BF16 or AMX) that would make it faster; training in float32",
                  file=sys.stderr)
            return
        print(f"--precision mixed: matrix products in {self.name.split()[-1]}; variables, "
              f"costs and checkpoints in float32", file=sys.stderr)
