"""Portal blueprints, one package per feature."""

from __future__ import annotations


def blueprints() -> list[tuple]:
    """(blueprint, url_prefix) pairs, in registration order."""
    from .admin.views import bp as admin
    from .auth.views import bp as auth
    from .dashboard.views import bp as dashboard
    from .events.views import bp as events
    from .health import bp as health
    from .home import bp as home
    from .integrations.views import bp as integrations
    from .jobs import bp as jobs
    from .needs.views import bp as needs
    from .notifications.views import bp as notifications
    from .patents.views import bp as patents
    from .pipeline.views import bp as pipeline
    from .quality.views import bp as quality
    from .queue.views import bp as queue
    from .recommendations.views import bp as recommendations
    from .revival.views import bp as revival
    from .showcase import bp as showcase

    return [
        (health, None),
        (home, None),
        (auth, "/auth"),
        (needs, "/needs"),
        (patents, "/patents"),
        (admin, "/admin"),
        (queue, "/queue"),
        (pipeline, "/pipeline"),
        (recommendations, "/recommendations"),
        (dashboard, "/dashboard"),
        (events, "/events"),
        (revival, "/revival"),
        (notifications, "/notifications"),
        (integrations, None),
        (jobs, None),
        (quality, "/quality"),
        (showcase, None),
    ]


def compile_templates(app) -> int:
    """Compile every template now (gunicorn hook, after the engine's warm-up and before the
    heap freeze); returns how many. Otherwise a fresh worker's first requests compile what they
    render: 9 templates and 360 of the 610 ms of a first queue page under cProfile. Measured
    with the freeze after it: first queue view 90-138 ms against 189-268 ms; without the
    freeze the compiled templates' objects slowed the first view instead (bench/RESULTS.md)."""
    env = app.jinja_env
    names = env.list_templates(extensions=("html",))
    for name in names:
        env.get_template(name)
    return len(names)
