"""``flask webhooks deliver-due``: the sweeper for due deliveries no job sent (queue outage)."""

from __future__ import annotations

import click
from flask_babel import gettext as _

from .language import Group, option

webhooks_group = Group("webhooks", help="Webhook deliveries.")


@webhooks_group.command("deliver-due")
@option("--limit", default=500, show_default=True, help="Most deliveries in one run.")
def deliver_due_command(limit: int) -> None:
    """Send the pending deliveries whose next attempt is due; print the outcomes."""
    from ..services.webhooks import deliver_due

    counts = deliver_due(limit)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or _("nothing due")
    click.echo(summary)
