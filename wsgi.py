"""WSGI entry point: ``gunicorn wsgi:app``. Builds the app and nothing else."""

from matchmaker import create_app

app = create_app()
