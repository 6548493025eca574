"""Flask CLI commands (``flask --app wsgi COMMAND``), one module per concern."""

from __future__ import annotations


def commands() -> list:
    """Every click command the factory registers."""
    from .database import create_user, init_db
    from .demo import demo, demo_accounts
    from .events import COMMANDS as event_commands
    from .imports import import_needs_command, import_patents_command
    from .jobs import COMMANDS as job_commands
    from .learning import COMMANDS as learning_commands
    from .matching import COMMANDS as matching_commands
    from .webhooks import webhooks_group

    return [init_db, create_user, demo, demo_accounts, import_patents_command, import_needs_command,
            *event_commands, *matching_commands, *job_commands, *learning_commands,
            webhooks_group]
