"""Keep secrets out of logs: address tokens, API tokens, passwords and signed links."""
import logging
import re

_PATTERNS = [
    # <slug>.<token>@domain: the token is the secret part of a dedicated address (DESIGN.md).
    (re.compile(r"\b([a-z0-9-]+)\.([a-z2-9]{8,})@"), r"\1.[token]@"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9_\-.]+", re.I), r"\1[redacted]"),
    (re.compile(r"\bclt_[A-Za-z0-9_\-]+"), "clt_[redacted]"),
    (re.compile(r"(/invitations/)[A-Za-z0-9_:\-]+"), r"\1[redacted]"),
    (re.compile(r"((?:password|passwd|secret|token)\s*[=:]\s*)\S+", re.I), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
