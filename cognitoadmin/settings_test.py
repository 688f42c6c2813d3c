"""Test settings: fast hasher, SQLite in memory unless DATABASE_URL says otherwise, eager Celery."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("COGNITOADMIN_MASTER_KEY", "test-master-key-not-for-production")
os.environ.setdefault("COGNITOADMIN_PUBLIC_URL", "http://testserver")

from cognitoadmin.env import env_str
from cognitoadmin.settings import *  # noqa: F403
from cognitoadmin.settings import DATABASES

if not env_str("DATABASE_URL"):
    # A file in shared memory rather than ":memory:": the live server's request threads then open
    # their own connections instead of sharing the test's one across threads.
    # S108: a throwaway test database named after this process, not a secret.
    _shm = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()  # noqa: S108
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": os.path.join(_shm, f"cognitoadmin-test-{os.getpid()}.sqlite3")},
    }

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
# Every test calls from 127.0.0.1 into one process's cache: request rate limits are off here, and
# tests/pools/test_rate_limits.py turns them on.
COGNITOADMIN_RATE_LIMIT_PER_IP = 0
COGNITOADMIN_RATE_LIMIT_PER_USER = 0
# Cognito's rates per API category count every call of the whole run, many of them under a clock
# held still: off here too, and tests/pools/test_aws_provisioned_limits.py turns them on.
COGNITOADMIN_API_RATE_LIMITS = 0.0
