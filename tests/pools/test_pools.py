from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from cognitoadmin.awsmodel import service_model
from pools.errors import (
    FeatureUnavailableInTierException,
    InvalidParameterException,
    LimitExceededException,
    UserPoolTaggingException,
)
from pools.models import SchemaAttribute, UserPool
from pools.selectors.pools import user_pools_page
from pools.services.pools import (
    user_pool_add_custom_attributes,
    user_pool_create,
    user_pool_delete,
    user_pool_set_mfa_config,
    user_pool_tag,
    user_pool_untag,
    user_pool_update,
)
from pools.shapes.pools import (
    user_pool_description_shape,
    user_pool_mfa_config_shape,
    user_pool_shape,
)
from tests.builders import make_user_pool

pytestmark = pytest.mark.django_db

SNS_ROLE = "arn:aws:iam::123456789012:role/cognito-sms"
SES_IDENTITY = "arn:aws:ses:us-east-1:123456789012:identity/no-reply@example.com"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:trigger"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/abc"
SMS = {"SnsCallerArn": SNS_ROLE, "ExternalId": "ext"}


def _row(pool: UserPool) -> dict[str, Any]:
    return dict(UserPool.objects.values().get(pk=pool.pk))


_SCALAR_TYPES: dict[str, type] = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "long": int,
    "timestamp": dt.datetime,
}


def _scalar_conforms(shape: Shape, value: Any, path: str) -> list[str]:
    problems: list[str] = []
    wanted = _SCALAR_TYPES.get(shape.type_name)
    if wanted is not None and (
        not isinstance(value, wanted) or (wanted is int and isinstance(value, bool))
    ):
        problems.append(f"{path}: {value!r} is not a {shape.type_name}")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} not in {enum}")
    return problems


def _conforms(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Where `value` breaks botocore's output `shape` (types, enums, unknown members)."""
    containers: dict[type[Shape], type] = {StructureShape: dict, ListShape: list, MapShape: dict}
    for kind, python_type in containers.items():
        if isinstance(shape, kind) and not isinstance(value, python_type):
            return [f"{path}: not a {python_type.__name__}"]
    if isinstance(shape, StructureShape):
        return [
            problem
            for name, member in value.items()
            for problem in (
                _conforms(shape.members[name], member, f"{path}.{name}")
                if name in shape.members
                else [f"{path}.{name}: not in the model"]
            )
        ]
    if isinstance(shape, ListShape):
        return [
            p for i, item in enumerate(value) for p in _conforms(shape.member, item, f"{path}[{i}]")
        ]
    if isinstance(shape, MapShape):
        return [p for k, item in value.items() for p in _conforms(shape.value, item, f"{path}.{k}")]
    return _scalar_conforms(shape, value, path)


def _output_shape(operation: str, member: str) -> Shape:
    output = service_model("cognito-idp").operation_model(operation).output_shape
    assert output is not None
    return output.members[member]


FULL_SETTINGS: dict[str, Any] = {
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": False,
            "RequireNumbers": True,
            "RequireSymbols": False,
            "PasswordHistorySize": 5,
            "TemporaryPasswordValidityDays": 3,
        }
    },
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {"PreSignUp": LAMBDA, "PreTokenGeneration": LAMBDA},
    "AutoVerifiedAttributes": ["email", "phone_number"],
    "UsernameAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": True},
    "VerificationMessageTemplate": {
        "SmsMessage": "Your code is {####}",
        "EmailMessage": "Your code is {####}",
        "EmailSubject": "Your code",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    },
    "SmsAuthenticationMessage": "Sign-in code {####}",
    "MfaConfiguration": "OPTIONAL",
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": False,
    },
    "EmailConfiguration": {
        "EmailSendingAccount": "DEVELOPER",
        "SourceArn": SES_IDENTITY,
        "From": "Example <no-reply@example.com>",
    },
    "SmsConfiguration": SMS,
    "UserPoolTags": {"team": "identity", "env": ""},
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "InviteMessageTemplate": {
            "SMSMessage": "User {username} password {####}",
            "EmailMessage": "Hello {username}, your password is {####}",
            "EmailSubject": "Welcome",
        },
    },
    "Schema": [
        {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
        {"Name": "tenant", "AttributeDataType": "String", "Mutable": False},
    ],
    "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
    "AccountRecoverySetting": {
        "RecoveryMechanisms": [
            {"Name": "verified_phone_number", "Priority": 2},
            {"Name": "verified_email", "Priority": 1},
        ]
    },
    "UserPoolTier": "PLUS",
}


# --- CreateUserPool ---------------------------------------------------------------------------


