"""Fuzzing every HTTP route of the hub (demo pages, widget files, health, the console API, the
internal handoff API) over real HTTP: any method, body, query, Origin and Content-Type, with and
without valid credentials. Nothing answers 5xx, no HTML page reflects what was sent, and the
hub is still healthy afterwards."""

from __future__ import annotations

import json
import secrets
from urllib.parse import quote

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from scripts.stack import HubProcess
from tests.fuzz import rawhttp
from tests.fuzz.conftest import AGENT, INTERNAL_TOKEN, assert_healthy, fuzz
from tests.fuzz.strategies import dumps, json_values, nasty_text, odd_bytes, printable_text
from tests.handoff.support import PASSWORD

pytestmark = pytest.mark.rasa

# Sent in every query string, so that a page repeating the request is recognisable.
MARK = "fz" + secrets.token_hex(4)

segment = st.one_of(
    nasty_text, printable_text, st.just(""), st.sampled_from(["..", "%2e%2e", "widget.js"])
)
ROUTES = st.one_of(
    st.sampled_from(
        [
            "/",
            "/es/",
            "/health",
            "/widget/widget.js",
            "/widget/widget.css",
            "/ws",
            "/console/",
            "/console",
            "/console/ws",
            "/console/api/state",
            "/console/api/canned",
            "/console/api/supervisor",
            "/console/api/sign-in",
            "/console/api/sign-out",
            "/internal/handoff",
            "/internal/service_requests",
        ]
    ),
    st.builds(
        lambda prefix, part: prefix + quote(part.encode("utf-8", "surrogatepass"), safe="/.%"),
        st.sampled_from(
            [
                "/widget/",
                "/uswds/",
                "/console/static/",
                "/console/api/chats/",
                "/console/api/service-requests/",
                "/",
                "/es/",
                "/health/",
            ]
        ),
        segment,
    ),
    st.builds(
        lambda chat, verb: f"/console/api/chats/{quote(chat, safe='')}/{quote(verb, safe='')}",
        st.one_of(st.just(MARK), printable_text.filter(bool)),
        st.one_of(
            st.sampled_from(["claim", "messages", "transfer", "end", "close"]), printable_text
        ),
    ),
)
# Bodies shaped like the ones each route reads, with hostile values, or anything at all.
shaped_bodies = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        for key in (
            "username",
            "password",
            "text",
            "queue",
            "conversation_id",
            "reason",
            "language",
            "summary",
            "question",
            "email",
        )
    },
)
bodies = st.one_of(
    st.just(b""),
    shaped_bodies.map(lambda body: dumps(body).encode("utf-8", "surrogatepass")),
    json_values.map(lambda value: dumps(value).encode("utf-8", "surrogatepass")),
    odd_bytes,
    st.just(b'{"text": "' + b"x" * 300_000 + b'"}'),
)
content_types = st.sampled_from(
    [
        None,
        b"application/json",
        b"application/json; charset=latin-1",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data",
        b"multipart/form-data; boundary=zz",
        b"text/html",
        b"\xff\xfe/\x00",
    ]
)
origins = st.one_of(
    st.none(),
    # SELF: the hub's own origin, the one page allowed to open the visitor socket.
    st.sampled_from([b"SELF", b"null", b"http://evil.example", b"http://127.0.0.1", b"file://"]),
    odd_bytes,
)
query_strings = st.one_of(
    st.just(""),
    st.dictionaries(printable_text, nasty_text, max_size=3).map(
        lambda params: "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    ),
    st.sampled_from(["?token=x", "?%ff=%fe", "?" + "a=1&" * 500]),
)


def sign_in(hub: HubProcess) -> str:
    reply = requests.post(
        f"{hub.url}/console/api/sign-in",
        json={"username": AGENT, "password": PASSWORD},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["token"]


def test_every_route_survives_any_request(hub: HubProcess) -> None:
    session = sign_in(hub)
    credentials = st.sampled_from(["none", "junk", "session", "internal"])

    @fuzz(400)
    @given(
        method=st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH"]),
        route=ROUTES,
        query=query_strings,
        body=bodies,
        content_type=content_types,
        origin=origins,
        credential=credentials,
        junk=odd_bytes,
    )
    # What the fuzzer found first, tried on every run: a token that is not UTF-8, a folder,
    # a lone surrogate in a JSON body.
    @example(b"POST", "/console/api/sign-out", "", b"", None, None, "junk", b"\x80")
    @example(b"POST", "/internal/handoff", "", b"", None, None, "junk", b"\xc3\xa9")
    @example(b"GET", "/widget/", "", b"", None, None, "none", b"")
    @example(b"GET", "/uswds/css/", "", b"", None, None, "none", b"")
    @example(b"GET", "/widget/%00", "", b"", None, None, "none", b"")
    @example(b"GET", "/console/ws", "", b"", None, None, "none", b"")
    @example(b"GET", "/ws", "", b"", None, b"SELF", "none", b"")
    @example(
        b"POST",
        "/internal/service_requests",
        "",
        b'{"question": "why\\ud800", "email": "a@b.example"}',
        b"application/json",
        None,
        "internal",
        b"",
    )
    def request(
        method: bytes,
        route: str,
        query: str,
        body: bytes,
        content_type: bytes | None,
        origin: bytes | None,
        credential: str,
        junk: bytes,
    ) -> None:
        headers: list[tuple[bytes, bytes]] = []
        if content_type is not None:
            headers.append((b"Content-Type", content_type))
        if origin == b"SELF":
            headers.append((b"Origin", hub.url.encode()))
        elif origin is not None:
            headers.append((b"Origin", origin.replace(b"\r", b"").replace(b"\n", b"")))
        # Signing out would end the session the other examples use: never with the real one.
        if credential == "session" and "sign-out" not in route:
            headers.append((b"Authorization", b"Bearer " + session.encode()))
        elif credential == "internal":
            headers.append((b"Authorization", b"Bearer " + INTERNAL_TOKEN.encode()))
        elif credential == "junk":
            clean = junk.replace(b"\r", b"").replace(b"\n", b"")
            headers.append((b"Authorization", b"Bearer " + clean))
        target = f"{route}{query}{'&' if query else '?'}m={MARK}".encode("ascii")
        reply = rawhttp.send(hub.port, method, target, headers, body)
        assert 0 < reply.status < 500, (method, target, reply.status, reply.body[:500])
        if "html" in reply.content_type:
            # A page never repeats the request back (no reflected markup).
            assert MARK.encode() not in reply.body, (method, target)
            assert b"<script>alert" not in reply.body, (method, target)

    request()
    assert_healthy(hub)


def test_service_requests_with_odd_addresses_can_be_answered(hub: HubProcess) -> None:
    """What the internal API accepts, the console can answer: no 5xx on the way to the mailbox."""
    session = sign_in(hub)

    @fuzz(40)
    @given(
        question=st.one_of(nasty_text.filter(str.strip), st.just("<b>why?</b>")),
        email=st.one_of(
            st.emails(),
            st.tuples(nasty_text, nasty_text).map("@".join),
            st.sampled_from(["a@b\r\nBcc: x@y", "a@b\nSubject: hi", "é@ü.example", "@"]),
        ),
        answer=nasty_text.filter(str.strip),
        language=st.one_of(st.sampled_from(["en", "es"]), nasty_text),
    )
    @example("why?", "a@b\r\nBcc: x@y", "because", "en")
    def round_trip(question: str, email: str, answer: str, language: str) -> None:
        created = requests.post(
            f"{hub.url}/internal/service_requests",
            data=json.dumps({"question": question, "email": email, "language": language}),
            headers={
                "Authorization": f"Bearer {INTERNAL_TOKEN}",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
        assert created.status_code in (200, 400), (created.status_code, created.text)
        if created.status_code != 200:
            return
        number = created.json()["number"]
        answered = requests.post(
            f"{hub.url}/console/api/service-requests/{number}/answer",
            data=json.dumps({"text": answer}),
            headers={"Authorization": f"Bearer {session}", "Content-Type": "application/json"},
            timeout=30,
        )
        if not email.isascii() and answered.status_code == 502:
            return  # an address beyond ASCII needs SMTPUTF8, which the test's mail server lacks
        assert answered.status_code < 500, (answered.status_code, answered.text)

    round_trip()
    assert_healthy(hub)
