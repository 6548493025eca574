"""What each role may do on each route: the one table the authorization matrix checks.

Columns, in order: anonymous, admin, broker in scope, broker out of scope, enterprise owner,
other enterprise, university owner, other university (see tests/authz_world.py for the records:
the owners' need, patent and recommended pair; the event lists the owners' patent and has the
owner enterprise registered). ``A`` allowed (any answer below 500 but a refusal; a POST with an
empty form may answer 400), ``D`` refused with 403 or 404, ``L`` sent to the login page, ``T`` 401 (API routes take a
bearer token, never the session).
Rules: README "Roles" and matchmaker/services/access.py.
"""

from __future__ import annotations

CODES = {"A": "allow", "D": "deny", "L": "login", "T": "token"}
ROLES = ("anonymous", "admin", "broker_in", "broker_out", "ent_owner", "ent_other",
         "uni_owner", "uni_other")

_TABLE = """
admin.audit                      GET   L A D D D D D D
admin.index                      GET   L A D D D D D D
admin.organization_create        GET   L A D D D D D D
admin.organization_create        POST  L A D D D D D D
admin.organization_edit          GET   L A D D D D D D
admin.organization_edit          POST  L A D D D D D D
admin.organizations              GET   L A D D D D D D
admin.user_active                POST  L A D D D D D D
admin.user_create                GET   L A D D D D D D
admin.user_create                POST  L A D D D D D D
admin.user_edit                  GET   L A D D D D D D
admin.user_edit                  POST  L A D D D D D D
admin.user_password              POST  L A D D D D D D
admin.users                      GET   L A D D D D D D
api.create_import                POST  T T T T T T T T
api.create_need                  POST  T T T T T T T T
api.create_patent                POST  T T T T T T T T
api.docs                         GET   A A A A A A A A
api.get_event                    GET   T T T T T T T T
api.get_import                   GET   T T T T T T T T
api.get_match                    GET   T T T T T T T T
api.get_need                     GET   T T T T T T T T
api.get_patent                   GET   T T T T T T T T
api.list_deliveries              GET   T T T T T T T T
api.list_events                  GET   T T T T T T T T
api.list_matches                 GET   T T T T T T T T
api.list_needs                   GET   T T T T T T T T
api.list_notifications           GET   T T T T T T T T
api.list_patents                 GET   T T T T T T T T
api.list_tokens                  GET   T T T T T T T T
api.list_webhooks                GET   T T T T T T T T
api.move_match                   POST  T T T T T T T T
api.openapi                      GET   A A A A A A A A
api.read_notification            POST  T T T T T T T T
api.search_needs                 POST  T T T T T T T T
api.search_patents               POST  T T T T T T T T
api.set_need_status              POST  T T T T T T T T
api.set_patent_status            POST  T T T T T T T T
auth.language                    POST  A A A A A A A A
auth.login                       GET   A A A A A A A A
auth.login                       POST  A A A A A A A A
auth.logout                      POST  L A A A A A A A
auth.password                    GET   L A A A A A A A
auth.password                    POST  L A A A A A A A
dashboard.index                  GET   L A A A D D D D
events.add_patent                POST  L A A A D D D D
events.booklet                   GET   L A A A A A A A
events.booklet_download          GET   L A A A A A A A
events.create                    GET   L A A A D D D D
events.create                    POST  L A A A D D D D
events.delete                    POST  L A D D D D D D
events.detail                    GET   L A A A A A A A
events.edit                      GET   L A A A D D D D
events.edit                      POST  L A A A D D D D
events.funnel                    GET   L A A A D D D D
events.funnel_export             GET   L A A A D D D D
events.index                     GET   L A A A A A A A
events.invite                    GET   L A A A D D D D
events.matches                   GET   L A A A D D D D
events.programme                 GET   L A A A D D D D
events.register                  POST  L A A A A A D D
events.remove_patent             POST  L A A A D D D D
events.save_listing              POST  L A A A D D D D
events.unregister                POST  L A A A A D D D
health.healthz                   GET   A A A A A A A A
home.favicon                     GET   A A A A A A A A
home.index                       GET   A A A A A A A A
integrations.deliveries          GET   L A D D A D D D
integrations.revoke              POST  L A D D A D D D
integrations.tokens              GET   L A A A A A A A
integrations.tokens              POST  L A A A A A A A
integrations.webhook_action      POST  L A D D A D D D
integrations.webhook_list        GET   L A D D A A A A
integrations.webhook_list        POST  L A D D A A A A
jobs.admin_list                  GET   L A D D D D D D
jobs.detail                      GET   L A D D A D D D
jobs.mine                        GET   L A A A A A A A
jobs.status                      GET   L A D D A D D D
needs.create                     GET   L A D D A A D D
needs.create                     POST  L A D D A A D D
needs.delete                     POST  L A D D D D D D
needs.detail                     GET   L A A A A D A D
needs.edit                       GET   L A D D A D D D
needs.edit                       POST  L A D D A D D D
needs.export                     GET   L A A A A A A A
needs.index                      GET   L A A A A A A A
needs.matches                    GET   L A A A D D D D
needs.progress                   GET   L D D D A D D D
needs.queue                      POST  L A A A D D D D
needs.set_status                 POST  L A D D A D D D
notifications.index              GET   L A A A A A A A
notifications.mark_all_read      POST  L A A A A A A A
notifications.mark_read          POST  L D D D A D D D
patents.create                   GET   L A D D D D A A
patents.create                   POST  L A D D D D A A
patents.delete                   POST  L A D D D D D D
patents.detail                   GET   L A A A A D A D
patents.edit                     GET   L A D D D D A D
patents.edit                     POST  L A D D D D A D
patents.export                   GET   L A A A A A A A
patents.index                    GET   L A A A A A A A
patents.matches                  GET   L A A A D D D D
patents.queue                    POST  L A A A D D D D
patents.upload                   GET   L A D D D D A A
patents.upload                   POST  L A D D D D A A
pipeline.assign                  POST  L A A D D D D D
pipeline.board                   GET   L A A A D D D D
pipeline.move                    POST  L A A D D D D D
pipeline.note                    POST  L A A D D D D D
pipeline.table                   GET   L A A A D D D D
pipeline.undo_rejection          POST  L A A D D D D D
quality.index                    GET   L A A A D D D D
quality.train                    POST  L A D D D D D D
queue.bulk                       POST  L A A A D D D D
queue.delete_view                POST  L D A D D D D D
queue.index                      GET   L A A A D D D D
queue.pair                       GET   L A A D D D D D
queue.save_view                  POST  L A A A D D D D
recommendations.feedback         POST  L D D D A D D D
recommendations.index            GET   L D D D A A A A
revival.index                    GET   L A A A D D A A
showcase.contact                 GET   A A A A A A A A
showcase.contact                 POST  A A A A A A A A
showcase.index                   GET   A A A A A A A A
showcase.need                    GET   A A A A A A A A
showcase.patent                  GET   A A A A A A A A
showcase.request_status          POST  L A A A D D D D
showcase.requests                GET   L A A A D D D D
static                           GET   A A A A A A A A
"""


def _parse(text: str) -> dict:
    rules = {}
    for line in text.strip().splitlines():
        endpoint, method, *codes = line.split()
        assert len(codes) == len(ROLES), line
        rules[(endpoint, method)] = {role: CODES[c] for role, c in zip(ROLES, codes, strict=True)}
    return rules


#: (endpoint, method) -> {role: "allow" | "deny" | "login"}
RULES = _parse(_TABLE)
