"""Helpers for the API tests: a client sending a token the way a script does, and the error contract."""
import json

from django.test import Client


class ApiClient:
    """A django.test.Client that sends `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, raw_token=None, authorization=None):
        self.client = Client()
        header = authorization or (f"Bearer {raw_token}" if raw_token else None)
        self.headers = {"HTTP_AUTHORIZATION": header} if header else {}

    def request(self, method, path, body=None):
        kwargs = dict(self.headers)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path):
        return self.request("get", path)

    def post(self, path, body=None):
        return self.request("post", path, body)

    def patch(self, path, body=None):
        return self.request("patch", path, body)

    def delete(self, path):
        return self.request("delete", path)


def assert_error(response, status, code):
    """The error contract: JSON with a sentence and a machine code, nothing else required."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"].endswith((".", ")"))
    return body
