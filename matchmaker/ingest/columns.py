"""The documented column mapping (docs/import-formats.md): Chinese and English headers -> fields."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..reasons import Reason, reason
from ..records import (
    NEED_LIMITS,
    PATENT_LIMITS,
    Confidentiality,
    CooperationMode,
    LegalStatus,
    LicenceMode,
    Need,
    NeedStatus,
    Organization,
    PatentType,
)
from . import values as v
from .dates_and_amounts import parse_amount, parse_budget, parse_date


@dataclass(frozen=True)
class FieldSpec:
    """One importable field: its code, Chinese label, accepted headers and parser."""

    name: str
    label: str
    aliases: tuple[str, ...]
    parse: Callable[[Any], Any]
    required: bool = False


def _column_length(table_column) -> int:
    return table_column.type.length


ORG_NAME_LIMIT = _column_length(Organization.__table__.c.name)
COUNTY_LIMIT = _column_length(Need.__table__.c.region_county)


def _text(name: str, label: str, aliases: tuple[str, ...], limit: int, required=False):
    return FieldSpec(name, label, aliases, v.limited_text(limit, label), required)


LEGAL_STATUS_NAMES = {
    LegalStatus.VALID: ("有效", "授权", "专利权维持", "valid"),
    LegalStatus.PENDING: ("审中", "在审", "实审", "实质审查", "公开", "pending"),
    LegalStatus.LAPSED: ("失效", "未缴年费", "权利终止", "终止", "lapsed"),
    LegalStatus.EXPIRED: ("届满", "期限届满", "expired"),
}
PATENT_TYPE_NAMES = {
    PatentType.INVENTION: ("发明", "发明专利", "发明授权", "发明申请", "invention"),
    PatentType.UTILITY: ("实用新型", "实用新型专利", "utility model", "utility"),
    PatentType.DESIGN: ("外观设计", "外观设计专利", "design"),
}
LICENCE_NAMES = {
    LicenceMode.TRANSFER: ("转让", "transfer"),
    LicenceMode.EXCLUSIVE: ("独占许可", "exclusive licence", "exclusive license", "exclusive"),
    LicenceMode.ORDINARY: ("普通许可", "ordinary licence", "ordinary license", "ordinary"),
    LicenceMode.OPEN: ("开放许可", "open licence", "open license", "open"),
}
COOPERATION_NAMES = {
    CooperationMode.TRANSFER: ("转让", "技术转让", "transfer"),
    CooperationMode.LICENCE: ("许可", "技术许可", "licence", "license"),
    CooperationMode.JOINT_DEVELOPMENT: ("合作开发", "联合开发", "joint development"),
    CooperationMode.TECHNICAL_SERVICE: ("技术服务", "technical service"),
    CooperationMode.EQUITY: ("技术入股", "作价入股", "technology as equity", "equity"),
}
NEED_STATUS_NAMES = {
    NeedStatus.OPEN: ("开放", "征集中", "进行中", "open"),
    NeedStatus.MATCHED: ("已匹配", "已对接", "matched"),
    NeedStatus.CLOSED: ("已关闭", "关闭", "已结束", "closed"),
}
CONFIDENTIALITY_NAMES = {
    Confidentiality.PUBLIC: ("公开", "public"),
    Confidentiality.BROKERS: ("仅经纪人", "仅经纪人可见", "经纪人可见", "brokers only", "brokers"),
}

P = PATENT_LIMITS
PATENT_FIELDS: dict[str, FieldSpec] = {
    s.name: s
    for s in (
        FieldSpec("publication_number", "公开号",
                  ("公开(公告)号", "公开公告号", "公告号", "公开(公布)号", "公布号", "publication number",
                   "pub no"), v.parse_publication_number, required=True),
        _text("application_number", "申请号", ("application number",), P["application_number"]),
        _text("title", "专利名称", ("标题", "名称", "发明名称", "title"), P["title"], required=True),
        _text("abstract", "摘要", ("abstract",), P["abstract"], required=True),
        _text("claims", "权利要求书", ("权利要求", "主权项", "claims"), P["claims"]),
        FieldSpec("ipc_codes", "IPC分类号", ("IPC", "分类号", "IPC主分类号", "ipc codes"), v.parse_ipc),
        _text("applicants", "申请人", ("申请(专利权)人", "applicant"), P["applicants"]),
        _text("inventors", "发明人", ("设计人", "发明(设计)人", "inventor"), P["inventors"]),
        FieldSpec("legal_status", "法律状态", ("当前法律状态", "legal status"),
                  v.enum_parser(LEGAL_STATUS_NAMES)),
        FieldSpec("patent_type", "专利类型", ("类型", "patent type"), v.enum_parser(PATENT_TYPE_NAMES)),
        FieldSpec("filing_date", "申请日", ("申请日期", "filing date"), parse_date),
        FieldSpec("grant_date", "授权日", ("授权公告日", "授权日期", "grant date"), parse_date),
        FieldSpec("fee_due_date", "年费截止日", ("年费缴纳截止日", "年费到期日", "fee due date",
                                                 "annual fee due"),
                  parse_date),
        _text("owner", "专利权人", ("权利人", "当前权利人", "所属机构", "owner"), ORG_NAME_LIMIT),
        _text("technical_field", "技术领域", ("所属领域", "technical field"), P["technical_field"]),
        FieldSpec("licensing_modes", "许可方式", ("转化方式", "交易方式", "licensing modes", "licensing"),
                  v.enum_list_parser(LICENCE_NAMES)),
        FieldSpec("asking_price", "报价", ("价格", "转让价格", "asking price", "price"), parse_amount),
        FieldSpec("dormant", "是否休眠", ("休眠", "休眠专利", "dormant"), v.parse_bool),
        _text("contact_note", "联系说明", ("联系备注", "contact note"), P["contact_note"]),
        FieldSpec("family_id", "同族号", ("专利族", "同族专利号", "优先权号", "优先权", "family",
                                         "family id", "priority", "priority number"),
                  v.family_id(P["family_id"], "同族号")),
    )
}

N = NEED_LIMITS
NEED_FIELDS: dict[str, FieldSpec] = {
    s.name: s
    for s in (
        FieldSpec("external_ref", "需求编号", ("编号", "需求ID", "external ref", "ref", "reference"),
                  v.need_ref(N["external_ref"], "需求编号")),
        _text("enterprise", "企业名称", ("企业", "需求方", "需求单位", "enterprise", "company"),
              ORG_NAME_LIMIT, required=True),
        _text("title", "需求名称", ("标题", "名称", "需求标题", "title"), N["title"], required=True),
        _text("description", "需求描述", ("描述", "需求内容", "需求详情", "description"),
              N["description"], required=True),
        _text("technical_field", "技术领域", ("所属领域", "technical field"), N["technical_field"]),
        FieldSpec("keywords", "关键词", ("关键字", "keywords"),
                  v.keywords_parser(N["keywords"], N["keyword"])),
        FieldSpec("budget_min", "预算下限", ("最低预算", "budget min", "budget from"), parse_amount),
        FieldSpec("budget_max", "预算上限", ("最高预算", "budget max", "budget to"), parse_amount),
        FieldSpec("budget", "预算", ("预算金额", "budget"), parse_budget),
        FieldSpec("cooperation_mode", "合作方式", ("cooperation mode", "cooperation"),
                  v.enum_parser(COOPERATION_NAMES)),
        FieldSpec("deadline", "截止日期", ("截止时间", "有效期至", "deadline"), parse_date),
        FieldSpec("region_league", "盟市", ("所在盟市", "地区", "region league", "region", "league",
                                             "league or city"),
                  v.parse_league),
        _text("region_county", "旗县区", ("旗县", "区县", "region county", "county",
                                         "county or district"), COUNTY_LIMIT),
        FieldSpec("status", "状态", ("需求状态", "status"), v.enum_parser(NEED_STATUS_NAMES)),
        FieldSpec("confidentiality", "保密", ("保密级别", "公开范围", "可见范围", "confidentiality"),
                  v.enum_parser(CONFIDENTIALITY_NAMES)),
    )
}

# Decorations people add to headers: units (the exports' own "(万元)" / "(10k yuan)"),
# required marks, "(必填)". Spaces are gone before the unit is looked at.
_DECORATION = re.compile(r"\((?:万元|单位:万元|10kyuan|必填|选填|可选|required|optional)\)$|[*\s_\-]")


def normalise_header(header: str) -> str:
    """Fold a header for lookup: width, case, spaces, underscores, "*", "(万元)" do not matter."""
    folded = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "").strip().lower()
    previous = None
    while previous != folded:  # decorations may stack, e.g. "报价 (万元) *"
        previous, folded = folded, _DECORATION.sub("", folded)
    return folded


class ColumnMapper:
    """Maps a file's column names to field codes and collects warnings (each said once)."""

    def __init__(self, specs: dict[str, FieldSpec]):
        self.specs = specs
        self._lookup = {
            normalise_header(alias): spec.name
            for spec in specs.values()
            for alias in (spec.name, spec.label, *spec.aliases)
        }
        self._resolved: dict[str, str | None] = {}
        self.unknown: list[str] = []
        self._warnings: dict[str, None] = {}

    def field_for(self, column: str) -> str | None:
        """The field a column feeds, or None (recorded once as unknown)."""
        if column not in self._resolved:
            field = self._lookup.get(normalise_header(column))
            self._resolved[column] = field
            if field is None:
                self.unknown.append(column)
        return self._resolved[column]

    def map(self, record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """(field -> raw value, field -> column) for one row. Of two columns of one field, the
        one named by the field's label or code wins, else the first: a needs export has both
        "编号" (the record id, an alias of 需求编号) and "需求编号", and the id is no need number."""
        raw: dict[str, Any] = {}
        columns: dict[str, str] = {}
        for column, value in record.items():
            field = self.field_for(str(column))
            if field is None:
                continue
            if field in columns:
                kept, ignored = columns[field], str(column)
                if self._named(ignored, field) and not self._named(kept, field):
                    kept, ignored = ignored, kept
                    raw[field], columns[field] = value, kept
                # the field by its Chinese label in Chinese, by an English column name in
                # English (an English report named it 专利名称)
                self._warnings[reason(
                    "The columns “%(column)s” and “%(first)s” feed the same field (%(name)s); "
                    "“%(column)s” was ignored", column=ignored, first=kept,
                    label=self.specs[field].label, name=self.english_name(field))] = None
                continue
            raw[field] = value
            columns[field] = str(column)
        return raw, columns

    def _named(self, column: str, field: str) -> bool:
        """Whether ``column`` is the field's label or code, not one of its aliases."""
        spec = self.specs[field]
        return normalise_header(column) in (normalise_header(spec.label),
                                            normalise_header(spec.name))

    def missing(self, headers: list[str], required: list[str]) -> list[str]:
        """Required fields that none of ``headers`` provides."""
        present = {self.field_for(h) for h in headers}
        return [name for name in required if name not in present]

    def english_name(self, name: str) -> str:
        """The field as an English reader names its column: its first English alias."""
        spec = self.specs[name]
        return next((a for a in spec.aliases if a.isascii()), spec.name.replace("_", " "))

    def describe(self, name: str) -> Reason:
        """"公开号（可用列名：公开号、公开(公告)号、publication_number ...）" for error messages."""
        spec = self.specs[name]
        # Chinese names first, and always an English one: a reader of the English screens
        # names columns in English ("publication number"), QA pass 5.
        chinese = [a for a in spec.aliases if not a.isascii()][:2]
        english = [a for a in spec.aliases if a.isascii()][:1]
        names = dict.fromkeys(str(n) for n in (spec.label, *chinese, *english, spec.name))
        return reason("%(label)s (column names: %(names)s)", label=spec.label, names=list(names))

    @property
    def warnings(self) -> list[str]:
        found = list(self._warnings)
        if self.unknown:
            found.insert(0, reason("Unknown columns (ignored): %(names)s", names=list(self.unknown)))
        return found
