"""Masking of personal data (receipt numbers, A-numbers, SSNs, secrets) before it is stored."""

from privacy.redact import mask_receipt, redact_text, redact_value

__all__ = ["mask_receipt", "redact_text", "redact_value"]
