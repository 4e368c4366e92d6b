"""The parts of a cost that a model reports beside it (model.report): a VAE's reconstruction and KL,
a sparse autoencoder's penalty and mean activation.

`Parts` finds them in a run's graph, averages them over each epoch's steps (from the training
summary the slides' loop writes) and over the validation or test images (runs.in_batches), says
them after the cost on the epoch's lines, and gives record.csv their columns (kinds.Kind.reports).
"""

import tensorflow.compat.v1 as tf

from aelab import model, record


def name_of(part):
    """A reported part's name, as model.report made it: "KL", "mean_activation"."""
    return part.op.name.rsplit("/", 1)[-1]


def said(values):
    """" (reconstruction 101.2, KL 24.3)" of [(name, value)]; "" for none."""
    text = ", ".join(f"{name.replace('_', ' ')} {value:.6g}" for name, value in values)
    return f" ({text})" if text else ""


class Parts:
    """A run's reported cost parts: their epoch's means and their means over the last set evaluated."""

    def __init__(self, kind):
        self.kind = kind
        self.tensors = []  # the graph's, found when the session starts
        self.means = []  # over the last validation or test set, one per tensor
        self.sums, self.steps = {}, 0  # this epoch's, by summary tag

    def find(self, graph):
        """Takes the parts the graph's loss reported (the collection model.REPORTED)."""
        self.tensors = graph.get_collection(model.REPORTED)

    def step(self, summary):
        """Adds a training step's values of the parts, read from its summary (tags train_<name>)."""
        if summary is None or not self.tensors:
            return
        self.steps += 1
        for value in tf.Summary.FromString(summary).value:
            tag = value.tag.rsplit("/", 1)[-1]
            self.sums[tag] = self.sums.get(tag, 0.0) + value.simple_value

    def _epoch_means(self):
        return [(name_of(part), self.sums.get("train_" + name_of(part), 0.0) / max(self.steps, 1))
                for part in self.tensors]

    @property
    def epoch_note(self):
        """What the epoch's line says after the cost: the parts' means over its steps, or ""."""
        return said(self._epoch_means())

    @property
    def note(self):
        """What a validation or test line says after the loss: the parts measured with it, or ""."""
        return said([(name_of(part), value) for part, value in zip(self.tensors, self.means)])

    def row(self):
        """record.csv's columns of the parts (kind.reports) for the epoch just validated; the next
        epoch's steps start afresh."""
        trained = dict(self._epoch_means())
        validated = {name_of(part): value for part, value in zip(self.tensors, self.means)}
        values = {}
        for part, (train, val) in record.part_columns(self.kind).items():
            name = part.replace(" ", "_")
            if name in validated:
                values[train], values[val] = f"{trained[name]:.7g}", f"{validated[name]:.7g}"
        self.sums, self.steps = {}, 0
        return values
