"""Fuzzing the case-status service over real HTTP: any receipt, any query, any token, any
credentials. Every answer is a documented JSON answer below 500, a missing case always gets the
one neutral message, and the log never holds a receipt number in full."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import requests
from hypothesis import example, given
from hypothesis import strategies as st

from scripts.stack import CaseStatusService
from services.case_status.app import MESSAGES, RECEIPT_RE
from tests.case_status.conftest import get_token
from tests.fuzz import rawhttp
from tests.fuzz.conftest import fuzz, service_log
from tests.fuzz.strategies import (
    INJECTIONS,
    dumps,
    json_values,
    nasty_text,
    odd_bytes,
    printable_text,
    receipt_like,
)

NOT_FOUND = {"code": "404", "message": MESSAGES[404]}
INVALID_TOKEN = {"code": "401", "message": MESSAGES[401]}


def assert_documented(reply: rawhttp.RawReply) -> dict:
    """Below 500, JSON, and the documented envelope for each status."""
    assert 0 < reply.status < 500, (reply.status, reply.body[:300])
    assert reply.content_type.startswith("application/json"), (reply.status, reply.body[:300])
    body = reply.json()
    if reply.status == 404:
        assert body == NOT_FOUND
    elif reply.status == 401:
        assert body == INVALID_TOKEN
    elif reply.status == 422:
        assert body["code"] == "422" and body["message"] == MESSAGES[422]
    return body


def assert_not_logged(service: CaseStatusService, receipt: str) -> None:
    """A receipt may appear masked (prefix and last four digits), never all its digits."""
    digits = re.sub(r"\D", "", receipt)
    if len(digits) >= 9:
        log = service_log(service).read_text(encoding="utf-8", errors="replace")
        assert digits not in log, f"receipt digits {digits} written to the service log"


# Receipts as typed, mangled, wrapped in markup or in a path that walks upwards.
receipts = st.one_of(
    receipt_like,
    nasty_text,
    st.tuples(nasty_text, receipt_like, nasty_text).map("".join),
    st.tuples(st.sampled_from(["../", "..%2f", "/", "%2e%2e/", "./"]), receipt_like).map("".join),
    st.text(min_size=300, max_size=3000),
)
# How the path is written: fully percent-encoded, or with slashes, dots and % left as they are.
path_safe = st.sampled_from(["", "/", "/.%", "/.%*?#"])
queries = st.one_of(
    st.just(""),
    st.dictionaries(printable_text, nasty_text, max_size=4).map(
        lambda params: "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    ),
    st.sampled_from(
        ["?receiptNumber=EAC9999103403", "?%ff%fe=%00", "?a&&&=&b=%zz", "?" + "x" * 5000]
    ),
)


def test_any_receipt_in_the_path_gets_a_documented_json_answer(
    case_status: CaseStatusService,
) -> None:
    token = get_token(case_status)
    auth = [(b"Authorization", b"Bearer " + token.encode())]

    @fuzz(150)
    @given(
        receipt=receipts,
        safe=path_safe,
        query=queries,
        body=st.one_of(st.just(b""), st.just(b"body"), odd_bytes),
    )
    @example("WAC0000000000", "", "", b"body")  # a case that exists, and a body nobody reads
    def lookup(receipt: str, safe: str, query: str, body: bytes) -> None:
        path = quote(receipt.encode("utf-8", "surrogatepass"), safe=safe)
        target = f"/case-status/{path}{query}".encode("ascii")
        reply = rawhttp.send(case_status.port, b"GET", target, auth, body)
        body = assert_documented(reply)
        if reply.status == 200:
            assert RECEIPT_RE.match(receipt) and body["case_status"]["receiptNumber"] == receipt
        else:
            assert reply.status in (404, 413, 414, 422), (reply.status, body)  # 413: long URL
        assert_not_logged(case_status, receipt)

    lookup()


def test_other_methods_and_paths_under_case_status_answer_in_json(
    case_status: CaseStatusService,
) -> None:
    @fuzz(60)
    @given(
        method=st.sampled_from([b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"GET"]),
        receipt=receipt_like,
        tail=st.sampled_from(["", "/", "/history", "/../x", "/%2e%2e"]),
        body=odd_bytes,
    )
    @example(b"GET", "EAC1234567890", "/x", b"")
    @example(b"POST", "EAC1234567890", "", b"")
    def other(method: bytes, receipt: str, tail: str, body: bytes) -> None:
        target = f"/case-status/{receipt}{tail}".encode("ascii")
        reply = rawhttp.send(case_status.port, method, target, body=body)
        assert 0 < reply.status < 500, (reply.status, reply.body[:300])
        assert reply.content_type.startswith("application/json"), reply.body[:300]
        assert receipt.encode() not in reply.body, "the receipt is echoed back"
        assert_not_logged(case_status, receipt)

    other()


def _claims_token(claims: object, signature: str) -> str:
    payload = base64.urlsafe_b64encode(dumps(claims).encode("utf-8", "surrogatepass"))
    return payload.decode().rstrip("=") + "." + signature


# Bearer tokens: junk, and well-formed payloads with claims of every type and size.
bearer_tokens = st.one_of(
    nasty_text,
    st.builds(
        _claims_token,
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"c": json_values, "e": st.one_of(json_values, st.sampled_from([1e400, -1e400]))}
            ),
        ),
        st.text(max_size=50),
    ),
)


def test_forged_or_broken_tokens_get_invalid_access_token(case_status: CaseStatusService) -> None:
    @fuzz(120)
    @given(token=bearer_tokens, scheme=st.sampled_from([b"Bearer ", b"bearer ", b"Basic ", b""]))
    @example(_claims_token({"c": "x", "e": float("inf")}, ""), b"Bearer ")
    def forged(token: str, scheme: bytes) -> None:
        header = scheme + token.encode("utf-8", "surrogatepass")
        reply = rawhttp.send(
            case_status.port,
            b"GET",
            b"/case-status/EAC9999103403",
            [(b"Authorization", header.replace(b"\r", b"").replace(b"\n", b""))],
        )
        assert reply.status == 401, (reply.status, reply.body[:300])
        assert_documented(reply)
        assert_not_logged(case_status, "EAC9999103403")  # Sanic logs a failing URL in full

    forged()


form_fields = st.dictionaries(
    st.one_of(st.sampled_from(["grant_type", "client_id", "client_secret"]), printable_text),
    st.one_of(st.just("client_credentials"), nasty_text),
    max_size=5,
)
content_types = st.sampled_from(
    [
        b"application/x-www-form-urlencoded",
        b"multipart/form-data",
        b"multipart/form-data; boundary=zz",
        b"multipart/form-data; boundary=",
        b"application/json",
        b"text/plain; charset=utf-7",
        b"application/x-www-form-urlencoded; charset=\xff",
    ]
)


def _basic(user: bytes, password: bytes) -> bytes:
    return b"Basic " + base64.b64encode(user + b":" + password)


authorization_headers = st.one_of(
    st.builds(_basic, odd_bytes, odd_bytes),
    odd_bytes.map(lambda raw: b"Basic " + raw),
    odd_bytes,
)


def test_any_token_request_is_refused_politely(case_status: CaseStatusService) -> None:
    @fuzz(150)
    @given(
        form=form_fields,
        raw_body=st.one_of(st.none(), odd_bytes),
        content_type=content_types,
        authorization=st.one_of(st.none(), authorization_headers),
    )
    @example({}, None, b"application/x-www-form-urlencoded", b"Basic \xc3\xa9\xff")
    def token_request(
        form: dict[str, str],
        raw_body: bytes | None,
        content_type: bytes,
        authorization: bytes | None,
    ) -> None:
        if raw_body is None:
            encoded = "&".join(
                f"{quote(k.encode('utf-8', 'surrogatepass'))}="
                f"{quote(v.encode('utf-8', 'surrogatepass'))}"
                for k, v in form.items()
            )
            raw_body = encoded.encode("ascii")
        headers = [(b"Content-Type", content_type)]
        if authorization is not None:
            clean = authorization.replace(b"\r", b"").replace(b"\n", b"")
            headers.append((b"Authorization", clean))
        reply = rawhttp.send(case_status.port, b"POST", b"/oauth/accesstoken", headers, raw_body)
        assert reply.status in (400, 401), (reply.status, reply.body[:300])
        assert reply.content_type.startswith("application/json"), reply.body[:300]
        assert reply.json()["error"] in ("unsupported_grant_type", "invalid_client")

    token_request()
    # The service still issues tokens to the real client afterwards.
    assert get_token(case_status)


def test_injection_strings_in_every_part_of_a_lookup(case_status: CaseStatusService) -> None:
    """The classics, each in the path, the query and a header, with a valid token."""
    token = get_token(case_status)
    for text in INJECTIONS:
        reply = requests.get(
            f"{case_status.url}/case-status/{quote(text, safe='')}",
            params={"q": text},
            headers={"Authorization": f"Bearer {token}", "X-Anything": quote(text)},
            timeout=10,
        )
        assert reply.status_code in (404, 422), (text, reply.status_code, reply.text)
        assert reply.json()["message"] in (MESSAGES[404], MESSAGES[422])
        assert "<" not in json.dumps(reply.json())
