#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbonfoot.settings")
    from django.core.management import execute_from_command_line

    from carbonfoot.startup import settings_or_exit

    settings_or_exit()  # a bad configuration: its message alone, not a traceback
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
