"""Suggest which open invoices a bank line settles: the pure core of reconciliation ("rapprochement").

Dataclasses in, dataclasses out, no ORM. `Matcher` indexes the open items once (invoice number runs, amount, IBAN,
name key, counterparty) so that `suggest()` only looks at the few items a line can point to.

Amounts are compared in cents as the *effect* an item has on the bank account: a sales invoice or a purchase credit
note brings money in (+), a purchase invoice or a sales credit note takes money out (-). A line settles a set of items
of one direction whose effects add up to its amount; a lone item must have the line's sign, and an item of the other
sign may only be a credit note offsetting an invoice. So a credit line never suggests a purchase invoice.

Invoice numbers are found as in `attach`: letter and digit runs, whole runs only, keys of at least MIN_KEY_LENGTH
characters, the longest sequence first at each position of the label and reference.

`is_unambiguous` is deliberately narrow (automatic matches must never be wrong): exact amount, every invoice of the
suggestion cited in the label (and no other invoice of that counterparty cited, nor one of another counterparty unless
the IBAN or name confirms ours) or, without a number, a matching IBAN with a single open item of that amount for that
IBAN and no other exact-amount explanation; no IBAN conflict; and a clear lead over the next suggestion.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher

from collecte.extraction.parties import name_key
from collecte.ledger.attach import MIN_KEY_LENGTH, RUN, runs

SALES, PURCHASES = "sales", "purchases"
INVOICE, CREDIT_NOTE = "invoice", "credit_note"
NUMBER, AMOUNT, IBAN, NAME = "number_in_label", "exact_amount", "iban", "name"
DATE, SEVERAL, PARTIAL, OFFSET = "date_near_due", "several_invoices", "partial", "credit_note_offset"

W_NUMBER, W_AMOUNT, W_IBAN, W_NAME, W_PARTIAL = 0.45, 0.35, 0.2, 0.15, 0.1
W_DUE_NEAR, W_DUE_CLOSE, W_EXTRA_ITEM, IBAN_CONFLICT = 0.05, 0.02, 0.02, 0.15
AUTO_MARGIN = 0.15      # the top suggestion must lead the next one by this much to be applied automatically
MAX_POOL = 20           # items of one counterparty searched for a transfer paying several of them
MAX_SET = 4             # at most this many items in one such transfer
MAX_AMOUNT_ONLY = 30    # items found by amount alone that are scored
MAX_NAME_BUCKET = 300   # a name prefix shared by more keys than this is too common to search by
MIN_COMPACT = 6         # a number written without its separators ("FA2025004155") is looked up from this length
NAME_RATIO = 0.88       # as collecte.extraction.parties.same_name
MAX_NAME_MEMO = 200_000


@dataclass(frozen=True)
class OpenItem:
    invoice_id: int
    direction: str          # "sales" | "purchases"
    kind: str               # "invoice" | "credit_note"
    number: str
    counterparty_name: str
    counterparty_iban: str | None
    open_amount: Decimal    # positive: total incl. tax - amount paid
    due_date: date | None
    issue_date: date | None


@dataclass(frozen=True)
class BankLine:
    transaction_id: int
    booking_date: date
    amount: Decimal          # signed: + in, - out
    label: str
    counterparty_name: str | None
    counterparty_iban: str | None
    reference: str | None


@dataclass
class Suggestion:
    invoice_ids: list[int]
    allocations: dict[int, Decimal]  # invoice_id -> amount applied, credit notes negative
    score: float                     # 0..1
    reasons: list[str]
    partial: bool
    # Set by the matcher before the list is cut to `limit`, read by is_unambiguous (a hand-made one is never automatic):
    auto_ok: bool = False            # the evidence itself allows an automatic match
    next_score: float = 0.0          # raw score of the best other suggestion for the same line
    # The score before it is capped at 1 for display: the lead over the next suggestion is measured on it, so that
    # more evidence (an IBAN on top of the numbers) never turns a clear lead into a tie at 1.0.
    raw: float | None = None

    @property
    def strength(self) -> float:
        return self.score if self.raw is None else self.raw


def _cents(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _iban(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def _effect(item: OpenItem) -> int:
    """Cents the item moves on the bank account: + in, - out."""
    sign = 1 if (item.direction == SALES) == (item.kind == INVOICE) else -1
    return sign * _cents(item.open_amount)


def _prefixes(key: str) -> set[str]:
    return {word[:4] for word in key.split() if len(word) >= 3}


def _compact(text: str) -> str:
    """Letters and digits only, upper case, zeros kept: how a number reads once its separators are dropped."""
    return "".join(RUN.findall(text.upper()))


def _similar_keys(a: str, b: str) -> bool:
    """same_name() on name keys already computed: the matcher compares one payer with many names, so the cheap
    upper bounds of the similarity ratio are tried before the ratio itself."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 5 and f" {short} " in f" {long_} ":
        return True
    if 2 * len(short) / (len(a) + len(b)) < NAME_RATIO:
        return False
    matcher = SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() >= NAME_RATIO and matcher.quick_ratio() >= NAME_RATIO \
        and matcher.ratio() >= NAME_RATIO


