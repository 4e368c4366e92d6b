"""What a run folder says about its run: model_config.json, record.csv and the loss curve.

- `model_config.json`: what a reload needs (which model, n_code, architecture,
  training settings, data), written when a run starts; each kind of model
  (aelab/kinds.py) adds its own settings (a VAE's beta, a sparse autoencoder's
  target activation and penalty weight) and its own architecture;
- `record.csv`: one row per finished epoch (costs, seconds, stage, precision);
- `loss_curve.png`: the slides' loss curve, drawn from the record.
"""

import csv
import json
import os

from aelab import figures, input_data, kinds, paths

# How each epoch of any kind was trained: a resume may change these, and says so; record.csv
# keeps each epoch's, and model_config.json the epochs of each value (its "trained_with").
# Each with how a resume names the new value, and how it names an earlier one. A kind adds
# its own (kinds.Kind.trained_with), between the batch size and the data.
TRAINED_WITH = {"learning_rate": ("at learning rate {}", "at {}"),
                "batch_size": ("at batch size {}", "at batch size {}"),
                "data": ("with the data in {}", "on the data in {}")}
WHOLE_NETWORK = "whole network"  # the stage of an epoch that trains every layer
CONFIG_FILE = "model_config.json"
RECORD_FILE = "record.csv"
RECORD_FIELDS = ["epoch", "global_step", "train_cost", "val_loss", "seconds", "train_seconds",
                 "stage", "precision"]
LOSS_CURVE_FILE = "loss_curve.png"


def trained_with_of(kind):
    """How an epoch of kind was trained, in record.csv's order: TRAINED_WITH and the kind's own."""
    learning_rate, batch_size, data = TRAINED_WITH.items()
    return dict([learning_rate, batch_size, *kind.trained_with.items(), data])


def part_columns(kind):
    """{part: (its training column, its validation column)} of kind's reported cost parts."""
    return {part: (f"train_{part.replace(' ', '_')}", f"val_{part.replace(' ', '_')}")
            for part in kind.reports}


def fields(kind):
    """record.csv's columns for a run of kind."""
    return (RECORD_FIELDS + list(trained_with_of(kind))
            + [column for columns in part_columns(kind).values() for column in columns])


def settings(args, kind, more):
    """What model_config.json records of a run of kind: the lab's options (learning rate, batch
    size, data), what the kind learns and its own settings (kind.learns, kind.trained_with)
    where the options have them, and `more` (the architecture, say).

    "data" is the folder the images are read from, whether named or the default one.
    """
    learns = {key: getattr(args, key) for key in [*kind.learns, *kind.trained_with]
              if getattr(args, key, None) is not None}
    return {"learning_rate": args.learning_rate, "batch_size": args.batch_size,
            "dataset": input_data.dataset_name(args.dataset, args.data_dir),
            "data_dir": os.path.abspath(args.data_dir) if args.data_dir else None,
            "data": os.path.abspath(args.data_dir or input_data.default_data_dir(args.dataset)),
            "validation_size": args.validation_size, **learns, **more}


def epoch_settings(kind, settings):
    """An epoch's row values of how it was trained (trained_with_of), as record.csv writes them."""
    return {key: str(settings[key]) for key in trained_with_of(kind)
            if settings.get(key) is not None}


def spans(rows, config, key):
    """[(first epoch, last epoch, value)] of a setting over the recorded epochs, as written in
    record.csv; rows from before the record kept it take the config's value (the run's
    setting when it last started)."""
    found = []
    for row in rows:
        value = row.get(key) or (str(config[key]) if config.get(key) is not None else "")
        epoch = int(row["epoch"])
        if found and found[-1][2] == value:
            found[-1] = (found[-1][0], epoch, value)
        else:
            found.append((epoch, epoch, value))
    return found


def resume_note(kind, rows, config, settings):
    """The line a resume says where it trains on with another value of how the run learns, or None.

    "resuming at learning rate 0.01; epochs 1-3 were trained at 0.001 (--restart starts over)"
    """
    said = []
    for key, (now_said, then_said) in trained_with_of(kind).items():
        now = epoch_settings(kind, settings).get(key)
        earlier = [span for span in spans(rows, config, key) if span[2]]
        if now is None or not earlier or earlier[-1][2] == now:
            continue
        first, *later = earlier
        were = [_trained(first, then_said)] + [f"{_epochs(a, b)} {then_said.format(value)}"
                                               for a, b, value in later]
        said.append(f"resuming {now_said.format(now)}; {', '.join(were)}")
    return "; ".join(said) + " (--restart starts over)" if said else None


