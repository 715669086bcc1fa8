"""A case-status service shaped like the USCIS Case Status API (developer.uscis.gov).

OAuth 2.0 client-credentials tokens, `GET /case-status/{receiptNumber}` with the API's own body
and error shapes, per-client rate limits, and a SQLite or PostgreSQL store of cases. The action
server talks to it exactly as it would talk to the real API: see docs/case-status.md.
"""
