"""`freeseat chaos`: real faults against real processes, checked against an outside ledger."""
