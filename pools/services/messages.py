"""The messages Cognito sends pool users, from the pool's templates or Cognito's defaults: a
verification code (or, for a sign-up email of a CONFIRM_WITH_LINK pool, a confirmation link), and
an invitation with a temporary password.

Email templates may hold HTML, as Cognito's do. An email has both parts: the HTML one is the
template with its placeholders filled by escaped values (a username or temporary password such as
`<b>&x` must not become markup), the plain-text one the same message with the markup taken out and
a link written as its text and address. SMS and subjects are plain text. Placeholders are filled in
one pass, so a username containing `{####}` is never given the code.

The pool's settings guarantee that its templates have their placeholders (botocore's patterns and
`user_pool_create`'s rules).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from pools.models import AppClient, CodePurpose, PoolUser
from pools.services.domains import pool_base_url

# Cognito's messages when the pool sets no template.
DEFAULT_EMAIL_SUBJECT = "Your verification code"
DEFAULT_MESSAGE = "Your verification code is {####}."
DEFAULT_LINK_SUBJECT = "Your verification link"
DEFAULT_LINK_MESSAGE = (
    "Please click the link below to verify your email address. {##Verify Email##}"
)
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}."
DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_MFA_MESSAGE = "Your authentication code is {####}."
DEFAULT_MFA_SUBJECT = "Your authentication code"

CODE_PLACEHOLDER = "{####}"
USERNAME_PLACEHOLDER = "{username}"
_PLACEHOLDERS = re.compile(re.escape(USERNAME_PLACEHOLDER) + "|" + re.escape(CODE_PLACEHOLDER))
_LINK_PLACEHOLDER = re.compile(r"\{##(.*?)##\}", re.DOTALL)
_ANCHOR = re.compile(r"<a\s[^>]*?href\s*=\s*([\"'])(.*?)\1[^>]*>(.*?)</a\s*>", re.I | re.S)
_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>|</h[1-6]\s*>|</li\s*>", re.I)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    # The HTML part of an email; None for SMS.
    html: str | None = None


def placeholders_fill(*, message: str, username: str, code: str) -> str:
    """`message` with `{username}` and `{####}` filled in one pass."""
    return _PLACEHOLDERS.sub(
        lambda m: username if m.group() == USERNAME_PLACEHOLDER else code, message
    )


def html_to_text(markup: str) -> str:
    """The plain-text part of an HTML message: links as `text (address)`, breaks as new lines,
    other markup dropped, entities decoded."""
    text = _ANCHOR.sub(
        lambda m: f"{_TAG.sub('', m.group(3))} ({html.unescape(m.group(2))})", markup
    )
    text = _TAG.sub("", _BREAK.sub("\n", text))
    lines = [" ".join(line.split()) for line in html.unescape(text).splitlines()]
    return "\n".join(line for line in lines if line).strip()


def _email(*, subject: str, template: str, username: str, code: str) -> Message:
    markup = placeholders_fill(
        message=template, username=html.escape(username), code=html.escape(code)
    )
    # Subjects are sent as written: a code in a subject would show in every mail list.
    return Message(subject=subject, text=html_to_text(markup), html=markup)


def _confirmation_link(*, client: AppClient, user: PoolUser, code: str) -> str:
    query = urlencode(
        {"client_id": client.client_id, "user_name": user.username, "confirmation_code": code}
    )
    base = pool_base_url(client.pool) or settings.COGNITOADMIN_PUBLIC_URL
    return f"{base}/confirmUser?{query}"


def verification_message(
    *, user: PoolUser, purpose: CodePurpose, channel: str, code: str, client: AppClient | None
) -> Message:
    """A code's message, from the pool's verification templates or Cognito's defaults.

    CONFIRM_WITH_LINK applies to sign-up emails only: each `{##text##}` becomes a link to the
    confirmation page (`/confirmUser`), which carries the code. Every other message carries the
    code itself.
    """
    pool = user.pool
    if channel == "SMS":
        template = pool.sms_verification_message or DEFAULT_MESSAGE
        return Message(
            subject="", text=placeholders_fill(message=template, username=user.username, code=code)
        )
    options: dict[str, Any] = pool.verification_message_template
    if (
        purpose == CodePurpose.SIGN_UP
        and client is not None
        and options.get("DefaultEmailOption") == "CONFIRM_WITH_LINK"
    ):
        href = html.escape(_confirmation_link(client=client, user=user, code=code))
        template = _LINK_PLACEHOLDER.sub(
            lambda m: f'<a href="{href}">{m.group(1)}</a>',
            options.get("EmailMessageByLink") or DEFAULT_LINK_MESSAGE,
        )
        subject = options.get("EmailSubjectByLink") or DEFAULT_LINK_SUBJECT
    else:
        template = pool.email_verification_message or DEFAULT_MESSAGE
        subject = pool.email_verification_subject or DEFAULT_EMAIL_SUBJECT
    return _email(subject=subject, template=template, username=user.username, code=code)


def invitation_message(
    *, user: PoolUser, channel: str, username: str, temporary_password: str
) -> Message:
    """AdminCreateUser's invitation, from the pool's InviteMessageTemplate or Cognito's default.
    `username` is the name the administrator gave (an email in an email pool)."""
    template: dict[str, str] = user.pool.invite_message_template
    if channel == "SMS":
        text = placeholders_fill(
            message=template.get("SMSMessage") or DEFAULT_INVITE_MESSAGE,
            username=username,
            code=temporary_password,
        )
        return Message(subject="", text=text)
    return _email(
        subject=template.get("EmailSubject") or DEFAULT_INVITE_SUBJECT,
        template=template.get("EmailMessage") or DEFAULT_INVITE_MESSAGE,
        username=username,
        code=temporary_password,
    )


def mfa_message(*, user: PoolUser, channel: str, code: str) -> Message:
    """An MFA code's message: the pool's SmsAuthenticationMessage for SMS, its
    EmailMfaConfiguration's Message and Subject for email, or Cognito's defaults."""
    pool = user.pool
    if channel == "SMS":
        template = pool.sms_authentication_message or DEFAULT_MFA_MESSAGE
        return Message(
            subject="", text=placeholders_fill(message=template, username=user.username, code=code)
        )
    options: dict[str, str] = pool.email_mfa_configuration
    return _email(
        subject=options.get("Subject") or DEFAULT_MFA_SUBJECT,
        template=options.get("Message") or DEFAULT_MFA_MESSAGE,
        username=user.username,
        code=code,
    )
