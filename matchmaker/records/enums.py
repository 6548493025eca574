"""Enumerations stored as short English codes; labels for people live in ``labels.py``."""

from enum import StrEnum


class OrgKind(StrEnum):
    UNIVERSITY = "university"
    INSTITUTE = "institute"
    ENTERPRISE = "enterprise"
    AGENCY = "agency"


class Role(StrEnum):
    ADMIN = "admin"
    BROKER = "broker"
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"


class LegalStatus(StrEnum):
    VALID = "valid"
    PENDING = "pending"
    LAPSED = "lapsed"
    EXPIRED = "expired"


class PatentType(StrEnum):
    INVENTION = "invention"  # 发明, 20-year term
    UTILITY = "utility"  # 实用新型, 10-year term
    DESIGN = "design"  # 外观设计, 15-year term (since 2021)


class LicenceMode(StrEnum):
    TRANSFER = "transfer"  # 转让
    EXCLUSIVE = "exclusive"  # 独占许可
    ORDINARY = "ordinary"  # 普通许可
    OPEN = "open"  # 开放许可


class CooperationMode(StrEnum):
    TRANSFER = "transfer"  # 转让
    LICENCE = "licence"  # 许可
    JOINT_DEVELOPMENT = "joint_development"  # 合作开发
    TECHNICAL_SERVICE = "technical_service"  # 技术服务
    EQUITY = "equity"  # 技术入股


class NeedStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    CLOSED = "closed"


class Confidentiality(StrEnum):
    PUBLIC = "public"
    BROKERS = "brokers"  # visible to brokers (and the owner) only


class MatchStatus(StrEnum):
    CANDIDATE = "candidate"  # 待审
    RECOMMENDED = "recommended"  # 已推荐
    CONTACTED = "contacted"  # 已联系
    NEGOTIATING = "negotiating"  # 洽谈中
    SIGNED = "signed"  # 已签约
    REGISTERED = "registered"  # 已登记 (技术合同登记)
    REJECTED = "rejected"  # 已拒绝


class RejectionReason(StrEnum):
    NOT_RELEVANT = "not_relevant"
    TOO_EARLY = "too_early"
    BENEFIT_UNCLEAR = "benefit_unclear"
    PRICE_TERMS = "price_terms"
    ALREADY_SOLVED = "already_solved"  # need-level: applies to every pending pair of the need
    OTHER = "other"
    # Patent-level: apply to every pending pair of the patent, which is proposed no more.
    OWNER_REFUSES = "owner_refuses"  # 权利人不许可
    TRANSFERRED = "transferred"  # 已转让
    LICENSED_EXCLUSIVELY = "licensed_exclusive"  # 已许可独占
    # Set by the system when a pair goes stale (services.stale), never chosen by a broker.
    PATENT_NOT_IN_FORCE = "patent_not_in_force"  # 专利已失效或期满
    NEED_CLOSED = "need_closed"  # 需求已关闭
    NEED_MATCHED = "need_matched"  # 需求已对接 (another pair of it reached 已签约)
    LISTING_CLOSED = "listing_closed"  # 专利已关闭挂牌 (its owner no longer offers it)


PATENT_LEVEL_REASONS = (
    RejectionReason.OWNER_REFUSES,
    RejectionReason.TRANSFERRED,
    RejectionReason.LICENSED_EXCLUSIVELY,
)
NEED_LEVEL_REASONS = (RejectionReason.ALREADY_SOLVED,)
SYSTEM_REASONS = (
    RejectionReason.PATENT_NOT_IN_FORCE,
    RejectionReason.NEED_CLOSED,
    RejectionReason.NEED_MATCHED,
    RejectionReason.LISTING_CLOSED,
)


class Feedback(StrEnum):
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"


class EventStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


def enum_column_values(enum_cls) -> list[str]:
    """Values for ``sqlalchemy.Enum(values_callable=...)`` so the database stores codes."""
    return [member.value for member in enum_cls]


class ContactStatus(StrEnum):
    """A showcase visitor's contact request (我要对接) as the brokers work it."""

    NEW = "new"  # 待处理
    IN_PROGRESS = "in_progress"  # 跟进中
    CLOSED = "closed"  # 已办结
