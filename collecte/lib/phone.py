"""Mobile numbers: parsed any usual way (France is the default region), kept in E.164."""
import phonenumbers


class InvalidPhone(ValueError):
    pass


def normalize(raw, region="FR"):
    """E.164 form of a number, "" for an empty one; InvalidPhone when it is not a valid number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
