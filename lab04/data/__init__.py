"""Data sets and their sources: downloads, mirrors, IDX and image decoding, cached arrays."""
