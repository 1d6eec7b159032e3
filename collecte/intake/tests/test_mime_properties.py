"""Property-based: hypothesis writes nested MIME messages byte by byte (multipart/mixed, alternative, related,
message/rfc822, random binary parts, odd and broken headers) around known PDFs. Whatever it builds, the walk never
raises and never loses one of those PDFs."""
import base64
import itertools
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collecte.intake.files import files_from_upload
from collecte.intake.mime import walk_message
from collecte.intake.tests import helpers as h

PDFS = [h.make_pdf(pages=1 + i % 2, tag=f"property-{i}") for i in range(4)]
PDF_SHAS = [h.sha(p) for p in PDFS]
# database=None: no .hypothesis folder in the work tree; every run explores afresh.
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Header lines real senders get wrong, all still "Name: value" so they cannot swallow the part's own headers.
ODD_HEADERS = [
    "X-Mailer: caf\udce9 8-bit \udcff raw",
    "Subject: =?utf-8?B?broken-base64!?=",
    "Subject: =?no-such-charset?Q?caf=E9?=",
    "Content-Description: " + "very long " * 60,
    "X-Folded: first line\r\n\tsecond line\r\n  third",
    "From: <<<not an address>>>, @@, \"unterminated",
    "Date: the day after tomorrow",
    "Content-Language: ???",
    "Content-ID: <dup@id>",
    "Content-Location: ../../etc/passwd",
    "MIME-Version: 7.3 (beta)",
    "X-Empty:",
]
# Lines that break a part's headers outright: only on parts that hold no PDF.
BREAKING_HEADERS = ["this line has no colon", "Content-Type: ;;;", "Content-Type: application/",
                    "Content-Type: text/plain; charset=\"unknown-8bit\"", "Content-Transfer-Encoding: x-unheard-of",
                    "Content-Disposition: attachment; filename*=utf-8''%FF%FE%ZZ"]

random_header = st.builds(lambda n, v: f"X-{n}: {v}",
                          st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12),
                          st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
odd_headers = st.lists(st.one_of(st.sampled_from(ODD_HEADERS), random_header), max_size=3)
any_headers = st.lists(st.one_of(st.sampled_from(ODD_HEADERS + BREAKING_HEADERS), random_header), max_size=3)
names = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1,
                                     max_size=30),
                  st.sampled_from(["facture.pdf", "winmail.dat", "x.eml", "logo.png", "a.zip", "../../x.pdf"]))

pdf_leaf = st.fixed_dictionaries({
    "kind": st.just("pdf"),
    "index": st.integers(0, len(PDFS) - 1),
    "declared": st.sampled_from(["application/pdf", "application/octet-stream", "text/plain", "text/html",
                                 "image/jpeg", "application/x-pdf", "application/ms-tnef", "application/zip",
                                 "text/calendar", "application/pkcs7-signature"]),
    "disposition": st.sampled_from([None, "attachment", "inline"]),
    "name": names,
    "name_style": st.sampled_from(["quoted", "rfc2047", "rfc2231", "content-type"]),
    "cte": st.sampled_from(["base64", "BASE64", " Base64 ", "base64;", "\"base64\""]),
    "width": st.sampled_from([76, 64, 4, 1000]),
    "headers": odd_headers,
})
text_leaf = st.fixed_dictionaries({
    "kind": st.just("text"),
    "subtype": st.sampled_from(["plain", "html", "enriched", "calendar"]),
    "text": st.text(max_size=200),
    "cte": st.sampled_from(["8bit", "quoted-printable", "base64", "7bit"]),
    "charset": st.sampled_from(["utf-8", "iso-8859-1", "us-ascii", "bogus-charset", "ks_c_5601-1987"]),
    "headers": any_headers,
})
bytes_leaf = st.fixed_dictionaries({
    "kind": st.just("bytes"),
    "data": st.binary(max_size=300),
    "declared": st.sampled_from(["application/octet-stream", "image/png", "application/zip",
                                 "application/ms-tnef", "message/rfc822", "application/pdf", "image/heic"]),
    "name": names,
    "encoded": st.booleans(),
    "headers": any_headers,
})


def containers(children):
    return st.one_of(
        st.fixed_dictionaries({"kind": st.just("multipart"),
                               "subtype": st.sampled_from(["mixed", "alternative", "related", "signed", "report"]),
                               "children": st.lists(children, min_size=1, max_size=4),
                               "preamble": st.sampled_from(["", "This is a multi-part message in MIME format.\r\n"]),
                               "headers": odd_headers}),
        st.fixed_dictionaries({"kind": st.just("rfc822"), "child": children, "headers": odd_headers}),
    )


subtrees = st.recursive(st.one_of(pdf_leaf, text_leaf, bytes_leaf), containers, max_leaves=10)
# The root is a container holding at least one PDF somewhere among generated siblings: a bare leaf or a tree
# without PDF would test little.
trees = st.builds(lambda pdf, others, position, subtype: {
    "kind": "multipart", "subtype": subtype, "preamble": "", "headers": [],
    "children": others[:position] + [pdf] + others[position:]},
    st.one_of(pdf_leaf, containers(subtrees)), st.lists(subtrees, max_size=3), st.integers(0, 3),
    st.sampled_from(["mixed", "alternative", "related"]))


