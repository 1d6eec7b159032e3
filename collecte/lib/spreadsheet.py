"""Cells of the CSV files collecte writes, made safe to open in a spreadsheet."""

# A cell starting with one of these is read as a formula by Excel or LibreOffice (OWASP's CSV injection advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(value) -> str:
    """Text that came in with a document, made inert for a spreadsheet: "=HYPERLINK(…)" in a supplier's name must
    not become a formula when the export is opened in Excel (a leading quote)."""
    value = value or ""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
