"""Tollgate engine."""
