"""The project's select box (matchmaker.portal.fields.Select) writes exactly WTForms' HTML."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import widgets
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired

from matchmaker.portal.fields import Select, SelectField
from matchmaker.portal.pipeline.forms import AssignForm, MoveForm
from matchmaker.portal.queue.forms import BulkForm, QueueFilterForm
from matchmaker.records import MatchStatus, Role
from tests import factories as f


class _Tricky(FlaskForm):
    class Meta:
        csrf = False

    plain = SelectField(choices=[C("a", "A"), C("b\"<&'", "B \"<&' 乙"), C("", _l("Any"))])
    markup = SelectField(choices=[C("m", Markup("<b>bold</b>")), C("n", "")])
    numbers = SelectField(coerce=int, choices=[C(1, "one"), C(2, "two")])
    required = SelectField(choices=[C("x", "X")], validators=[DataRequired()])
    extra = SelectField(choices=[C("k", "K", render_kw={"data-k": "1"}), C("l", "L")])
    grouped = SelectField(choices=[C("g", "G", optgroup="G1"), C("h", "H", optgroup="G2")])
    flag = SelectField(coerce=lambda v: v in (True, "True"), choices=[C(True, "yes"), C(False, "no")])


def _same(field, **kwargs):
    ours = field(**kwargs)
    theirs = widgets.Select()(field, **kwargs)
    assert isinstance(ours, Markup)
    assert str(ours) == str(theirs)


def test_tricky_choices_render_like_wtforms(app):
    with app.test_request_context("/"):
        form = _Tricky(MultiDict({"plain": "b\"<&'", "numbers": "2", "markup": "m", "extra": "k",
                                  "grouped": "h", "flag": "True"}))
        form.validate()
        for field in form:
            assert isinstance(field.widget, Select)
            _same(field)
            _same(field, class_="narrow", **{"aria-invalid": "true", "data_x": "y"})


def test_the_portal_forms_render_like_wtforms(app):
    brokers = [f.user(Role.BROKER), f.user(Role.BROKER, display_name='A "quoted" <name> & 乙')]
    with app.test_request_context("/queue/?status=all&broker=mine&region=包头市&sort=age"):
        forms = [QueueFilterForm(brokers, MultiDict({"status": "all", "broker": str(brokers[1].id),
                                                     "region": "包头市", "sort": "age"})),
                 QueueFilterForm(brokers, MultiDict()), BulkForm(brokers),
                 AssignForm(brokers, formdata=None, data={"seen_broker": ""})]
        forms += [MoveForm(target, formdata=None) for target in MatchStatus]
        selects = [field for form in forms for field in form if field.type == "SelectField"]
        assert len(selects) >= 20
        for field in selects:
            _same(field)
