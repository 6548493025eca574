"""Every ``flask`` command speaks one language per run (issue 10, point 3): MATCHMAKER_LANGUAGE,
else the locale variables (LC_ALL, LC_MESSAGES, LANG), else Chinese."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from flask_babel import refresh

from matchmaker.cli import commands
from matchmaker.i18n import command_line_locale
from tests.script_text import HAN, NAMES, other_script

#: Identifiers, as the walk skips ``code`` elements: `flask demo`, --dry-run.
CODE = re.compile(r"``[^`]*``|`[^`]*`|--[a-z][a-z-]*")

HEADER = "公开号,专利名称,摘要,IPC分类号,申请日,专利权人\n"
GOOD_ROW = "CN114081026A,一种稀土永磁材料,本发明公开了一种稀土永磁材料。,H01F 1/057,2021-03-05,内蒙古科技大学\n"
BAD_ROW = "CN114081099A,一种抛光粉,本发明公开了一种抛光粉。,B24B 57/00,2021-02-30,内蒙古科技大学\n"
NEEDS = ("需求名称,需求描述,企业名称,预算\n需要一种稀土抛光粉,用于玻璃抛光,包头某公司,很多\n"
         "需要一种稀土永磁材料,用于电机的永磁体,包头某公司,50-100\n")


def _commands(tmp_path) -> list[list[str]]:
    """The commands the test runs: imports (good, bad, unreadable), jobs, learning, matching."""
    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD_ROW, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + BAD_ROW, encoding="utf-8")
    needs = tmp_path / "needs.csv"
    needs.write_text(NEEDS, encoding="utf-8")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x80\x81\xff\xfe\x00")
    return [
        ["create-user", "zhangsan", "--role", "broker", "--password", "Qx7-tangerine-Vault-42"],
        ["create-user", "lisi", "--role", "university", "--org", "nowhere", "--password", "Qx7-tangerine-Vault-42"],
        ["demo-accounts"],
        ["import-patents", str(good)],
        ["import-patents", str(bad), "--dry-run"],
        ["import-patents", str(bad)],
        ["import-patents", str(garbage)],
        ["import-patents", str(bad), "--owner", "nowhere"],
        ["import-needs", str(needs)],
        ["jobs", "list"],
        ["jobs", "recover"],
        ["webhooks", "deliver-due"],
        ["export-feedback"],
        ["reranker-status"],
        ["rollback-reranker"],
        ["activate-reranker", "v-missing"],
        ["build-index"],
        ["match-patent", "1"],
        ["match-need", "999"],
        ["match-patent", "999"],
        ["event-funnel", "999"],
    ]


def _run_all(app, tmp_path, env: dict) -> list[str]:
    runner = app.test_cli_runner()
    lines = []
    for args in _commands(tmp_path):
        refresh()  # the test keeps one app context: forget the previous run's locale
        result = runner.invoke(args=args, env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args, result.output)
        lines += result.output.splitlines()
    return lines


def _user_text(tmp_path) -> str:
    """What the test typed: file contents and names, usernames, option values."""
    files = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.glob("*.csv"))
    names = " ".join(p.name for p in tmp_path.glob("*.csv"))
    return "\n".join([files, names, str(tmp_path), "zhangsan lisi nowhere v-missing"])


@pytest.mark.parametrize("locale, env", [
    ("zh_CN", {"MATCHMAKER_LANGUAGE": "zh_CN", "LANG": "en_US.UTF-8"}),
    ("zh_CN", {"MATCHMAKER_LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}),
    ("en", {"MATCHMAKER_LANGUAGE": "en"}),
    ("en", {"MATCHMAKER_LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_GB.UTF-8"}),
], ids=["zh-chosen", "zh-default", "en-chosen", "en-from-LANG"])
def test_every_command_prints_one_language(db_app, tmp_path, locale, env):
    lines = _run_all(db_app, tmp_path, env)
    corpus = _user_text(tmp_path)
    mixed = [line for line in lines if other_script(CODE.sub("", line), locale, corpus)]
    print(f"\n{locale} {env}: {len(lines)} lines, {len(mixed)} in the other script")
    for line in mixed:
        print("  ", line)
    assert len(lines) >= 35
    assert mixed == []


@pytest.mark.parametrize("environ, expected", [
    ({}, "zh_CN"),
    ({"MATCHMAKER_LANGUAGE": "en"}, "en"),
    ({"MATCHMAKER_LANGUAGE": "en_US", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"MATCHMAKER_LANGUAGE": "zh_CN", "LC_ALL": "en_US.UTF-8"}, "zh_CN"),
    ({"MATCHMAKER_LANGUAGE": "fr", "LANG": "en_US.UTF-8"}, "en"),  # unknown: the next source
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_ALL": "", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "zh_CN"),
    ({"LANG": "de_DE.UTF-8"}, "zh_CN"),
])
def test_command_line_locale(environ, expected):
    assert command_line_locale(environ, ["zh_CN", "en"], "zh_CN") == expected


# --- click's own words: --help and usage errors (issue 10, the CLI's remaining English) ---

ZH = {"MATCHMAKER_LANGUAGE": "zh_CN", "LANG": "en_US.UTF-8", "LANGUAGE": None}
EN = {"MATCHMAKER_LANGUAGE": "en", "LANG": "zh_CN.UTF-8", "LANGUAGE": None}
#: Option names and their one-letter forms, as the screen walk skips ``code``.
OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")


def _our_commands() -> list[tuple[list[str], click.Command]]:
    """Every command this project registers, groups and their subcommands, as argument paths."""
    found = []

    def walk(command, path):
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    for command in commands():
        walk(command, [command.name])
    return found


def _identifiers(found) -> str:
    """What a help screen names rather than says: the program, commands, choices, defaults."""
    words = ["flask"]
    for path, command in found:
        words += path
        for param in command.params:
            if isinstance(param.type, click.Choice):
                words += map(str, param.type.choices)
            if isinstance(param.default, str):
                words.append(param.default)
    return " ".join(words)


def _help_lines(app, env) -> tuple[list[str], list[str]]:
    """All lines of every command's ``--help`` and those in the other script."""
    runner, found = app.test_cli_runner(), _our_commands()
    corpus, locale = _identifiers(found), env["MATCHMAKER_LANGUAGE"]
    lines, mixed = [], []
    for path, _command in found:
        refresh()
        result = runner.invoke(args=[*path, "--help"], env=env, prog_name="flask")
        assert result.exit_code == 0, (path, result.output)
        for line in result.output.splitlines():
            lines.append(line)
            if other_script(OPTION.sub("", CODE.sub("", line)), locale, corpus):
                mixed.append(f"{' '.join(path)}: {line}")
    return lines, mixed


