class LedgerError(ValueError):
    """A refusal a person can act on: `message` is a sentence for them, `code` is for machines (the API's code)."""

    def __init__(self, message, code, field=None, status=400):
        super().__init__(message)
        self.message, self.code, self.field, self.status = message, code, field, status
