"""Encryption at rest of IMAP passwords and OAuth2 tokens.

The key is derived from settings.SECRET_KEY with HKDF-SHA256, so there is no second key to back up. The other side
of that choice: rotating SECRET_KEY makes every stored IMAP secret unreadable, and each mailbox's password or token
must then be entered again in "Boîtes IMAP" (polling reports exactly that until it is).
"""
import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Fixed salt and info: they separate this key from any other key derived from SECRET_KEY, they are not secrets.
_SALT = b"collecte.intake.imap"
_INFO = b"imap mailbox secret v1"


class SecretUnreadable(Exception):
    """The stored secret was encrypted with another SECRET_KEY (or is damaged)."""


def _fernet():
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable() from exc
