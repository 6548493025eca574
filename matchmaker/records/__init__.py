"""The ORM: the database is the source of truth for every record."""

from .base import utcnow
from .enums import (
    Confidentiality,
    CooperationMode,
    EventStatus,
    Feedback,
    LegalStatus,
    LicenceMode,
    MatchStatus,
    NeedStatus,
    OrgKind,
    PatentType,
    RejectionReason,
    Role,
)
from .events import EventPatent, EventRegistration, Notification, ReleaseEvent
from .matches import Match, MatchHistory, MatchNote
from .needs import NEED_LIMITS, Need
from .organizations import AuditLog, Organization, User
from .patents import PATENT_LIMITS, Patent, PatentIPC, PatentLicence
from .views import SavedView

__all__ = [
    "AuditLog",
    "Confidentiality",
    "CooperationMode",
    "EventPatent",
    "EventRegistration",
    "EventStatus",
    "Feedback",
    "LegalStatus",
    "LicenceMode",
    "Match",
    "MatchHistory",
    "MatchNote",
    "MatchStatus",
    "NEED_LIMITS",
    "Need",
    "NeedStatus",
    "Notification",
    "OrgKind",
    "Organization",
    "PATENT_LIMITS",
    "Patent",
    "PatentIPC",
    "PatentLicence",
    "PatentType",
    "RejectionReason",
    "SavedView",
    "ReleaseEvent",
    "Role",
    "User",
    "utcnow",
]
