"""Spot a message that looks like a password, a verification code or a backup code.

The assistant never needs such a thing, yet visitors stuck at a sign-in page often paste one.
`redact_text` replaces a message that looks like one with a neutral placeholder, so it is never
stored (tracker store, transcripts), and the NLU pipeline answers with a warning
(`addons/secret_guard.py`).

Both run over far more than visitor text (every string of a stored Rasa event: action names,
intent keys, message ids, timestamps in metadata), so the checks only fire on strong signals and
skip the shapes that are known not to be secrets: receipt numbers, A-numbers, form numbers,
e-mail addresses, links, dates, times, ids, masked values.
"""

from __future__ import annotations

import re

from privacy.redact import A_NUMBER_RE, RECEIPT_RE, SSN_RE

SECRET_PLACEHOLDER = "[message hidden: it looked like a password or a code]"

# Shapes that are not secrets even though they mix letters, digits and symbols.
_IDENTITY_PARTS = [
    RECEIPT_RE,
    A_NUMBER_RE,
    SSN_RE,
    re.compile(r"[A-Za-z]{3}\*+\d{4}|A-\*+\d{3}|\*{3}-\*{2}-\d{4}"),  # already masked
    re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE),  # links
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses (a user name, not a secret)
    re.compile(r"[\w.-]+\.(?:gov|com|org|net|edu|us)(?:/\S*)?", re.IGNORECASE),  # bare domains
    re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE),
    # ISO dates and times, as a client may put in metadata: 2024-05-01T12:00:00.000Z
    re.compile(
        r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    ),
    re.compile(r"\b[A-Za-z]{1,3}-\d{1,4}[A-Za-z]{0,3}\b"),  # form numbers: I-130A, AR-11, I-864EZ
]
# Inside running text, also the everyday mixes: 10:30am, 10-year-old, COVID-19, $1,200/month, 21st.
_PROSE_PARTS = [
    *_IDENTITY_PARTS,
    re.compile(
        r"\d{1,2}(?::\d{2}){1,2}(?:\s*[AaPp]\.?[Mm]\.?)?|\d{1,2}\s*[AaPp]\.?[Mm]\.?(?![A-Za-z])"
    ),
    re.compile(r"\b\d+(?:-[A-Za-z]+)+\b|\b[A-Za-z]+(?:-\d+[A-Za-z]*)+\b"),
    re.compile(r"\$\d[\d,]*(?:\.\d+)?|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+(?:\.\d+)?%"),
    re.compile(r"\b\d+(?:st|nd|rd|th)\b", re.IGNORECASE),
]
# A lower-case machine identifier: action and intent names, response keys (faq/renew_i90).
_IDENTIFIER_RE = re.compile(r"[a-z][a-z0-9_]*(?:[/.:][a-z0-9_]+)*")
_EDGE_PUNCTUATION = ".,;:!?¡¿()[]{}\"'«»"

