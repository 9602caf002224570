"""Tollgate rpc."""
