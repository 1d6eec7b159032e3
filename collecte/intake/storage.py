"""Durable file storage: a file is on disk (data and directory entry fsynced) before we say we have it.

SMTP answers 250 only after the raw message is stored this way (DESIGN.md: nothing accepted is lost).
"""
import os
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_durably(name, data: bytes, sync_dir=True) -> str:
    """Store bytes under `name` (or a free variant of it) and return the stored name, fsynced when local.
    With sync_dir=False the caller fsyncs the directory itself (sync_directories_of), once for many files."""
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        return _save_local(storage, name, data, sync_dir)
    return storage.save(name, ContentFile(data))  # object stores acknowledge a PUT once it is durable


def sync_directories_of(names):
    """Make the directory entries of stored files durable: one fsync per directory, however many files."""
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        for directory in {os.path.dirname(storage.path(name)) for name in names}:
            _fsync_dir(directory)


def _save_local(storage, name, data, sync_dir=True):
    path = storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{uuid.uuid4().hex}.part"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    final = storage.get_available_name(name)
    os.replace(tmp, storage.path(final))
    if sync_dir:
        _fsync_dir(os.path.dirname(path))
    return final


def raw_message_name():
    now = timezone.now()
    return f"inbound/{now:%Y/%m/%d}/{now:%H%M%S}-{uuid.uuid4().hex}.eml"
