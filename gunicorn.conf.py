"""gunicorn settings, read from the working directory (``script/server`` runs in the repository
root; elsewhere pass ``-c path/to/gunicorn.conf.py``). Command-line options override these."""

import os

# gunicorn's control socket defaults to one per user (~/.gunicorn/gunicorn.ctl): a second portal
# on the machine took it over, and stopping either deleted it. Each instance keeps its own.
control_socket = os.path.join(os.environ.get("MATCHMAKER_INSTANCE_PATH", "instance"),
                              "gunicorn.ctl")


def post_worker_init(worker):
    """Load the encoders and indexes and compile the templates in each worker before it takes
    requests (after the fork, never in the master), so no user's first search or pair page
    waits for the models."""
    from matchmaker.portal import compile_templates
    from matchmaker.services.matching import freeze_heap, warm_up

    with worker.wsgi.app_context():
        ok = warm_up()
    compile_templates(worker.wsgi)  # nor any first page for the templates it renders
    freeze_heap()  # what was just loaded stays for the worker's life: out of full GC passes
    worker.log.info("matching engine %s", "warmed up" if ok
                    else "not warmed up (error logged); it loads on first use")
