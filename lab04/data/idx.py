"""Parse the IDX format of the MNIST distribution files."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

# Third byte of the magic number -> big-endian element type (LeCun's IDX specification).
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxError(ValueError):
    """The bytes are not a well-formed IDX file."""


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes into an array with the dimensions the header declares."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxError(f"{source}: not an IDX file (bad magic number {raw[:4].hex()})")
    code, ndim = raw[2], raw[3]
    if code not in _DTYPES:
        raise IdxError(f"{source}: unknown IDX element type 0x{code:02x}")
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise IdxError(f"{source}: truncated header ({len(raw)} bytes for {ndim} dimensions)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    body = len(raw) - header_end
    if body != expected:
        raise IdxError(
            f"{source}: header declares shape {dims} ({expected} bytes) but the body has {body} bytes"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, gunzipping it when its name ends in ``.gz``."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise IdxError(f"{path}: truncated or corrupt gzip ({err or type(err).__name__}); delete it so the "
                       "next run fetches a fresh copy, or replace it in your mirror") from None
    return parse_idx(raw, source=str(path))