# "my password is X", "contraseña: X", "the verification code is X", "mi código es X"
_KEYWORD = (
    r"pass\s?word|passcode|pwd|pin|contrase[ñn]a|clave|otp"
    r"|(?:verification|backup|access|security|one[-\s]?time|2fa|sign[-\s]?in|my|the)\s+code"
    r"|c[óo]digo(?:\s+de\s+(?:verificaci[óo]n|respaldo|acceso|seguridad))?"
)
_STATEMENT_RE = re.compile(
    rf"(?<![\w])(?:{_KEYWORD})\s*(?:(?:is|was|es|era|sería|seria)(?![\w'’])|=|:)\s*"
    r"(?P<value>\S+)(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
# Words that describe a password rather than being one ("my password is not working").
_NOT_A_VALUE = set(
    """
    not no wrong incorrect invalid expired locked blocked correct right ok okay fine working
    lost gone missing forgotten reset changed new old same different long short required needed
    sent there here it that this what which where weak strong saved still already being too very
    the a an my your on in at for from by to of about with without and or but
    incorrecta incorrecto inválida invalida inválido invalido vencida vencido caducada caducado
    bloqueada bloqueado correcta correcto mala malo nueva nuevo vieja viejo la el lo los las mi
    su muy demasiado todavía todavia ya otra otro diferente perdida perdido olvidada olvidado
    qué que cuál cual dónde donde larga corta válida valida seguro segura igual en de del por
    para con sin y o pero un una
    """.split()
)
# A lone code: 6 to 8 digits, maybe in two groups ("123456", "123 456", "1234-5678").
_LONE_CODE_RE = re.compile(r"\d{6,8}|\d{3}[\s-]\d{3}|\d{4}[\s-]\d{4}")
# The same shape inside a sentence that talks about a code or a password: "the one-time code they
# sent me is 120394". Not part of a longer number such as a phone number (800 375 5283).
_CODE_WORD_RE = re.compile(
    r"(?<![\w])(?:codes?|c[óo]digos?|pass\s?words?|passcodes?|pins?|otp|contrase[ñn]as?|claves?)"
    r"(?![\w])",
    re.IGNORECASE,
)
_CODE_IN_PROSE_RE = re.compile(
    r"(?<![\w-])(?<!\d[\s-])(?:\d{6,8}|\d{3}[\s-]\d{3}|\d{4}[\s-]\d{4})(?![\w-]|[\s-]\d)"
)
# "clave Azul$5566", "password: 123456": a keyword directly followed by a value with a digit or
# a symbol, without "is".
_BARE_VALUE_RE = re.compile(rf"(?<![\w])(?:{_KEYWORD})\s*[:=]?\s+(?P<value>\S{{6,}})", re.I)


def _strip_edges(token: str) -> str:
    return token.strip(_EDGE_PUNCTUATION)


def _without(parts: list[re.Pattern[str]], text: str) -> str:
    for pattern in parts:
        text = pattern.sub(" ", text)
    return text


def _mixes_like_a_password(token: str, parts: list[re.Pattern[str]]) -> bool:
    """8+ characters mixing letters and digits with symbols or both letter cases, once the
    harmless shapes in `parts` are taken out."""
    if len(token) < 8 or _IDENTIFIER_RE.fullmatch(_strip_edges(token)):
        return False
    for piece in _without(parts, token).split():
        if len(piece) < 8:
            continue
        letters = any(ch.isalpha() for ch in piece)
        digits = any(ch.isdigit() for ch in piece)
        symbols = any(not ch.isalnum() for ch in piece)
        mixed_case = any(ch.isupper() for ch in piece) and any(ch.islower() for ch in piece)
        if letters and digits and (symbols or mixed_case):
            return True
    return False


def _stated_secret(text: str) -> bool:
    """ "my password is X": X is a secret unless it is a word that describes the password."""
    match = _STATEMENT_RE.search(text)
    if not match:
        return False
    value = _strip_edges(match.group("value"))
    if not value or value.lower() in _NOT_A_VALUE:
        return False
    if not _without(_IDENTITY_PARTS, value).strip():
        return False  # a receipt number, an e-mail address, a link...
    if any(not ch.isalpha() for ch in value):
        return True  # has a digit or a symbol: not a describing word
    # A plain word counts only when it ends the message: "my password is sunshine".
    return not _strip_edges(match.group("rest")).strip()


def _code_near_keyword(text: str) -> bool:
    """A code or password mentioned in words, with its value nearby but not right after "is"."""
    if not _CODE_WORD_RE.search(text):
        return False
    if _CODE_IN_PROSE_RE.search(_without(_IDENTITY_PARTS, text)):
        return True
    for match in _BARE_VALUE_RE.finditer(text):
        value = _strip_edges(match.group("value"))
        unusual = any(ch.isdigit() or (not ch.isalpha() and ch not in "'’-") for ch in value)
        if unusual and _without(_IDENTITY_PARTS, value).strip():
            return True
    return False


# An HTML tag, as in markup pasted or typed to probe the chat: markup, not a secret.
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")


def looks_like_secret(text: str | None) -> bool:
    """True when `text` looks like it contains a password, a one-time code or a backup code."""
    if not text or not text.strip():
        return False
    stripped = _HTML_TAG_RE.sub(" ", text).strip()
    if not stripped:
        return False
    if _LONE_CODE_RE.fullmatch(stripped):
        return True
    if _stated_secret(stripped) or _code_near_keyword(stripped):
        return True
    tokens = stripped.split()
    if len(tokens) == 1:
        return _mixes_like_a_password(stripped, _IDENTITY_PARTS)
    return any(_mixes_like_a_password(token, _PROSE_PARTS) for token in tokens)
