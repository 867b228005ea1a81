"""Content fingerprints that rules take as params, so Snakemake reruns a job when what it runs or reads changes.

Snakemake's code trigger compares a script's modification time with its outputs' (a touched file reruns
everything) and never sees the ``lab04`` modules the script imports; a data source named by path says
nothing about its content. The default profile turns that trigger off and every rule takes a hash of its
script and of the modules it runs instead; data sources and templates are hashed by content. No TensorFlow: the
Snakefile calls this while planning, dry-runs included.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
from pathlib import Path

from lab04.atomic import atomic_path

PACKAGE = "lab04"
PACKAGE_DIR = Path(__file__).resolve().parent


def _imported_modules(source: str, package: str | None = None) -> set[str]:
    """``lab04.*`` modules a source file imports (absolute imports, plus relative ones inside the package)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x / from .x import y, relative to the importing package
                base = f"{package}.{base}".rstrip(".") if package else base
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == PACKAGE or name.startswith(PACKAGE + ".")}


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    path = PACKAGE_DIR.joinpath(*parts)
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None  # a name imported from a module (``from lab04.x import f``), not a module itself


def package_modules(script: str | os.PathLike) -> list[str]:
    """Every ``lab04`` module ``script`` runs, following imports from module to module."""
    todo = _imported_modules(Path(script).read_text())
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if name in seen or (path := _module_file(name)) is None:
            continue
        seen[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo |= _imported_modules(path.read_text(), package) - seen.keys()
    return sorted(seen)


@functools.cache
def code_fingerprint(script: str | os.PathLike, *modules: str) -> str:
    """Hash of ``script``'s own bytes, of the package modules it imports, directly or not, and of ``modules``
    it imports by name (and theirs): a param that reruns the rule when any of them changes, whatever their
    modification times say. Comments count too; a rerun too many is better than a stale result."""
    names = set(package_modules(script))
    for module in modules:
        names |= {module, *package_modules(_module_file(module))}
    digest = hashlib.sha256()
    digest.update(b"script\0" + Path(script).read_bytes())
    for name in sorted(names):
        digest.update(f"{name}\0".encode())
        digest.update(_module_file(name).read_bytes())
    return digest.hexdigest()[:16]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_digest(source: str | os.PathLike, cache_file: str | os.PathLike | None = None,
                   exclude: tuple[str, ...] = ()) -> str:
    """Hash of a file's or folder's content (relative names and bytes; hidden files included, since
    they may be data too), independent of where it lies: identical copies give the same digest.
    ``exclude``: entries of the folder left out (a subfolder another rule reads).

    ``cache_file`` remembers each file's digest by (size, mtime, inode), so a planning run reads only
    files that changed since the last one.
    """
    source = Path(source).resolve()
    cache_path = Path(cache_file) if cache_file else None
    try:
        cache = json.loads(cache_path.read_text()) if cache_path and cache_path.is_file() else {}
    except ValueError:  # a damaged cache only costs a rehash
        cache = {}
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*") if p.is_file() and p.relative_to(source).parts[0] not in exclude)
    digest, fresh = hashlib.sha256(), {}
    for path in files:
        stat = path.stat()
        key, stamp = str(path), [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        known = cache.get(key)
        file_hash = known[1] if known and known[0] == stamp else _file_digest(path)
        fresh[key] = [stamp, file_hash]
        name = "" if path == source else path.relative_to(source).as_posix()
        digest.update(f"{name}\0{file_hash}\n".encode())
    if cache_path and fresh != {k: cache.get(k) for k in fresh}:
        cache.update(fresh)
        with atomic_path(cache_path, own_output=False) as tmp:
            tmp.write_text(json.dumps(cache))
    return digest.hexdigest()[:16]
