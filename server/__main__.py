"""`python -m server` is the `freeseat` command."""

from server.cli import main

# Guarded: the ingest worker is started with "spawn", which imports the main module again.
if __name__ == "__main__":
    main()
