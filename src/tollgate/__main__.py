"""``python -m tollgate`` is the ``tollgate`` command."""

from __future__ import annotations

from tollgate.cli.main import main

raise SystemExit(main())
