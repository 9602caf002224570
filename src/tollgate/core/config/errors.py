"""The configuration error: one message that names the file, the section and the key."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(Exception):
    """A configuration that cannot be used; ``str(exc)`` tells the user what to fix.

    For a bad value the text reads ``<file>: [<section>] <key>: expected <what>, found <value>``.
    """
