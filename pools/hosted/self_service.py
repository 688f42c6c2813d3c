"""The hosted pages a user reaches from `/login` without signing in: `/signup` and `/confirm` (the
sign-up code, and a new one), `/forgotPassword` and `/confirmForgotPassword`.

Each takes `/login`'s query (the authorize request, read by `rendering.authorize_request_read`
as there) and calls the service of the AWS operation it stands for: SignUp, ConfirmSignUp,
ResendConfirmationCode, ForgotPassword, ConfirmForgotPassword, with `hosted=True` (no secret hash:
the hosted pages are this server). Their rules (password policy, attributes, the client's write
attributes, PreventUserExistenceErrors, the codes' tries and allowances) are the services'; the
request rates are counted under the operation's name, as `/login` counts InitiateAuth's. A
refusal is the same form again with the service's message, tied to the field it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from cognitoadmin.errors import ServiceError
from pools.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidPasswordException,
    UsernameExistsException,
    UserNotFoundException,
)
from pools.hosted.rendering import (
    authorize_request_read,
    error_status,
    form_field,
    hosted_view,
    page,
    page_url,
    rate_check,
    redirect,
)
from pools.models import UserPool
from pools.selectors.pools import schema_attribute_definitions
from pools.services.hosted import AuthorizeRequest
from pools.services.recovery import password_forgot, password_forgot_confirm
from pools.services.signup import confirmation_code_resend, sign_up, sign_up_confirm
from pools.services.terms import terms_page_links

_MEDIA = {"EMAIL": "by email", "SMS": "by text message"}
# Sign-up fields besides the username and the password, in the words and types browsers fill.
_INPUT_TYPES = {"email": "email", "phone_number": "tel"}
_AUTOCOMPLETE = {
    "email": "email",
    "phone_number": "tel",
    "given_name": "given-name",
    "family_name": "family-name",
    "name": "name",
    "nickname": "nickname",
    "birthdate": "bday",
    "address": "street-address",
    "website": "url",
    "locale": "language",
    "gender": "sex",
}


@dataclass(frozen=True)
class Field:
    """One labelled input of a page, with its value and its error (shown and tied to it)."""

    name: str
    label: str
    type: str = "text"
    value: str = ""
    error: str = ""
    autocomplete: str = "off"
    hint: str = ""


def _fields(
    specs: Iterable[Field], values: Mapping[str, str], errors: Mapping[str, str]
) -> list[Field]:
    return [
        Field(
            name=spec.name,
            label=spec.label,
            type=spec.type,
            value="" if spec.type == "password" else values.get(spec.name, ""),
            error=errors.get(spec.name, ""),
            autocomplete=spec.autocomplete,
            hint=spec.hint,
        )
        for spec in specs
    ]


def _form(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    template: str,
    specs: Iterable[Field],
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    errors = errors or {}
    fields = _fields(specs, values or {}, errors)
    focus = next((field.name for field in fields if field.error), fields[0].name)
    if not any(field.error for field in fields) and values:
        # Filled in already (the username carried over): the first empty field.
        focus = next((field.name for field in fields if not field.value), focus)
    context = {"fields": fields, "errors": errors, "focus": focus, **context}
    return page(request, template, context, status=status, authorize=authorize)


def _delivered(result: Mapping[str, Any]) -> str:
    """Where the code went, in words: CodeDeliveryDetails' masked destination."""
    details = result.get("CodeDeliveryDetails") or {}
    medium = _MEDIA.get(details.get("DeliveryMedium", ""), "")
    destination = details.get("Destination", "")
    return f"We sent a code {medium} to {destination}.".replace("  ", " ")


def _back_to_login(request: HttpRequest, authorize: AuthorizeRequest, notice: str) -> HttpResponse:
    return redirect(page_url(request, "login", {**authorize.parameters, "notice": notice}))


def _error_field(error: ServiceError) -> str:
    """The field a service's refusal is about (each page has the fields its operation takes), or
    the form as a whole."""
    if isinstance(error, InvalidPasswordException):
        return "password"
    if isinstance(error, CodeMismatchException | ExpiredCodeException):
        return "code"
    if isinstance(error, UsernameExistsException | UserNotFoundException):
        return "username"
    return "form"


def _required(values: Mapping[str, str], messages: Mapping[str, str]) -> dict[str, str]:
    """The form's empty fields, each with its message (before any service is asked)."""
    return {name: message for name, message in messages.items() if not values.get(name)}