@pytest.mark.parametrize("env", [ZH, EN], ids=["zh", "en"])
def test_every_command_help_speaks_the_run_language(app, env):
    lines, mixed = _help_lines(app, env)
    print(f"\n{env['MATCHMAKER_LANGUAGE']}: {len(lines)} help lines, {len(mixed)} in the other script")
    for line in mixed:
        print("  ", line)
    assert len(lines) > 6 * len(_our_commands())
    assert mixed == []


def test_help_follows_each_run_in_one_process(app):
    """Click caches a command's --help option with the words of the first run; ours do not."""
    runner = app.test_cli_runner()
    outputs = []
    for env in (ZH, EN, ZH):
        refresh()
        outputs.append(runner.invoke(args=["jobs", "list", "--help"], env=env).output)
    assert "显示此帮助信息并退出" in outputs[0] and "用法：" in outputs[0]
    assert "Show this message and exit." in outputs[1] and "Usage:" in outputs[1]
    assert outputs[2] == outputs[0]


@pytest.mark.parametrize("args, words", [
    (["import-patents", "--no-such"], ["没有", "--no-such"]),
    (["import-patents"], ["缺少参数", "FILE"]),
    (["create-user", "wangwu"], ["缺少选项", "--role"]),
    (["jobs", "list", "--limit", "0"], ["--limit", "范围"]),
    (["worker", "--pool", "gevent"], ["gevent", "prefork"]),
])
def test_usage_errors_speak_chinese(app, tmp_path, args, words):
    result = app.test_cli_runner().invoke(args=args, env=ZH, prog_name="flask")
    assert result.exit_code == 2, result.output
    assert f"用法： flask {args[0]}" in result.output and "错误：" in result.output
    assert all(word in result.output for word in words), result.output
    corpus = _identifiers(_our_commands()) + " gevent FILE"
    assert [line for line in result.output.splitlines()
            if other_script(OPTION.sub("", line), "zh_CN", corpus)] == []


def test_usage_errors_speak_english(app):
    result = app.test_cli_runner().invoke(args=["import-patents", "--no-such"], env=EN,
                                          prog_name="flask")
    assert result.exit_code == 2
    assert "Usage: flask import-patents" in result.output
    assert "Error: No such option" in result.output
    assert not HAN.search(result.output)


@pytest.mark.parametrize("args", [["jobs", "--help"], ["import-patents", "--help"]],
                         ids=["group", "command"])
