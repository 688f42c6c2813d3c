"""The hosted sign-in pages and the endpoints around them: `/oauth2/authorize`, `/login` with its
challenge pages (an authenticator's, a text message's or an email's code, the choice of a factor,
the set-up of an authenticator app or of email MFA, a new password) and `/logout`.

The views parse the query and the forms and render; the rules are the services': which requests
are good (`hosted.authorize_client_resolve`, `hosted.authorize_request_check`), signing in
(`auth.auth_hosted_sign_in`, `auth.auth_respond(hosted=True)`: InitiateAuth's and
RespondToAuthChallenge's own), the sign-in session and the codes (`hosted`).

Until the redirect URI is known to be one of the client's CallbackURLs an error is a page here,
never a redirect; after, it goes back to the redirect URI (RFC 6749 §4.1.2.1).

The sign-in session lives in a server-side row (`HostedSession`) whose random token is the
cookie's value, signed, HttpOnly, SameSite=Lax, one cookie per pool: `/logout` then ends it for
every copy of the cookie, and the cookie holds no secret beyond a handle. Between the pages of a
sign-in, the challenge's Session is in a signed hidden field, never in the address.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from cognitoadmin.errors import ServiceError
from cognitoadmin.ratelimits import client_ip
from pools.errors import (
    AliasExistsException,
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    TooManyRequestsException,
    UserNotConfirmedException,
)
from pools.hosted import self_service
from pools.hosted.domains import request_pool
from pools.hosted.rendering import (
    PageError,
    RedirectError,
    authorize_request_read,
    error_status,
    form_field,
    hosted_view,
    page,
    page_url,
    query_parameters,
    rate_check,
    redirect,
)
from pools.models import AppClient, MfaFactor, PoolUser, ProviderType
from pools.selectors.clients import app_client_get_by_id
from pools.services.auth import (
    CODE_RESPONSES,
    NEW_PASSWORD_REQUIRED,
    SELECT_CHALLENGE,
    SMS_OTP,
    USER_ATTRIBUTE_PREFIX,
    WEB_AUTHN,
    AuthOutcome,
    auth_first_factors_offered,
    auth_hosted_first_factor,
    auth_hosted_sign_in,
    auth_respond,
    auth_software_token_associate,
    auth_software_token_verify,
)
from pools.services.federated_sign_in import federation_start
from pools.services.hosted import (
    AuthorizeRequest,
    authorization_complete,
    authorize_client_resolve,
    authorize_error_redirect,
    authorize_external_providers,
    authorize_parameters_check,
    hosted_session_end,
    hosted_session_find,
    hosted_session_start,
)
from pools.services.mfa import MFA_SETUP, SELECT_MFA_TYPE, otpauth_qr_svg
from pools.services.saml_sign_in import saml_sign_in_start

COOKIE_PREFIX = "cognitoadmin-hosted-"
COOKIE_SALT = "pools.hosted.session"
CHALLENGE_SALT = "pools.hosted.challenge"
SESSION_LOST = "Your sign-in session has expired. Please sign in again."
# What `/login` says to a user back from the self-service pages (`?notice=` is a key, never text).
NOTICES = {
    "confirmed": "Your registration is confirmed. Sign in with your username and password.",
    "password_reset": "Your password has been reset. Sign in with your new password.",
}
# The steps the hosted pages cannot take, in words for the user, and what the user can do. An
# MFA_SETUP gets here only where a text message is all it offers: as in Cognito, an
# administrator adds the phone number first.
_NOT_OFFERED = {
    MFA_SETUP: (
        "setting up multi-factor authentication by text message",
        "Ask your administrator to add a phone number to your account, then sign in again.",
    ),
}
_NOT_OFFERED_ADVICE = "Sign in through the application itself, or ask your administrator."
# Each factor in words: the choice of SELECT_MFA_TYPE, and what its code page asks for.
_FACTORS = {
    str(MfaFactor.SOFTWARE_TOKEN): ("An authenticator app", "the code from your authenticator app"),
    str(MfaFactor.SMS): ("A code by text message", "the code we sent by text message"),
    str(MfaFactor.EMAIL): ("A code by email", "the code we sent by email"),
    SMS_OTP: ("A code by text message", "the code we sent by text message"),
}
# The code challenges these pages answer, and the response each code goes in: MFA's, and a code
# as the first factor (USER_AUTH's EMAIL_OTP, which shares its name with email MFA, and SMS_OTP).
_CODE_RESPONSES = {str(factor): name for factor, name in CODE_RESPONSES.items()} | {
    SMS_OTP: "SMS_OTP_CODE"
}
_CODE_CHALLENGES = frozenset(_CODE_RESPONSES)
# The ways to sign in without a password that the sign-in page offers, where the pool allows them.
_PASSWORDLESS = {
    WEB_AUTHN: "Sign in with a passkey",
    str(MfaFactor.EMAIL): "Email me a sign-in code",
    SMS_OTP: "Text me a sign-in code",
}
PASSKEY_NOT_GIVEN = "Your browser gave no passkey. Try again, or sign in another way."
SOFTWARE_TOKEN = str(MfaFactor.SOFTWARE_TOKEN)
EMAIL = str(MfaFactor.EMAIL)
# What MFA_SETUP sets up on these pages, in the order its choice offers them.
_SETUP_FACTORS = {SOFTWARE_TOKEN: "An authenticator app", EMAIL: "Codes by email"}
_EMAIL_FIELD = self_service.Field(
    "email",
    "Email address",
    type="email",
    autocomplete="email",
    hint="Your account's email address: sign-in codes go there, the first one now.",
)


def _cookie_name(client: AppClient) -> str:
    return COOKIE_PREFIX + client.pool.pool_id


def _session_token(request: HttpRequest, client: AppClient) -> str:
    token: str | None = request.get_signed_cookie(
        _cookie_name(client),
        default="",
        salt=COOKIE_SALT,
        max_age=settings.COGNITOADMIN_HOSTED_SESSION_SECONDS,
    )
    return token or ""


# --- after the password ----------------------------------------------------------------------


def _signed_in(
    request: HttpRequest, authorize: AuthorizeRequest, outcome: AuthOutcome
) -> HttpResponse:
    user = outcome.signed_in_user
    assert user is not None  # noqa: S101 - auth_hosted_sign_in's contract
    return signed_in_response(request, authorize, user, amr=outcome.amr)


def signed_in_response(
    request: HttpRequest, authorize: AuthorizeRequest, user: PoolUser, *, amr: tuple[str, ...]
) -> HttpResponse:
    """The sign-in is complete: a session for the pool, then the redirect with the code (or
    the implicit flow's tokens)."""
    token, session = hosted_session_start(user=user, amr=amr)
    url = authorization_complete(
        request=authorize, user=user, auth_time=timezone.now(), amr=amr, session=session
    )
    response = redirect(url)
    response.set_signed_cookie(
        _cookie_name(authorize.client),
        token,
        salt=COOKIE_SALT,
        max_age=settings.COGNITOADMIN_HOSTED_SESSION_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _challenge_state(
    authorize: AuthorizeRequest, outcome: AuthOutcome, username: str, first_factor: bool
) -> dict[str, Any]:
    """What the challenge's pages carry between them (signed into a hidden field)."""
    parameters = outcome.challenge_parameters
    return {
        "first_factor": first_factor,
        "session": outcome.session,
        "challenge": outcome.challenge_name,
        "username": parameters.get("USER_ID_FOR_SRP", username),
        "client_id": authorize.client.client_id,
        "required": parameters.get("requiredAttributes", "[]"),
        "device": parameters.get("FRIENDLY_DEVICE_NAME", ""),
        "destination": parameters.get("CODE_DELIVERY_DESTINATION", ""),
        "factors": parameters.get("MFAS_CAN_CHOOSE", "[]"),
        "setup": parameters.get("MFAS_CAN_SETUP", "[]"),
        "passkey_options": parameters.get("CREDENTIAL_REQUEST_OPTIONS", "{}"),
    }


def _json_list(state: Mapping[str, Any], name: str) -> list[str]:
    try:
        values = json.loads(state.get(name, "[]"))
    except ValueError:
        return []
    return [str(value) for value in values] if isinstance(values, list) else []


def _required_attributes(state: Mapping[str, Any]) -> list[str]:
    return [name.removeprefix(USER_ATTRIBUTE_PREFIX) for name in _json_list(state, "required")]


def _code_context(token: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """The code page of SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP: what it asks for, and where
    the code went (the masked destination) or which authenticator shows it."""
    return {
        "state": token,
        "first_factor": state.get("first_factor", False),
        "asks_for": _FACTORS[state["challenge"]][1],
        "device": state.get("device", ""),
        "destination": state.get("destination", ""),
    }


def _factor_choices(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (factor, _FACTORS[factor][0])
        for factor in _json_list(state, "factors")
        if factor in _FACTORS
    ]


def _next_step(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    outcome: AuthOutcome,
    username: str,
    *,
    first_factor: bool = False,
) -> HttpResponse:
    """The page of the challenge `outcome` asks for, or the end of the sign-in. `first_factor`:
    the challenge proves who the user is (a sign-in code), not a second factor."""
    if outcome.signed_in_user is not None:
        return _signed_in(request, authorize, outcome)
    challenge = outcome.challenge_name or ""
    values = _challenge_state(authorize, outcome, username, first_factor)
    state = signing.dumps(values, salt=CHALLENGE_SALT)
    if challenge in _CODE_CHALLENGES:
        context = _code_context(state, values)
        return page(request, "hosted/mfa.html", context, authorize=authorize)
    if challenge == WEB_AUTHN:
        return _passkey_page(request, authorize, values, state)
    if challenge == SELECT_MFA_TYPE:
        context = {"state": state, "choices": _factor_choices(values)}
        return page(request, "hosted/select_mfa.html", context, authorize=authorize)
    if challenge == MFA_SETUP and _setup_choices(values):
        return _mfa_setup_start(request, authorize, values, state)
    return _last_step_page(request, authorize, challenge, values, state)


def _last_step_page(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    challenge: str,
    values: Mapping[str, Any],
    state: str,
) -> HttpResponse:
    """A new password's page, or the page of a step these pages cannot take."""
    if challenge == NEW_PASSWORD_REQUIRED:
        required = _required_attributes(values)
        return page(
            request,
            "hosted/new_password.html",
            {"state": state, "required": required},
            authorize=authorize,
        )
    step, advice = _NOT_OFFERED.get(
        challenge, (challenge.replace("_", " ").lower(), _NOT_OFFERED_ADVICE)
    )
    return page(
        request,
        "hosted/unsupported.html",
        {"step": step, "challenge": challenge, "advice": advice},
        authorize=authorize,
    )


def _passkey_page(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    values: Mapping[str, Any],
    state: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """WEB_AUTHN: the browser asks the user's passkey for an assertion of the challenge's request
    options, and the form posts it (CREDENTIAL)."""
    try:
        options = json.loads(values.get("passkey_options", "{}"))
    except ValueError:
        options = {}
    context = {"state": state, "options": options, "errors": {"form": error} if error else {}}
    return page(
        request, "hosted/passkey.html", context, status=status, authorize=authorize, script=True
    )


def _setup_choices(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The factors of MFAS_CAN_SETUP these pages set up, each in words."""
    setup = _json_list(state, "setup")
    return [(factor, label) for factor, label in _SETUP_FACTORS.items() if factor in setup]


def _mfa_setup_start(
    request: HttpRequest, authorize: AuthorizeRequest, values: dict[str, Any], state: str
) -> HttpResponse:
    """MFA_SETUP: the set-up of the one factor offered, or the choice of the factors offered."""
    choices = _setup_choices(values)
    if len(choices) > 1:
        context = {"state": state, "choices": choices}
        return page(request, "hosted/mfa_setup_choice.html", context, authorize=authorize)
    if choices[0][0] == EMAIL:
        return _email_setup_form(request, authorize, state)
    return _mfa_setup_page(request, authorize, values)


def _email_setup_form(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    state: str,
    *,
    email: str = "",
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """MFA_SETUP with email: the address that gets email MFA (MFA_SETUP's EMAIL answer)."""
    errors = errors or {}
    field = dataclasses.replace(_EMAIL_FIELD, value=email, error=errors.get("email", ""))
    context = {"state": state, "fields": [field], "errors": errors, "focus": field.name}
    return page(request, "hosted/mfa_setup_email.html", context, status=status, authorize=authorize)


def _mfa_setup_page(
    request: HttpRequest, authorize: AuthorizeRequest, state: dict[str, Any]
) -> HttpResponse:
    """MFA_SETUP with an authenticator app: a new secret (AssociateSoftwareToken with the
    challenge's session), shown once as a QR code and as text, and a form for its first code.
    The secret is never in the form: after a wrong code the page asks for the code again only."""
    rate_check(request, "AssociateSoftwareToken", {"Session": state["session"]})
    association = auth_software_token_associate(session=state["session"])
    token = signing.dumps({**state, "session": association.session}, salt=CHALLENGE_SALT)
    context = {
        "state": token,
        "secret": association.secret,
        # qrcode's own drawing of the URI: paths only, no text from the request.
        "qr_code": mark_safe(otpauth_qr_svg(association.otpauth_uri)),  # noqa: S308
    }
    return page(request, "hosted/mfa_setup.html", context, authorize=authorize)


def _login_form(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    *,
    errors: Mapping[str, str] | None = None,
    username: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "errors": errors or {},
        "username": username,
        "notice": NOTICES.get(request.GET.get("notice", "")) if request.method != "POST" else "",
        "can_sign_up": not authorize.client.pool.allow_admin_create_user_only,
        "passwordless": _passwordless_choices(authorize),
        "providers": _provider_links(request, authorize),
    }
    return page(request, "hosted/login.html", context, status=status, authorize=authorize)


# How the sign-in page names the social providers whose type (their name too) is no brand.
_PROVIDER_LABELS = {"LoginWithAmazon": "Amazon", "SignInWithApple": "Apple"}


def _provider_links(request: HttpRequest, authorize: AuthorizeRequest) -> list[tuple[str, str]]:
    """Each external provider the client supports, and the authorize request through it."""
    return [
        (
            _PROVIDER_LABELS.get(name, name),
            page_url(
                request, "oauth2/authorize", {**authorize.parameters, "identity_provider": name}
            ),
        )
        for name in authorize_external_providers(client=authorize.client)
    ]


def _passwordless_choices(authorize: AuthorizeRequest) -> list[tuple[str, str]]:
    offered = auth_first_factors_offered(authorize.client.pool)
    return [(factor, label) for factor, label in _PASSWORDLESS.items() if factor in offered]


# --- the views -------------------------------------------------------------------------------


def _continue_session(request: HttpRequest, authorize: AuthorizeRequest) -> HttpResponse | None:
    """The user signed in to this pool within the session's lifetime: a new code straight away."""
    session = hosted_session_find(
        client=authorize.client, token=_session_token(request, authorize.client)
    )
    if session is None:
        return None
    url = authorization_complete(
        request=authorize,
        user=session.user,
        auth_time=session.auth_time,
        amr=tuple(session.amr),
        session=session,
    )
    return redirect(url)


def federation_redirect(request: HttpRequest, authorize: AuthorizeRequest) -> str:
    """The upstream's sign-in for an authorize request through an external provider; a
    provider that cannot be reached sends the error back to the client."""
    try:
        rate_check(request, "OAuth2Federation", {})
        provider = authorize.provider
        if provider is not None and provider.provider_type == ProviderType.SAML:
            return saml_sign_in_start(request=request, authorize=authorize)
        return federation_start(request=request, authorize=authorize)
    except ServiceError as error:
        raise RedirectError(
            authorize_error_redirect(
                request=authorize,
                error=error.oauth_error or "invalid_request",
                description=error.message,
            )
        ) from None


@require_safe
@hosted_view
def authorize(request: HttpRequest) -> HttpResponse:
    """`GET /oauth2/authorize`: to the sign-in page with the same parameters, or, with
    `identity_provider` or `idp_identifier`, to that provider's own sign-in; within a sign-in
    session, back to the client with a code (or tokens) at once."""
    checked = authorize_request_read(request)
    response = _continue_session(request, checked)
    if response is not None:
        return response
    if checked.provider is not None:
        return redirect(federation_redirect(request, checked))
    return redirect(page_url(request, "login", checked.parameters))


@require_http_methods(["GET", "HEAD", "POST"])
@hosted_view
def login(request: HttpRequest) -> HttpResponse:
    """`/login`: the sign-in form (GET) and its answer (POST), as InitiateAuth
    USER_PASSWORD_AUTH signs in: lockout, rate limits, disabled and unconfirmed users apply."""
    authorize = authorize_request_read(request)
    if request.method != "POST":
        response = _continue_session(request, authorize)
        return response or _login_form(request, authorize)
    method = form_field(request, "method")
    if method in dict(_passwordless_choices(authorize)):
        username = form_field(request, "username").strip()
        return _passwordless_sign_in(request, authorize, username, method)
    return _password_sign_in(request, authorize)


def _password_sign_in(request: HttpRequest, authorize: AuthorizeRequest) -> HttpResponse:
    """`/login` with a username and password."""
    username, password = form_field(request, "username").strip(), form_field(request, "password")
    errors = {}
    if not username:
        errors["username"] = "Enter your username."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105
    if errors:
        return _login_form(request, authorize, errors=errors, username=username, status=400)
    client = authorize.client
    try:
        _initiate_rate_check(request, client, username)
        outcome = auth_hosted_sign_in(
            client=client, username=username, password=password, ip_address=client_ip(request)
        )
    except (UserNotConfirmedException, PasswordResetRequiredException) as error:
        handoff = (
            self_service.unconfirmed_sign_in
            if isinstance(error, UserNotConfirmedException)
            else self_service.reset_required_sign_in
        )
        response = handoff(request, authorize, username)
        if response is not None:
            return response
        return _login_form(
            request, authorize, errors={"form": error.message}, username=username, status=400
        )
    except ServiceError as error:
        return _login_refused(request, authorize, username, error)
    return _next_step(request, authorize, outcome, username)


def _initiate_rate_check(request: HttpRequest, client: AppClient, username: str) -> None:
    """The sign-in page's start is InitiateAuth's: its rate limits apply."""
    rate_check(
        request,
        "InitiateAuth",
        {"ClientId": client.client_id, "AuthParameters": {"USERNAME": username}},
    )


def _login_refused(
    request: HttpRequest, authorize: AuthorizeRequest, username: str, error: ServiceError
) -> HttpResponse:
    """The sign-in form again, saying why the service refused."""
    return _login_form(
        request,
        authorize,
        errors={"form": error.message},
        username=username,
        status=error_status(error),
    )


def _passwordless_sign_in(
    request: HttpRequest, authorize: AuthorizeRequest, username: str, factor: str
) -> HttpResponse:
    """`/login` with a way to sign in without a password: USER_AUTH's start with that factor, as
    InitiateAuth takes it; its code page follows. A user who lacks it is told to use their
    password (where the client hides which users exist, nobody is told: the code page comes, and
    no code)."""
    if not username:
        errors = {"username": "Enter your username."}
        return _login_form(request, authorize, errors=errors, status=400)
    client = authorize.client
    try:
        _initiate_rate_check(request, client, username)
        outcome = auth_hosted_first_factor(
            client=client, username=username, factor=factor, ip_address=client_ip(request)
        )
    except ServiceError as error:
        return _login_refused(request, authorize, username, error)
    if outcome.challenge_name == SELECT_CHALLENGE:
        message = "That way of signing in is not set up for your account. Use your password."
        return _login_form(
            request, authorize, errors={"form": message}, username=username, status=400
        )
    return _next_step(request, authorize, outcome, username, first_factor=True)


def _state(
    request: HttpRequest, authorize: AuthorizeRequest, challenges: frozenset[str]
) -> dict[str, Any]:
    try:
        state: dict[str, Any] = signing.loads(
            request.POST.get("state", ""),
            salt=CHALLENGE_SALT,
            max_age=authorize.client.auth_session_validity * 60,
        )
    except signing.BadSignature:
        state = {}
    if (
        state.get("challenge") not in challenges
        or state.get("client_id") != authorize.client.client_id
    ):
        raise _LoginAgain(SESSION_LOST)
    return state


class _LoginAgain(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _challenge_view(
    answer: Callable[[HttpRequest, AuthorizeRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    @require_http_methods(["POST"])
    @hosted_view
    def view(request: HttpRequest) -> HttpResponse:
        authorize = authorize_request_read(request)
        try:
            return answer(request, authorize)
        except _LoginAgain as again:
            return _login_form(request, authorize, errors={"form": again.message}, status=400)

    view.__name__ = view.__qualname__ = answer.__name__
    view.__doc__ = answer.__doc__
    return view


def _respond(
    request: HttpRequest,
    authorize: AuthorizeRequest,
    state: Mapping[str, Any],
    responses: dict[str, str],
) -> AuthOutcome:
    responses = {"USERNAME": state["username"], **responses}
    rate_check(
        request,
        "RespondToAuthChallenge",
        {"ChallengeResponses": responses, "Session": state["session"]},
    )
    return auth_respond(
        client=authorize.client,
        challenge_name=state["challenge"],
        session=state["session"],
        responses=responses,
        admin=False,
        hosted=True,
        ip_address=client_ip(request),
    )


def _mfa(request: HttpRequest, authorize: AuthorizeRequest) -> HttpResponse:
    """`POST /mfa`: the code of SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP, as
    RespondToAuthChallenge checks it; a wrong code may be tried again within the session's tries."""
    state = _state(request, authorize, _CODE_CHALLENGES)
    code = form_field(request, "code").strip()
    context = _code_context(request.POST["state"], state)
    if not code:
        context["errors"] = {"code": f"Enter {context['asks_for']}."}
        return page(request, "hosted/mfa.html", context, status=400, authorize=authorize)
    response = _CODE_RESPONSES[state["challenge"]]
    try:
        outcome = _respond(request, authorize, state, {response: code})
    except (CodeMismatchException, TooManyRequestsException) as error:
        # The session stays open for its remaining tries: the same page, with the reason.
        context["errors"] = {"code": error.message}
        return page(
            request, "hosted/mfa.html", context, status=error_status(error), authorize=authorize
        )
    except InvalidParameterException:
        context["errors"] = {"code": f"Enter {context['asks_for']}: 6 digits."}
        return page(request, "hosted/mfa.html", context, status=400, authorize=authorize)
    except ServiceError as error:
        raise _LoginAgain(_login_again_message(error)) from None
    return _next_step(request, authorize, outcome, state["username"])


def _passkey(request: HttpRequest, authorize: AuthorizeRequest) -> HttpResponse:
    """`POST /passkey`: the passkey's assertion (WEB_AUTHN's CREDENTIAL), as RespondToAuthChallenge
    checks it. The challenge is signed once: a refused assertion is a new sign-in."""
    state = _state(request, authorize, frozenset({WEB_AUTHN}))
    credential = form_field(request, "credential")
    if not credential:
        return _passkey_page(
            request, authorize, state, request.POST["state"], error=PASSKEY_NOT_GIVEN, status=400
        )
    try:
        outcome = _respond(request, authorize, state, {"CREDENTIAL": credential})
    except ServiceError as error:
        raise _LoginAgain(_login_again_message(error)) from None
    return _next_step(request, authorize, outcome, state["username"])


def _select_mfa(request: HttpRequest, authorize: AuthorizeRequest) -> HttpResponse:
    """`POST /selectMfa`: the factor chosen (SELECT_MFA_TYPE's ANSWER); its code page follows."""
    state = _state(request, authorize, frozenset({SELECT_MFA_TYPE}))
    choice = form_field(request, "answer")
    choices = _factor_choices(state)
    if choice not in dict(choices):
        context = {
            "state": request.POST["state"],
            "choices": choices,
            "errors": {"form": "Choose one of the methods listed."},
        }
        return page(request, "hosted/select_mfa.html", context, status=400, authorize=authorize)
    try:
        outcome = _respond(request, authorize, state, {"ANSWER": choice})
    except ServiceError as error:
        raise _LoginAgain(_login_again_message(error)) from None
    return _next_step(request, authorize, outcome, state["username"])


def _mfa_setup(request: HttpRequest, authorize: AuthorizeRequest) -> HttpResponse:
    """`POST /mfaSetup`: MFA_SETUP's forms: the factor chosen (where an authenticator app and
    email are both offered), the address for email MFA, or the authenticator's first code."""
    state = _state(request, authorize, frozenset({MFA_SETUP}))
    if "factor" in request.POST:
        return _setup_chosen(request, authorize, state)
    if "email" in request.POST:
        return _setup_email(request, authorize, state)
    return _setup_software_token(request, authorize, state)


def _setup_chosen(
    request: HttpRequest, authorize: AuthorizeRequest, state: dict[str, Any]
) -> HttpResponse:
    """The factor chosen: its set-up page, the authenticator's new key or email's form (which
    writes nothing yet)."""
    choice = form_field(request, "factor")
    choices = _setup_choices(state)
    if choice not in dict(choices):
        context = {
            "state": request.POST["state"],
            "choices": choices,
            "errors": {"form": "Choose one of the methods listed."},
        }
        return page(
            request, "hosted/mfa_setup_choice.html", context, status=400, authorize=authorize
        )
    if choice == EMAIL:
        return _email_setup_form(request, authorize, request.POST["state"])
    return _mfa_setup_page(request, authorize, state)


def _setup_email(
    request: HttpRequest, authorize: AuthorizeRequest, state: dict[str, Any]
) -> HttpResponse:
    """MFA_SETUP answered with EMAIL, as RespondToAuthChallenge takes it: the address becomes
    the user's, with email MFA, and its code page (EMAIL_OTP) follows. A refused address changes
    nothing and the form asks again, within the same session."""
    email = form_field(request, "email").strip()
    token = request.POST["state"]
    if not email:
        errors = {"email": "Enter your email address."}
        return _email_setup_form(request, authorize, token, errors=errors, status=400)
    try:
        outcome = _respond(request, authorize, state, {"EMAIL": email})
    except (InvalidParameterException, AliasExistsException, TooManyRequestsException) as error:
        return _email_setup_form(
            request,
            authorize,
            token,
            email=email,
            errors={"email": error.message},
            status=error_status(error),
        )
    except ServiceError as error:
        raise _LoginAgain(_login_again_message(error)) from None
    return _next_step(request, authorize, outcome, state["username"])


def _setup_software_token(
    request: HttpRequest, authorize: AuthorizeRequest, state: dict[str, Any]
) -> HttpResponse:
    """The authenticator's first code, as VerifySoftwareToken checks it with the challenge's
    session; then MFA_SETUP is answered and the sign-in ends."""
    code = form_field(request, "code").strip()
    device = form_field(request, "device").strip()[:128]
    context: dict[str, Any] = {"state": request.POST["state"], "device": device}
    if not code:
        context["errors"] = {"code": "Enter the code from your authenticator app."}
        return page(request, "hosted/mfa_setup.html", context, status=400, authorize=authorize)
    try:
        rate_check(request, "VerifySoftwareToken", {"Session": state["session"], "UserCode": code})
        session = auth_software_token_verify(
            session=state["session"], code=code, friendly_name=device
        )
    except (EnableSoftwareTokenMFAException, CodeMismatchException, InvalidParameterException):
        context["errors"] = {"code": "That code is not right. Enter the app's current code."}
        return page(request, "hosted/mfa_setup.html", context, status=400, authorize=authorize)
    except TooManyRequestsException as error:
        context["errors"] = {"code": error.message}
        return page(request, "hosted/mfa_setup.html", context, status=429, authorize=authorize)
    except ServiceError as error:
        raise _LoginAgain(_login_again_message(error)) from None
    try:
        outcome = _respond(request, authorize, {**state, "session": session}, {})
    except ServiceError as error:
        raise _LoginAgain(_login_again_message(error)) from None
    return _next_step(request, authorize, outcome, state["username"])


def _login_again_message(error: ServiceError) -> str:
    if isinstance(error, NotAuthorizedException) and "session" in error.message.lower():
        return SESSION_LOST
    return error.message


def _new_password(request: HttpRequest, authorize: AuthorizeRequest) -> HttpResponse:
    """`POST /forceChangePassword`: the user's own password replaces the temporary one
    (NEW_PASSWORD_REQUIRED), with the required attributes the user lacks."""
    state = _state(request, authorize, frozenset({NEW_PASSWORD_REQUIRED}))
    required = _required_attributes(state)
    password = form_field(request, "new_password")
    confirm = form_field(request, "confirm_password")
    attributes = {name: form_field(request, f"attr_{name}").strip() for name in required}
    context: dict[str, Any] = {
        "state": request.POST["state"],
        "required": required,
        "values": attributes,
    }
    errors: dict[str, str] = {}
    if not password:
        errors["new_password"] = "Enter a new password."  # noqa: S105
    elif password != confirm:
        errors["confirm_password"] = "The passwords do not match."  # noqa: S105
    for name, value in attributes.items():
        if not value:
            errors[f"attr_{name}"] = f"Enter your {name.replace('_', ' ')}."
    if not errors:
        responses = {"NEW_PASSWORD": password}
        responses |= {USER_ATTRIBUTE_PREFIX + name: value for name, value in attributes.items()}
        try:
            outcome = _respond(request, authorize, state, responses)
        except (InvalidPasswordException, InvalidParameterException) as error:
            errors["new_password"] = error.message
        except ServiceError as error:
            raise _LoginAgain(_login_again_message(error)) from None
        else:
            return _next_step(request, authorize, outcome, state["username"])
    context["errors"] = errors
    return page(request, "hosted/new_password.html", context, status=400, authorize=authorize)


mfa = _challenge_view(_mfa)
passkey = _challenge_view(_passkey)
select_mfa = _challenge_view(_select_mfa)
mfa_setup = _challenge_view(_mfa_setup)
new_password = _challenge_view(_new_password)


@require_safe
@hosted_view
def logout(request: HttpRequest) -> HttpResponse:
    """`GET /logout`: ends the pool's sign-in session, then goes to the client's `logout_uri`
    (one of its LogoutURLs), or, given `redirect_uri` and `response_type` instead, to `/login`
    with them (signing in again). Anything else is an error page, never a redirect."""
    parameters = query_parameters(request)
    try:
        authorize_parameters_check(parameters=parameters)
    except ServiceError as error:
        raise PageError(error.message) from None
    logout_uri = parameters.get("logout_uri", "")
    if logout_uri:
        try:
            client = app_client_get_by_id(
                client_id=parameters.get("client_id") or "-", pool=request_pool(request)
            )
        except ServiceError:
            raise PageError("The client_id does not name an app client.") from None
        if logout_uri not in client.logout_urls:
            raise PageError("The logout_uri is not one of the app client's sign-out URLs.")
        target = logout_uri
    else:
        if not parameters.get("response_type"):
            raise PageError("Give logout_uri, or redirect_uri and response_type.")
        try:
            again = authorize_client_resolve(parameters=parameters, pool=request_pool(request))
        except ServiceError as error:
            raise PageError(error.message) from None
        client = again.client
        target = page_url(request, "login", again.parameters)
    hosted_session_end(token=_session_token(request, client))
    response = redirect(target)
    response.delete_cookie(_cookie_name(client), samesite="Lax")
    response["Cache-Control"] = "no-store"
    return response
