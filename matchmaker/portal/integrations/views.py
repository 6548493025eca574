"""API tokens (account menu) and organization webhooks with their delivery log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ...errors import MatchmakerError
from ...extensions import db
from ...records import (
    ApiToken,
    Organization,
    OrgKind,
    Role,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from ...security.params import INT64_MAX
from ...services import api_tokens, webhooks
from .forms import (
    ButtonForm,
    TokenForm,
    WebhookForm,
    delivery_answer,
    delivery_status_label,
    event_label,
)

bp = Blueprint("integrations", __name__)

# Post/Redirect/Get: a create answers with a redirect, so a refresh or a second click sends
# nothing again; what must be shown once waits in the session for the next GET, which pops it.
NEW_TOKEN_KEY = "integrations.new_token"  # {"owner": user id, "token": id, "sealed": hex}
NEW_WEBHOOK_KEY = "integrations.new_webhook"  # the subscription's id (its secret stays in the db)


def _token_owner() -> User:
    """The user whose tokens the page manages: oneself, or anyone for an admin (?user=)."""
    wanted = request.args.get("user", type=int)
    if wanted is None or wanted == current_user.id:
        return current_user
    if current_user.role is not Role.ADMIN:
        abort(403)
    if abs(wanted) > INT64_MAX:  # no such id, and the driver would overflow (a 500)
        abort(404)
    return db.session.get(User, wanted) or abort(404)


def _tokens_url(owner: User) -> str:
    args = {"user": owner.id} if owner.id != current_user.id else {}
    return url_for("integrations.tokens", **args)


def _shown_once(key: str):
    """What a create left for this GET, removed from the session as it is read."""
    return session.pop(key, None) if request.method == "GET" else None


def _field_error(form, exc: MatchmakerError) -> None:
    """A refusal next to the field it concerns when the form has one, else as a flash."""
    field = getattr(form, getattr(exc, "field", None) or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "danger")


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """List, create and revoke personal API tokens; a new secret is shown once."""
    owner = _token_owner()
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, secret = api_tokens.create_token(
                owner, form.name.data, form.scopes.data, actor=current_user,
                days=form.days.data if form.days.data is not None else None)
        except MatchmakerError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            # only its hash is kept: the session carries half of the secret (XOR a pad kept in
            # the token's row until shown) to the one page showing it
            session[NEW_TOKEN_KEY] = {"owner": owner.id, "token": token.id,
                                      "sealed": api_tokens.seal_for_reveal(token, secret)}
            return redirect(_tokens_url(owner), code=303)
    new = _shown_once(NEW_TOKEN_KEY) or {}
    secret = None
    if new.get("owner") == owner.id and isinstance(new.get("token"), int):
        secret = api_tokens.reveal_once(owner, new["token"], str(new.get("sealed", "")))
    api_tokens.forget_unshown(owner)
    return render_template("integrations/tokens.html", owner=owner, form=form, secret=secret,
                           tokens=api_tokens.tokens_of(owner), button=ButtonForm())


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        api_tokens.revoke_token(token, actor=current_user)
    except MatchmakerError:
        abort(403)
    flash(_("The token is revoked."), "success")
    return redirect(_tokens_url(token.user))


def _manageable_orgs() -> list[Organization]:
    if current_user.role is Role.ADMIN:
        return list(db.session.scalars(select(Organization).where(
            Organization.kind != OrgKind.AGENCY).order_by(Organization.name)))
    if current_user.role in (Role.ENTERPRISE, Role.UNIVERSITY) and current_user.organization:
        return [current_user.organization]
    return []


def _subscription(sub_id: int) -> WebhookSubscription:
    sub = db.session.get(WebhookSubscription, sub_id) or abort(404)
    if not webhooks.may_manage(current_user, sub.organization):
        abort(404)
    return sub


@bp.route("/webhooks/", methods=["GET", "POST"])
@login_required
def webhook_list():
    """An organization's webhook subscriptions; the signing secret is shown once."""
    orgs = _manageable_orgs()
    if not orgs:
        abort(403)
    form = WebhookForm()
    form.organization.choices = [(o.id, o.name) for o in orgs]
    if form.validate_on_submit():
        org = next((o for o in orgs if o.id == form.organization.data), None) or abort(403)
        try:
            sub = webhooks.create_subscription(org, form.url.data, form.events.data,
                                               actor=current_user)
        except MatchmakerError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            session[NEW_WEBHOOK_KEY] = sub.id
            return redirect(url_for("integrations.webhook_list"), code=303)
    subs = list(db.session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.organization_id.in_([o.id for o in orgs]))
        .order_by(WebhookSubscription.id)))
    new_id = _shown_once(NEW_WEBHOOK_KEY)
    created = next((sub for sub in subs if sub.id == new_id), None)
    return render_template("integrations/webhooks.html", form=form, subs=subs, created=created,
                           button=ButtonForm())


@bp.post("/webhooks/<int:sub_id>/<any(enable, disable, delete):action>")
@login_required
def webhook_action(sub_id: int, action: str):
    sub = _subscription(sub_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        if action == "delete":
            webhooks.delete_subscription(sub, actor=current_user)
        else:
            webhooks.set_active(sub, action == "enable", actor=current_user)
    except MatchmakerError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("integrations.webhook_list"))


@bp.get("/webhooks/<int:sub_id>/deliveries")
@login_required
def deliveries(sub_id: int):
    """The delivery log of one subscription, newest first."""
    sub = _subscription(sub_id)
    rows = db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == sub.id).order_by(WebhookDelivery.id.desc()).limit(200))
    return render_template("integrations/deliveries.html", sub=sub, rows=list(rows),
                           event_label=event_label, status_label=delivery_status_label,
                           answer=delivery_answer)
