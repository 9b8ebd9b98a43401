import sys

from pos.cli.commands import main

sys.exit(main())