USERNAME = Field("username", "Username", autocomplete="username")
CODE = Field("code", "Code", autocomplete="one-time-code")
NEW_PASSWORD = Field("password", "New password", type="password", autocomplete="new-password")
CONFIRM_PASSWORD = Field(
    "confirm_password", "Enter the new password again", type="password", autocomplete="new-password"
)


# --- sign-up ---------------------------------------------------------------------------------


def _attribute_prefix(name: str) -> str:
    return f"attr_{name}"


def _sign_up_specs(pool: UserPool) -> list[Field]:
    """The username, the password, then the attributes the pool's schema requires and those it
    verifies automatically (where the code goes)."""
    names = [
        row.full_name
        for row in schema_attribute_definitions(pool=pool)
        if row.required and not row.developer_only
    ]
    names += [name for name in pool.auto_verified_attributes if name not in names]
    attributes = [
        Field(
            _attribute_prefix(name),
            name.removeprefix("custom:").replace("_", " ").capitalize(),
            type=_INPUT_TYPES.get(name, "text"),
            autocomplete=_AUTOCOMPLETE.get(name, "off"),
        )
        for name in names
    ]
    password = Field("password", "Password", type="password", autocomplete="new-password")
    return [USERNAME, password, *attributes]


@require_http_methods(["GET", "HEAD", "POST"])
@hosted_view
def signup(request: HttpRequest) -> HttpResponse:
    """`/signup`: SignUp's form. Then the code's page (`/confirm`), or, for a pool that verifies
    nothing automatically, a page saying that an administrator confirms the account."""
    authorize = authorize_request_read(request)
    client = authorize.client
    specs = _sign_up_specs(client.pool)
    template = "hosted/signup.html"
    terms = terms_page_links(client=client)
    if request.method != "POST":
        return _form(request, authorize, template, specs, terms=terms)
    values = {spec.name: form_field(request, spec.name) for spec in specs}
    values = {
        name: value if name == "password" else value.strip() for name, value in values.items()
    }
    username, password = values["username"], values["password"]
    errors = _required(values, {"username": "Enter a username.", "password": "Enter a password."})
    if not errors:
        attributes = {
            spec.name.removeprefix("attr_"): values[spec.name]
            for spec in specs
            if spec.name.startswith("attr_") and values[spec.name]
        }
        try:
            rate_check(request, "SignUp", {"ClientId": client.client_id, "Username": username})
            result = sign_up(
                client=client,
                username=username,
                password=password,
                attributes=attributes,
                hosted=True,
            )
        except ServiceError as error:
            errors = {_error_field(error): error.message}
            status = error_status(error)
        else:
            if "CodeDeliveryDetails" not in result:
                return page(request, "hosted/signed_up.html", {}, authorize=authorize)
            return _confirm_form(request, authorize, username=username, notice=_delivered(result))
    else:
        status = 400
    return _form(
        request,
        authorize,
        template,
        specs,
        values=values,
        errors=errors,
        status=status,
        terms=terms,
    )


# --- the sign-up code ------------------------------------------------------------------------


