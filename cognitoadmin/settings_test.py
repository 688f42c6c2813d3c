"""Test settings: fast hasher, SQLite in memory unless DATABASE_URL says otherwise, eager Celery."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("COGNITOADMIN_MASTER_KEY", "test-master-key-not-for-production")
os.environ.setdefault("COGNITOADMIN_PUBLIC_URL", "http://testserver")

from cognitoadmin.env import env_str
from cognitoadmin.settings import *  # noqa: F403
from cognitoadmin.settings import DATABASES

if not env_str("DATABASE_URL"):
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = ""
ALLOWED_HOSTS = ["*"]
COGNITOADMIN_ADMIN_OTP_REQUIRED = True
# Every AWS endpoint result must fit its botocore output shape, or the call fails loudly.
COGNITOADMIN_AWS_CHECK_OUTPUT = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
