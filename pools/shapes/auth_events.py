"""AuthEventType, as AdminListUserAuthEvents returns it. This server rates no risk: every event
is NoRisk, with no compromised credentials found."""

from __future__ import annotations

from typing import Any

from pools.models import AuthEvent


def auth_event_shape(event: AuthEvent) -> dict[str, Any]:
    context = {"IpAddress": event.ip_address}
    if event.device_name:
        context["DeviceName"] = event.device_name
    return {
        "EventId": str(event.event_id),
        "EventType": event.event_type,
        "CreationDate": event.created,
        "EventResponse": event.event_response,
        "EventRisk": {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": False},
        "ChallengeResponses": event.challenges,
        "EventContextData": context,
    }
