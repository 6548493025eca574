"""Human labels for the stored codes (translatable; Chinese is the default locale): enums,
盟市 names, pair sources and the reasons the engine writes into a pair's history."""

import re

from flask_babel import gettext, lazy_pgettext, pgettext
from flask_babel import lazy_gettext as _l

from .records.enums import (
    SYSTEM_REASONS,
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

LABELS = {
    OrgKind: {
        OrgKind.UNIVERSITY: _l("University"),
        OrgKind.INSTITUTE: _l("Research institute"),
        OrgKind.ENTERPRISE: _l("Enterprise"),
        OrgKind.AGENCY: _l("Service agency"),
    },
    Role: {
        Role.ADMIN: _l("Administrator"),
        Role.BROKER: _l("Technology broker"),
        Role.ENTERPRISE: _l("Enterprise user"),
        Role.UNIVERSITY: _l("University user"),
    },
    LegalStatus: {
        LegalStatus.VALID: _l("Valid"),
        LegalStatus.PENDING: _l("Pending"),
        LegalStatus.LAPSED: _l("Lapsed"),
        LegalStatus.EXPIRED: _l("Expired"),
    },
    PatentType: {
        PatentType.INVENTION: _l("Invention"),
        PatentType.UTILITY: _l("Utility model"),
        PatentType.DESIGN: _l("Design"),
    },
    LicenceMode: {
        LicenceMode.TRANSFER: _l("Transfer"),
        LicenceMode.EXCLUSIVE: _l("Exclusive licence"),
        LicenceMode.ORDINARY: _l("Ordinary licence"),
        LicenceMode.OPEN: _l("Open licence"),
    },
    CooperationMode: {
        CooperationMode.TRANSFER: _l("Transfer"),
        CooperationMode.LICENCE: _l("Licence"),
        CooperationMode.JOINT_DEVELOPMENT: _l("Joint development"),
        CooperationMode.TECHNICAL_SERVICE: _l("Technical service"),
        CooperationMode.EQUITY: _l("Technology as equity"),
    },
    NeedStatus: {
        NeedStatus.OPEN: _l("Open"),
        NeedStatus.MATCHED: _l("Matched"),
        NeedStatus.CLOSED: _l("Closed"),
    },
    Confidentiality: {
        Confidentiality.PUBLIC: _l("Public"),
        Confidentiality.BROKERS: _l("Brokers only"),
    },
    MatchStatus: {
        MatchStatus.CANDIDATE: _l("Candidate"),
        MatchStatus.RECOMMENDED: _l("Recommended"),
        MatchStatus.CONTACTED: _l("Contacted"),
        MatchStatus.NEGOTIATING: _l("Negotiating"),
        MatchStatus.SIGNED: _l("Signed"),
        MatchStatus.REGISTERED: _l("Registered"),
        MatchStatus.REJECTED: _l("Rejected"),
    },
    RejectionReason: {
        RejectionReason.NOT_RELEVANT: _l("Not relevant"),
        RejectionReason.TOO_EARLY: _l("Too early-stage"),
        RejectionReason.BENEFIT_UNCLEAR: _l("Benefit unclear"),
        RejectionReason.PRICE_TERMS: _l("Price or terms"),
        RejectionReason.ALREADY_SOLVED: _l("Already solved (whole need)"),
        RejectionReason.OTHER: _l("Other"),
        RejectionReason.OWNER_REFUSES: _l("Owner will not license (whole patent)"),
        RejectionReason.TRANSFERRED: _l("Already transferred (whole patent)"),
        RejectionReason.LICENSED_EXCLUSIVELY: _l("Exclusively licensed (whole patent)"),
        RejectionReason.PATENT_NOT_IN_FORCE: _l("Patent no longer in force"),
        RejectionReason.LISTING_CLOSED: _l("Patent listing closed by its owner"),
        RejectionReason.NEED_CLOSED: _l("Need closed"),
        RejectionReason.NEED_MATCHED: _l("Need already matched"),
    },
    Feedback: {
        Feedback.INTERESTED: _l("Interested"),
        Feedback.NOT_INTERESTED: _l("Not interested"),
    },
    ContactStatus: {
        ContactStatus.NEW: _l("New request"),
        ContactStatus.IN_PROGRESS: _l("Following up"),
        ContactStatus.CLOSED: _l("Request done"),
    },
    EventStatus: {
        EventStatus.PLANNED: _l("Planned"),
        EventStatus.HELD: _l("Held"),
        EventStatus.CANCELLED: _l("Cancelled"),
    },
}


#: The 盟市 are stored by their Chinese name; the English names are the msgids.
LEAGUE_LABELS = {
    "呼和浩特市": _l("Hohhot"),
    "包头市": _l("Baotou"),
    "呼伦贝尔市": _l("Hulunbuir"),
    "兴安盟": _l("Hinggan League"),
    "通辽市": _l("Tongliao"),
    "赤峰市": _l("Chifeng"),
    "锡林郭勒盟": _l("Xilingol League"),
    "乌兰察布市": _l("Ulanqab"),
    "鄂尔多斯市": _l("Ordos"),
    "巴彦淖尔市": _l("Bayannur"),
    "乌海市": _l("Wuhai"),
    "阿拉善盟": _l("Alxa League"),
}

#: Where a pair came from (``Match.source``).
SOURCE_LABELS = {
    "batch": lazy_pgettext("pair source", "Matching engine"),
    "manual": lazy_pgettext("pair source", "Added by a broker"),
    "event": lazy_pgettext("pair source", "Release event"),
}

#: History reasons the engine writes (``matching.batch``); brokers' own words pass unchanged.
ENGINE_REASONS = {
    "matching engine (need)": _l("Proposed by the matching engine for the need"),
    "matching engine (patent)": _l("Proposed by the matching engine for the patent"),
}

#: The reranker's activation verdicts (matchmaker.learning.judge.decide), shown on the job
#: pages and by the ``flask`` learning commands.
VERDICTS = {
    "better": _l("Better than the current ranking"),
    "too_few_decisions": _l("Too few decisions after the training window"),
    "not_better_on_later_decisions": _l("Not better on the later decisions"),
    "worse_on_later_decisions": _l("Worse on the later decisions"),
    "not_better_on_benchmark": _l("Not better on the benchmark"),
}


def _shown(table: dict, value: str | None) -> str:
    """``value``'s label in the interface language when ``table`` has one; any other value as
    stored (text the system did not write, a value older versions stored); "" for none."""
    return str(table[value]) if value in table else (value or "")


def league_label(league: str | None) -> str:
    """A 盟市 in the interface language; values outside the list as stored."""
    return _shown(LEAGUE_LABELS, league)


def league_options() -> list[tuple[str, str]]:
    """(stored value, label) for select boxes, in the list's order."""
    return list(LEAGUE_LABELS.items())


def source_label(source: str | None) -> str:
    return _shown(SOURCE_LABELS, source)


#: The benchmark tasks (docs/matching.md, section "Evaluation") as a reader of the quality page
#: knows them; other task names are shown as they are.
TASK_LABELS = {
    "zh_csl_discipline": _l("Chinese: paper title → abstracts of its discipline"),
    "zh_csl_title2abstract": _l("Chinese: paper title → its abstract"),
    "zh_csl_keywords2abstract": _l("Chinese: keywords → their abstract"),
    "en_uspto_same_ipc_group": _l("English: patent abstract → patents of its IPC group"),
    "en_uspto_title2abstract": _l("English: patent title → its abstract"),
    # patent -> needs (the calibration's "needs" model): abstracts read like patents, paper
    # titles and keyword lists like needs
    "zh_csl_abstract2discipline": _l("Chinese, patent → needs: abstract → paper titles of its "
                                     "discipline"),
    "zh_csl_abstract2keywords": _l("Chinese, patent → needs: abstract → its keyword list"),
}
#: The evaluation's channel specs and modes, named as on the pair page.
CHANNEL_NAMES = {
    "bm25": lazy_pgettext("channel", "Keywords"),
    "use-multilingual": lazy_pgettext("channel", "Semantic similarity"),
    "lexical": lazy_pgettext("channel", "Keywords"),
    "dense": _l("Semantic channels"),
    "hybrid": _l("Hybrid"),
}


def task_label(name: str | None) -> str:
    """A benchmark task's name for people; unknown tasks as named."""
    return _shown(TASK_LABELS, name)


def channel_name(spec: str | None) -> str:
    """An evaluation channel or mode for people: a sentence-transformers model is the English
    semantic channel, as on the pair page."""
    if spec and spec.startswith("sentence-transformers:"):
        return str(lazy_pgettext("channel", "English semantics"))
    return _shown(CHANNEL_NAMES, spec)


#: Rule and flag labels older versions stored in explanations, as they are called now.
RENAMED_ENGINE_LABELS = {
    "Open licence (开放许可) offered": "Open licence offered",
}


def engine_label(msgid) -> str:
    """A label the engine stored (a rule's or a flag's English msgid) in the interface
    language, as plain text: Jinja's ``_()`` would mark text from the database safe."""
    if not msgid:
        return ""
    text = str(msgid)
    return str(gettext(RENAMED_ENGINE_LABELS.get(text, text)))


#: Notes the system writes when it withdraws pairs (``services.stale``), stored in English.
SYSTEM_NOTES = {
    "listing closed by its owner": _l("The owner closed the listing"),
    "rejection undone": _l("Rejection undone"),  # services.undo.UNDONE
}
#: ... and those that name the record's new status: (stored prefix, status enum, label)
STATUS_NOTES = (
    ("legal status: ", LegalStatus, _l("Legal status now: %(status)s")),
    ("need status: ", NeedStatus, _l("Need status now: %(status)s")),
)


#: The note a patent- or need-level rejection leaves on the other pairs it rejects
#: (``services.pipeline``): "same reason as pair #134[: the broker's note]".
CASCADE_NOTE = re.compile(r"^same reason as pair #(\d+)(?:: (.*))?$", re.DOTALL)


def reason_text(text: str | None) -> str:
    """A history reason or rejection note in the interface language when the system wrote it;
    a person's text as written."""
    cascade = CASCADE_NOTE.match(text or "")
    if cascade:
        said = gettext("Same reason as pair #%(id)s", id=int(cascade.group(1)))
        return f"{said}{pgettext('punctuation', ': ')}{cascade.group(2)}" if cascade.group(2) \
            else said
    for prefix, enum, template in STATUS_NOTES:
        if text and text.startswith(prefix):
            try:
                status = enum(text[len(prefix):].strip())
            except ValueError:
                break
            return str(template) % {"status": label(status)}
    return _shown({**ENGINE_REASONS, **SYSTEM_NOTES}, text)


#: What the activation log says happened to a model (matchmaker.learning.activation).
ACTIVATION_ACTIONS = {
    "activate": _l("Activated"),
    "kept": _l("Kept, not activated"),
    "rollback": _l("Rolled back"),
}


def activation_label(action: str | None) -> str:
    """An activation-log action in the interface language; other values as stored."""
    return _shown(ACTIVATION_ACTIONS, action)


def verdict_label(code: str | None) -> str:
    """A reranker verdict in the interface language; other values as stored."""
    return _shown(VERDICTS, code)


def label(value) -> str:
    """The translated label of an enum member, or the value itself."""
    if value is None:
        return ""
    table = LABELS.get(type(value))
    return str(table[value]) if table and value in table else str(value)


def choices(enum_cls) -> list[tuple[str, str]]:
    """WTForms choices for an enum: (code, label); rejection reasons only those a broker picks."""
    hidden = SYSTEM_REASONS if enum_cls is RejectionReason else ()
    return [(member.value, LABELS[enum_cls][member]) for member in enum_cls
            if member not in hidden]