def test_create_gives_a_cognito_shaped_id_and_the_default_settings() -> None:
    pool = user_pool_create(name="my pool")

    assert re.fullmatch(r"us-east-1_[0-9A-Za-z]{9}", pool.pool_id)
    assert pool.arn == f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool.pool_id}"
    shape = user_pool_shape(pool)
    assert shape["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "PasswordHistorySize": 0,
        "TemporaryPasswordValidityDays": 7,
    }
    assert shape["MfaConfiguration"] == "OFF"
    assert shape["DeletionProtection"] == "INACTIVE"
    assert shape["UserPoolTier"] == "ESSENTIALS"
    assert shape["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert shape["VerificationMessageTemplate"] == {"DefaultEmailOption": "CONFIRM_WITH_CODE"}
    assert shape["UserPoolAddOns"] == {"AdvancedSecurityMode": "OFF"}
    assert shape["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False}
    assert shape["UsernameConfiguration"] == {"CaseSensitive": False}
    assert shape["UserPoolTags"] == {}
    assert shape["LambdaConfig"] == {}
    assert shape["EstimatedNumberOfUsers"] == 0
    for absent in (
        "DeviceConfiguration",
        "SmsConfiguration",
        "AccountRecoverySetting",
        "UsernameAttributes",
        "AliasAttributes",
        "AutoVerifiedAttributes",
        "SmsAuthenticationMessage",
    ):
        assert absent not in shape
    assert isinstance(shape["CreationDate"], dt.datetime)
    assert isinstance(shape["LastModifiedDate"], dt.datetime)
    assert len(shape["SchemaAttributes"]) == 20


def test_create_stores_every_setting_and_describe_echoes_it() -> None:
    pool = user_pool_create(name="full", settings=FULL_SETTINGS)

    shape = user_pool_shape(UserPool.objects.get(pk=pool.pk))
    assert shape["Name"] == "full"
    assert shape["Policies"] == {
        **FULL_SETTINGS["Policies"],
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]},
    }
    assert shape["DeletionProtection"] == "ACTIVE"
    assert shape["LambdaConfig"] == {
        "PreSignUp": LAMBDA,
        "PreTokenGeneration": LAMBDA,
        "PreTokenGenerationConfig": {"LambdaVersion": "V1_0", "LambdaArn": LAMBDA},
    }
    assert shape["AutoVerifiedAttributes"] == ["email", "phone_number"]
    assert shape["UsernameAttributes"] == ["email"]
    assert shape["UsernameConfiguration"] == {"CaseSensitive": True}
    assert shape["VerificationMessageTemplate"] == FULL_SETTINGS["VerificationMessageTemplate"]
    assert shape["SmsVerificationMessage"] == "Your code is {####}"
    assert shape["EmailVerificationMessage"] == "Your code is {####}"
    assert shape["EmailVerificationSubject"] == "Your code"
    assert shape["SmsAuthenticationMessage"] == "Sign-in code {####}"
    assert shape["MfaConfiguration"] == "OPTIONAL"
    assert shape["UserAttributeUpdateSettings"] == FULL_SETTINGS["UserAttributeUpdateSettings"]
    assert shape["DeviceConfiguration"] == FULL_SETTINGS["DeviceConfiguration"]
    assert shape["EmailConfiguration"] == FULL_SETTINGS["EmailConfiguration"]
    assert shape["SmsConfiguration"] == SMS
    assert shape["UserPoolTags"] == {"team": "identity", "env": ""}
    assert shape["AdminCreateUserConfig"] == FULL_SETTINGS["AdminCreateUserConfig"]
    assert shape["UserPoolAddOns"] == {"AdvancedSecurityMode": "AUDIT"}
    assert shape["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"},
        ]
    }
    assert shape["UserPoolTier"] == "PLUS"
    assert shape["Arn"] == pool.arn
    names = [a["Name"] for a in shape["SchemaAttributes"]]
    assert names[-1] == "custom:tenant"
    email = next(a for a in shape["SchemaAttributes"] if a["Name"] == "email")
    assert email["Required"] is True
    assert pool.sms_mfa_enabled is True


def test_describe_shapes_conform_to_botocores_output_model() -> None:
    pool = user_pool_create(name="full", settings=FULL_SETTINGS)
    user_pool_add_custom_attributes(
        pool=pool,
        attributes=[
            {"Name": "age", "AttributeDataType": "Number"},
            {"Name": "born", "AttributeDataType": "DateTime"},
        ],
    )
    user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "ON",
            "SmsMfaConfiguration": {"SmsConfiguration": SMS},
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
            "EmailMfaConfiguration": {"Message": "Code {####}", "Subject": "Code"},
        },
    )
    pool.refresh_from_db()

    assert _conforms(_output_shape("DescribeUserPool", "UserPool"), user_pool_shape(pool)) == []
    listed = _output_shape("ListUserPools", "UserPools")
    assert _conforms(listed, [user_pool_description_shape(pool)]) == []
    mfa = service_model("cognito-idp").operation_model("GetUserPoolMfaConfig").output_shape
    assert mfa is not None
    assert _conforms(mfa, user_pool_mfa_config_shape(pool)) == []


def test_create_ignores_members_it_does_not_know() -> None:
    pool = user_pool_create(name="p", settings={"SomeFutureMember": {"X": 1}})

    assert UserPool.objects.filter(pk=pool.pk).exists()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("x" * 129, "Member must have length less than or equal to 128"),
        ("bad/name", "Member must satisfy regular expression pattern"),
    ],
)
def test_create_rejects_a_bad_pool_name(name: str, fragment: str) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        user_pool_create(name=name)

    assert not UserPool.objects.exists()
    assert not SchemaAttribute.objects.exists()


