"""``celery -A tests.jobs_worker worker``: the production worker plus the test job kinds."""

from matchmaker.jobs.worker import celery  # noqa: F401  (celery -A finds ``celery``)
from tests import job_kinds  # noqa: F401  (registers test_slow)