@dataclass
class _Evidence:
    number: set[int] = field(default_factory=set)
    iban: set[int] = field(default_factory=set)
    name: set[int] = field(default_factory=set)
    conflict: set[int] = field(default_factory=set)   # both IBANs known and different


class Matcher:
    def __init__(self, items: list[OpenItem]):
        self.items = {i.invoice_id: i for i in items if i.open_amount > 0}
        self.effect = {i: _effect(item) for i, item in self.items.items()}
        self.by_runs: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self.by_compact: dict[str, list[int]] = defaultdict(list)
        self.same_names: dict[tuple[str, str], bool] = {}
        keys: dict[str, str] = {}  # name -> name_key: a folder has far fewer names than open invoices
        self.by_amount: dict[int, list[int]] = defaultdict(list)
        self.by_iban: dict[str, list[int]] = defaultdict(list)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_party: dict[str, list[int]] = defaultdict(list)
        self.name_of_key: dict[str, str] = {}
        self.keys_by_prefix: dict[str, set[str]] = defaultdict(set)
        self.party: dict[int, str] = {}
        for invoice_id, item in self.items.items():
            key = runs(item.number or "")
            if len("".join(key)) >= MIN_KEY_LENGTH:
                self.by_runs[key].append(invoice_id)
            if len(compact := _compact(item.number or "")) >= MIN_COMPACT:
                self.by_compact[compact].append(invoice_id)
            self.by_amount[self.effect[invoice_id]].append(invoice_id)
            if iban := _iban(item.counterparty_iban):
                self.by_iban[iban].append(invoice_id)
            name = item.counterparty_name or ""
            if name not in keys:
                keys[name] = name_key(name)
            if nkey := keys[name]:
                self.by_name[nkey].append(invoice_id)
                self.name_of_key.setdefault(nkey, item.counterparty_name)
                for prefix in _prefixes(nkey):
                    self.keys_by_prefix[prefix].add(nkey)
            party = nkey or (f"iban:{iban}" if iban else f"id:{invoice_id}")
            self.party[invoice_id] = party
            self.by_party[party].append(invoice_id)
        self.max_runs = max((len(key) for key in self.by_runs), default=0)

    # --- finding candidates ---------------------------------------------------------------------------------------

    def _numbers(self, text: str) -> set[int]:
        """Items whose number appears in text: at each position the longest run sequence that is a number, as
        written or without its separators ("FA2025004155" for FA-2025-004155, which splits into other runs)."""
        tokens, raw, found, start = runs(text), RUN.findall(text.upper()), set(), 0
        while start < len(tokens):
            for end in range(min(len(tokens), start + self.max_runs), start, -1):
                ids = self.by_runs.get(tokens[start:end])
                if not ids and len(joined := "".join(raw[start:end])) >= MIN_COMPACT:
                    ids = self.by_compact.get(joined)
                if ids:
                    found.update(ids)
                    start = end
                    break
            else:
                start += 1
        return found

    def _names(self, line: BankLine) -> set[int]:
        """Items of a counterparty named like the line's payer, or (no payer name) whose name is in the label."""
        given = name_key(line.counterparty_name)
        text = given or name_key(line.label)
        keys = set()
        for prefix in _prefixes(text):
            bucket = self.keys_by_prefix.get(prefix, ())
            if len(bucket) <= MAX_NAME_BUCKET:
                keys.update(bucket)
        if given:
            keys.add(given)
            keys = {k for k in keys if k in self.by_name and self._same(given, k)}
        else:
            keys = {k for k in keys if len(k) >= 5 and f" {k} " in f" {text} "}
        return {i for k in keys for i in self.by_name[k]}

    def _same(self, given: str, key: str) -> bool:
        """Memoised: a payer's name comes back on every one of its transfers."""
        found = self.same_names.get((given, key))
        if found is None:
            if len(self.same_names) > MAX_NAME_MEMO:
                self.same_names.clear()
            found = self.same_names[(given, key)] = _similar_keys(given, key)
        return found

    def _evidence(self, line: BankLine) -> _Evidence:
        ev = _Evidence()
        ev.number = self._numbers(" ".join(filter(None, [line.label, line.reference])))
        ev.name = self._names(line)
        if iban := _iban(line.counterparty_iban):
            ev.iban = set(self.by_iban.get(iban, ()))
        return ev

    def _allowed(self, invoice_id: int, sign: int, alone: bool) -> bool:
        effect = self.effect[invoice_id]
        if alone:
            return (effect > 0) == (sign > 0)
        return (effect > 0) == (sign > 0) or self.items[invoice_id].kind == CREDIT_NOTE

    # --- scoring ----------------------------------------------------------------------------------------------------

    def _signals(self, invoice_id: int, line: BankLine, ev: _Evidence, iban: str) -> tuple[float, list[str]]:
        score, reasons, item = 0.0, [], self.items[invoice_id]
        if invoice_id in ev.number:
            score, reasons = score + W_NUMBER, reasons + [NUMBER]
        if invoice_id in ev.iban:
            score, reasons = score + W_IBAN, reasons + [IBAN]
        elif iban and _iban(item.counterparty_iban):
            ev.conflict.add(invoice_id)
            score -= IBAN_CONFLICT
        if invoice_id in ev.name:
            score, reasons = score + W_NAME, reasons + [NAME]
        if item.due_date:
            days = abs((line.booking_date - item.due_date).days)
            if days <= 45:
                score, reasons = score + (W_DUE_NEAR if days <= 10 else W_DUE_CLOSE), reasons + [DATE]
        return score, reasons

    def _single(self, invoice_id: int, cents: int, line, ev, iban) -> Suggestion | None:
        score, reasons = self._signals(invoice_id, line, ev, iban)
        effect = self.effect[invoice_id]
        partial = abs(effect) > abs(cents)
        if effect == cents:
            score, reasons = score + W_AMOUNT, [AMOUNT] + reasons
        elif partial and ({NUMBER, IBAN, NAME} & set(reasons)):
            score, reasons = score + W_PARTIAL, reasons + [PARTIAL]
        elif NUMBER not in reasons:  # more than this item is open and nothing names it: the subset search covers it
            return None
        applied = min(abs(effect), abs(cents))
        return Suggestion([invoice_id], {invoice_id: _money(applied)}, _clip(score), reasons, partial, raw=score)

    def _several(self, ids: tuple[int, ...], cents: int, line, ev, iban) -> Suggestion:
        sign = 1 if cents > 0 else -1
        total, reasons = 0.0, {AMOUNT}
        for invoice_id in ids:
            score, why = self._signals(invoice_id, line, ev, iban)
            total, reasons = total + score, reasons | set(why)
        if sum(self.items[i].kind == INVOICE for i in ids) >= 2:
            reasons.add(SEVERAL)
        if any(self.effect[i] * sign < 0 for i in ids):
            reasons.add(OFFSET)
        score = W_AMOUNT + total / len(ids) - W_EXTRA_ITEM * (len(ids) - 1)
        order = [NUMBER, AMOUNT, IBAN, NAME, DATE, SEVERAL, OFFSET]
        ordered = sorted(ids, key=lambda i: (self.effect[i] * sign < 0, self.items[i].due_date or date.max, i))
        allocations = {i: _money(self.effect[i] * sign) for i in ordered}
        return Suggestion(ordered, allocations, _clip(score), [r for r in order if r in reasons], False, raw=score)

    def _subsets(self, pool: list[int], cents: int) -> list[tuple[int, ...]]:
        """Sets of 2..MAX_SET items of pool whose effects add up to cents (pair sums looked up, not enumerated)."""
        values = [self.effect[i] for i in pool]
        n, found = len(values), []
        by_value: dict[int, list[int]] = defaultdict(list)
        pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for i, value in enumerate(values):
            by_value[value].append(i)
        for i in range(n):
            for j in range(i + 1, n):
                pairs[values[i] + values[j]].append((i, j))
        for (i, j) in pairs.get(cents, ()):
            found.append((i, j))
        if MAX_SET >= 3:
            for s, pair_list in pairs.items():
                for k in by_value.get(cents - s, ()):
                    found.extend((i, j, k) for i, j in pair_list if k > j)
        if MAX_SET >= 4:
            for s, pair_list in pairs.items():
                for (k, m) in pairs.get(cents - s, ()):
                    found.extend((i, j, k, m) for i, j in pair_list if k > j)
        return [tuple(pool[x] for x in combo) for combo in found[:50]]

    def _pools(self, cents: int, ev: _Evidence, booking: date) -> list[list[int]]:
        """Per counterparty and direction, the items a transfer paying several of them may have settled."""
        sign = 1 if cents > 0 else -1
        parties = {self.party[i] for i in ev.number | ev.iban | ev.name}
        pools = []
        for party in parties:
            members = [i for i in self.by_party[party] if self._allowed(i, sign, alone=False)]
            for direction in (SALES, PURCHASES):
                pool = [i for i in members if self.items[i].direction == direction]
                pool.sort(key=lambda i: (i not in ev.number, i not in ev.iban and i not in ev.name,
                                         abs(self.effect[i]) > abs(cents) and self.items[i].kind == INVOICE,
                                         abs(((self.items[i].due_date or booking) - booking).days), i))
                if len(pool) >= 2:
                    pools.append(pool[:MAX_POOL])
        return pools

    # --- the API ----------------------------------------------------------------------------------------------------

    def suggest(self, line: BankLine, limit: int = 5) -> list[Suggestion]:
        cents = _cents(line.amount)
        if cents == 0:
            return []
        sign, iban = (1 if cents > 0 else -1), _iban(line.counterparty_iban)
        ev = self._evidence(line)
        by_amount = self.by_amount.get(cents, [])
        singles = ev.number | ev.iban | ev.name | set(by_amount[:MAX_AMOUNT_ONLY])
        found: dict[frozenset, Suggestion] = {}
        for invoice_id in sorted(singles):
            if self._allowed(invoice_id, sign, alone=True):
                if suggestion := self._single(invoice_id, cents, line, ev, iban):
                    found[frozenset([invoice_id])] = suggestion
        for pool in self._pools(cents, ev, line.booking_date):
            for ids in self._subsets(pool, cents):
                if frozenset(ids) not in found:
                    found[frozenset(ids)] = self._several(ids, cents, line, ev, iban)
        ranked = sorted(found.values(), key=lambda s: (-s.strength, len(s.invoice_ids), s.invoice_ids))
        if ranked:
            top = ranked[0]
            top.next_score = ranked[1].strength if len(ranked) > 1 else 0.0
            top.auto_ok = self._auto_ok(top, ranked[1:], ev, iban, cents)
        return ranked[:limit]

    def _auto_ok(self, top: Suggestion, others: list[Suggestion], ev: _Evidence, iban: str, cents: int) -> bool:
        ids = set(top.invoice_ids)
        if AMOUNT not in top.reasons or top.partial or ids & ev.conflict:
            return False
        if ids <= ev.number:
            sign = 1 if cents > 0 else -1
            cited = {i for i in ev.number if self._allowed(i, sign, alone=False)} - ids
            ours = {self.party[i] for i in ids}
            confirmed = bool(ids & (ev.iban | ev.name))
            return not any(self.party[i] in ours or not confirmed for i in cited)
        cited = any(self._allowed(i, 1 if cents > 0 else -1, alone=False) for i in ev.number)
        if len(ids) == 1 and ids <= ev.iban and not cited:
            same_amount = [i for i in self.by_iban.get(iban, ()) if self.effect[i] == cents]
            pointed = ev.iban | ev.name | ev.number  # another exact explanation pointing at this payer: ask
            return len(same_amount) == 1 and not any(AMOUNT in s.reasons and set(s.invoice_ids) & pointed
                                                     for s in others)
        return False


def _clip(score: float) -> float:
    return round(max(0.0, min(1.0, score)), 4)


def is_unambiguous(suggestions: list[Suggestion]) -> bool:
    """May the top suggestion be applied without asking? Only on conclusive evidence and a clear lead."""
    if not suggestions:
        return False
    top = suggestions[0]
    runner_up = max([top.next_score] + [s.strength for s in suggestions[1:]])
    return (top.auto_ok and AMOUNT in top.reasons and not top.partial
            and (NUMBER in top.reasons or IBAN in top.reasons) and top.strength - runner_up >= AUTO_MARGIN)
