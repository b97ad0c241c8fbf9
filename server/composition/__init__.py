"""The composition root: builds every adapter and service for each process (server, worker, CLI)."""
