"""Where configuration comes from: the shipped defaults, then a file or a folder of files.

A folder is read as cgr-engine reads ``-config_path``: the folder is walked depth first in
name order, skipping hidden entries (a leading ``.``); in each folder its own ``*.json`` files
are merged in name order before its subfolders are visited.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from tollgate.core.config.errors import ConfigError
from tollgate.core.config.merge import Provenance, merge_document
from tollgate.core.config.reader import decode_json
from tollgate.core.config.root import Config, build_config, default_document

__all__ = ["config_files", "load_config"]


def _walk(folder: Path) -> Iterator[Path]:
    entries = sorted(e for e in folder.iterdir() if not e.name.startswith("."))
    yield from (e for e in entries if e.is_file() and e.suffix == ".json")
    for entry in entries:
        if entry.is_dir():
            yield from _walk(entry)


def config_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files ``path`` stands for, in merge order. A folder without any is an error."""
    target = Path(path)
    if target.is_file():
        return [target]
    if target.is_dir():
        files = list(_walk(target))
        if not files:
            raise ConfigError(f"{target}: no *.json configuration file in this folder")
        return files
    raise ConfigError(f"{target}: no such file or folder")


def load_config(
    path: str | os.PathLike[str] | None, *, env: Mapping[str, str] | None = None
) -> Config:
    """Read the configuration at ``path`` (a file, a folder, or None for the defaults).

    ``env`` supplies ``*env:NAME`` values (default: the process environment). Raises
    :class:`ConfigError` with the file, section and key of the first problem.
    """
    environment = os.environ if env is None else env
    document = default_document()
    defaults = default_document()
    provenance: Provenance = {}
    sources: list[str] = []
    for file in [] if path is None else config_files(path):
        source = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: cannot read: {exc}") from exc
        data = decode_json(text, env=environment, source=source)
        document = merge_document(document, data, source, provenance, defaults)
        sources.append(source)
    return build_config(document, provenance=provenance, sources=tuple(sources))