@pytest.mark.parametrize(
    ("settings", "member"),
    [
        ({"Policies": "strict"}, "policies"),
        ({"AutoVerifiedAttributes": "email"}, "autoVerifiedAttributes"),
        ({"Policies": {"PasswordPolicy": {"MinimumLength": "8"}}}, "minimumLength"),
        ({"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": "yes"}}, "challengeRequired"),
        ({"UserPoolTags": ["a"]}, "userPoolTags"),
    ],
)
def test_create_rejects_members_of_the_wrong_type_naming_them(
    settings: dict[str, Any], member: str
) -> None:
    with pytest.raises(InvalidParameterException, match=member):
        user_pool_create(name="p", settings=settings)

    assert not UserPool.objects.exists()


def test_create_rejects_settings_that_are_not_an_object() -> None:
    with pytest.raises(InvalidParameterException, match="settings must be an object"):
        user_pool_create(name="p", settings=["Policies"])  # type: ignore[arg-type]

    assert not UserPool.objects.exists()


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ({"MinimumLength": 5}, "greater than or equal to 6"),
        ({"MinimumLength": 100}, "less than or equal to 99"),
        ({"PasswordHistorySize": -1}, "greater than or equal to 0"),
        ({"PasswordHistorySize": 25}, "less than or equal to 24"),
        ({"TemporaryPasswordValidityDays": 366}, "less than or equal to 365"),
        ({"TemporaryPasswordValidityDays": -1}, "greater than or equal to 0"),
    ],
)
def test_create_rejects_password_policy_values_out_of_range(
    policy: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        user_pool_create(name="p", settings={"Policies": {"PasswordPolicy": policy}})

    assert not UserPool.objects.exists()


def test_temporary_password_validity_of_zero_means_the_default_seven_days() -> None:
    pool = make_user_pool(Policies={"PasswordPolicy": {"TemporaryPasswordValidityDays": 0}})

    assert pool.temporary_password_validity_days == 7


def test_a_given_password_policy_requires_only_the_classes_it_names() -> None:
    pool = make_user_pool(
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireNumbers": True}}
    )

    assert pool.password_minimum_length == 10
    assert pool.password_require_numbers is True
    assert pool.password_require_uppercase is False
    assert pool.password_require_lowercase is False
    assert pool.password_require_symbols is False


def test_legacy_unused_account_validity_days_sets_the_temporary_password_validity() -> None:
    pool = make_user_pool(AdminCreateUserConfig={"UnusedAccountValidityDays": 3})

    assert pool.temporary_password_validity_days == 3


def test_create_rejects_both_temporary_password_validity_members() -> None:
    with pytest.raises(
        InvalidParameterException,
        match="Please use TemporaryPasswordValidityDays in PasswordPolicy",
    ):
        make_user_pool(
            Policies={"PasswordPolicy": {"TemporaryPasswordValidityDays": 3}},
            AdminCreateUserConfig={"UnusedAccountValidityDays": 3},
        )

    assert not UserPool.objects.exists()


@pytest.mark.parametrize(
    "settings",
    [
        {"UsernameAttributes": ["preferred_username"]},
        {"AliasAttributes": ["name"]},
        {"AutoVerifiedAttributes": ["preferred_username"]},
        {"MfaConfiguration": "REQUIRED"},
        {"DeletionProtection": "ON"},
        {"UserPoolTier": "GOLD"},
        {"UserPoolAddOns": {"AdvancedSecurityMode": "MAX"}},
        {"VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_SMOKE"}},
    ],
)
def test_create_rejects_values_outside_their_enum(settings: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterException, match="Member must satisfy enum value set"):
        user_pool_create(name="p", settings=settings)

    assert not UserPool.objects.exists()


def test_username_attributes_and_aliases_are_mutually_exclusive() -> None:
    with pytest.raises(InvalidParameterException, match="mutually exclusive"):
        make_user_pool(UsernameAttributes=["email"], AliasAttributes=["phone_number"])

    assert not UserPool.objects.exists()


def test_aliases_are_stored_once_each() -> None:
    pool = make_user_pool(AliasAttributes=["email", "preferred_username", "email"])

    assert pool.alias_attributes == ["email", "preferred_username"]
    assert pool.username_attributes == []


def test_preferred_username_cannot_be_both_required_and_an_alias() -> None:
    with pytest.raises(InvalidParameterException, match="required attribute or an alias"):
        make_user_pool(
            AliasAttributes=["preferred_username"],
            Schema=[{"Name": "preferred_username", "Required": True}],
        )

    assert not UserPool.objects.exists()


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"SmsVerificationMessage": "Your code"}, "smsVerificationMessage"),
        ({"SmsVerificationMessage": "abc"}, "greater than or equal to 6"),
        ({"SmsVerificationMessage": "{####}" + "x" * 140}, "less than or equal to 140"),
        ({"EmailVerificationMessage": "No code here"}, "emailVerificationMessage"),
        ({"EmailVerificationSubject": "s" * 141}, "less than or equal to 140"),
        ({"EmailVerificationSubject": ""}, "greater than or equal to 1"),
        ({"SmsAuthenticationMessage": "Code please"}, "smsAuthenticationMessage"),
        ({"VerificationMessageTemplate": {"SmsMessage": "no code"}}, "smsMessage"),
        ({"VerificationMessageTemplate": {"EmailMessage": "{####}" * 3334}}, "20000"),
        (
            {"VerificationMessageTemplate": {"EmailMessageByLink": "Click the link"}},
            "emailMessageByLink",
        ),
        (
            {
                "SmsVerificationMessage": "Code {####}",
                "VerificationMessageTemplate": {"SmsMessage": "Other {####}"},
            },
            "differ",
        ),
    ],
)
def test_create_rejects_bad_verification_messages(settings: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidParameterException, match=re.escape(fragment)):
        user_pool_create(name="p", settings=settings)

    assert not UserPool.objects.exists()


