"""`collecte extract FILE... [--json] [--no-xml] [--no-ocr]`: the extraction contract of DESIGN.md, one JSON object
per file (with --json one per line), or a short human summary. Exit code 1 when any file could not be read at all.

The command only reads files and prints; it touches no database (the extraction package is pure).
"""
import json
from pathlib import Path

from django.core.management.base import BaseCommand

from collecte.extraction.registry import Options, UnreadableDocument, extract


class Command(BaseCommand):
    help = "Read invoices (e-invoice XML, PDF) and print the extracted fields."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--no-xml", action="store_true", help="ignore embedded e-invoice XML")
        parser.add_argument("--no-ocr", action="store_true", help="never run OCR")

    def handle(self, *args, **opts):
        options = Options(use_xml=not opts["no_xml"], use_ocr=not opts["no_ocr"])
        failed = 0
        for name in opts["files"]:
            try:
                data = Path(name).read_bytes()
                result = extract(data, name, options)
            except (OSError, UnreadableDocument) as err:
                failed += 1
                reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
                if opts["json"]:
                    self.stdout.write(json.dumps({"file": name, "error": reason}, ensure_ascii=False))
                else:
                    self.stderr.write(f"{name}: cannot read: {reason}")
                continue
            if opts["json"]:
                self.stdout.write(result.to_json())
            else:
                self.stdout.write(self._summary(result.to_dict()))
        if failed:
            raise SystemExit(1)

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
            lines.append(f"  Validation: XSD {d['validation'].get('xsd')}, schematron {d['validation'].get('schematron')}")
        for warning in d["warnings"]:
            lines.append(f"  warning: {warning}")
        return "\n".join(lines)
