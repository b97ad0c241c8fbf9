"""`python -m server` is the `freeseat` command."""

from server.cli import main

main()