def test_legacy_verification_members_fill_the_message_columns() -> None:
    pool = make_user_pool(
        SmsVerificationMessage="SMS {####}",
        EmailVerificationMessage="Mail {####}",
        EmailVerificationSubject="Subject",
        VerificationMessageTemplate={
            "EmailMessageByLink": "Click {##Verify##}",
            "EmailSubjectByLink": "Verify",
            "DefaultEmailOption": "CONFIRM_WITH_LINK",
        },
    )

    assert pool.sms_verification_message == "SMS {####}"
    assert pool.email_verification_message == "Mail {####}"
    assert pool.email_verification_subject == "Subject"
    assert pool.verification_message_template == {
        "SmsMessage": "SMS {####}",
        "EmailMessage": "Mail {####}",
        "EmailSubject": "Subject",
        "EmailMessageByLink": "Click {##Verify##}",
        "EmailSubjectByLink": "Verify",
        "DefaultEmailOption": "CONFIRM_WITH_LINK",
    }


def test_a_template_keeps_both_email_messages_and_the_option_picks_one() -> None:
    pool = make_user_pool(
        VerificationMessageTemplate={
            "EmailMessage": "Code {####}",
            "EmailMessageByLink": "Click {##here##}",
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        }
    )

    assert pool.email_verification_message == "Code {####}"
    assert pool.verification_message_template == {
        "EmailMessage": "Code {####}",
        "EmailMessageByLink": "Click {##here##}",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    }


@pytest.mark.parametrize(
    "template",
    [
        {"SMSMessage": "Your password is {####}"},
        {"SMSMessage": "Hello {username}, welcome"},
        {"EmailMessage": "Your password is {####}"},
        {"EmailMessage": "Hello {username}, welcome"},
    ],
)
def test_invitation_messages_need_both_placeholders(template: dict[str, str]) -> None:
    with pytest.raises(InvalidParameterException, match=r"\{username\} and \{####\}"):
        make_user_pool(AdminCreateUserConfig={"InviteMessageTemplate": template})

    assert not UserPool.objects.exists()


@pytest.mark.parametrize(
    ("mechanisms", "fragment"),
    [
        ([], "greater than or equal to 1"),
        (
            [
                {"Name": "verified_email", "Priority": 1},
                {"Name": "verified_phone_number", "Priority": 2},
                {"Name": "admin_only", "Priority": 2},
            ],
            "less than or equal to 2",
        ),
        ([{"Name": "carrier_pigeon", "Priority": 1}], "enum value set"),
        ([{"Name": "verified_email", "Priority": 3}], "less than or equal to 2"),
        ([{"Name": "verified_email", "Priority": 0}], "greater than or equal to 1"),
        ([{"Name": "verified_email"}], "must not be null"),
        (
            [
                {"Name": "verified_email", "Priority": 1},
                {"Name": "verified_phone_number", "Priority": 1},
            ],
            "distinct priorities",
        ),
        (
            [
                {"Name": "verified_email", "Priority": 1},
                {"Name": "verified_email", "Priority": 2},
            ],
            "twice",
        ),
        (
            [{"Name": "admin_only", "Priority": 1}, {"Name": "verified_email", "Priority": 2}],
            "admin_only",
        ),
    ],
)
def test_create_rejects_bad_account_recovery_settings(
    mechanisms: list[dict[str, Any]], fragment: str
) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        make_user_pool(AccountRecoverySetting={"RecoveryMechanisms": mechanisms})

    assert not UserPool.objects.exists()


def test_admin_only_recovery_is_accepted_alone() -> None:
    pool = make_user_pool(
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]}
    )

    assert pool.account_recovery_mechanisms == [{"Priority": 1, "Name": "admin_only"}]


def test_mfa_at_creation_needs_sms_configuration() -> None:
    with pytest.raises(InvalidParameterException, match="SMS configuration and Auto verification"):
        make_user_pool(MfaConfiguration="ON")

    assert not UserPool.objects.exists()


def test_mfa_at_creation_with_sms_configuration_enables_sms_mfa() -> None:
    pool = make_user_pool(MfaConfiguration="ON", SmsConfiguration=SMS)

    assert pool.sms_mfa_enabled is True
    assert user_pool_mfa_config_shape(pool) == {
        "SmsMfaConfiguration": {"SmsConfiguration": SMS},
        "SoftwareTokenMfaConfiguration": {"Enabled": False},
        "MfaConfiguration": "ON",
    }


@pytest.mark.parametrize(
    "sms",
    [{}, {"ExternalId": "x"}, {"SnsCallerArn": SNS_ROLE, "EumsSms": {"CallerArn": SNS_ROLE}}],
)
def test_sms_configuration_names_exactly_one_sender(sms: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterException, match="either SnsCallerArn or EumsSms"):
        make_user_pool(SmsConfiguration=sms)

    assert not UserPool.objects.exists()


