"""``python -m hybrid_rec.cli``: the command line."""

from hybrid_rec.cli import main

main()
