"""`python -m benchmarks`: the bench without the `freeseat` command."""

from benchmarks.run import main

raise SystemExit(main())
