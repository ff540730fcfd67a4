"""Parse blocks of edge-list text into int64 id columns and float64 weights.

The grammar is a strict subset of what ``pandas.read_csv`` (C engine) reads
the same way; the caller falls back to pandas whenever a kernel reports a
status other than :data:`OK`.  A block is parsed in parts split at newlines,
on several threads (serial ``nogil`` kernels driven by ``KernelThreads``).

Grammar (bytes; ``pad`` is a space, or a space or tab when the separator is
``,`` or whitespace)::

    line    := comment | blank | record
    comment := (SPACE | TAB)* COMMENT_CHAR (any byte but CR)* EOL
    blank   := (SPACE | TAB)* EOL
    record  := pad* field (SEP field){ncols-1} pad* EOL
    field   := id pad* | weight pad*                    # ids: columns 0 and 1
    id      := [+-]? [0-9]+                             # within int64
    weight  := [+-]? ([0-9]+ ('.' [0-9]*)? | '.' [0-9]+) ([eE] [+-]? [0-9]+)?
    SEP     := pad* TAB pad* | pad* ',' pad* | pad+     # .tsv | .csv | whitespace
    EOL     := LF | CR LF | end of file

A weight is accepted only when its value is exact to compute: at most 19
significant digits, a mantissa (trailing zeros dropped) of at most 2**53 and
a power of ten within 1e-22..1e22.  Then ``mantissa * 10**k`` or
``mantissa / 10**-k`` is one correctly rounded IEEE operation on exact
operands, which is the correctly rounded value pandas' parser returns.
Anything else (a quote, a comment character inside a record -- ``#`` is
part of an id there, as pandas then reads it --, a lone CR, an id beyond
int64, ``nan``/``inf``, a ragged line, any other byte) stops the parse with
a non-zero status.
"""

import numba
import numpy as np

from skgraphemb.graph._csr_kernels import pool_for

MODE_TAB, MODE_COMMA, MODE_SPACE = 0, 1, 2

#: Status codes returned by the kernels (0 = parsed).
OK, BAD_ID, BAD_WEIGHT, BAD_LINE, LONE_CR = 0, 1, 2, 3, 4
REASONS = {
    BAD_ID: "a field in an id column is not an int64 integer",
    BAD_WEIGHT: "a weight is not a plain decimal number with an exactly computable value",
    BAD_LINE: "a line does not have the expected fields (ragged, quoted, commented or other bytes)",
    LONE_CR: "a carriage return not followed by a newline",
}

_LF, _CR, _TAB, _SPACE, _COMMA = 10, 13, 9, 32, 44
_PLUS, _MINUS, _DOT, _ZERO, _NINE = 43, 45, 46, 48, 57
_E_LOWER, _E_UPPER = 101, 69
_INT64_MAX = np.uint64(9223372036854775807)
_INT64_MIN_ABS = np.uint64(9223372036854775808)
_TEN = np.uint64(10)
_TWO53 = np.uint64(1 << 53)
_POW10 = np.array([10.0**k for k in range(23)])  # exact doubles


@numba.njit(inline="always", cache=True)
def _is_pad(c, mode):
    return c == _SPACE or (c == _TAB and mode != MODE_TAB)


@numba.njit(inline="always", cache=True)
def _skip_line(buf, i, mode, comment):
    """Start of the next line if the line at ``i`` is a comment or blank,
    ``i`` if it is a record, -1 if a comment holds a lone CR.

    Spaces and tabs may precede the comment character (in every mode): a
    comment is a line whose first non-blank byte is ``comment``, and a line
    of spaces and tabs is blank."""
    p = i
    while buf[p] == _SPACE or buf[p] == _TAB:
        p += 1
    if buf[p] == comment:
        while buf[p] != _LF:
            if buf[p] == _CR and buf[p + 1] != _LF:
                return -1
            p += 1
        return p + 1
    if buf[p] == _LF:
        return p + 1
    if buf[p] == _CR and buf[p + 1] == _LF:
        return p + 2
    return i


@numba.njit(inline="always", cache=True)
def _digit(c):
    """The value of an ASCII digit, or -1."""
    d = np.int64(c) - _ZERO
    return d if 0 <= d <= 9 else -1


@numba.njit(inline="always", cache=True)
def _parse_id(buf, p):
    """``(value, end, ok)`` of ``[+-]?[0-9]+`` at ``p`` within int64.

    No bounds checks: the caller's range ends with a newline, a non-digit.
    """
    neg = False
    if buf[p] == _PLUS or buf[p] == _MINUS:
        neg = buf[p] == _MINUS
        p += 1
    first = p
    while buf[p] == _ZERO:
        p += 1
    sig = p
    acc = np.uint64(0)
    while True:
        d = _digit(buf[p])
        if d < 0:
            break
        if p - sig == 19:  # 20 significant digits: beyond int64
            return np.int64(0), p, False
        acc = acc * _TEN + np.uint64(d)
        p += 1
    if p == first:
        return np.int64(0), p, False
    if neg:
        if acc > _INT64_MIN_ABS:
            return np.int64(0), p, False
        if acc == _INT64_MIN_ABS:
            return np.int64(-9223372036854775807 - 1), p, True
        return -np.int64(acc), p, True
    if acc > _INT64_MAX:
        return np.int64(0), p, False
    return np.int64(acc), p, True


