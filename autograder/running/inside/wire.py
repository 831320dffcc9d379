"""Plain-data wire format between the grader and the sandboxed student process.

Only plain data crosses the boundary: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``,
``tuple``, ``dict`` with ``str`` keys, and numeric NumPy arrays. Arrays travel as their raw bytes, with
dtype and shape in the JSON (only bool, integer, float and complex dtypes are accepted); everything else
is JSON with tags for tuples and arrays. Nothing is ever unpickled, so a student's process cannot make
the grader run code by what it sends back.

A *frame* on a byte stream is an 8-byte big-endian length followed by that many bytes; a message is
one JSON frame followed by one frame per array it references.
"""

from __future__ import annotations

import io
import json
import math
import struct
from typing import Any, BinaryIO

import numpy as np

MAX_DEPTH = 16
MAX_ARRAYS = 4096  # arrays in one message
MAX_DIMS = 32  # numpy's own limit is 64
_HEADER = struct.Struct(">Q")
_ALLOWED_KINDS = "biufc"  # bool, int, uint, float, complex: never object, string or void dtypes


class WireError(ValueError):
    """A value that is not plain data, or a malformed message."""


def to_plain(value: Any, _depth: int = 0) -> Any:
    """Convert ``value`` to plain data: NumPy scalars to Python, torch tensors to arrays.

    Raises :class:`WireError` naming the offending type, e.g. ``"a function is not plain data"``.
    """
    if _depth > MAX_DEPTH:
        raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, np.generic):
        return to_plain(value.item(), _depth + 1)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            raise WireError(f"an array of dtype {value.dtype} is not plain numeric data")
        return np.array(value, order="C", copy=True)  # keeps 0-d arrays 0-d (ascontiguousarray would not)
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return to_plain(value.detach().cpu().numpy(), _depth + 1)
    if isinstance(value, list):
        return [to_plain(v, _depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(to_plain(v, _depth + 1) for v in value)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise WireError("a dict with non-string keys is not plain data")
        return {k: to_plain(v, _depth + 1) for k, v in value.items()}
    raise WireError(f"a {type(value).__name__} is not plain data")


def _tag(value: Any, arrays: list[np.ndarray]) -> Any:
    """``value`` as JSON, each array replaced by a reference ``[index, dtype, shape]`` into ``arrays``."""
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"__nd__": [len(arrays) - 1, value.dtype.str, list(value.shape)]}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_tag(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_tag(v, arrays) for v in value]
    if isinstance(value, dict):
        return {"__dict__": {k: _tag(v, arrays) for k, v in value.items()}}
    return value


def _array(ref: Any, frames: list[bytes]) -> np.ndarray:
    """The array that ``[frame index, dtype, shape]`` describes, checked against its frame's length."""
    if not (isinstance(ref, list) and len(ref) == 3 and type(ref[0]) is int and 0 <= ref[0] < len(frames)
            and isinstance(ref[1], str) and len(ref[1]) <= 8 and isinstance(ref[2], list)
            and all(type(n) is int and n >= 0 for n in ref[2])):
        raise WireError("malformed array reference")
    try:
        dtype = np.dtype(ref[1])
    except TypeError as err:
        raise WireError(f"unknown dtype {ref[1]!r}") from err
    frame = frames[ref[0]]
    if (dtype.kind not in _ALLOWED_KINDS or len(ref[2]) > MAX_DIMS or any(n > len(frame) for n in ref[2])
            or math.prod(ref[2]) * dtype.itemsize != len(frame)):
        raise WireError(f"array of dtype {ref[1]!r} and shape {ref[2]} does not match its {len(frame)} bytes")
    try:
        return np.frombuffer(bytearray(frame), dtype=dtype).reshape(ref[2])  # writable: callers may modify inputs
    except ValueError as err:
        raise WireError(f"bad array: {err}") from err


def _untag(value: Any, arrays: list[bytes]) -> Any:
    """Inverse of :func:`_tag`; raises :class:`WireError` for anything it did not write."""
    if isinstance(value, list):
        return [_untag(v, arrays) for v in value]
    if isinstance(value, dict):
        tag, inner = next(iter(value.items())) if len(value) == 1 else (None, None)
        if tag == "__nd__":
            return _array(inner, arrays)
        if tag == "__float__" and inner in ("nan", "inf", "-inf"):
            return float(inner)
        if tag == "__tuple__" and isinstance(inner, list):
            return tuple(_untag(v, arrays) for v in inner)
        if tag == "__dict__" and isinstance(inner, dict):
            return {k: _untag(v, arrays) for k, v in inner.items()}
        raise WireError(f"unknown tag in {sorted(map(str, value))[:5]}")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise WireError(f"unexpected {type(value).__name__} in a message")


def encode(message: Any) -> bytes:
    """Frames for one message (``message`` must already be plain data, see :func:`to_plain`)."""
    arrays: list[np.ndarray] = []
    body = _tag(message, arrays)
    head = json.dumps({"n_arrays": len(arrays), "body": body})
    frames = [head.encode()] + [a.tobytes(order="C") for a in arrays]
    return b"".join(_HEADER.pack(len(f)) + f for f in frames)


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            raise EOFError("stream ended inside a frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_frame(stream: BinaryIO, max_bytes: int) -> bytes | None:
    header = stream.read(_HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        header += _read_exact(stream, _HEADER.size - len(header))
    (n,) = _HEADER.unpack(header)
    if n > max_bytes:
        raise WireError(f"frame of {n} bytes exceeds the limit of {max_bytes}")
    return _read_exact(stream, n)


def read_message(stream: BinaryIO, max_bytes: int = 256 << 20) -> Any:
    """Read one message; ``EOFError`` at a clean end of stream, :class:`WireError` when malformed."""
    head = _read_frame(stream, max_bytes)
    if head is None:
        raise EOFError("end of stream")
    try:
        meta = json.loads(head)
        n_arrays = meta["n_arrays"]
        body = meta["body"]
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise WireError(f"malformed message header: {type(err).__name__}") from err
    if type(n_arrays) is not int or not 0 <= n_arrays <= MAX_ARRAYS:
        raise WireError(f"malformed message header: n_arrays {n_arrays!r}")
    frames = []
    for _ in range(n_arrays):
        frame = _read_frame(stream, max_bytes)
        if frame is None:
            raise EOFError("stream ended before all arrays of a message")
        frames.append(frame)
    try:
        return _untag(body, frames)
    except RecursionError as err:
        raise WireError("message nested too deeply") from err


def decode_prefix(buffer: bytes | bytearray, max_bytes: int = 256 << 20) -> tuple[Any, int]:
    """The first complete message in ``buffer`` and the number of bytes it used.

    Raises ``EOFError`` while the message is still incomplete (checked from the frame headers alone, so a
    large message arriving in pieces is not decoded again and again), :class:`WireError` when malformed.
    """
    view = memoryview(buffer)
    if len(view) < _HEADER.size:
        raise EOFError("incomplete message")
    (n,) = _HEADER.unpack_from(view, 0)
    if n > max_bytes:
        raise WireError(f"frame of {n} bytes exceeds the limit of {max_bytes}")
    end = _HEADER.size + n
    if len(view) < end:
        raise EOFError("incomplete message")
    try:
        n_arrays = json.loads(bytes(view[_HEADER.size:end])).get("n_arrays")
    except (ValueError, AttributeError, RecursionError) as err:
        raise WireError(f"malformed message header: {type(err).__name__}") from err
    if type(n_arrays) is not int or not 0 <= n_arrays <= MAX_ARRAYS:
        raise WireError(f"malformed message header: n_arrays {n_arrays!r}")
    for _ in range(n_arrays):
        if len(view) < end + _HEADER.size:
            raise EOFError("incomplete message")
        (n,) = _HEADER.unpack_from(view, end)
        if n > max_bytes:
            raise WireError(f"frame of {n} bytes exceeds the limit of {max_bytes}")
        end += _HEADER.size + n
        if len(view) < end:
            raise EOFError("incomplete message")
    return read_message(io.BytesIO(bytes(view[:end])), max_bytes), end
