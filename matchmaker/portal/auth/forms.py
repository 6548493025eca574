"""Forms of the auth blueprint."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.validators import ValidationError as FieldError

from ...security.passwords import MAX_LENGTH, password_problem
from ..base_form import Form
from ..fields import REQUIRED


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(message=REQUIRED), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class PasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(message=REQUIRED)])
    new = PasswordField(
        _l("New password"), validators=[DataRequired(message=REQUIRED), Length(max=MAX_LENGTH)],
        description=_l("At least 12 characters, not your username, not a common password."),
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(message=REQUIRED), EqualTo("new", message=_l("The two new passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))

    def validate_new(self, field):
        if field.data == self.current.data:
            raise FieldError(_l("Choose a password different from the current one."))
        problem = password_problem(field.data, current_user.username)
        if problem:
            raise FieldError(problem)
