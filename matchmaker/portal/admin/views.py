"""Administration: user accounts, organizations and the audit log (administrators only)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ...errors import PermissionDenied, ValidationError
from ...extensions import db, login_manager
from ...labels import choices, label
from ...reasons import listing
from ...records import Feedback, MatchStatus, NeedStatus, Organization, OrgKind, Role, User
from ...security.params import int_arg, page_number
from ...services import organizations as admin
from ...services.audit import ACTION_LABELS
from ..needs.forms import add_error, options
from ..paging import paginate
from .forms import ConfirmForm, InviteForm, OrganizationForm, UserForm

bp = Blueprint("admin", __name__)
ORG_FORM_FIELDS = ("name", "credit_code", "region_county", "contact_name", "contact_phone",
                   "contact_email", "address", "fields")


@bp.before_request
def admins_only():
    """Every page here, GET and POST alike, is for administrators only."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role is not Role.ADMIN:
        abort(403)
    return None


def _page(stmt):
    return paginate(stmt, page=page_number(request.args),
                    per_page=current_app.config["PAGE_SIZE"])


def _fail(form, exc) -> None:
    db.session.rollback()
    if not add_error(form, exc):
        flash(str(exc), "danger")


def _password_page(user: User, password: str, created: bool):
    """Show a one-time password once; it is never stored or logged in clear."""
    response = current_app.make_response(
        render_template("admin/password.html", user=user, password=password, created=created)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index():
    """The admin start page is the user list."""
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users():
    """Accounts, filtered by role, state and name."""
    args = {k: request.args.get(k, "") for k in ("role", "active", "q")}
    page = _page(admin.users_query(args["role"], args["active"], args["q"]))
    return render_template("admin/users.html", page=page, args=args, roles=choices(Role),
                           confirm=ConfirmForm())


def _org_choices(form) -> None:
    orgs = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    form.organization.choices = options(
        [("", _("(none)"))] + [(o.id, f"{o.name} ({label(o.kind)})") for o in orgs]
    )


def _user_values(form) -> dict:
    org_id = form.organization.data
    return {
        "role": Role(form.role.data),
        "display_name": form.display_name.data,
        "organization": db.session.get(Organization, org_id) if org_id else None,
        "email": form.email.data,
        "broker_fields": form.broker_fields.data,
        "broker_regions": form.broker_regions.data,
    }


@bp.route("/users/new", methods=["GET", "POST"])
def user_create():
    """Create an account and show its one-time password once."""
    form = InviteForm()
    _org_choices(form)
    if form.validate_on_submit():
        try:
            invitation = admin.invite_user(actor=current_user, username=form.username.data,
                                           **_user_values(form))
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return _password_page(invitation.user, invitation.password, created=True)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    """Change an account's role, organization, name and broker scope."""
    user = db.session.get(User, user_id) or abort(404)
    data = {
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role.value,
        "organization": user.organization_id,
        "broker_fields": user.broker_fields,
        "broker_regions": [r for r in (user.broker_regions or "").split(",") if r],
    }
    form = UserForm(data=data)
    _org_choices(form)
    if form.validate_on_submit():
        try:
            admin.update_user(user, actor=current_user, **_user_values(form))
        except ValidationError as exc:
            _fail(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    """Deactivate or reactivate an account (never one's own)."""
    user = db.session.get(User, user_id) or abort(404)
    active = request.form.get("active") == "1"
    try:
        admin.set_user_active(user, active, actor=current_user)
    except PermissionDenied as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("admin.users"))
    flash(_("%(name)s can log in again.", name=user.username) if active
          else _("%(name)s can no longer log in.", name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int):
    """Give an account a new one-time password and show it once."""
    user = db.session.get(User, user_id) or abort(404)
    password = admin.reset_password(user, actor=current_user)
    return _password_page(user, password, created=False)


@bp.get("/organizations")
def organizations():
    """Organizations, filtered by kind and name."""
    args = {k: request.args.get(k, "") for k in ("kind", "q")}
    page = _page(admin.organizations_query(args["kind"], args["q"]))
    return render_template("admin/organizations.html", page=page, args=args,
                           kinds=choices(OrgKind))


@bp.route("/organizations/new", methods=["GET", "POST"])
def organization_create():
    """Add an organization."""
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            admin.create_organization(form.values(), actor=current_user)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.organizations"))
    return render_template("admin/organization_form.html", form=form, org=None)


@bp.route("/organizations/<int:org_id>/edit", methods=["GET", "POST"])
def organization_edit(org_id: int):
    """Change an organization."""
    org = db.session.get(Organization, org_id) or abort(404)
    data = {key: getattr(org, key) for key in ORG_FORM_FIELDS}
    data["kind"] = org.kind.value
    data["region_league"] = org.region_league or ""
    form = OrganizationForm(data=data)
    if form.validate_on_submit():
        try:
            admin.update_organization(org, form.values(), actor=current_user)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.organizations"))
    return render_template("admin/organization_form.html", form=form, org=org)


#: What the keys of an entry's details (and the field names in "changed") mean; a key not
#: named here is shown as its code.
DETAIL_NAMES = {
    "title": _l("Title"), "status": _l("Status"), "number": _l("Publication number"),
    "need": _l("Need"), "patent": _l("Patent"), "token": _l("Token"), "scopes": _l("Scopes"),
    "name": _l("Name"), "changed": _l("Changed fields"), "username": _l("Username"),
    "role": _l("Role"), "subscription": _l("Subscription"), "on_stage": _l("On stage"),
    "organization": _l("Organization"), "organization_id": _l("Organization"),
    "frm": _l("Previous stage"), "to": _l("New stage"), "broker": _l("Broker"),
    "previous": _l("Previous broker"), "feedback": _l("Feedback"), "listed": _l("Listing open"),
    "accounts": _l("Accounts"), "users": _l("Users"), "organizations": _l("Organizations"),
    "patents": _l("Patents"), "needs": _l("Needs"), "rows": _l("Rows"),
    "created": _l("Created"), "updated": _l("Updated"), "unchanged": _l("Unchanged"),
    "failed": _l("Failed"), "format": _l("Format"), "address": _l("IP address"),
    "method": _l("Method"), "path": _l("Path"), "url": _l("Address"),
    "display_name": _l("Display name"), "email": _l("Email"), "kind": _l("Kind"),
    "broker_fields": _l("Broker's fields"), "broker_regions": _l("Broker's leagues and cities"),
    "credit_code": _l("Unified social credit code"), "region_league": _l("League or city"),
    "region_county": _l("County or district"), "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"), "contact_email": _l("Contact email"),
    "fields": _l("Industries and fields"),
}
#: Details that hold an enum's code, shown by its label (``labels.label``).
DETAIL_ENUMS = {"role": Role, "status": NeedStatus, "frm": MatchStatus, "to": MatchStatus,
                "feedback": Feedback, "kind": OrgKind}


def _detail_value(key: str, value) -> str:
    """One detail value as people read it: enum codes by their label, yes or no, field names."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return listing(str(DETAIL_NAMES.get(v, v)) if key == "changed" else v for v in value)
    enum = DETAIL_ENUMS.get(key)
    if enum is not None and isinstance(value, str):
        try:
            return label(enum(value))
        except ValueError:  # a code of an older version: as stored
            pass
    return "–" if value is None else str(value)


def describe(entry) -> list[tuple[str, str | None, str]]:
    """An entry's details as (code, name or None when unknown, value) for the audit page."""
    return [(key, str(DETAIL_NAMES[key]) if key in DETAIL_NAMES else None,
             _detail_value(key, value)) for key, value in (entry.detail or {}).items()]


@bp.get("/audit")
def audit():
    """The audit log, newest first, filtered by action and user.

    A code that is not in the log and not a known action (an edited or stale link) is dropped
    and said so, rather than shown as "All" over an empty list; so is an unknown user."""
    actions = admin.audit_actions()
    action = request.args.get("action", "")
    unknown_action = None
    if action and action not in actions:
        if action in ACTION_LABELS:  # known, only not recorded yet: the filter shows it
            actions = sorted([*actions, action])
        else:
            unknown_action, action = action, ""
    actors = db.session.scalars(select(User).order_by(User.username)).all()
    actor_id = int_arg(request.args, "actor")
    if actor_id is not None and actor_id not in {u.id for u in actors}:
        actor_id = None
    page = _page(admin.audit_query(action or None, actor_id))
    return render_template("admin/audit.html", page=page, action=action, actor_id=actor_id,
                           actions=actions, actors=actors, unknown_action=unknown_action,
                           describe=describe)
