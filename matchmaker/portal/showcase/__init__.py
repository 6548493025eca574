"""The public showcase (成果展示): listed patents and open needs for anonymous visitors,
each with "我要对接" (a contact request for the brokers), and the brokers' list of requests."""

from flask import Blueprint

bp = Blueprint("showcase", __name__)

from . import requests, views  # noqa: E402,F401  (route modules register on ``bp``)
