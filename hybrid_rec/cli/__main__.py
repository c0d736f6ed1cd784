"""``python -m hybrid_rec.cli``: the command line."""

from hybrid_rec.cli import main

if __name__ == "__main__":  # importing the module (the docs test imports every module) runs nothing
    main()