def test_developer_email_needs_a_source_arn() -> None:
    with pytest.raises(InvalidParameterException, match="SourceArn is required"):
        make_user_pool(EmailConfiguration={"EmailSendingAccount": "DEVELOPER"})

    assert not UserPool.objects.exists()


def test_custom_sender_triggers_need_a_kms_key() -> None:
    sender = {"LambdaVersion": "V1_0", "LambdaArn": LAMBDA}
    with pytest.raises(InvalidParameterException, match="requires a KMSKeyID"):
        make_user_pool(LambdaConfig={"CustomEmailSender": sender})
    assert not UserPool.objects.exists()

    pool = make_user_pool(LambdaConfig={"CustomEmailSender": sender, "KMSKeyID": KMS_KEY})
    assert pool.lambda_config == {"CustomEmailSender": sender, "KMSKeyID": KMS_KEY}


def test_lambda_arns_must_look_like_arns() -> None:
    with pytest.raises(InvalidParameterException, match="preSignUp"):
        make_user_pool(LambdaConfig={"PreSignUp": "my-function-name"})

    assert not UserPool.objects.exists()


def test_pre_token_generation_config_fills_the_legacy_member() -> None:
    config = {"LambdaVersion": "V2_0", "LambdaArn": LAMBDA}
    pool = make_user_pool(LambdaConfig={"PreTokenGenerationConfig": config})

    assert pool.lambda_config == {"PreTokenGenerationConfig": config, "PreTokenGeneration": LAMBDA}


def test_pre_token_generation_members_must_agree() -> None:
    with pytest.raises(InvalidParameterException, match="same function"):
        make_user_pool(
            LambdaConfig={
                "PreTokenGeneration": LAMBDA,
                "PreTokenGenerationConfig": {"LambdaVersion": "V1_0", "LambdaArn": LAMBDA + "2"},
            }
        )

    assert not UserPool.objects.exists()


@pytest.mark.parametrize(
    "settings",
    [
        {"UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"}},
        {"UserPoolTier": "LITE", "Policies": {"PasswordPolicy": {"PasswordHistorySize": 3}}},
        {
            "UserPoolTier": "LITE",
            "LambdaConfig": {
                "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": LAMBDA}
            },
        },
    ],
)
def test_features_above_the_pools_plan_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(FeatureUnavailableInTierException):
        user_pool_create(name="p", settings=settings)

    assert not UserPool.objects.exists()


def test_verification_before_update_needs_auto_verification() -> None:
    with pytest.raises(InvalidParameterException, match="AutoVerifiedAttributes, not email"):
        make_user_pool(
            UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]}
        )

    assert not UserPool.objects.exists()


