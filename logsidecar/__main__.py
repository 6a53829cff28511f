from logsidecar.cli import main

raise SystemExit(main())