def _confirm_form(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    *,
    username: str = "",
    errors: Mapping[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    values = {"username": username}
    return _form(
        request,
        authorize,
        "hosted/confirm.html",
        [USERNAME, CODE],
        values=values,
        errors=errors,
        status=status,
        notice=notice,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@hosted_view
def confirm(request: HttpRequest) -> HttpResponse:
    """`/confirm`: ConfirmSignUp's form (the username and the code sent at sign-up), and its
    "send a new code" button (ResendConfirmationCode). Confirmed: back to `/login`."""
    authorize = authorize_request_read(request)
    if request.method != "POST":
        return _confirm_form(request, authorize)
    client = authorize.client
    username, code = form_field(request, "username").strip(), form_field(request, "code").strip()
    resend = request.POST.get("action") == "resend"
    messages = {"username": "Enter your username."}
    if not resend:
        messages["code"] = "Enter the code we sent you."
    errors = _required({"username": username, "code": code}, messages)
    if errors:
        return _confirm_form(request, authorize, username=username, errors=errors, status=400)
    operation = "ResendConfirmationCode" if resend else "ConfirmSignUp"
    try:
        rate_check(request, operation, {"ClientId": client.client_id, "Username": username})
        if resend:
            result = confirmation_code_resend(client=client, username=username, hosted=True)
        else:
            sign_up_confirm(client=client, username=username, code=code, hosted=True)
    except ServiceError as error:
        errors = {_error_field(error): error.message}
        return _confirm_form(
            request, authorize, username=username, errors=errors, status=error_status(error)
        )
    if resend:
        return _confirm_form(request, authorize, username=username, notice=_delivered(result))
    return _back_to_login(request, authorize, "confirmed")


def unconfirmed_sign_in(
    request: HttpRequest, authorize: AuthorizeRequest, username: str
) -> HttpResponse | None:
    """`/login` with the right password of an UNCONFIRMED user: as Cognito's pages do, a new
    sign-up code (ResendConfirmationCode) and its page. None when no code can be sent (the pool
    verifies nothing automatically, or a limit): `/login` then says the user is not confirmed."""
    client = authorize.client
    try:
        rate_check(
            request, "ResendConfirmationCode", {"ClientId": client.client_id, "Username": username}
        )
        result = confirmation_code_resend(client=client, username=username, hosted=True)
    except ServiceError:
        return None
    return _confirm_form(request, authorize, username=username, notice=_delivered(result))


# --- a forgotten password --------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@hosted_view
def forgot_password(request: HttpRequest) -> HttpResponse:
    """`/forgotPassword`: ForgotPassword's form; then the reset code's page."""
    authorize = authorize_request_read(request)
    template = "hosted/forgot_password.html"
    if request.method != "POST":
        return _form(request, authorize, template, [USERNAME])
    client = authorize.client
    username = form_field(request, "username").strip()
    values = {"username": username}
    errors = _required(values, {"username": "Enter your username."})
    if not errors:
        try:
            rate_check(
                request, "ForgotPassword", {"ClientId": client.client_id, "Username": username}
            )
            result = password_forgot(client=client, username=username, hosted=True)
        except ServiceError as error:
            errors = {_error_field(error): error.message}
            status = error_status(error)
        else:
            return _reset_form(request, authorize, username=username, notice=_delivered(result))
    else:
        status = 400
    return _form(
        request, authorize, template, [USERNAME], values=values, errors=errors, status=status
    )


def _reset_form(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    *,
    username: str = "",
    errors: Mapping[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    return _form(
        request,
        authorize,
        "hosted/confirm_forgot_password.html",
        [USERNAME, CODE, NEW_PASSWORD, CONFIRM_PASSWORD],
        values={"username": username},
        errors=errors,
        status=status,
        notice=notice,
    )


def reset_required_sign_in(
    request: HttpRequest, authorize: AuthorizeRequest, username: str
) -> HttpResponse | None:
    """`/login` for a user whose password an administrator reset (RESET_REQUIRED): a reset code
    (ForgotPassword, which anyone may ask for a username) and its page. None when no code can be
    sent: `/login` then shows PasswordResetRequiredException's message."""
    client = authorize.client
    try:
        rate_check(request, "ForgotPassword", {"ClientId": client.client_id, "Username": username})
        result = password_forgot(client=client, username=username, hosted=True)
    except ServiceError:
        return None
    return _reset_form(request, authorize, username=username, notice=_delivered(result))


@require_http_methods(["GET", "HEAD", "POST"])
@hosted_view
def confirm_forgot_password(request: HttpRequest) -> HttpResponse:
    """`/confirmForgotPassword`: ConfirmForgotPassword's form (the reset code and a new
    password). Reset: back to `/login`."""
    authorize = authorize_request_read(request)
    if request.method != "POST":
        return _reset_form(request, authorize)
    client = authorize.client
    username, code = form_field(request, "username").strip(), form_field(request, "code").strip()
    password, again = form_field(request, "password"), form_field(request, "confirm_password")
    values = {"username": username, "code": code, "password": password}
    errors = _required(
        values,
        {
            "username": "Enter your username.",
            "code": "Enter the code we sent you.",
            "password": "Enter a new password.",
        },
    )
    if not errors and password != again:
        errors["confirm_password"] = "The passwords do not match."  # noqa: S105
    if errors:
        return _reset_form(request, authorize, username=username, errors=errors, status=400)
    try:
        rate_check(
            request, "ConfirmForgotPassword", {"ClientId": client.client_id, "Username": username}
        )
        password_forgot_confirm(
            client=client, username=username, code=code, password=password, hosted=True
        )
    except ServiceError as error:
        errors = {_error_field(error): error.message}
        return _reset_form(
            request, authorize, username=username, errors=errors, status=error_status(error)
        )
    return _back_to_login(request, authorize, "password_reset")
