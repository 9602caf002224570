"""Tollgate testing."""
