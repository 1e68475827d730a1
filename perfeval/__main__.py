"""``python -m perfeval`` and the ``perfeval`` console script."""

from __future__ import annotations

import sys


def main() -> None:
    """Start the worker fork server before anything else is imported, when the command will read files:
    it imports the reading code (~0.3 s) while this process imports the command line. Ctrl-C
    while it starts ends it as Ctrl-C does later (``cli.run_main``): exit 130 and a Chinese line."""
    from perfeval import EXIT_INTERRUPTED, INTERRUPTED

    try:
        if sys.argv[1:2] in (["check"], ["run"]) and not {"-h", "--help"} & set(sys.argv):
            from perfeval.workers import start_early

            start_early(1)
        from perfeval.cli import run_main
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    run_main()


if __name__ == "__main__":
    main()
