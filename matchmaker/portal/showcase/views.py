"""Public pages: the showcase list, one patent, one need, the contact form."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...labels import choices
from ...records import CooperationMode, LicenceMode
from ...regions import LEAGUES
from ...security import throttle
from ...security.params import page_number
from ...services import showcase
from ..paging import paginate
from . import bp
from .forms import ContactForm


def render_showcase():
    """The showcase list for the current query string (also the visitors' start page)."""
    filters = showcase.ShowcaseFilters.from_args(request.args)
    page = paginate(filters.query(), page=page_number(request.args),
                    per_page=current_app.config["PAGE_SIZE"])
    return render_template(
        "showcase/index.html", filters=filters, page=page, counts=showcase.counts(),
        licences=choices(LicenceMode), modes=choices(CooperationMode), leagues=LEAGUES,
    )


@bp.get("/showcase/")
def index():
    """成果展示: listed patents or open needs, searched, filtered and paged."""
    return render_showcase()


@bp.get("/showcase/patents/<int:patent_id>")
def patent(patent_id: int):
    """One listed patent's public page (the booklet's QR codes point here)."""
    record = showcase.public_patent(patent_id)
    return render_template("showcase/patent.html", patent=record)


@bp.get("/showcase/needs/<int:need_id>")
def need(need_id: int):
    """One open public need, without its enterprise or contact details."""
    record = showcase.public_need(need_id)
    return render_template("showcase/need.html", need=record)


def _subject(patent_id: int | None, need_id: int | None):
    """The public record a contact request is about: exactly one patent or one need."""
    if patent_id is not None:
        return showcase.public_patent(patent_id), None
    return None, showcase.public_need(need_id)


@bp.route("/showcase/patents/<int:patent_id>/contact", methods=["GET", "POST"])
@bp.route("/showcase/needs/<int:need_id>/contact", methods=["GET", "POST"])
@throttle.contact_request
def contact(patent_id: int | None = None, need_id: int | None = None):
    """我要对接: leave a name and a way to reach you; a broker follows up."""
    patent, need = _subject(patent_id, need_id)
    form = ContactForm()
    if form.validate_on_submit():
        showcase.submit_contact_request(form.values(), patent=patent, need=need)
        db.session.commit()
        flash(_("Thank you. A technology broker will contact you within two working days."),
              "success")
        if patent is not None:
            return redirect(url_for("showcase.patent", patent_id=patent.id))
        return redirect(url_for("showcase.need", need_id=need.id))
    return render_template("showcase/contact.html", form=form, patent=patent, need=need)
