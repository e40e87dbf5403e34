from cxr_desktop.cli import main

raise SystemExit(main())
