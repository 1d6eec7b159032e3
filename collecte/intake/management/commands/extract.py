"""`collecte extract FILE... [--json] [--no-xml] [--no-ocr] [--jobs N]`: the extraction contract of DESIGN.md, one
JSON object per file (with --json one per line, in the order the files were given), or a short human summary. Exit
code 1 when any file could not be read at all.

With several files a progress bar is drawn on stderr when it is a terminal (or with --progress), so that stdout stays
clean JSON. --jobs N reads N files at once in separate processes (OCR is one core per page).

The command only reads files and prints; it touches no database (the extraction package is pure).
"""
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from collecte.extraction.registry import Options, UnreadableDocument, extract


def read_one(name: str, options: Options) -> tuple[str, dict | None, str | None]:
    """(file, result as the contract's dict, or the reason it could not be read). Top-level: runs in workers."""
    try:
        data = Path(name).read_bytes()
        return name, extract(data, name, options).to_dict(), None
    except (OSError, UnreadableDocument) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return name, None, reason


class Progress:
    """A one-line bar on stderr: "[=====>     ] 12/40 files, 3.1 s/file, about 1 min left"."""

    def __init__(self, total: int, stream, enabled: bool, width: int = 30):
        self.total, self.stream, self.enabled, self.width = total, stream, enabled, width
        self.done, self.started = 0, time.monotonic()

    def step(self):
        self.done += 1
        if self.enabled:
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def line(self) -> str:
        filled = int(self.width * self.done / max(self.total, 1))
        bar = "=" * filled + (">" if filled < self.width else "") + " " * max(self.width - filled - 1, 0)
        per_file = (time.monotonic() - self.started) / max(self.done, 1)
        left = per_file * (self.total - self.done)
        eta = f", about {left / 60:.0f} min left" if left >= 90 else (f", about {left:.0f} s left" if left else "")
        return f"[{bar}] {self.done}/{self.total} files, {per_file:.1f} s/file{eta}"

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Read invoices (e-invoice XML, PDF, scans and photos) and print the extracted fields."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--no-xml", action="store_true", help="ignore embedded e-invoice XML")
        parser.add_argument("--no-ocr", action="store_true", help="never run OCR")
        parser.add_argument("--jobs", "-j", type=int, default=1, help="files read at once (processes); 0 = one per core")
        parser.add_argument("--progress", action="store_true", help="draw the progress bar even when stderr is not "
                                                                     "a terminal")

    def handle(self, *args, **opts):
        options = Options(use_xml=not opts["no_xml"], use_ocr=not opts["no_ocr"])
        files = opts["files"]
        jobs = opts["jobs"] if opts["jobs"] > 0 else (os.cpu_count() or 1)
        if opts["jobs"] < 0:
            raise CommandError("--jobs must be 0 (one per core) or more")
        jobs = min(jobs, len(files))
        show = len(files) > 1 and (opts["progress"] or sys.stderr.isatty())
        progress = Progress(len(files), self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr, show)
        failed = 0
        for name, result, reason in self._results(files, options, jobs):
            progress.step()
            if reason is not None:
                failed += 1
                if opts["json"]:
                    self.stdout.write(json.dumps({"file": name, "error": reason}, ensure_ascii=False))
                else:
                    self.stderr.write(f"{name}: cannot read: {reason}")
                continue
            self.stdout.write(json.dumps(result, ensure_ascii=False) if opts["json"] else self._summary(result))
        progress.close()
        if failed:
            raise SystemExit(1)

    @staticmethod
    def _results(files, options, jobs):
        if jobs <= 1:
            for name in files:
                yield read_one(name, options)
            return
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            # map keeps the files' order: the output lines match the arguments one to one.
            yield from pool.map(read_one, files, [options] * len(files))

    @staticmethod
    def _summary(d: dict) -> str:
        lines = [f"{d['file']}: {d['source'] or 'nothing read'}"]
        if d["source"]:
            kind = "Credit note" if d["document_type"] == "credit_note" else "Invoice"
            lines.append(f"  {kind} {d['invoice_number']} of {d['issue_date']}, due {d['due_date']}")
            lines.append(f"  Seller: {d['seller']['name']} ({d['seller']['vat_id'] or 'no VAT id'})")
            lines.append(f"  Buyer:  {d['buyer']['name']}")
            lines.append(
                f"  Total: {d['total_excl_tax']} + {d['total_tax']} = {d['total_incl_tax']} {d['currency'] or ''}"
                f", due {d['amount_due']}"
            )
            if d["validation"]:
                lines.append(f"  Validation: XSD {d['validation'].get('xsd')}, "
                             f"schematron {d['validation'].get('schematron')}")
            low = sorted(k for k, v in d["confidence"].items() if v < 0.6)
            if low:
                lines.append(f"  Check: {', '.join(low)} (low confidence)")
        for warning in d["warnings"]:
            lines.append(f"  warning: {warning}")
        return "\n".join(lines)
