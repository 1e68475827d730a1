"""``python -m perfeval`` runs the command line."""

from perfeval.cli import run_main

run_main()
