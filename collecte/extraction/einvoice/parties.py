"""French legal identifiers on a party: SIREN / SIRET from registration ids or from a French VAT number.

Never invented: a SIREN derived from `FRkk123456789` is kept only when it passes the Luhn check (python-stdnum), and a
declared SIREN/SIRET that fails its check is dropped with a warning, keeping the raw value in `legal_id`.
ISO 6523 ICD scheme codes: 0002 = SIREN, 0009 = SIRET.
"""
from __future__ import annotations

import re

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from ..result import Party

SIREN_SCHEMES = {"0002"}
SIRET_SCHEMES = {"0009"}


def compact(value: str | None) -> str | None:
    if not value:
        return None
    value = "".join(value.split())
    return value or None


def apply_legal_ids(
    party: Party, legal: list[tuple[str | None, str | None]], others: list[tuple[str | None, str | None]],
    warnings: list[str], role: str,
) -> None:
    """`legal`: (value, scheme) pairs of the legal registration (BT-30/BT-47), which fill `legal_id`; `others`:
    party identifiers, endpoint ids (BT-29, BT-34...), used only when their scheme says SIREN or SIRET."""
    tagged = [(v, s, True) for v, s in legal] + [(v, s, False) for v, s in others]
    for value, scheme, is_legal in tagged:
        value = compact(value)
        if not value:
            continue
        scheme = (scheme or "").strip() or None
        if is_legal and party.legal_id is None:
            party.legal_id, party.legal_id_scheme = value, scheme
        if not is_legal and scheme not in SIREN_SCHEMES | SIRET_SCHEMES:
            continue
        digits = value.replace(".", "")
        if scheme in SIRET_SCHEMES or (scheme is None and party.country == "FR" and len(digits) == 14):
            if stdnum_siret.is_valid(digits):
                party.siret = party.siret or digits
                party.siren = party.siren or digits[:9]
            elif scheme in SIRET_SCHEMES:
                warnings.append(f"invalid_siret:{role}")
        elif scheme in SIREN_SCHEMES or (scheme is None and party.country == "FR" and len(digits) == 9):
            if stdnum_siren.is_valid(digits):
                party.siren = party.siren or digits
            elif scheme in SIREN_SCHEMES:
                warnings.append(f"invalid_siren:{role}")
    if party.siren is None and party.vat_id and party.vat_id.upper().startswith("FR"):
        vat = re.sub(r"[\s.\-]", "", party.vat_id).upper()
        # FR + 2-character key + SIREN. The key's own check is not required: the SIREN's Luhn check is.
        if re.fullmatch(r"FR[0-9A-Z]{2}\d{9}", vat) and stdnum_siren.is_valid(vat[-9:]):
            party.siren = vat[-9:]
