#!/usr/bin/env python
"""Django's command-line utility for cognitoadmin."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cognitoadmin.settings")
    if sys.argv[1:2] == ["devserver"]:
        # The development server creates its own local secrets; settings must know before loading.
        os.environ.setdefault("COGNITOADMIN_DEV", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
