"""Every audit action the code records has a readable, translated name on /admin/audit.

The actions are collected from the source: every call of ``services.audit.record`` (under
whatever name a module imports it) and every ``AuditLog`` row written directly. An action that
is not a plain string (an f-string, a variable) must be listed in ``COMPUTED`` with the codes it
can take, so a new action cannot slip through unnamed."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

from flask_babel import force_locale

from matchmaker.extensions import db
from matchmaker.ingest.needs import NeedImporter
from matchmaker.ingest.patents import PatentImporter
from matchmaker.records import AuditLog, Role
from matchmaker.services.audit import ACTION_LABELS, action_label, record
from tests import factories as f
from tests.pairs import client_as

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "matchmaker"

#: (file, source of the action argument) -> the codes it can take.
COMPUTED = {
    ("matchmaker/ingest/service.py", "f'{importer.kind[:-1]}_import'"):
        {cls.kind[:-1] + "_import" for cls in (NeedImporter, PatentImporter)},
    ("matchmaker/services/audit.py", "action"): set(),  # record() itself
    ("matchmaker/portal/list_export.py", "f'{name}_export'"): {"needs_export", "patents_export"},
}


class _Recorder(ast.NodeVisitor):
    """The action arguments of one module's audit calls, as (node, source) pairs."""

    def __init__(self):
        self.record_names: set[str] = set()  # local names of audit.record
        self.module_names: set[str] = set()  # local names of the audit module
        self.arguments: list[ast.expr] = []

    def visit_ImportFrom(self, node: ast.ImportFrom):
        module = node.module or ""
        for alias in node.names:
            local = alias.asname or alias.name
            if module.split(".")[-1] == "audit" and alias.name == "record":
                self.record_names.add(local)
            elif alias.name == "audit" and (module.endswith("services") or module == ""):
                self.module_names.add(local)

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            if alias.name.endswith("services.audit"):
                self.module_names.add(alias.asname or alias.name)

    def visit_Call(self, node: ast.Call):
        func = node.func
        calls_record = (
            (isinstance(func, ast.Name) and func.id in self.record_names)
            or (isinstance(func, ast.Attribute) and func.attr == "record"
                and ast.unparse(func.value) in self.module_names)
        )
        writes_row = (  # AuditLog(action=...) or insert(AuditLog).values(action=...)
            (isinstance(func, ast.Name) and func.id == "AuditLog")
            or (isinstance(func, ast.Attribute) and func.attr == "values"
                and isinstance(func.value, ast.Call)
                and any(isinstance(a, ast.Name) and a.id == "AuditLog" for a in func.value.args))
        )
        if calls_record or writes_row:
            action = next((kw.value for kw in node.keywords if kw.arg == "action"), None)
            if action is None and calls_record and node.args:
                action = node.args[0]
            assert action is not None, ast.unparse(node)
            self.arguments.append(action)
        self.generic_visit(node)


def _codes(node: ast.expr) -> set[str] | None:
    """The codes a plain expression can take; None when it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _codes(node.body), _codes(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def recorded_actions() -> dict[str, set[str]]:
    """Every action code recorded anywhere in the package -> the files recording it."""
    found: dict[str, set[str]] = {}
    unknown = []
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = _Recorder()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        where = path.relative_to(ROOT).as_posix()
        for argument in visitor.arguments:
            codes = _codes(argument)
            if codes is None:
                codes = COMPUTED.get((where, ast.unparse(argument)))
            if codes is None:
                unknown.append(f"{where}:{argument.lineno}: {ast.unparse(argument)}")
                continue
            for code in codes:
                found.setdefault(code, set()).add(where)
    assert unknown == [], "computed audit actions: list their codes in COMPUTED"
    return found


def test_the_collector_finds_the_known_calls():
    """The collector sees every way the code records: aliases, the module, direct rows."""
    found = recorded_actions()
    assert len(found) >= 40
    # as audit(f"{name}_export"): an alias and an f-string listed in COMPUTED
    assert found["needs_export"] == found["patents_export"] == {"matchmaker/portal/list_export.py"}
    assert {"webhook_enable", "webhook_disable"} <= set(found)  # a conditional expression
    assert {"need_import", "patent_import"} <= set(found)  # the f-string of the import
    assert found["api_call"] == {"matchmaker/api/auth.py"}  # insert(AuditLog).values(...)
    assert {"demo.seed", "login_failed", "event_create", "event_update"} <= set(found)


def test_every_recorded_action_has_a_label():
    missing = sorted(set(recorded_actions()) - set(ACTION_LABELS))
    assert missing == []


def test_every_label_is_translated(app):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    with app.test_request_context("/"):
        english = {code: action_label(code) for code in ACTION_LABELS}
        with force_locale("zh_CN"):
            chinese = {code: action_label(code) for code in ACTION_LABELS}
    assert [code for code, label in chinese.items() if not cjk.search(label)] == []
    assert [code for code, label in english.items() if label == code] == []


def test_the_audit_page_names_exports_and_disabled_webhooks(app):
    admin = f.user(Role.ADMIN, username="admin1")
    for action in ("needs_export", "patents_export", "webhook_disable"):
        record(action, admin, None)
    db.session.commit()
    assert db.session.query(AuditLog).count() == 3
    client = client_as(app, "admin1")
    page = html.unescape(client.get("/admin/audit").get_data(as_text=True))
    for code, chinese in (("needs_export", "导出需求"), ("patents_export", "导出专利"),
                          ("webhook_disable", "停用 Webhook")):
        assert re.search(rf'<option value="{code}"\s*>{chinese}</option>', page)  # the filter
        # the table: the label, the code only in the markup (QA pass B, D14)
        assert f'<span data-code="{code}">{chinese}</span>' in page
        assert f"<code>{code}</code>" not in page
    english = html.unescape(client.get("/admin/audit?lang=en").get_data(as_text=True))
    assert '<span data-code="webhook_disable">Webhook disabled</span>' in english
