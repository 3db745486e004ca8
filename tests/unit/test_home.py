"""Which data home a command works in, from any folder: flag, environment, the current folder
or a parent, the home recorded in the user's config; none is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import NoDataHome
from mediakeeper.core.home import find_home, notice, user_config, which_home


@pytest.fixture
def tree(tmp_path) -> dict[str, Path]:
    paths = {
        "project": tmp_path / "project",  # the project's layout: status/ at its top
        "toml": tmp_path / "mine",  # a home named by its settings file
        "deep": tmp_path / "mine" / "a" / "b",
        "elsewhere": tmp_path / "elsewhere",
        "config": tmp_path / "xdg",
    }
    for path in paths.values():
        path.mkdir(parents=True, exist_ok=True)
    (paths["project"] / "status").mkdir()
    (paths["toml"] / "mediakeeper.toml").write_text("[music]\nmax_attempts = 7\n")
    return paths


def env(tree, **more) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tree["config"]), **more}


def record(tree, home: Path | str) -> None:
    config = user_config(env(tree))
    config.parent.mkdir(parents=True)
    config.write_text(f'home = "{home}"\n')


def test_the_project_folder_is_its_own_home(tree):
    assert find_home(None, env(tree), tree["project"]) == tree["project"].resolve()


def test_a_mediakeeper_toml_in_the_folder_or_a_parent_names_the_home(tree):
    assert find_home(None, env(tree), tree["toml"]) == tree["toml"].resolve()
    assert find_home(None, env(tree), tree["deep"]) == tree["toml"].resolve()


def test_flag_then_environment_win_over_the_folder(tree):
    environ = env(tree, MEDIAKEEPER_HOME=str(tree["toml"]))
    assert find_home(tree["elsewhere"], environ, tree["project"]) == tree["elsewhere"].resolve()
    assert find_home(None, environ, tree["project"]) == tree["toml"].resolve()


def test_from_any_other_folder_the_recorded_home_is_found(tree):
    record(tree, tree["project"])
    assert find_home(None, env(tree), tree["elsewhere"]) == tree["project"]
    # ... and the folder's own home still comes first
    assert find_home(None, env(tree), tree["deep"]) == tree["toml"].resolve()


def test_no_home_anywhere_is_refused_in_one_line_with_the_fix(tree):
    with pytest.raises(NoDataHome) as raised:
        find_home(None, env(tree), tree["elsewhere"])
    message = str(raised.value)
    assert "\n" not in message
    assert f"no data home found from {tree['elsewhere'].resolve()}" in message
    assert "--home DIR" in message and "mediakeeper init" in message
    assert not (tree["elsewhere"] / "status").exists()


def test_a_recorded_home_that_is_gone_is_refused_naming_the_config(tree):
    record(tree, tree["elsewhere"] / "gone")
    with pytest.raises(
        NoDataHome, match=r"the data home recorded in .*config.toml, .*gone, is not there"
    ):
        find_home(None, env(tree), tree["elsewhere"])


def test_a_broken_user_config_is_named(tree):
    record(tree, "x")
    user_config(env(tree)).write_text("home = [\n")
    with pytest.raises(NoDataHome, match=r"cannot read .*config\.toml"):
        find_home(None, env(tree), tree["elsewhere"])


def test_the_settings_are_the_found_home_s(tree, monkeypatch):
    monkeypatch.chdir(tree["deep"])
    settings = load_settings(None, environ=env(tree))
    assert settings.home == tree["toml"].resolve()
    assert settings.get("music", "max_attempts") == 7


def test_xdg_config_home_defaults_to_dot_config(tmp_path):
    assert user_config({}) == Path.home() / ".config" / "mediakeeper" / "config.toml"


def test_a_clones_status_folder_alone_is_no_home_when_one_is_recorded(tree, monkeypatch):
    """The project's tracked status/README.md makes no home: inside a clone, the recorded one."""
    (tree["project"] / "status" / "README.md").write_text("# status\n")
    assert find_home(None, env(tree), tree["project"]) == tree["project"].resolve()  # none recorded
    record(tree, tree["toml"])
    assert which_home(None, env(tree), tree["project"]) == (tree["toml"], "recorded")
    monkeypatch.chdir(tree["project"])
    assert notice(None, env(tree)) == ""  # the recorded one in use: nothing to say


def test_a_folder_holding_a_queue_is_a_home_from_itself_and_below(tree):
    record(tree, tree["toml"])
    queue = tree["project"] / "status" / "music" / "processing_queue.json"
    queue.parent.mkdir()
    queue.write_text('{"items": []}\n')
    found = tree["project"].resolve()
    assert which_home(None, env(tree), tree["project"]) == (found, "folder")
    assert which_home(None, env(tree), queue.parent) == (found, "folder")


def test_a_home_other_than_the_recorded_one_is_said_with_how_to_pick_that_one(tree, monkeypatch):
    record(tree, tree["project"])
    monkeypatch.chdir(tree["deep"])
    said = notice(None, env(tree))
    assert said.startswith(f"Using the data home {tree['toml'].resolve()} (from the current ")
    assert said.endswith(f"give --home {tree['project']} to use that one")
    from_env = notice(None, env(tree, MEDIAKEEPER_HOME=str(tree["toml"])))
    assert "(from MEDIAKEEPER_HOME)" in from_env
    assert notice(str(tree["toml"]), env(tree)) == ""  # named by --home on the line itself
    monkeypatch.chdir(tree["elsewhere"])
    assert notice(None, env(tree)) == ""  # the recorded one is in use


def test_a_relative_xdg_config_home_is_ignored_by_the_recorded_home_and_the_units():
    """The XDG spec (and systemd) ignore a relative ``$XDG_CONFIG_HOME``: so do the recorded
    home and ``schedule --install``'s units, never a folder below wherever a command ran."""
    from mediakeeper.watch.schedule import user_unit_dir

    config = Path.home() / ".config"
    assert user_config({"XDG_CONFIG_HOME": "rel"}) == config / "mediakeeper" / "config.toml"
    assert user_unit_dir({"XDG_CONFIG_HOME": "rel"}) == config / "systemd" / "user"
    assert user_unit_dir({"XDG_CONFIG_HOME": "/x"}) == Path("/x/systemd/user")
