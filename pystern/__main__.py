"""``python -m pystern`` runs the CLI."""

from pystern.cli import main

if __name__ == "__main__":
    main()