@numba.njit(inline="always", cache=True)
def _parse_weight(buf, p):
    """``(value, end, ok)`` of a decimal number whose value is exact to compute."""
    neg = False
    if buf[p] == _PLUS or buf[p] == _MINUS:
        neg = buf[p] == _MINUS
        p += 1
    mant = np.uint64(0)
    digits = 0  # significant digits taken into mant
    exp10 = 0
    any_digit = False
    in_fraction = False
    while True:
        d = _digit(buf[p])
        if d < 0:
            if buf[p] == _DOT and not in_fraction:
                in_fraction = True
                p += 1
                continue
            break
        any_digit = True
        if digits > 0 or d != 0:
            if digits == 19:
                return 0.0, p, False
            mant = mant * _TEN + np.uint64(d)
            digits += 1
        if in_fraction:
            exp10 -= 1
        p += 1
    if not any_digit:
        return 0.0, p, False
    if buf[p] == _E_LOWER or buf[p] == _E_UPPER:
        p += 1
        eneg = False
        if buf[p] == _PLUS or buf[p] == _MINUS:
            eneg = buf[p] == _MINUS
            p += 1
        efirst = p
        e = 0
        while True:
            d = _digit(buf[p])
            if d < 0:
                break
            if e < 100000:
                e = e * 10 + d
            p += 1
        if p == efirst:
            return 0.0, p, False
        exp10 += -e if eneg else e
    if mant == 0:
        return -0.0 if neg else 0.0, p, True
    while mant % _TEN == 0:
        mant //= _TEN
        exp10 += 1
    if mant > _TWO53 or exp10 > 22 or exp10 < -22:
        return 0.0, p, False
    x = np.float64(mant)
    x = x * _POW10[exp10] if exp10 >= 0 else x / _POW10[-exp10]
    return -x if neg else x, p, True


@numba.njit(cache=True, nogil=True)
def _parse_range(buf, start, stop, mode, comment, ncols, src, dst, w, out):
    """Parse the lines of ``buf[start:stop]`` into rows ``out, out + 1, ...``.

    ``buf[stop - 1]`` must be a newline (the caller ends the file's last
    line with one), so scans stop at it without bounds checks.  Returns
    ``(rows, status, position)``: the rows written, :data:`OK` or the reason
    the grammar was left, and where.
    """
    sep = _TAB if mode == MODE_TAB else _COMMA
    i = start
    k = out
    while i < stop:
        p = _skip_line(buf, i, mode, comment)
        if p == -1:
            return k - out, LONE_CR, i
        if p > i:  # a comment or blank line
            i = p
            continue
        while _is_pad(buf[p], mode):
            p += 1
        for f in range(ncols):
            if f < 2:
                v, p, ok = _parse_id(buf, p)
                if not ok:
                    return k - out, BAD_ID, p
                if f == 0:
                    src[k] = v
                else:
                    dst[k] = v
            else:
                x, p, ok = _parse_weight(buf, p)
                if not ok:
                    return k - out, BAD_WEIGHT, p
                w[k] = x
            q = p
            while _is_pad(buf[p], mode):
                p += 1
            if f < ncols - 1:
                if mode == MODE_SPACE:
                    if p == q:
                        return k - out, BAD_LINE, p
                else:
                    if buf[p] != sep:
                        return k - out, BAD_LINE, p
                    p += 1
                    while _is_pad(buf[p], mode):
                        p += 1
        if buf[p] == _LF:
            i = p + 1
        elif buf[p] == _CR and buf[p + 1] == _LF:
            i = p + 2
        else:
            return k - out, LONE_CR if buf[p] == _CR else BAD_LINE, p
        k += 1
    return k - out, OK, stop


@numba.njit(cache=True, nogil=True)
def after_last_newline(buf, stop):
    """Offset just after the last newline in ``buf[:stop]`` (0 if none)."""
    for i in range(stop - 1, -1, -1):
        if buf[i] == _LF:
            return i + 1
    return 0