class Writer:
    """Turns a generated tree into message text; counts boundaries so they never collide with one another."""

    def __init__(self):
        self.ids = itertools.count()
        self.pdfs: list[int] = []

    def entity(self, node, rfc822_depth=0) -> str:
        return getattr(self, "_" + node["kind"])(node, rfc822_depth)

    @staticmethod
    def _block(headers, body) -> str:
        return "".join(line + "\r\n" for line in headers) + "\r\n" + body

    def _pdf(self, node, _):
        self.pdfs.append(node["index"])
        name = (node["name"] or "").replace("\r", " ").replace("\n", " ").replace('"', "'")
        ctype = node["declared"]
        disposition = node["disposition"]
        param = ""
        if node["name"] and node["name_style"] == "quoted":
            param = f'; filename="{name}"'
        elif node["name"] and node["name_style"] == "rfc2047":
            param = f'; filename="=?utf-8?B?{base64.b64encode(name.encode()).decode()}?="'
        elif node["name"] and node["name_style"] == "rfc2231":
            param = f"; filename*=utf-8''{quote(name)}"
        elif node["name"]:
            ctype += f'; name="{name}"'
        headers = [f"Content-Type: {ctype}", f"Content-Transfer-Encoding: {node['cte']}"]
        if disposition or param:
            headers.append(f"Content-Disposition: {disposition or 'attachment'}{param}")
        text = base64.b64encode(PDFS[node["index"]]).decode()
        body = "\r\n".join(text[i:i + node["width"]] for i in range(0, len(text), node["width"])) + "\r\n"
        return self._block(headers + node["headers"], body)

    def _text(self, node, _):
        charset, cte = node["charset"], node["cte"]
        data = node["text"].encode("utf-8", "replace")
        if cte == "base64":
            body = base64.encodebytes(data).decode().replace("\n", "\r\n")
        elif cte == "quoted-printable":
            import quopri

            body = quopri.encodestring(data).decode("ascii")
        else:
            body = data.decode("utf-8", "surrogateescape")
        headers = [f"Content-Type: text/{node['subtype']}; charset={charset}", f"Content-Transfer-Encoding: {cte}"]
        return self._block(headers + node["headers"], body + "\r\n")

    def _bytes(self, node, _):
        headers = [f"Content-Type: {node['declared']}"]
        if node["name"]:
            headers.append(f'Content-Disposition: attachment; filename="{node["name"][:20]}"'.replace("\n", " ")
                           .replace("\r", " "))
        if node["encoded"]:
            body = base64.encodebytes(node["data"]).decode().replace("\n", "\r\n")
            headers.append("Content-Transfer-Encoding: base64")
        else:
            body = node["data"].decode("ascii", "surrogateescape")  # raw 8-bit, as "binary" senders do
        return self._block(headers + node["headers"], body + "\r\n")

    def _multipart(self, node, rfc822_depth):
        boundary = f"=_property_{next(self.ids)}_0a1b2c"
        parts = "".join(f"--{boundary}\r\n{self.entity(child, rfc822_depth)}\r\n" for child in node["children"])
        body = node["preamble"] + parts + f"--{boundary}--\r\n"
        headers = [f'Content-Type: multipart/{node["subtype"]}; boundary="{boundary}"']
        return self._block(headers + node["headers"], body)

    def _rfc822(self, node, rfc822_depth):
        if rfc822_depth >= 4:  # the default Limits allow 5 levels of containers; stay inside them
            return self.entity(node["child"], rfc822_depth)
        inner = "From: x@example.com\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n" + self.entity(node["child"],
                                                                                               rfc822_depth + 1)
        return self._block(["Content-Type: message/rfc822"] + node["headers"], inner)


def message_bytes(tree) -> tuple[bytes, list[int]]:
    writer = Writer()
    text = ("From: Fournisseur <a@example.com>\r\nTo: b@example.com\r\nSubject: Facture\r\nMIME-Version: 1.0\r\n"
            + writer.entity(tree))
    return text.encode("utf-8", "surrogateescape"), writer.pdfs


@SETTINGS
@given(trees)
def test_it_never_raises_and_never_loses_a_pdf(tree):
    raw, pdfs = message_bytes(tree)
    result = walk_message(raw)
    found = [h.sha(f.content) for f in result.files]
    for index in pdfs:
        assert PDF_SHAS[index] in found, (index, [(f.filename, f.origin) for f in result.files], result.skipped)


@settings(max_examples=150, deadline=None, database=None)
@given(st.binary(max_size=3000))
def test_it_never_raises_on_random_bytes(data):
    walk_message(data)
    files_from_upload("x", data)


@settings(max_examples=100, deadline=None, database=None)
@given(st.data())
def test_it_never_raises_on_damaged_messages(data):
    msg = h.forwarded(h.attach(h.message(), PDFS[0]))
    h.attach(msg, h.make_zip({"a.pdf": PDFS[1]}), "application/zip", "a.zip")
    raw = bytearray(h.raw(msg))
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    walk_message(bytes(raw[:cut]))