@pytest.mark.parametrize(
    ("tags", "error", "fragment"),
    [
        ({f"k{i}": "v" for i in range(51)}, UserPoolTaggingException, "at most 50 tags"),
        ({"k" * 129: "v"}, InvalidParameterException, "less than or equal to 128"),
        ({"": "v"}, InvalidParameterException, "greater than or equal to 1"),
        ({"k": "v" * 257}, InvalidParameterException, "less than or equal to 256"),
        ({"aws:owner": "me"}, InvalidParameterException, "reserved"),
    ],
)
def test_create_rejects_tags_beyond_the_limits(
    tags: dict[str, str], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        make_user_pool(UserPoolTags=tags)

    assert not UserPool.objects.exists()


# --- UpdateUserPool ---------------------------------------------------------------------------


def test_update_returns_omitted_settings_to_their_defaults() -> None:
    pool = user_pool_create(name="full", settings=FULL_SETTINGS)

    updated = user_pool_update(pool=pool, settings={"AutoVerifiedAttributes": ["email"]})

    shape = user_pool_shape(updated)
    assert shape["Name"] == "full"
    assert shape["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert shape["DeletionProtection"] == "INACTIVE"
    assert shape["MfaConfiguration"] == "OFF"
    assert shape["UserPoolTags"] == {}
    assert shape["LambdaConfig"] == {}
    assert shape["UserPoolTier"] == "ESSENTIALS"
    assert shape["UserPoolAddOns"] == {"AdvancedSecurityMode": "OFF"}
    assert shape["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert shape["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False}
    for absent in ("DeviceConfiguration", "SmsConfiguration", "AccountRecoverySetting"):
        assert absent not in shape
    assert updated.sms_mfa_enabled is False
    # Not UpdateUserPool members, so untouched.
    assert shape["UsernameAttributes"] == ["email"]
    assert shape["UsernameConfiguration"] == {"CaseSensitive": True}
    assert [a["Name"] for a in shape["SchemaAttributes"]][-1] == "custom:tenant"
    # Cognito keeps UserAttributeUpdateSettings unless it is sent.
    assert shape["UserAttributeUpdateSettings"] == {
        "AttributesRequireVerificationBeforeUpdate": ["email"]
    }
    assert _row(updated) == _row(UserPool.objects.get(pk=pool.pk))


def test_update_changes_the_name_and_settings_it_is_given() -> None:
    pool = make_user_pool()

    updated = user_pool_update(
        pool=pool,
        settings={
            "PoolName": "renamed",
            "DeletionProtection": "ACTIVE",
            "Policies": {"PasswordPolicy": {"MinimumLength": 20}},
            "UserPoolTags": {"a": "b"},
            "UsernameAttributes": ["phone_number"],
        },
    )

    stored = UserPool.objects.get(pk=pool.pk)
    assert stored.name == updated.name == "renamed"
    assert stored.deletion_protection == "ACTIVE"
    assert stored.password_minimum_length == 20
    assert stored.tags == {"a": "b"}
    assert stored.username_attributes == []
    assert stored.updated_at >= pool.updated_at


@pytest.mark.parametrize(
    "settings",
    [
        {"PoolName": "bad/name"},
        {"Policies": {"PasswordPolicy": {"MinimumLength": 3}}},
        {"MfaConfiguration": "ON"},
        {"UserPoolTags": {"aws:x": "y"}},
        {"AccountRecoverySetting": {"RecoveryMechanisms": []}},
        {"UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}},
    ],
)
def test_a_refused_update_changes_nothing(settings: dict[str, Any]) -> None:
    pool = make_user_pool(DeletionProtection="ACTIVE", UserPoolTags={"keep": "me"})
    before = _row(pool)

    with pytest.raises(InvalidParameterException):
        user_pool_update(pool=pool, settings=settings)

    assert _row(pool) == before


def test_update_keeps_software_token_mfa_and_does_not_add_sms() -> None:
    pool = make_user_pool(SmsConfiguration=SMS)
    user_pool_set_mfa_config(
        pool=pool,
        settings={"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
    )

    updated = user_pool_update(
        pool=pool, settings={"MfaConfiguration": "ON", "SmsConfiguration": SMS}
    )

    assert updated.software_token_mfa_enabled is True
    assert updated.sms_mfa_enabled is False
    assert updated.mfa_configuration == "ON"


def test_update_turning_mfa_off_disables_every_factor() -> None:
    pool = make_user_pool(MfaConfiguration="ON", SmsConfiguration=SMS)
    user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "ON",
            "SmsMfaConfiguration": {},
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
        },
    )

    updated = user_pool_update(pool=pool, settings={"SmsConfiguration": SMS})

    assert updated.mfa_configuration == "OFF"
    assert (updated.sms_mfa_enabled, updated.software_token_mfa_enabled) == (False, False)
    assert updated.sms_configuration == SMS


def test_update_turning_mfa_on_with_sms_configuration_enables_sms_mfa() -> None:
    pool = make_user_pool()

    updated = user_pool_update(
        pool=pool, settings={"MfaConfiguration": "OPTIONAL", "SmsConfiguration": SMS}
    )

    assert updated.sms_mfa_enabled is True


def test_update_of_an_email_mfa_pool_must_keep_its_prerequisites() -> None:
    pool = make_user_pool(
        EmailConfiguration={"EmailSendingAccount": "DEVELOPER", "SourceArn": SES_IDENTITY}
    )
    user_pool_set_mfa_config(
        pool=pool, settings={"MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {}}
    )
    before = _row(pool)

    with pytest.raises(InvalidParameterException, match="EmailSendingAccount DEVELOPER"):
        user_pool_update(pool=pool, settings={"MfaConfiguration": "OPTIONAL"})

    assert _row(pool) == before


# --- DeleteUserPool ---------------------------------------------------------------------------


def test_delete_removes_the_pool_and_its_schema(pool: UserPool) -> None:
    user_pool_delete(pool=pool)

    assert not UserPool.objects.filter(pk=pool.pk).exists()
    assert not SchemaAttribute.objects.exists()


def test_delete_refuses_a_protected_pool() -> None:
    pool = make_user_pool(DeletionProtection="ACTIVE")

    with pytest.raises(InvalidParameterException) as caught:
        user_pool_delete(pool=pool)

    assert caught.value.message == (
        "The user pool cannot be deleted because deletion protection is activated. "
        "Deletion protection must be inactivated first."
    )
    assert UserPool.objects.filter(pk=pool.pk).exists()
    assert SchemaAttribute.objects.filter(pool=pool).count() == 20


def test_delete_works_once_protection_is_lifted() -> None:
    pool = make_user_pool(DeletionProtection="ACTIVE")
    user_pool_update(pool=pool, settings={"DeletionProtection": "INACTIVE"})

    user_pool_delete(pool=pool)

    assert not UserPool.objects.exists()


# --- AddCustomAttributes ----------------------------------------------------------------------


def test_add_custom_attributes_appends_to_the_schema(pool: UserPool) -> None:
    user_pool_add_custom_attributes(
        pool=pool,
        attributes=[
            {"Name": "plan", "AttributeDataType": "String"},
            {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        ],
    )

    names = [a["Name"] for a in user_pool_shape(pool)["SchemaAttributes"]]
    assert names[-2:] == ["custom:plan", "dev:custom:secret"]


def test_add_custom_attributes_refuses_an_existing_name(pool: UserPool) -> None:
    user_pool_add_custom_attributes(
        pool=pool, attributes=[{"Name": "plan", "AttributeDataType": "String"}]
    )

    with pytest.raises(InvalidParameterException, match="Existing attribute already has name"):
        user_pool_add_custom_attributes(
            pool=pool,
            attributes=[
                {"Name": "other", "AttributeDataType": "String"},
                {"Name": "plan", "AttributeDataType": "Number"},
            ],
        )

    assert list(
        SchemaAttribute.objects.filter(pool=pool, is_custom=True).values_list("name", flat=True)
    ) == ["plan"]


def test_a_pool_holds_at_most_fifty_custom_attributes(pool: UserPool) -> None:
    for batch in range(2):
        user_pool_add_custom_attributes(
            pool=pool,
            attributes=[
                {"Name": f"a{batch}_{i}", "AttributeDataType": "String"} for i in range(25)
            ],
        )

    with pytest.raises(LimitExceededException, match="at most 50 custom attributes"):
        user_pool_add_custom_attributes(
            pool=pool, attributes=[{"Name": "one_more", "AttributeDataType": "String"}]
        )

    assert SchemaAttribute.objects.filter(pool=pool, is_custom=True).count() == 50


@pytest.mark.parametrize(
    ("attributes", "fragment"),
    [
        ([], "greater than or equal to 1"),
        ([{"Name": f"a{i}", "AttributeDataType": "String"} for i in range(26)], "25"),
        ("plan", "Expected a list"),
    ],
)
def test_add_custom_attributes_takes_one_to_twenty_five(
    pool: UserPool, attributes: Any, fragment: str
) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        user_pool_add_custom_attributes(pool=pool, attributes=attributes)

    assert not SchemaAttribute.objects.filter(pool=pool, is_custom=True).exists()


# --- SetUserPoolMfaConfig ---------------------------------------------------------------------


def test_set_mfa_config_enables_software_tokens(pool: UserPool) -> None:
    user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "OPTIONAL",
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
        },
    )

    stored = UserPool.objects.get(pk=pool.pk)
    assert user_pool_mfa_config_shape(stored) == {
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "MfaConfiguration": "OPTIONAL",
    }


def test_set_mfa_config_stores_sms_settings_on_the_pool(pool: UserPool) -> None:
    user_pool_set_mfa_config(
        pool=pool,
        settings={
            "MfaConfiguration": "ON",
            "SmsMfaConfiguration": {
                "SmsAuthenticationMessage": "Code {####}",
                "SmsConfiguration": SMS,
            },
        },
    )

    stored = UserPool.objects.get(pk=pool.pk)
    assert stored.sms_configuration == SMS
    assert user_pool_mfa_config_shape(stored)["SmsMfaConfiguration"] == {
        "SmsAuthenticationMessage": "Code {####}",
        "SmsConfiguration": SMS,
    }
    assert user_pool_shape(stored)["SmsAuthenticationMessage"] == "Code {####}"


def test_set_mfa_config_turns_off_the_factors_it_is_not_given() -> None:
    pool = make_user_pool(MfaConfiguration="ON", SmsConfiguration=SMS)

    user_pool_set_mfa_config(
        pool=pool,
        settings={"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
    )

    stored = UserPool.objects.get(pk=pool.pk)
    assert (stored.sms_mfa_enabled, stored.software_token_mfa_enabled) == (False, True)
    assert stored.sms_configuration == SMS


def test_set_mfa_config_keeps_the_mfa_setting_when_not_given() -> None:
    pool = make_user_pool(MfaConfiguration="OPTIONAL", SmsConfiguration=SMS)

    user_pool_set_mfa_config(pool=pool, settings={"SmsMfaConfiguration": {}})

    assert UserPool.objects.get(pk=pool.pk).mfa_configuration == "OPTIONAL"


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        (
            {"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
            "can't turn off MFA and configure an MFA together",
        ),
        (
            {"MfaConfiguration": "OFF", "SmsMfaConfiguration": {"SmsConfiguration": SMS}},
            "can't turn off MFA and configure an MFA together",
        ),
        ({"MfaConfiguration": "ON"}, "can't disable all MFAs"),
        (
            {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": False}},
            "can't disable all MFAs",
        ),
        ({"MfaConfiguration": "ON", "SmsMfaConfiguration": {}}, "SMS configuration"),
        (
            {
                "MfaConfiguration": "ON",
                "SmsMfaConfiguration": {"SmsAuthenticationMessage": "no code"},
            },
            "smsAuthenticationMessage",
        ),
        ({"MfaConfiguration": "SOMETIMES"}, "enum value set"),
        (
            {"MfaConfiguration": "ON", "EmailMfaConfiguration": {"Message": "x"}},
            "emailMfaConfiguration.message",
        ),
    ],
)
def test_set_mfa_config_refuses_inconsistent_settings(
    pool: UserPool, settings: dict[str, Any], fragment: str
) -> None:
    before = _row(pool)

    with pytest.raises(InvalidParameterException, match=re.escape(fragment)):
        user_pool_set_mfa_config(pool=pool, settings=settings)

    assert _row(pool) == before


def test_email_mfa_needs_developer_email() -> None:
    pool = make_user_pool()

    with pytest.raises(InvalidParameterException, match="EmailSendingAccount DEVELOPER"):
        user_pool_set_mfa_config(
            pool=pool, settings={"MfaConfiguration": "ON", "EmailMfaConfiguration": {}}
        )

    assert UserPool.objects.get(pk=pool.pk).email_mfa_enabled is False


def test_email_mfa_needs_a_paid_plan() -> None:
    email = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SES_IDENTITY}
    pool = make_user_pool(UserPoolTier="LITE", EmailConfiguration=email)

    with pytest.raises(FeatureUnavailableInTierException):
        user_pool_set_mfa_config(
            pool=pool, settings={"MfaConfiguration": "ON", "EmailMfaConfiguration": {}}
        )

    assert UserPool.objects.get(pk=pool.pk).email_mfa_enabled is False


def test_email_mfa_is_stored_with_its_message() -> None:
    email = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SES_IDENTITY}
    pool = make_user_pool(EmailConfiguration=email)
    config = {"Message": "Your code is {####}", "Subject": "Sign-in code"}

    user_pool_set_mfa_config(
        pool=pool, settings={"MfaConfiguration": "ON", "EmailMfaConfiguration": config}
    )

    stored = UserPool.objects.get(pk=pool.pk)
    assert stored.email_mfa_enabled is True
    assert user_pool_mfa_config_shape(stored)["EmailMfaConfiguration"] == config


# --- Tags -------------------------------------------------------------------------------------


def test_tag_adds_and_replaces_tags(pool: UserPool) -> None:
    user_pool_tag(pool=pool, tags={"a": "1", "b": "2"})
    user_pool_tag(pool=pool, tags={"b": "3", "c": ""})

    assert UserPool.objects.get(pk=pool.pk).tags == {"a": "1", "b": "3", "c": ""}
    assert pool.tags == {"a": "1", "b": "3", "c": ""}


def test_untag_removes_the_keys_given_and_ignores_unknown_ones(pool: UserPool) -> None:
    user_pool_tag(pool=pool, tags={"a": "1", "b": "2"})

    user_pool_untag(pool=pool, keys=["a", "zzz"])

    assert UserPool.objects.get(pk=pool.pk).tags == {"b": "2"}


def test_tagging_beyond_fifty_tags_changes_nothing(pool: UserPool) -> None:
    user_pool_tag(pool=pool, tags={f"k{i}": "v" for i in range(50)})

    # TagResource's only documented refusal of its input (UserPoolTaggingException is
    # CreateUserPool's and UpdateUserPool's).
    with pytest.raises(InvalidParameterException, match="at most 50 tags"):
        user_pool_tag(pool=pool, tags={"one-more": "v"})

    assert len(UserPool.objects.get(pk=pool.pk).tags) == 50


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ({"k" * 129: "v"}, "less than or equal to 128"),
        ({"k": "v" * 257}, "less than or equal to 256"),
        ({"aws:cost": "v"}, "reserved"),
        ({"k": 1}, "Expected a string"),
    ],
)
def test_tag_refuses_bad_keys_and_values(pool: UserPool, tags: Any, fragment: str) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        user_pool_tag(pool=pool, tags=tags)

    assert UserPool.objects.get(pk=pool.pk).tags == {}


