"""Alerts (issue 61, seed 004): a streak of failed items raises one alert, POSTed to a real
local webhook, and the first success after it one ``resolved``; a dead webhook never fails
the batch; ``alerts test`` sends the real shape. Real batches in other processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.text.slug import slugify
from tests.helpers import wait_until
from tests.integration.serving import free_port, open_stream, receiver, script, serve
from tests.integration.test_music_batch import NAMES, build

FAILING = NAMES[:4]  # Alpha..Delta fail, Echo completes


@pytest.fixture
def streak_home(tmp_path, music_library) -> Path:
    return made_to_fail(tmp_path, music_library)


def made_to_fail(tmp_path: Path, music_library) -> Path:
    """A home whose queue holds five artists, the first four made to fail (their work file's
    place taken by a folder: the job's write raises mid-artist)."""
    lib, home = build(music_library, tmp_path / "Music", NAMES, n_tracks=1), tmp_path / "home"
    done = script("music", "queue", "--home", home, "--init", "--library", lib)
    assert done.returncode == 0, done.stderr
    for name in FAILING:
        (home / "status/music/work" / f"{slugify(name)}.json" / "in-the-way").mkdir(parents=True)
    return home


def batch(home: Path, url: str) -> object:
    env = {"MEDIAKEEPER_ALERTS_THRESHOLD": "3", "MEDIAKEEPER_ALERTS_WEBHOOK_URL": url}
    return script("music", "batch", "--home", home, "--offline", "--workers", "1", env=env)


def test_a_streak_alerts_once_and_the_first_success_resolves_it(streak_home):
    hook = receiver()
    run = batch(streak_home, hook.url)
    assert run.returncode == 1, run.stdout + run.stderr  # failed items: as without alerts
    alert, resolved = hook.bodies  # exactly one alert for a streak of four, one resolved
    assert alert["version"] == 1 and alert["event"] == "alert" and alert["kind"] == "music"
    assert alert["consecutive_failures"] == 3
    assert [e["item"] for e in alert["errors"]] == FAILING[:3]
    assert all(e["stage"] and e["message"] for e in alert["errors"])
    assert alert["home"] == str(streak_home)
    assert resolved["event"] == "resolved" and resolved["item"] == "Echo"
    assert resolved["consecutive_failures"] == 4 and resolved["version"] == 1
    assert "ALERT: 3 music items failed in a row" in run.stderr
    assert "Resolved: Echo completed" in run.stderr
    # The webhook's address may hold a secret: never said, never sent.
    assert "SECRET" not in run.stdout + run.stderr + str(hook.bodies)
    # Each is an event for `serve` to follow.
    lines = (streak_home / "status/music/alerts.jsonl").read_text().splitlines()
    assert len(lines) == 2


def test_the_streak_goes_on_across_batches(streak_home):
    """Two failures in one batch and two in the next make a streak of four: one alert."""
    hook = receiver()
    env = {"MEDIAKEEPER_ALERTS_THRESHOLD": "3", "MEDIAKEEPER_ALERTS_WEBHOOK_URL": hook.url}
    for _ in range(2):
        run = script("music", "batch", "--home", streak_home, "--offline", "--workers", "1",
                     "--batch-size", "2", env=env)  # fmt: skip
        assert run.returncode == 1
    assert [b["event"] for b in hook.bodies] == ["alert"]
    assert hook.bodies[0]["consecutive_failures"] == 3


def test_a_dead_webhook_never_fails_the_batch(streak_home):
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    run = batch(streak_home, dead)
    assert run.returncode == 1, run.stdout + run.stderr  # the items' failures, nothing more
    assert "Warning: the alert webhook ([alerts] webhook_url) not reached" in run.stderr
    assert dead not in run.stdout + run.stderr
    queue = script("music", "queue", "--home", streak_home, "--show-summary")
    assert queue.returncode == 0
    assert "completed" in queue.stdout


def test_alerts_test_sends_the_real_shape(streak_home):
    hook = receiver()
    env = {"MEDIAKEEPER_ALERTS_WEBHOOK_URL": hook.url}
    sent = script("alerts", "test", "--home", streak_home, env=env)
    assert sent.returncode == 0, sent.stderr
    real = receiver()
    batch(streak_home, real.url)
    assert set(hook.bodies[0]) == set(real.bodies[0])
    assert hook.bodies[0]["version"] == 1 and hook.bodies[0]["event"] == "alert"
    assert set(hook.bodies[0]["errors"][0]) == {"item", "stage", "message"}


def test_alerts_test_without_a_webhook_is_a_usage_error(streak_home):
    sent = script("alerts", "test", "--home", streak_home)
    assert sent.returncode == 2
    assert sent.stderr.startswith("Error: no [alerts] webhook_url or apprise is set")
    assert "Traceback" not in sent.stderr


def test_a_served_home_tells_the_alert_as_an_event(streak_home):
    server = serve(streak_home)
    stream = open_stream(server)
    try:
        run = batch(streak_home, "")
        assert run.returncode == 1
        assert wait_until(lambda: [e for e in stream.events if e["event"] == "alert"]
                          and any(e["data"].get("event") == "resolved" for e in stream.events))
        listed = {i["name"]: i["last_error"]
                  for i in server.get("/api/queues/music/items").json()["items"]}  # fmt: skip
    finally:
        stream.close()
        server.stop()
    alert = next(e["data"] for e in stream.events if e["event"] == "alert")
    assert alert["event"] == "alert" and alert["kind"] == "music"
    assert alert["consecutive_failures"] == 3 and alert["version"] == 1
    # Every event carries the fields docs/api.md's table says every event has; a failed
    # item's, its error as the library lists it.
    every = {"kind", "item", "key", "status", "session", "stage", "percent", "speed"}
    assert all(every <= set(e["data"]) for e in stream.events), stream.events
    failed = [e["data"] for e in stream.events if e["event"] == "failed"]
    assert [f["item"] for f in failed] == FAILING
    assert all(f["error"] and f["error"] == listed[f["item"]] for f in failed), failed


def test_apprise_urls_hear_the_alert_and_its_resolved(streak_home):
    """``[alerts] apprise`` (a TOML list): Apprise's ``json://`` plugin POSTs each to a real
    local receiver, a failure then a success notification; the URL's secret is never said."""
    hook = receiver()
    port = hook.server.server_address[1]
    (streak_home / "mediakeeper.toml").write_text(
        f'[alerts]\nthreshold = 3\napprise = ["json://someone:SECRET-IN-URL@127.0.0.1:{port}/n"]\n'
    )
    run = script("music", "batch", "--home", streak_home, "--offline", "--workers", "1")
    assert run.returncode == 1, run.stdout + run.stderr  # the items' failures, nothing more
    alert, resolved = hook.bodies
    assert alert["type"] == "failure"
    assert alert["title"] == "mediakeeper: 3 music items failed in a row"
    assert [line.split(" (")[0] for line in alert["message"].splitlines()[:3]] == FAILING[:3]
    assert alert["message"].endswith(f"Data home: {streak_home}")
    assert resolved["type"] == "success"
    assert resolved["message"].startswith("Echo completed after 4 failed music items.")
    assert "Warning" not in run.stderr
    assert "SECRET" not in run.stdout + run.stderr


def test_an_apprise_url_down_or_unknown_never_fails_the_batch(streak_home):
    down = f"json://127.0.0.1:{free_port()}/n"  # nothing listens there
    env = {"MEDIAKEEPER_ALERTS_THRESHOLD": "3",
           "MEDIAKEEPER_ALERTS_APPRISE": f"{down} nosuchservice://SECRET-IN-URL"}  # fmt: skip
    run = script("music", "batch", "--home", streak_home, "--offline", "--workers", "1", env=env)
    assert run.returncode == 1, run.stdout + run.stderr
    warnings = [line for line in run.stderr.splitlines() if "[alerts] apprise" in line]
    said = (
        "Warning: the alert's Apprise notification ([alerts] apprise) URL 2 not an address "
        "Apprise knows; not taken by every receiver; the batch went on"
    )
    assert warnings == [said, said]  # the alert's and the resolved's
    assert "SECRET" not in run.stdout + run.stderr and down not in run.stderr
    queue = script("music", "queue", "--home", streak_home, "--show-summary")
    assert "completed" in queue.stdout


def test_alerts_test_reaches_the_apprise_urls_too(streak_home):
    hook, apprised = receiver(), receiver()
    port = apprised.server.server_address[1]
    env = {"MEDIAKEEPER_ALERTS_WEBHOOK_URL": hook.url,
           "MEDIAKEEPER_ALERTS_APPRISE": f"json://127.0.0.1:{port}/n"}  # fmt: skip
    sent = script("alerts", "test", "--home", streak_home, env=env)
    assert sent.returncode == 0, sent.stderr
    assert hook.bodies[0]["event"] == "alert"
    (told,) = apprised.bodies
    assert told["type"] == "failure" and "(a test alert) (test)" in told["message"]
    dead = {**env, "MEDIAKEEPER_ALERTS_APPRISE": f"json://127.0.0.1:{free_port()}/n"}
    failed = script("alerts", "test", "--home", streak_home, env=dead)
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: the test alert to the Apprise URLs ([alerts] apprise)")
