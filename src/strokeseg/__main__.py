"""``python -m strokeseg`` runs the command-line interface."""

from strokeseg.cli import main

raise SystemExit(main())