def test_untag_refuses_bad_keys(pool: UserPool) -> None:
    user_pool_tag(pool=pool, tags={"a": "1"})

    with pytest.raises(InvalidParameterException, match="Expected a list"):
        user_pool_untag(pool=pool, keys="a")
    with pytest.raises(InvalidParameterException, match="greater than or equal to 1"):
        user_pool_untag(pool=pool, keys=[""])

    assert UserPool.objects.get(pk=pool.pk).tags == {"a": "1"}


# --- ListUserPools ----------------------------------------------------------------------------


def test_pages_cover_every_pool_once_in_order_and_end_without_a_token() -> None:
    created = [make_user_pool(name=f"p{i}").pool_id for i in range(5)]

    seen: list[str] = []
    tokens: list[str] = []
    token: str | None = None
    while True:
        pools, token = user_pools_page(max_results=2, next_token=token)
        seen += [p.pool_id for p in pools]
        if token is None:
            break
        tokens.append(token)

    assert seen == created
    assert len(tokens) == 2
    assert len(set(tokens)) == len(tokens)


def test_a_last_full_page_has_no_token() -> None:
    for i in range(2):
        make_user_pool(name=f"p{i}")

    pools, token = user_pools_page(max_results=2, next_token=None)

    assert len(pools) == 2
    assert token is None


@pytest.mark.parametrize(
    ("max_results", "token", "fragment"),
    [
        (0, None, "greater than or equal to 1"),
        (61, None, "less than or equal to 60"),
        (10, "forged", "Invalid pagination token"),
        (10, "", "greater than or equal to 1"),
    ],
)
def test_list_refuses_bad_limits_and_tokens(
    max_results: int, token: str | None, fragment: str
) -> None:
    with pytest.raises(InvalidParameterException, match=fragment):
        user_pools_page(max_results=max_results, next_token=token)


def test_list_refuses_a_token_from_another_list() -> None:
    from cognitoadmin.pagination import encode_token  # noqa: PLC0415

    token = encode_token({"after": 1}, scope="groups:us-east-1_x")

    with pytest.raises(InvalidParameterException, match="Invalid pagination token"):
        user_pools_page(max_results=10, next_token=token)


def test_description_shape_is_listuserpools_entry(pool: UserPool) -> None:
    shape = user_pool_description_shape(pool)

    assert set(shape) == {
        "Id",
        "Name",
        "LambdaConfig",
        "Status",
        "LastModifiedDate",
        "CreationDate",
    }
    assert shape["Id"] == pool.pool_id
    assert shape["Status"] == "Enabled"
