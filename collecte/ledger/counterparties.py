"""Finding a folder's counterparty again from what a document or a person says about it."""
from __future__ import annotations

import re

from collecte.extraction.parties import name_key, same_name

from .models import Counterparty

FUZZY_CANDIDATES = 300


def compact_id(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def find_counterparty(folder, name=None, vat_id=None, siren=None, iban=None) -> Counterparty | None:
    """By VAT id, then SIREN (also inside a French VAT id), then IBAN, then the name: exact key, then close."""
    existing = Counterparty.objects.filter(folder=folder)
    vat_id, siren, iban = compact_id(vat_id), compact_id(siren), compact_id(iban)
    if vat_id:
        found = existing.filter(vat_id=vat_id).first()
        if found:
            return found
        if vat_id.startswith("FR") and len(vat_id) == 13:
            siren = siren or vat_id[4:]
    if siren:
        found = existing.filter(siren=siren).first() or existing.filter(vat_id__endswith=siren,
                                                                        vat_id__startswith="FR").first()
        if found:
            return found
    if iban:
        # An IBAN can be shared (a factoring company's account, a group's treasury): it names the counterparty only
        # when the ids read do not say it is another one.
        found = existing.filter(iban=iban).first()
        if found and not (vat_id and found.vat_id and found.vat_id != vat_id) and \
                not (siren and found.siren and found.siren != siren):
            return found
    key = name_key(name)
    if not key:
        return None
    found = existing.filter(name_key=key).first()
    if found:
        return found
    # Close names share their first letters in practice ("Boulangerie Martin" / "Boulangerie Martin & Fils").
    for candidate in existing.filter(name_key__startswith=key[:4])[:FUZZY_CANDIDATES]:
        if same_name(candidate.name, name):
            return candidate
    return None


def search_counterparties(existing, query: str, limit=8):
    """For the picker: among `existing` (the counterparties the person may see), names containing the query, or an
    id equal to it."""
    query = (query or "").strip()
    if not query:
        return list(existing.order_by("name")[:limit])
    key = name_key(query)
    compact = compact_id(query)
    hits = list(existing.filter(vat_id=compact)[:limit]) if len(compact) >= 9 else []
    if key:
        hits += [c for c in existing.filter(name_key__contains=key)[:limit] if c not in hits]
    return hits[:limit]


def get_or_create_counterparty(folder, direction, name, vat_id=None, siren=None, iban=None) -> Counterparty:
    """The counterparty a validated invoice points at: found again, or created from what the person confirmed.
    A found one gains the ids it lacked (never loses or overwrites one)."""
    from .models import SALES

    found = find_counterparty(folder, name, vat_id, siren, iban)
    role = "is_customer" if direction == SALES else "is_supplier"
    if found is None:
        return Counterparty.objects.create(folder=folder, name=name.strip()[:200], vat_id=compact_id(vat_id)[:20],
                                           siren=compact_id(siren)[:9], iban=compact_id(iban)[:34], **{role: True})
    updates = {role: True}
    for field, value in (("vat_id", compact_id(vat_id)), ("siren", compact_id(siren)), ("iban", compact_id(iban))):
        if value and not getattr(found, field):
            updates[field] = value
    changed = {k: v for k, v in updates.items() if getattr(found, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(found, k, v)
        found.save(update_fields=[*changed, "name_key"])
    return found
