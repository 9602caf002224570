"""Tollgate core."""
