"""``python -m strokeseg`` runs the command-line interface."""

from strokeseg.cli import run

run()
