"""Requests to the AWS endpoint, the management API and the admin whose path, query or form
carries a NUL character are refused before any view runs, in the door's error shape: NUL is
valid in a URL's percent-encoding and in form data, but no text PostgreSQL can store or compare,
so it could only ever end in a 500.

JSON bodies are checked where they are parsed (`jsonbody`), and so are the forms of the AWS
Query door (`awsquery`), which answers in its own XML. The hosted pages check their own input,
and answer with a page that says what went wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from cognitoadmin.errors import InvalidParameterException, aws_error_response

MESSAGE = "The request holds a NUL character."
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_GUARDED = ("/api/", "/admin/")


def _values(request: HttpRequest) -> Iterable[str]:
    yield request.path
    for key, values in request.GET.lists():
        yield key
        yield from values
    if request.method == "POST" and request.content_type in _FORMS:
        try:
            form = request.POST
        except RequestDataTooBig:
            return  # the view's door answers that, in its own shape
        for key, values in form.lists():
            yield key
            yield from values


def _refusal(request: HttpRequest) -> HttpResponse:
    error = InvalidParameterException(MESSAGE)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": error.aws_type, "message": error.message}, status=400)
    if request.headers.get("X-Amz-Target"):
        return aws_error_response(error, content_type="application/x-amz-json-1.1")
    return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")


class NulRefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        guarded = request.path.startswith(_GUARDED) or "X-Amz-Target" in request.headers
        if guarded and any("\x00" in value for value in _values(request)):
            return _refusal(request)
        return self.get_response(request)
