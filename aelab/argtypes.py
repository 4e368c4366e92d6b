"""argparse types for the options' numbers, each with a message that names what it wants."""

import argparse
import math


def number_type(convert, accept, what):
    """An argparse type: convert(text), kept where accept(value); else "must be WHAT, not TEXT"."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return value
    return parse


positive_int = number_type(int, lambda value: value >= 1, "a positive integer")
positive_float = number_type(float, lambda value: value > 0 and math.isfinite(value),
                             "a positive number")
seed = number_type(int, lambda value: 0 <= value < 2 ** 32,  # what NumPy's RandomState takes
                   f"a whole number from 0 to {2 ** 32 - 1}")
count = number_type(int, lambda value: value >= 0, "a whole number of at least 0")
probability = number_type(float, lambda value: 0 <= value < 1, "a number from 0 to below 1")
fraction = number_type(float, lambda value: 0 < value < 1, "a number between 0 and 1")
non_negative_float = number_type(float, lambda value: value >= 0 and math.isfinite(value),
                                 "a number of at least 0")
