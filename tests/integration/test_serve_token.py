"""A blank token opens the door (issue 69, point 12): ``serve`` refuses a token that is no
real secret before it binds, and a real one is compared on its bytes, through a real uvicorn
asked by real HTTP clients (requests, httpx)."""

from __future__ import annotations

import httpx
import pytest
import requests

from tests.integration.serving import free_port, own_addresses, script, serve

GOOD = "Zq3-x_9Lm.2~pR+7/wE=Kd4vT8nB"  # every kind of character a token may hold


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("token") / "home"
    (home / "status").mkdir(parents=True)  # a data home with nothing run yet
    return home


@pytest.mark.parametrize("token", ["   ", "\t", " \t \n", "short-secret", "x" * 15,
                                   "tøken-tøken-tøken-tøken", "a real long token with spaces",
                                   "semi;colon-semi;colon", 'quo"ted-quo"ted-quo"ted'])  # fmt: skip
@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_a_token_that_is_no_secret_is_refused_at_start(home, token, host):
    # (A server that started instead would serve until the timeout: the test fails then.)
    refused = script("serve", "--home", home, "--host", host, "--port", free_port(),
                     env={"MEDIAKEEPER_SERVE_TOKEN": token}, timeout=30)  # fmt: skip
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: [serve] token "), lines
    assert "secrets.token_urlsafe(32)" in lines[0]  # how to make one
    assert token.strip() not in lines[0] or not token.strip()  # the secret is never said
    assert not refused.stdout


def test_an_open_bind_without_a_token_says_how_to_make_one(home):
    refused = script("serve", "--home", home, "--host", "0.0.0.0", "--port", "1")
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "secrets.token_urlsafe(32)" in lines[0]


def test_blank_cookies_and_headers_never_read_the_queues(home):
    server = serve(home, host="0.0.0.0", env={"MEDIAKEEPER_SERVE_TOKEN": GOOD})
    try:
        for headers in ({"Cookie": 'mediakeeper_token="   "'}, {"Cookie": "mediakeeper_token="},
                        {"Cookie": "mediakeeper_token=\t"}, {"Authorization": "Bearer    "},
                        {"Authorization": "Bearer"}, {"Authorization": "Bearer " + GOOD[:-1]},
                        {"Authorization": "Bearer " + GOOD + "x"},
                        {"Cookie": f'mediakeeper_token="{GOOD} "'}):  # fmt: skip
            answer = server.get("/api/queues", headers=headers)
            assert answer.status_code == 401, headers
        bearer = server.get("/api/queues", headers={"Authorization": f"Bearer {GOOD}"})
        assert bearer.status_code == 200
        with httpx.Client(base_url=server.url) as client:
            wrong = client.post("/login", data={"token": "   "})
            assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
            signed = client.post("/login", data={"token": GOOD})
            assert signed.status_code == 303
            assert client.get("/api/queues").status_code == 200  # its cookie carries it whole
    finally:
        _, said = server.stop()
    assert GOOD not in said


