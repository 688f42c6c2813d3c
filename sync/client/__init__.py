"""An offline Cognito Sync client for apps: datasets kept in a local SQLite file per identity,
changed without a network and synchronised, with conflict resolution, through a boto3
`cognito-sync` client against any Cognito Sync endpoint.

It imports only the standard library and botocore (a test says so), never Django or the
server: an app embeds it, or copies this directory.
"""

from sync.client.client import CognitoSyncApi, Dataset, SyncClient
from sync.client.records import (
    Record,
    SyncConflict,
    SyncError,
    SyncResult,
    SyncRetriesExhausted,
)

__all__ = [
    "CognitoSyncApi",
    "Dataset",
    "Record",
    "SyncClient",
    "SyncConflict",
    "SyncError",
    "SyncResult",
    "SyncRetriesExhausted",
]
