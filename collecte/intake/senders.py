"""Sender policy: which senders a folder accepts without a person's approval. Pure."""
from email.utils import getaddresses


def normalise(address: str) -> str:
    """Lowercase, without a +tag: Gmail's forwarding envelope ("client+caf_=...@gmail.com") is the client."""
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    if not local:
        return ""
    return f"{local.split('+', 1)[0]}@{domain}"


def parse_allowed(text: str) -> list[str]:
    """One entry per line (or comma): an address, or a domain as "@example.fr" or "example.fr"."""
    entries = []
    for raw in (text or "").replace(",", "\n").splitlines():
        entry = raw.strip().lower()
        if entry and not entry.startswith("#"):
            entries.append(entry.lstrip("@") if "@" not in entry.lstrip("@") else normalise(entry))
    return entries


def candidate_senders(envelope_from: str, from_header: str) -> list[str]:
    found = [normalise(envelope_from)] + [normalise(a) for _, a in getaddresses([from_header or ""])]
    return [a for a in found if a]


def sender_allowed(allowed: list[str], senders: list[str]) -> bool:
    for sender in senders:
        domain = sender.rpartition("@")[2]
        for entry in allowed:
            if "@" in entry:
                if sender == entry:
                    return True
            elif domain == entry or domain.endswith("." + entry):
                return True
    return False
