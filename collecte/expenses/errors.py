class ExpenseError(ValueError):
    """A refusal a person can act on: `message` is a sentence for them, `code` is for machines (the API's code),
    `field` names the input at fault, `status` is the HTTP one (422 a bad value, 409 the report's state, 403 a
    rule about who may act)."""

    def __init__(self, message, code, field=None, status=422):
        super().__init__(message)
        self.message, self.code, self.field, self.status = message, code, field, status
