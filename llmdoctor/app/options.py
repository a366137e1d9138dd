"""llmdoctor's own option values, checked where they enter: a bad one is exit 2 with one line.

Bounds are generous but finite, so no silly value can make a run slow (a GPU count of 100000) or
produce nonsense (a negative memory fraction, NaN)."""
from __future__ import annotations

import argparse
import math
import re

MAX_GPUS = 64                   # more than any one host holds; clusters are planned per node
MAX_TOKENS = 1 << 24            # 16.7M tokens of context
MAX_COUNT = 1 << 16


def int_in(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside {lo}..{hi}")
        return value
    parse.__name__ = "int"
    return parse


def float_in(lo: float, hi: float, *, lo_open: bool = True):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not (lo < value if lo_open else lo <= value) or value > hi:
            raise argparse.ArgumentTypeError(f"{text} is outside {'(' if lo_open else '['}{lo:g}, {hi:g}]")
        return value
    parse.__name__ = "float"
    return parse


_VERSION = re.compile(r"^v?\d+(\.\d+){1,3}([.-]?(rc|post|dev|a|b)\d*)?(\+[\w.]+)?$|^b\d{3,6}$|^[0-9a-f]{7,40}$")


def engine_version(text: str) -> str:
    """A release (0.11.0, v0.30.0), a llama.cpp build (b10114) or a commit (0c1e57098)."""
    if not _VERSION.match(text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a version (0.11.0), a llama.cpp build (b10114) "
                                         "or a commit (0c1e57098)")
    return text.strip()


_NAME = re.compile(r"^[A-Za-z0-9_.+-]{1,40}$")


def dtype_name(text: str) -> str:
    if not _NAME.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a dtype name")
    return text
