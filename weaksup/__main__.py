"""``python -m weaksup``: the ``weaksup`` command; a Ctrl-C while it starts (its imports) is one line, exit 130."""

try:
    from weaksup.cli import main
except KeyboardInterrupt:
    from weaksup.interrupt import exit_interrupted_at_start

    exit_interrupted_at_start()

main()
