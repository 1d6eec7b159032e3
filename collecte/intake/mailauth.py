"""DKIM and SPF results for a received message: shown as warnings, never blocking by default.

Pure functions; DNS goes through a resolver `(name, qtype) -> list` that tests replace with a fixed zone.
TXT answers are strings, A/AAAA answers IP strings, MX answers (priority, host) pairs.
"""
import email
import email.policy
import re
from dataclasses import dataclass, field

import dkim
import spf

DNS_LIFETIME_SECONDS = 3.0


def dns_resolver(name, qtype):
    """The real DNS, with a short budget: authentication results must not hold up the worker."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, qtype, lifetime=DNS_LIFETIME_SECONDS)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise LookupError(f"DNS {qtype} {name}: {type(exc).__name__}") from None
    if qtype == "TXT":
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]
    if qtype == "MX":
        return [(r.preference, str(r.exchange).rstrip(".")) for r in answer]
    return [r.to_text() for r in answer]


@dataclass
class AuthResults:
    dkim: str = "none"  # pass | fail | none (no signature) | temperror
    dkim_domain: str = ""
    spf: str = "none"  # pass | fail | softfail | neutral | none | temperror | permerror
    spf_domain: str = ""
    details: list[str] = field(default_factory=list)

    def warnings(self):
        """Codes a person should see on the message; an unsigned message is common and not flagged."""
        found = []
        if self.dkim in ("fail", "temperror"):
            found.append({"code": f"dkim_{self.dkim}", "detail": self.dkim_domain})
        if self.spf in ("fail", "softfail", "permerror", "temperror"):
            found.append({"code": f"spf_{self.spf}", "detail": self.spf_domain})
        return found


def check_authentication(raw: bytes, envelope_from: str, client_ip: str, helo: str = "", resolver=dns_resolver):
    results = AuthResults()
    results.dkim, results.dkim_domain = _check_dkim(raw, resolver, results.details)
    if client_ip:
        results.spf, results.spf_domain = _check_spf(client_ip, envelope_from, helo, resolver, results.details)
    return results


_DKIM_DOMAIN = re.compile(rb"\bd=([^;\s]+)")


def _check_dkim(raw, resolver, details):
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    signature = message.get("DKIM-Signature")
    if not signature:
        return "none", ""
    match = _DKIM_DOMAIN.search(signature.encode("utf-8", "replace"))
    domain = match.group(1).decode("ascii", "replace") if match else ""

    def dnsfunc(name, timeout=5):
        records = resolver(name.decode("ascii", "replace").rstrip("."), "TXT")
        return records[0].encode() if records else None

    try:
        return ("pass" if dkim.verify(raw, dnsfunc=dnsfunc) else "fail"), domain
    except LookupError as exc:
        details.append(str(exc))
        return "temperror", domain
    except Exception as exc:  # a malformed signature is the sender's problem: it fails, it does not crash us
        details.append(f"dkim: {type(exc).__name__}: {exc}")
        return "fail", domain


class _ResolverQuery(spf.query):
    """pyspf's query with its DNS answered by our resolver."""

    resolver = None

    def dns(self, name, qtype, cnames=None, ignore_void=False):
        name = str(name).rstrip(".").lower()
        try:
            answers = self.resolver(name, qtype)
        except LookupError as exc:
            raise spf.TempError(str(exc)) from None
        if qtype in ("TXT", "SPF"):
            return [[a.encode()] for a in answers]
        return list(answers)


def _check_spf(client_ip, envelope_from, helo, resolver, details):
    # RFC 7208 §2.4: with an empty MAIL FROM, the HELO identity is checked as postmaster@<helo>.
    sender = envelope_from or (f"postmaster@{helo}" if helo else "")
    if not sender:
        return "none", ""
    query = _ResolverQuery(i=client_ip, s=sender, h=helo or "unknown", timeout=10)
    query.resolver = resolver
    try:
        result, _code, explanation = query.check()
    except Exception as exc:
        details.append(f"spf: {type(exc).__name__}: {exc}")
        return "temperror", sender.rpartition("@")[2]
    if explanation:
        details.append(f"spf: {explanation}")
    return result, sender.rpartition("@")[2]
