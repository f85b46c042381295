"""`python -m asl_live`: the same as the `asl-live` command."""

from asl_live.main import main

raise SystemExit(main())
