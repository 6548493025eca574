"""The domain's exception hierarchy; views translate these into HTTP answers."""


class MatchmakerError(Exception):
    """Base class of every error the domain raises on purpose."""

    http_status = 400


class ValidationError(MatchmakerError):
    """Input that breaks a rule; ``field`` names the offending field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(MatchmakerError):
    http_status = 404


class PermissionDenied(MatchmakerError):
    http_status = 403


class TransitionError(MatchmakerError):
    """A pipeline move that the state machine does not allow."""

    http_status = 409


class ChangedMeanwhile(TransitionError):
    """Someone else moved or assigned the pair after this user loaded it."""


class IndexUnusable(MatchmakerError):
    """A vector index that cannot be used as it is (wrong encoder, corrupt file)."""

    http_status = 503


class EncoderUnavailable(MatchmakerError):
    """The configured encoder cannot be loaded (package missing, model folder absent)."""

    http_status = 503
