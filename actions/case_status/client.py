"""A client for the USCIS Case Status API (or this project's service shaped like it).

Resilient on purpose: every lookup ends within a time budget, 429 and 5xx answers are retried
with backoff while the budget lasts, the OAuth token is cached and renewed before it expires or
after a 401, and a circuit breaker answers "unavailable" at once while the API is down.
Receipt numbers are never logged in full.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from actions.case_status.settings import ClientSettings
from privacy import mask_receipt

logger = logging.getLogger(__name__)

Outcome = Literal["found", "not_found", "invalid", "unavailable"]


@dataclass
class Lookup:
    outcome: Outcome
    case: dict[str, Any] = field(default_factory=dict)
    # Why it is unavailable, for logs and tests: timeout, server_error, throttled, circuit_open,
    # unauthorized, connection.
    reason: str = ""


class _Unavailable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, counts: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.counts = counts  # whether it counts as a failure for the circuit breaker


@dataclass
class CircuitBreaker:
    failures_to_open: int
    cooldown: float
    failures: int = 0
    opened_at: float | None = None
    _trial_running: bool = False

    def allow(self) -> bool:
        """Closed: yes. Open: no, until the cooldown has passed; then one trial at a time."""
        if self.opened_at is None:
            return True
        if time.monotonic() - self.opened_at < self.cooldown or self._trial_running:
            return False
        self._trial_running = True
        return True

    def success(self) -> None:
        self.failures, self.opened_at, self._trial_running = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        self._trial_running = False
        if self.opened_at is not None or self.failures >= self.failures_to_open:
            self.opened_at = time.monotonic()
            logger.warning("case-status API: circuit opened after %d failures", self.failures)

    def release(self) -> None:
        """A trial that ended without saying whether the API works (e.g. throttled)."""
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


def _retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("Retry-After", ""))
    except ValueError:
        return None


class CaseStatusClient:
    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown)
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock: asyncio.Lock | None = None
        self.token_requests = 0  # how many tokens were fetched: renewals are visible in tests

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _fetch_token(self, timeout: float) -> None:
        data = {
            "grant_type": "client_credentials",
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
        }
        self.token_requests += 1
        try:
            async with self._http().post(
                self.settings.token_endpoint,
                data=data,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as reply:
                if reply.status == 200:
                    body = await reply.json(content_type=None)
                    self._token = str(body["access_token"])
                    lifetime = float(body.get("expires_in") or 1800)
                    # Renew a little early, so a token never expires on the way.
                    self._token_expires = time.monotonic() + max(lifetime - 60, lifetime / 2)
                    return
                if reply.status in (400, 401, 403):
                    logger.error(
                        "case-status API refused the client credentials (%s)", reply.status
                    )
                    raise _Unavailable("unauthorized", counts=False)
                raise _Unavailable("server_error", _retry_after(reply.headers))
        except asyncio.TimeoutError as problem:
            raise _Unavailable("timeout") from problem
        except aiohttp.ClientError as problem:
            raise _Unavailable("connection") from problem
        except (ValueError, KeyError) as problem:
            raise _Unavailable("server_error") from problem

    async def _valid_token(self, timeout: float) -> str:
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                await self._fetch_token(timeout)
            assert self._token is not None
            return self._token

    def forget_token(self) -> None:
        self._token, self._token_expires = None, 0.0

    async def _attempt(self, receipt: str, timeout: float, renewed: bool) -> Lookup:
        token = await self._valid_token(timeout)
        url = f"{self.settings.base_url}/case-status/{receipt}"
        try:
            async with self._http().get(
                url,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as reply:
                status = reply.status
                if status == 200:
                    body = await reply.json(content_type=None)
                    case = body.get("case_status") if isinstance(body, dict) else None
                    if not isinstance(case, dict):
                        raise _Unavailable("server_error")
                    return Lookup("found", case)
                if status == 404:
                    return Lookup("not_found")
                if status == 422:
                    return Lookup("invalid")
                if status == 401:
                    self.forget_token()
                    if renewed:
                        raise _Unavailable("unauthorized", counts=False)
                    raise _Renew()
                if status == 429:
                    raise _Unavailable("throttled", _retry_after(reply.headers), counts=False)
                raise _Unavailable("server_error", _retry_after(reply.headers))
        except asyncio.TimeoutError as problem:
            raise _Unavailable("timeout") from problem
        except aiohttp.ClientError as problem:
            raise _Unavailable("connection") from problem
        except ValueError as problem:  # a body that is not JSON
            raise _Unavailable("server_error") from problem

    async def get_case(self, receipt: str) -> Lookup:
        """Look up one receipt (normalized); never takes longer than the budget."""
        if not self.breaker.allow():
            return Lookup("unavailable", reason="circuit_open")
        deadline = time.monotonic() + self.settings.budget
        renewed = False
        last = _Unavailable("timeout")
        for attempt in range(self.settings.max_attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                break
            try:
                result = await self._attempt(
                    receipt, min(self.settings.attempt_timeout, remaining), renewed
                )
            except _Renew:
                renewed = True
                continue
            except _Unavailable as problem:
                last = problem
                if problem.reason == "unauthorized":
                    break
                pause = self.settings.backoff * (2**attempt) * (1 + random.random() / 4)
                if problem.retry_after is not None:
                    pause = max(pause, problem.retry_after)
                if time.monotonic() + pause >= deadline - 0.05:
                    break
                logger.info(
                    "case-status API %s for %s; retrying in %.2fs",
                    problem.reason,
                    mask_receipt(receipt),
                    pause,
                )
                await asyncio.sleep(pause)
                continue
            self.breaker.success()
            return result
        if last.counts:
            self.breaker.failure()
        else:
            self.breaker.release()
        logger.warning(
            "case-status lookup for %s unavailable: %s", mask_receipt(receipt), last.reason
        )
        return Lookup("unavailable", reason=last.reason)


class _Renew(Exception):
    """The token was refused: get a new one and try once more."""


_shared: CaseStatusClient | None = None


def shared_client() -> CaseStatusClient | None:
    """The action server's one client (its token cache and breaker are shared), or None when
    no backend is configured."""
    global _shared
    if _shared is None:
        settings = ClientSettings.from_env()
        if settings is None:
            return None
        _shared = CaseStatusClient(settings)
    return _shared
