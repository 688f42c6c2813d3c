"""Terms documents: CreateTerms, UpdateTerms and DeleteTerms.

An app client has at most one terms of use and one privacy policy (TermsExistsException), each a
link per managed-login language (`cognito:default` for the languages without one of their own).
The hosted sign-up page links to both once the client has both. Links are shown to users as they
are, so only absolute http and https URLs are taken (never `javascript:` or a relative path).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from cognitoadmin.addresses import is_web_url
from cognitoadmin.awsmodel import model_validate
from pools.errors import InvalidParameterException, TermsExistsException
from pools.models import AppClient, Terms, TermsName
from pools.selectors.clients import app_client_locked
from pools.selectors.terms import terms_locked, terms_of_client

# The hosted pages are in English: its link, else the default one.
PAGE_LANGUAGES = ("cognito:english", "cognito:default")


def _check_links(links: Mapping[str, str]) -> dict[str, str]:
    for language, url in links.items():
        if not is_web_url(url):
            raise InvalidParameterException(
                f"The link for {language} must be an absolute http or https URL."
            )
    return dict(links)


def _validated(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    checked = model_validate(operation, params)
    if "Links" in checked:
        checked["Links"] = _check_links(checked["Links"])
    return checked


@transaction.atomic
def terms_create(
    *, client: AppClient, name: str, source: str, enforcement: str, links: Mapping[str, str] | None
) -> Terms:
    checked = _validated(
        "CreateTerms",
        {
            "UserPoolId": client.pool.pool_id,
            "ClientId": client.client_id,
            "TermsName": name,
            "TermsSource": source,
            "Enforcement": enforcement,
            "Links": links,
        },
    )
    if not checked.get("Links"):
        raise InvalidParameterException("Links is required: a URL for at least one language.")
    # Under the client's lock, two creates of one name cannot both pass the check.
    client = app_client_locked(client=client)
    if name in terms_of_client(client=client):
        raise TermsExistsException()
    return Terms.objects.create(
        pool=client.pool,
        client=client,
        name=TermsName(name),
        source=source,
        enforcement=enforcement,
        links=checked["Links"],
    )


@transaction.atomic
def terms_update(
    *,
    terms: Terms,
    name: str | None = None,
    source: str | None = None,
    enforcement: str | None = None,
    links: Mapping[str, str] | None = None,
) -> Terms:
    """Members left out keep their values; a new name must not be the client's other document's."""
    checked = _validated(
        "UpdateTerms",
        {
            "UserPoolId": terms.pool.pool_id,
            "TermsId": str(terms.terms_id),
            "TermsName": name,
            "TermsSource": source,
            "Enforcement": enforcement,
            "Links": links,
        },
    )
    # Under the client's lock, re-read: a concurrent update or delete came first, or did not.
    app_client_locked(client=terms.client)
    terms = terms_locked(terms=terms)
    fields = ["updated_at"]
    if name is not None and name != terms.name:
        if name in terms_of_client(client=terms.client):
            raise TermsExistsException()
        terms.name = TermsName(name)
        fields.append("name")
    if source is not None:
        terms.source = source
        fields.append("source")
    if enforcement is not None:
        terms.enforcement = enforcement
        fields.append("enforcement")
    if "Links" in checked:
        terms.links = checked["Links"]
        fields.append("links")
    terms.save(update_fields=fields)
    return terms


@transaction.atomic
def terms_delete(*, terms: Terms) -> None:
    terms_locked(terms=terms).delete()


def terms_page_links(*, client: AppClient) -> dict[str, str] | None:
    """The links the sign-up page shows (`terms_of_use`, `privacy_policy`): only when the client
    has both documents in the pages' language or the default one, as Cognito shows them."""
    documents = terms_of_client(client=client)
    found: dict[str, str] = {}
    for name in TermsName:
        terms = documents.get(name.value)
        url = next(
            (
                terms.links[language]
                for language in PAGE_LANGUAGES
                if terms and language in terms.links
            ),
            None,
        )
        if url is None:
            return None
        found[name.name.lower()] = url
    return found
