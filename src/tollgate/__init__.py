"""Tollgate: a real-time charging engine, a drop-in for CGRateS v0.10."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
