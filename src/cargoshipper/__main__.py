"""`python -m cargoshipper` is the `cargoshipper` command."""

from cargoshipper.cli import main

raise SystemExit(main())
