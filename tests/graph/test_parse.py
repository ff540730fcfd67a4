"""Edge-list parsing kernels: numbers as Python reads them, or a refusal.

Python's ``int`` and ``float`` (correctly rounded) are the references for
single fields; whole blocks must not depend on how they are split into
parallel parts.  (tests/graph/test_ingest.py compares whole files with
pandas.)
"""

from __future__ import annotations

import numpy as np
import pytest

from skgraphemb._kernels._pool import KernelThreads
from skgraphemb.graph import _parse_kernels as _parse


def _field(parse, text):
    buf = np.frombuffer((text + "\n").encode(), dtype=np.uint8)
    value, end, ok = parse(buf, 0)
    return value, ok and end == len(text)


def _random_ints(rng, k):
    texts = []
    for _ in range(k):
        digits = "".join(rng.choice(list("0123456789")) for _ in range(rng.integers(1, 22)))
        texts.append(rng.choice(["", "+", "-"]) + digits)
    return texts + [
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "-9223372036854775809",
        "+0",
        "-0",
        "000000000000000000000000000042",
    ]


def test_ids_parse_as_python_int_or_are_refused():
    rng = np.random.default_rng(0)
    for text in _random_ints(rng, 3000):
        value, ok = _field(_parse._parse_id, text)
        exact = int(text)
        if -(2**63) <= exact < 2**63:
            assert ok and value == exact, text
        else:
            assert not ok, text


@pytest.mark.parametrize("text", ["", "+", "-", "1.0", "1e3", "0x10", "--1", "1_0", " 1", "a"])
def test_ids_outside_the_grammar_are_refused(text):
    assert not _field(_parse._parse_id, text)[1]


def _random_decimals(rng, k):
    texts = []
    for _ in range(k):
        whole = "".join(rng.choice(list("0123456789")) for _ in range(rng.integers(0, 12)))
        frac = "".join(rng.choice(list("0123456789")) for _ in range(rng.integers(0, 12)))
        text = rng.choice(["", "+", "-"]) + whole + (("." + frac) if rng.random() < 0.7 else "")
        if rng.random() < 0.4:
            text += rng.choice(["e", "E"]) + rng.choice(["", "+", "-"]) + str(rng.integers(0, 30))
        texts.append(text)
    return texts


def test_weights_parse_as_python_float_or_are_refused():
    rng = np.random.default_rng(1)
    taken = 0
    for text in _random_decimals(rng, 5000) + ["1e22", "1e23", "9007199254740993", "0.1", "5.", ".5"]:
        value, ok = _field(_parse._parse_weight, text)
        if not ok:  # not a number, or not exactly computable: pandas decides
            continue
        taken += 1
        exact = float(text)  # accepted texts are numbers for Python too
        assert value == exact and np.signbit(value) == np.signbit(exact), text
    assert taken > 2500  # the grammar takes most plain decimals


@pytest.mark.parametrize(
    "text",
    [
        "nan",
        "inf",
        "-Infinity",
        "1e",
        ".",
        ".e3",
        "1.5.5",
        "1d3",
        "0x1p3",
        "1e400",
        "1e-400",
        "12345678901234567890.5",
        "1,5",
    ],
)
def test_weights_outside_the_grammar_are_refused(text):
    assert not _field(_parse._parse_weight, text)[1]


@pytest.mark.parametrize("mode, sep", [(_parse.MODE_TAB, "\t"), (_parse.MODE_COMMA, ","), (_parse.MODE_SPACE, "  ")])
def test_blocks_parse_the_same_in_any_number_of_parts(mode, sep):
    rng = np.random.default_rng(2)
    rows = rng.integers(-(10**6), 10**6, size=(500, 2))
    weights = rng.integers(1, 1000, 500) / 8
    lines = []
    for i, ((u, v), w) in enumerate(zip(rows.tolist(), weights.tolist())):
        if i % 50 == 0:
            lines.append("# comment")
        if i % 70 == 0:
            lines.append("")
        lines.append(f"{u}{sep}{v}{sep}{w}" + ("\r" if i % 3 == 0 else ""))
    buf = np.frombuffer(("\n".join(lines) + "\n").encode(), dtype=np.uint8)
    for n_parts, n_threads in ((1, 1), (2, 2), (7, 2), (64, 3)):
        with KernelThreads(n_threads) as threads:
            block, status, _ = _parse._parse_block(buf, 0, len(buf), mode, ord("#"), 3, n_parts, threads)
        assert status == _parse.OK and block.flags.owndata
        np.testing.assert_array_equal(block[:2].T, rows)
        np.testing.assert_array_equal(block[2].view(np.float64), weights)


def test_a_bad_line_in_any_part_is_reported():
    text = "".join(f"{i}\t{i + 1}\n" for i in range(1000)).replace("500\t501", "500\t5x1")
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    for n_parts in (1, 3, 16):
        with KernelThreads(2) as threads:
            *_, status, where = _parse._parse_block(buf, 0, len(buf), _parse.MODE_TAB, ord("#"), 2, n_parts, threads)
        assert status == _parse.BAD_LINE and text[where] == "x"