def test_a_chinese_heading_ends_in_a_chinese_colon(app, args):
    """Click writes "选项" and its own ASCII colon; a Chinese heading takes "："."""
    runner = app.test_cli_runner()
    refresh()
    chinese = runner.invoke(args=args, env=ZH, prog_name="flask").output
    refresh()
    english = runner.invoke(args=args, env=EN, prog_name="flask").output
    assert "\n选项：\n" in chinese and not re.search(r"[\u3400-\u9fff]:", chinese), chinese
    assert "\nOptions:\n" in english


# --- the reranker's verdict, a code, in the run's language (issue 10) ---

def test_reranker_verdicts_speak_the_run_language(app, monkeypatch):
    """``reranker-status`` and ``train-reranker`` render the verdict code through the catalogue
    (the same labels as the job pages), never as the code."""
    from matchmaker.learning import training

    manifest = Path(app.config["INDEX_DIR"]) / "reranker" / "v-7" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"version": "v-7", "rows": 40, "metrics": {
        "activate": False, "reason": "not_better_on_benchmark", "decisions": {"gain": 0.01}}}),
        encoding="utf-8")
    report = {"version": "v-8", "activate": False, "reason": "too_few_decisions"}
    monkeypatch.setattr(training, "train_from_decisions", lambda: report)
    runner = app.test_cli_runner()
    for env, words in ((ZH, ["基准", "训练期之后的决定太少"]),
                       (EN, ["Not better on the benchmark",
                             "Too few decisions after the training window"])):
        refresh()
        status = runner.invoke(args=["reranker-status"], env=env)
        refresh()
        trained = runner.invoke(args=["train-reranker"], env=env)
        assert status.exit_code == 0 and trained.exit_code == 0, (status.output, trained.output)
        verdict_lines = [status.output.splitlines()[-1], trained.output.splitlines()[-1]]
        assert words[0] in verdict_lines[0] and words[1] in verdict_lines[1], verdict_lines
        assert not any(code in line for line in verdict_lines
                       for code in ("not_better_on_benchmark", "too_few_decisions"))


# --- click's own full stop after a translated "Missing ..." (issue 10) ---

@pytest.mark.parametrize("args, zh, en", [
    (["create-user", "wangwu"], "错误：缺少选项 '--role'。可选值：", "Error: Missing option '--role'. Choose"),
    (["import-patents"], "错误：缺少参数 'FILE'。", "Error: Missing argument 'FILE'."),
], ids=["option", "argument"])
def test_a_chinese_error_ends_in_a_chinese_full_stop(app, args, zh, en):
    runner = app.test_cli_runner()
    refresh()
    chinese = runner.invoke(args=args, env=ZH, prog_name="flask").output
    refresh()
    english = runner.invoke(args=args, env=EN, prog_name="flask").output
    assert zh in chinese, chinese
    assert not re.search(r"[\u3400-\u9fff'][.]", chinese), chinese
    assert en in english, english


# --- the `flask` root listing and Flask's own commands (issue 10, gap 1) ---

ROOT = Path(__file__).resolve().parent.parent
#: Names a help screen quotes rather than says ('--app', 'FLASK_APP', 'wsgi.py', 'module:name'),
#: as click's own messages quote them, and the products it names.
QUOTED = re.compile(r"'[^'\s]+'")
PRODUCTS = {"Flask", "Flask-Limiter", "Python", "Alembic"}


def _other_script_lines(output: str, locale: str, corpus: str) -> list[str]:
    return [line for line in output.splitlines()
            if other_script(QUOTED.sub("", OPTION.sub("", CODE.sub("", line))), locale, corpus,
                            NAMES | PRODUCTS)]