@numba.njit(cache=True, nogil=True)
def split_lines(buf, start, stop, n_parts):
    """``n_parts + 1`` boundaries of ``buf[start:stop]``, each after a newline
    (or at ``start``/``stop``), non-decreasing."""
    bounds = np.empty(n_parts + 1, dtype=np.int64)
    bounds[0] = start
    for t in range(1, n_parts):
        p = max(start + (stop - start) * t // n_parts, bounds[t - 1])
        while p < stop and (p == start or buf[p - 1] != _LF):
            p += 1
        bounds[t] = p
    bounds[n_parts] = stop
    return bounds


@numba.njit(cache=True, nogil=True)
def _count_newlines(buf, start, stop):
    part = buf[start:stop]  # indexing a slice from 0 lets LLVM vectorise the loop
    c = 0
    for i in range(part.shape[0]):
        c += part[i] == _LF
    return c


@numba.njit(cache=True, nogil=True)
def _pack(offsets, rows, src, dst, w, has_w):
    """Move each part's rows next to the previous part's; returns the total."""
    out = 0
    for t in range(offsets.shape[0]):
        start = offsets[t]
        if start != out:
            for k in range(rows[t]):
                src[out + k] = src[start + k]
                dst[out + k] = dst[start + k]
                if has_w:
                    w[out + k] = w[start + k]
        out += rows[t]
    return out


def parse_block(buf, start, stop, mode, comment, ncols):
    """Parse the whole lines ``buf[start:stop]``; ``buf[stop - 1]`` is a newline.

    Parameters
    ----------
    buf : ndarray of uint8
        The text.
    start, stop : int
        The range to parse; ``stop`` follows a newline (the caller adds one
        after a last line that lacks it, which pandas reads the same way).
    mode : int
        :data:`MODE_TAB`, :data:`MODE_COMMA` or :data:`MODE_SPACE`.
    comment : int
        Byte that starts a comment line, or -1 for none.
    ncols : int
        Fields per record: 2 (ids) or 3 (ids and weight).

    Returns
    -------
    block : ndarray of int64, shape (ncols, rows), or None
        Row 0 the sources, row 1 the targets, row 2 (when ``ncols == 3``)
        the weights' float64 bits (``block[2].view(np.float64)``).  One
        array per block: large blocks are then mapped memory that goes back
        to the system as soon as the block is dropped.  ``None`` when the
        text left the grammar.
    status : int
        :data:`OK`, or why the text left the grammar.
    where : int
        Offset in ``buf`` where it did.
    """
    with pool_for(stop - start, "skgraphemb-parse") as threads:
        return _parse_block(buf, start, stop, mode, comment, ncols, 4 * threads.n_threads, threads)


def _parse_block(buf, start, stop, mode, comment, ncols, n_parts, threads):
    bounds = split_lines(buf, start, stop, n_parts)
    parts = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
    capacity = np.array(threads.map(_count_newlines, [(buf, a, b) for a, b in parts]), dtype=np.int64)
    offsets = np.zeros(n_parts, dtype=np.int64)
    offsets[1:] = np.cumsum(capacity)[:-1]
    total = int(capacity.sum())
    flat = np.empty(ncols * total, dtype=np.int64)
    src, dst = flat[:total], flat[total : 2 * total]
    w = flat[2 * total :].view(np.float64) if ncols == 3 else np.empty(0, dtype=np.float64)
    rows = np.zeros(n_parts, dtype=np.int64)
    status = np.zeros(n_parts, dtype=np.int64)
    where = np.zeros(n_parts, dtype=np.int64)
    calls = [(buf, a, b, mode, comment, ncols, src, dst, w, offsets[t]) for t, (a, b) in enumerate(parts)]
    for t, (r, code, at) in enumerate(threads.map(_parse_range, calls)):
        rows[t], status[t], where[t] = r, code, at
    bad = np.flatnonzero(status)
    if bad.size:
        return None, int(status[bad[0]]), int(where[bad[0]])
    kept = _pack(offsets, rows, src, dst, w, ncols == 3)
    del src, dst, w
    if kept < total:  # blank or comment lines: close up the rows, shrink in place
        for r in range(1, ncols):
            flat[r * kept : (r + 1) * kept] = flat[r * total : r * total + kept]
    # In place: the block keeps owning its memory (a reshape would be a view;
    # setting .shape is deprecated from numpy 2.5).
    flat.resize((ncols, kept), refcheck=False)
    return flat, OK, stop


@numba.njit(cache=True, nogil=True)
def first_record(buf, stop, mode, comment):
    """``(start, end, status)`` of the first line of ``buf[:stop]`` (which ends
    with a newline) that is neither blank nor a comment; ``end`` excludes the
    line's CR LF / LF.  ``start`` is -1 when there is none."""
    i = 0
    while i < stop:
        p = _skip_line(buf, i, mode, comment)
        if p == -1:
            return -1, -1, LONE_CR
        if p > i:
            i = p
            continue
        end = i
        while buf[end] != _LF:
            end += 1
        if buf[end - 1] == _CR:
            end -= 1
        return i, end, OK
    return -1, -1, OK
