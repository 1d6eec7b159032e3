"""The worker runs jobs in several threads: PDFs read side by side must not crash the process (PDFium is not
thread-safe; collecte.lib.pdfium serialises its use). Run in a child process, since the failure is an abort."""
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import threading
    from collecte.extraction import registry, ocr
    from collecte.ledger.attach import pdf_text
    from collecte.lib.textpdf import text_to_pdf

    pdfs = [text_to_pdf(f"Facture n° : A-{i}\\nDate : 01/02/2024\\nTotal TTC : {i},00 €\\n" * 20) for i in range(30)]

    def read():
        for data in pdfs:
            registry.extract(data, "x.pdf", options=registry.Options(use_ocr=False))
            pdf_text(data)
            ocr.pdf_pages(data, dpi=40)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("survived")
""")


def test_it_reads_pdfs_in_several_threads_at_once():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("survived")