def _flask(args: list[str], env: dict, tmp_path, command: list[str] | None = None
           ) -> subprocess.CompletedProcess:
    """Plain ``flask --app wsgi ARGS``, as the README runs it, in a process of its own (or
    ``command ARGS``)."""
    flask = Path(sys.executable).with_name("flask")
    run_env = {k: v for k, v in os.environ.items()
               if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES") and not k.startswith("MATCHMAKER_")}
    run_env.update({k: v for k, v in env.items() if v is not None})
    run_env.update(MATCHMAKER_ALLOW_GENERATED_SECRET="1",
                   MATCHMAKER_INSTANCE_PATH=str(tmp_path / "instance"),
                   MATCHMAKER_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
                   MATCHMAKER_INDEX_DIR=str(tmp_path / "indexes"))
    if command is None:
        command = [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]
        command += ["--app", "wsgi"]
    return subprocess.run([*command, *args], cwd=ROOT, env=run_env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args", [["--help"], ["db", "--help"]], ids=["root", "db"])
@pytest.mark.parametrize("env", [ZH, EN], ids=["zh", "en"])
def test_plain_flask_help_speaks_the_run_language(tmp_path, args, env):
    """``flask --help`` lists every command in the run's language, though Flask writes the
    page's first words before it loads the app; ``flask db --help`` (Flask-Migrate) too."""
    done = _flask(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"^  ([a-z][\w-]*)\s{2,}", done.stdout, re.M)
    corpus = _identifiers(_our_commands()) + " " + " ".join(listed)
    mixed = _other_script_lines(done.stdout, env["MATCHMAKER_LANGUAGE"], corpus)
    assert mixed == [], done.stdout
    if env is ZH:
        assert "用法： flask" in done.stdout and "\n选项：\n" in done.stdout
        assert "\n命令：\n" in done.stdout
    else:
        assert "Usage: flask" in done.stdout and "Commands:" in done.stdout
    if args == ["--help"]:
        assert {"run", "shell", "routes", "db", "limiter", "language", "create-user",
                "jobs"} <= set(listed)


@pytest.mark.parametrize("args", [["run", "--help"], ["shell", "--help"], ["routes", "--help"],
                                  ["limiter", "--help"], ["limiter", "clear", "--help"]],
                         ids=["run", "shell", "routes", "limiter", "limiter-clear"])
@pytest.mark.parametrize("env", [ZH, EN], ids=["zh", "en"])
def test_plain_flask_own_commands_speak_the_run_language(app, tmp_path, args, env):
    """Plain ``flask`` shows its own commands' help (and Flask-Limiter's) without loading the
    app; this package's ``flask`` plugin (cli/plugin.py), which it loads first, makes them
    speak the run's language."""
    from matchmaker.cli.language import FlaskGroup

    done = _flask(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert ("用法： flask " if env is ZH else "Usage: flask ") in done.stdout
    corpus = _identifiers(_flask_own_commands(FlaskGroup(create_app=lambda: app)))
    assert _other_script_lines(done.stdout, env["MATCHMAKER_LANGUAGE"], corpus) == [], done.stdout
    if env is ZH and args[0] == "run":
        assert "运行本地开发服务器" in done.stdout


@pytest.mark.parametrize("env", [ZH, EN], ids=["zh", "en"])
def test_flask_language_prints_the_language_of_the_run(tmp_path, env):
    done = _flask(["language"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == env["MATCHMAKER_LANGUAGE"] + "\n"


def _flask_own_commands(group) -> list[tuple[list[str], click.Command]]:
    """Flask's commands and the extensions', with every subcommand, as argument paths."""
    found = []

    def walk(command, path):
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    ctx = group.make_context("flask", [], resilient_parsing=True)
    for name in ("run", "shell", "routes", "db", "limiter"):
        walk(group.get_command(ctx, name), [name])
    return found


@pytest.mark.parametrize("env", [ZH, EN], ids=["zh", "en"])
def test_flask_own_commands_speak_the_run_language(app, env):
    """``python -m matchmaker`` (our FlaskGroup): Flask's run, shell and routes, Flask-Migrate's
    db and Flask-Limiter's limiter with all their subcommands show their help in the run's
    language (plain ``flask`` shows those before it loads the app: README)."""
    from matchmaker.cli.language import FlaskGroup

    group = FlaskGroup(create_app=lambda: app)
    found = _flask_own_commands(group)
    corpus = _identifiers(found)
    assert len(found) >= 20
    runner, mixed = app.test_cli_runner(), []
    for path, _command in found:
        refresh()
        result = runner.invoke(cli=group, args=[*path, "--help"], env=env, prog_name="flask")
        assert result.exit_code == 0, (path, result.output)
        assert ("用法：" if env is ZH else "Usage:") in result.output
        mixed += [f"{' '.join(path)}: {line}" for line in
                  _other_script_lines(result.output, env["MATCHMAKER_LANGUAGE"], corpus)]
    assert mixed == []


def test_python_m_matchmaker_speaks_from_the_first_word(tmp_path):
    """``python -m matchmaker run --help``: Flask's run in Chinese, which plain ``flask``
    shows before it loads the app (README, Command line)."""
    done = _flask(["run", "--help"], ZH, tmp_path, [sys.executable, "-m", "matchmaker"])
    assert done.returncode == 0, done.stderr
    assert "用法： python -m matchmaker run" in done.stdout and "运行本地开发服务器" in done.stdout
    assert _other_script_lines(done.stdout, "zh_CN", "python matchmaker run") == []
