"""``python -m perfeval`` runs the command line."""

from perfeval.cli import main

main()
