"""The `collecte` command: every Django management command, with collecte's settings."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collecte.settings")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: one thread per worker, we scale with processes
    from django.core.management import execute_from_command_line

    execute_from_command_line(["collecte", *sys.argv[1:]])


if __name__ == "__main__":
    main()
