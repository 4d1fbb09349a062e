"""``python -m curvedoc.trainer`` runs the same command as ``curvedoc train``."""

from curvedoc.trainer.cli import main

if __name__ == "__main__":
    main()