def test_the_sign_in_form_is_read_by_its_model(home):
    """``POST /login`` reads its form through a pydantic model (``bodies.form_body``): a
    token past its bound, bytes that are no UTF-8, or a hundred fields and more are 400 with
    one line, nothing echoed, no cookie; the real token still signs in."""
    server = serve(home, host="0.0.0.0", env={"MEDIAKEEPER_SERVE_TOKEN": GOOD})
    try:
        with httpx.Client(base_url=server.url) as client:
            many = "&".join(f"f{n}=x" for n in range(200))
            for form, field in [({"token": GOOD + "x" * 5000}, "token: "),
                                (b"token=%ff%fe" + GOOD.encode(), "the body must be"),
                                (b"token=\xff", "the body must be"),
                                (many, "the body must be")]:  # fmt: skip
                if isinstance(form, dict):
                    answer = client.post("/login", data=form)
                else:
                    answer = client.post("/login", content=form, headers={
                        "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                assert answer.status_code == 400, (form, answer.text[:300])
                assert answer.text.startswith(f'<p class="bad">{field}')
                assert "\n" not in answer.text and "xxxxx" not in answer.text
                assert GOOD not in answer.text and "set-cookie" not in answer.headers
            assert client.post("/login", data={"token": GOOD}).status_code == 303
            assert client.get("/api/queues").status_code == 200
    finally:
        _, said = server.stop()
    assert GOOD not in said


def test_another_app_s_cookies_beside_ours_leave_the_sign_in_standing(home):
    """A browser sends every cookie of the host, those of another app on another port too;
    one that Python's SimpleCookie cannot parse (JSON, a space in a value) made the guard
    drop the whole header, so the page asked for the token again, for good."""
    server = serve(home, host="0.0.0.0", env={"MEDIAKEEPER_SERVE_TOKEN": GOOD})
    try:
        for others in ('prefs={"a":1}', "ui=a b", 'x="unclosed', "lone", "=v", "a=1;;b"):
            for cookie in (f"{others}; mediakeeper_token={GOOD}",
                           f"mediakeeper_token={GOOD}; {others}"):  # fmt: skip
                answer = server.get("/api/queues", headers={"Cookie": cookie})
                assert answer.status_code == 200, cookie
                page = server.get("/", headers={"Cookie": cookie})
                assert page.status_code == 200 and 'name="token"' not in page.text, cookie
            # Nor does another cookie stand in for ours.
            alone = server.get("/api/queues", headers={"Cookie": others})
            assert alone.status_code == 401, others
    finally:
        _, said = server.stop()
    assert GOOD not in said


def test_bound_to_every_address_it_answers_to_this_machine_s_addresses(home):
    """A NAS is reached by its IP address: bound to 0.0.0.0, a Host that is one of this
    machine's interfaces' addresses (IPv4 or IPv6) is answered, as its names are; another
    machine's address and any other name are still 421 (an address is no name that DNS
    could rebind), and so is the bind's own 0.0.0.0 (or ::), which browsers have let another
    site's page reach ("0.0.0.0 day")."""
    mine = own_addresses()
    if not mine:
        pytest.skip("this machine has no address off loopback")
    server = serve(home, host="0.0.0.0", env={"MEDIAKEEPER_SERVE_TOKEN": GOOD})
    port = server.url.rsplit(":", 1)[1]
    bearer = {"Authorization": f"Bearer {GOOD}"}
    try:
        for address in mine:
            shown = f"[{address}]" if ":" in address else address
            for host in (f"{shown}:{port}", shown):
                asked = server.get("/api/queues", headers={**bearer, "Host": host})
                assert asked.status_code == 200, (host, asked.text)
            if ":" not in address:  # asked over the network by it, as a browser does
                direct = requests.get(f"http://{address}:{port}/api/queues", headers=bearer,
                                      timeout=30)  # fmt: skip
                assert direct.status_code == 200, direct.text
        for host in ("203.0.113.9", "[2001:db8::9]", "224.0.0.1", "evil.example",
                     "203.0.113.9.nip.io", "0.0.0.0", "[::]"):  # fmt: skip
            assert host.strip("[]") not in mine
            for asked_as in (f"{host}:{port}", host):
                refused = server.get("/api/queues", headers={**bearer, "Host": asked_as})
                assert refused.status_code == 421, asked_as
    finally:
        server.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_the_address_it_says_it_serves_at_answers(home, host):
    """Bound to every address, ``serve`` said it served at http://0.0.0.0:PORT/, an address
    it refuses (421, as a page of another site asking it is): the address it names is one
    it answers at, this machine's name."""
    server = serve(home, host=host, env={"MEDIAKEEPER_SERVE_TOKEN": GOOD})
    try:
        said = server.process.stdout.readline()
        assert said.startswith(f"Serving {home} at http://"), said
        address = said.split(" at ", 1)[1].split()[0]
        assert "0.0.0.0" not in address, said
        # Asked by its name as a browser would (the name sent as the Host), here.
        named = address.removeprefix("http://").rstrip("/")
        asked = server.get("/api/queues", headers={"Authorization": f"Bearer {GOOD}",
                                                   "Host": named})  # fmt: skip
        assert asked.status_code == 200, (said, asked.text)
    finally:
        server.stop()


def test_signing_in_leads_to_the_page_asked(home, browser):
    """Issue: signed in, the browser landed on the overview whatever page it had asked (a
    view with its query, a report a link led to). The sign-in form now carries the page
    asked, and leads there; a page of another site given in its place leads to the
    overview. The page's icon answers before the sign-in (every browser asks it)."""
    server = serve(home, env={"MEDIAKEEPER_SERVE_TOKEN": GOOD})
    try:
        page = browser.new_page()
        for asked in ("/library?q=bj%C3%B6rk&sort=recent", "/changes", "/reports/weekly"):
            page.context.clear_cookies()
            page.goto(server.url + asked)
            page.get_by_label("Token").fill(GOOD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(server.url + asked)
            assert page.get_by_label("Token").count() == 0, asked
        page.close()
        with httpx.Client(base_url=server.url) as client:
            icon = client.get("/favicon.ico")
            assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
            for elsewhere in ("//evil.example/x", "/\\evil.example", "/\t/evil.example",
                              "https://evil.example/", "evil.example"):  # fmt: skip
                signed = client.post("/login", data={"token": GOOD, "then": elsewhere})
                assert (signed.status_code, signed.headers["location"]) == (303, "/"), elsewhere
            wrong = client.post("/login", data={"token": GOOD[:-1], "then": "/changes"})
            assert wrong.status_code == 401 and 'value="/changes"' in wrong.text  # kept
    finally:
        _, said = server.stop()
    assert GOOD not in said


def test_signed_in_on_an_https_page_the_cookie_is_sent_over_https_alone(home):
    """Behind a reverse proxy that ends TLS (as docs/api.md's base path has it) the server is
    asked over plain HTTP, but the browser's page is https (its ``Origin`` says so): the
    cookie holding the token is ``Secure``, so the browser never sends it over plain HTTP to
    the same host (a typed ``http://nas/``, anyone on the network reading it). A page served
    over plain HTTP keeps a cookie it can send back."""
    server = serve(home, env={"MEDIAKEEPER_SERVE_TOKEN": GOOD})
    try:
        form = {"token": GOOD, "then": "/"}
        behind = requests.post(server.url + "/login", data=form, allow_redirects=False,
                               headers={"Host": "localhost", "Origin": "https://localhost"},
                               timeout=30)  # fmt: skip
        assert behind.status_code == 303, behind.text
        cookie = behind.headers["set-cookie"]
        assert "mediakeeper_token=" in cookie and "secure" in cookie.lower(), cookie
        plain = requests.post(server.url + "/login", data=form, allow_redirects=False,
                              headers={"Origin": server.url}, timeout=30)  # fmt: skip
        assert plain.status_code == 303, plain.text
        assert "secure" not in plain.headers["set-cookie"].lower(), plain.headers["set-cookie"]
    finally:
        server.stop()
