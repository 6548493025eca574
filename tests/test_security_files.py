"""Private instance files and no generated secret in production (issue 14, point 5)."""

from __future__ import annotations

import os
import stat

import pytest

from matchmaker import create_app

PRODUCTION_ENV = ("MATCHMAKER_SECRET_KEY", "MATCHMAKER_ALLOW_GENERATED_SECRET", "FLASK_DEBUG")


@pytest.fixture
def production_env(monkeypatch):
    for name in PRODUCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    old = os.umask(0o022)  # the usual umask: files 0644, folders 0755 unless made private
    yield monkeypatch
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_generated_secret_and_sqlite_file_are_private(tmp_path, production_env):
    instance = tmp_path / "instance"
    production_env.setenv("MATCHMAKER_ALLOW_GENERATED_SECRET", "1")
    app = create_app({"INSTANCE_PATH": str(instance),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'mm.sqlite3'}"})
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert _mode(instance) == 0o700
    assert _mode(instance / "secret_key") == 0o600
    assert _mode(instance / "mm.sqlite3") == 0o600
    assert len(app.config["SECRET_KEY"]) == 64


def test_existing_world_readable_files_are_tightened(tmp_path, production_env):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "secret_key").write_text("a" * 64)
    (instance / "mm.sqlite3").write_bytes(b"")
    os.chmod(instance / "secret_key", 0o644)
    os.chmod(instance / "mm.sqlite3", 0o644)
    production_env.setenv("MATCHMAKER_ALLOW_GENERATED_SECRET", "1")
    app = create_app({"INSTANCE_PATH": str(instance),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'mm.sqlite3'}"})
    assert app.config["SECRET_KEY"] == "a" * 64
    assert _mode(instance) == 0o700
    assert _mode(instance / "secret_key") == 0o600 and _mode(instance / "mm.sqlite3") == 0o600


def test_production_refuses_to_start_without_a_secret_key(tmp_path, production_env):
    with pytest.raises(RuntimeError, match="MATCHMAKER_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    assert not (tmp_path / "i" / "secret_key").exists()


@pytest.mark.parametrize("how", ["env_key", "allowed", "testing", "debug"])
def test_secret_key_from_env_or_explicitly_generated(tmp_path, production_env, how):
    config = {"INSTANCE_PATH": str(tmp_path / "i")}
    if how == "env_key":
        production_env.setenv("MATCHMAKER_SECRET_KEY", "k" * 64)
    elif how == "allowed":
        production_env.setenv("MATCHMAKER_ALLOW_GENERATED_SECRET", "1")
    elif how == "testing":
        config["TESTING"] = True
    else:
        production_env.setenv("FLASK_DEBUG", "1")
    app = create_app(config)
    assert len(app.config["SECRET_KEY"]) == 64
    assert (how == "env_key") != (tmp_path / "i" / "secret_key").exists()
