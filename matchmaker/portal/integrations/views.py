"""API tokens (account menu) and organization webhooks with their delivery log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
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


def _token_owner() -> User:
    """The user whose tokens the page manages: oneself, or anyone for an admin (?user=)."""
    wanted = request.args.get("user", type=int)
    if wanted is None or wanted == current_user.id:
        return current_user
    if current_user.role is not Role.ADMIN:
        abort(403)
    return db.session.get(User, wanted) or abort(404)


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """List, create and revoke personal API tokens; a new secret is shown once."""
    owner = _token_owner()
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            _token, secret = api_tokens.create_token(
                owner, form.name.data, form.scopes.data, actor=current_user,
                days=form.days.data if form.days.data is not None else None)
        except MatchmakerError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            form = TokenForm(formdata=None)
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
    args = {"user": token.user_id} if token.user_id != current_user.id else {}
    return redirect(url_for("integrations.tokens", **args))


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
    created = None
    if form.validate_on_submit():
        org = next((o for o in orgs if o.id == form.organization.data), None) or abort(403)
        try:
            created = webhooks.create_subscription(org, form.url.data, form.events.data,
                                                   actor=current_user)
        except MatchmakerError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
    subs = list(db.session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.organization_id.in_([o.id for o in orgs]))
        .order_by(WebhookSubscription.id)))
    return render_template("integrations/webhooks.html", form=form, subs=subs, created=created,
                           button=ButtonForm())


@bp.post("/webhooks/<int:sub_id>/<any(enable, disable, delete):action>")
@login_required
def webhook_action(sub_id: int, action: str):
    sub = _subscription(sub_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if action == "delete":
        webhooks.delete_subscription(sub, actor=current_user)
    else:
        webhooks.set_active(sub, action == "enable", actor=current_user)
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
