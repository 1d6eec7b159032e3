"""PDFium, through pypdfium2, is not thread-safe: two threads of one process inside it at once corrupt its heap
(`free(): invalid pointer`, seen with the worker's two threads reading two PDFs). Every use of pypdfium2 in collecte
runs under this one lock, from opening the document to closing it; the slow work done on its output (OCR, word
layout) stays outside."""
import functools
import threading

LOCK = threading.RLock()


def serialised(function):
    """Run `function` (which opens, uses and closes its PDFium objects) holding the process-wide PDFium lock."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with LOCK:
            return function(*args, **kwargs)

    return run