def _epochs(first, last):
    return f"epoch {first}" if first == last else f"epochs {first}-{last}"


def _trained(span, then_said):
    first, last, value = span
    return f"{_epochs(first, last)} {'was' if first == last else 'were'} trained {then_said.format(value)}"


def trained_with(kind, rows, config):
    """model_config.json's record of the epochs of each value of how the run was trained."""
    found = {key: [[a, b, value] for a, b, value in spans(rows, config, key) if value]
             for key in trained_with_of(kind)}
    return {key: values for key, values in found.items() if values}


def settings_at(config, epoch):
    """The config as it was for a checkpoint of `epoch`: how that epoch was trained, where
    the config's trained_with says; the config's own values otherwise."""
    at = dict(config)
    for key, values in (config.get("trained_with") or {}).items():
        for first, last, value in values:
            if first <= (epoch or 0) <= last and key in at:
                at[key] = type(at[key])(value) if at[key] is not None else value
    return at


def loss_note(kind, settings):
    """What a run says after each validation and test loss, where it is not the lab's L2 of clean images."""
    notes = ["cross-entropy"] if settings.get("loss") == "cross-entropy" else []
    if kind.corrupted:
        notes.append("input corrupted, as in training")
    return f" ({'; '.join(notes)})" if notes else ""


def save_config(folder, kind, n_code, **settings):
    """Writes what a reload needs (which kind of model, n_code, settings) into folder."""
    config = dict(model=kind.name, n_code=int(n_code), **settings)
    path = os.path.join(folder, CONFIG_FILE)
    paths.write_whole(path, json.dumps(config, indent=2, sort_keys=True) + "\n")
    return path


def load_config(folder):
    """Reads the config that save_config wrote; None if the folder has none.

    Raises:
      ValueError: the file is there but is not a config of a kind of model this kit knows
        (kinds.REGISTRY), with the n_code and layer widths that kind has.
    """
    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
        kinds.REGISTRY[config["model"]].check(config)
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path} is not a model config of this lab (expected a model of "
                         f"{', '.join(kinds.REGISTRY)} and positive whole numbers for n_code and "
                         f"the layer widths)") from None
    return config


def read_record(logdir, up_to_epoch):
    """The record's rows for epochs 1..up_to_epoch (later rows belong to lost epochs).

    Lines that are not rows of the record (a file cut short, say) are left out.
    """
    path = os.path.join(logdir, RECORD_FILE)
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [row for row in rows
            if (row.get("epoch") or "").isdigit() and int(row["epoch"]) <= up_to_epoch]


def write_record(logdir, kind, rows):
    """record.csv anew, with the rows (a column of an older record that the kind no longer
    writes is left out)."""
    with open(os.path.join(logdir, RECORD_FILE), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields(kind), restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def append_record(logdir, kind, row):
    with open(os.path.join(logdir, RECORD_FILE), "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, fields(kind)).writerow(row)


def write_loss_curve(logdir, rows, title, kind, settings, also=None, show=False):
    """Draws the record's rows as the slides' loss curve into logdir (and `also`); shows it if asked.

    The axis says what the kind's cost measures (kind.measure of the run's settings).

    Where a resume changed how the run learns, the curve marks the epoch, with the new value.
    """
    costs = [[float(r.get(key) or "nan") for r in rows] for key in ("train_cost", "val_loss")]
    stages = [r.get("stage") or WHOLE_NETWORK for r in rows]
    changed = [key for key in trained_with_of(kind)
               if len({r.get(key) for r in rows if r.get(key)}) > 1]
    marks = [", ".join([stage] + [f"{key.replace('_', ' ')} {os.path.basename(r.get(key) or '?')}"
                                  for key in changed]) for stage, r in zip(stages, rows)]
    parts = {part: [[float(r.get(column) or "nan") for r in rows] for column in columns]
             for part, columns in part_columns(kind).items()}
    fig = figures.loss_curve([int(r["epoch"]) for r in rows], *costs, title, stages,
                             kind.measure(settings), marks, parts)
    try:
        figures.save_figure(fig, os.path.join(logdir, LOSS_CURVE_FILE))
        if also:
            figures.save_figure(fig, also)
        if show and figures.has_display():
            figures.plt.show()
    finally:
        figures.plt.close(fig)
