"""The ORM: the database is the source of truth for every record."""

from .announcements import Announcement
from .api import ApiToken, IdempotencyKey, WebhookDelivery, WebhookSubscription
from .base import utcnow
from .enums import (
    Confidentiality,
    ContactStatus,
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
from .jobs import Job, JobStatus
from .matches import Match, MatchHistory, MatchNote
from .needs import NEED_LIMITS, Need
from .organizations import AuditLog, Organization, User
from .patents import PATENT_LIMITS, Patent, PatentIPC, PatentLicence
from .showcase import CONTACT_LIMITS, ContactRequest
from .views import SavedView

__all__ = [
    "Announcement",
    "ApiToken",
    "IdempotencyKey",
    "WebhookDelivery",
    "WebhookSubscription",
    "AuditLog",
    "CONTACT_LIMITS",
    "Confidentiality",
    "ContactRequest",
    "ContactStatus",
    "CooperationMode",
    "EventPatent",
    "EventRegistration",
    "EventStatus",
    "Feedback",
    "Job",
    "JobStatus",
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
