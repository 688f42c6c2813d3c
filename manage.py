#!/usr/bin/env python
"""Django's command-line utility for cognitoadmin."""

import os
import shlex
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cognitoadmin.settings")
    if sys.argv[1:2] == ["devserver"]:
        # The development server creates its own local secrets; settings must know before loading.
        os.environ.setdefault("COGNITOADMIN_DEV", "1")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Loaded here, so that settings refusing to start say why in a line, not a traceback.
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as refusal:
        command = shlex.join(["python", "manage.py", *sys.argv[1:]])
        sys.exit(
            f"{refusal} For the development server's database and secrets: "
            f"COGNITOADMIN_DEV=1 {command}"
        )
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
