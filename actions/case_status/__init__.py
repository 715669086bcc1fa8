"""Case-status lookup in the conversation: receipt parsing (receipt.py), the API client
(client.py), the receipt form and the lookup action (form.py, lookup.py), per-visitor limits
(limits.py) and the bilingual messages (messages.py). See docs/case-status.md."""
