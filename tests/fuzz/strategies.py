"""What the fuzz tests throw at the product: hostile text, odd JSON, odd bytes.

Hypothesis draws from these; the lists of known-nasty strings make sure the classics (markup,
SQL, path traversal, bidi and zero-width characters) are tried on every run, not only when the
random search happens to find them.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Strings that have broken web applications before.
INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg/onload=alert(1)>',
    "</textarea><b>bold</b>",
    "javascript:alert(1)",
    "' OR '1'='1' --",
    "'; DROP TABLE hub_entries; --",
    '"; SELECT * FROM accounts; --',
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%00",
    "{{7*7}}${7*7}",
    "${jndi:ldap://127.0.0.1/x}",
    "%s%s%s%n",
    "\r\nSet-Cookie: x=1",
    "null",
    "[]",
    "{}",
]
# Characters that look like nothing, reorder text or combine with their neighbours.
ODD_CHARACTERS = [
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte order mark
    "\u0301\u0301\u0301",  # combining accents with nothing to sit on
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",  # one emoji of five code points
    "\x00",
    "\x1b[31m",
    "\u2028",
    "\uffff",
    "\U0010ffff",
]

# Text a visitor could type (or a script could send), including surrogates only JSON can carry.
printable_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
nasty_text = st.one_of(
    st.sampled_from(INJECTIONS),
    st.lists(
        st.one_of(st.sampled_from(INJECTIONS), st.sampled_from(ODD_CHARACTERS), printable_text),
        min_size=1,
        max_size=5,
    ).map("".join),
)
# Lone halves of a surrogate pair: valid in a JSON string ("\ud800"), not in UTF-8.
lone_surrogate = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
with_surrogates = st.tuples(nasty_text, lone_surrogate, nasty_text).map("".join)

receipt_like = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(["EAC", "WAC", "LIN", "SRC", "MSC", "NBC", "IOE", "eac"]),
    st.text("0123456789", min_size=10, max_size=10),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    nasty_text,
    with_surrogates,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=12,
)


def dumps(value: Any) -> str:
    """JSON as a careless client writes it: NaN and Infinity allowed, surrogates escaped."""
    return json.dumps(value)


# Raw bytes for bodies and header values that no polite client would send.
odd_bytes = st.one_of(
    st.binary(max_size=300),
    nasty_text.map(lambda text: text.encode("utf-8")),
    st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"\xc3", b"\x00\x00", b"%ff%fe"]),
)
