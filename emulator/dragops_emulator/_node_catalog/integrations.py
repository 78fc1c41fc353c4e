"""Integration nodes, one category per service: "Slack", "GitHub", "SendGrid".

Each takes its credentials from a connection (the `connectionId` property) and is simulated by the
emulator's engine: it logs what it would have done and sends nothing.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    action,
    pin,
    prop,
)

__all__ = ["NODES"]

_INTEGRATIONS = [
    action(
        "SlackSendMessage",
        "Slack: Send Message",
        "Slack",
        "Posts a message to a Slack channel (simulated: nothing is sent)",
        [pin("channel", "string", "Channel", required=True), pin("text", "string", "Text", required=True)],
        [pin("ok", "boolean", "OK"), pin("ts", "string", "Message Timestamp")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
    action(
        "GitHubCreateIssueComment",
        "GitHub: Create Issue Comment",
        "GitHub",
        "Comments on an issue or pull request (simulated: nothing is sent)",
        [
            pin("repository", "string", "Repository", required=True),
            pin("issueNumber", "integer", "Issue Number", required=True),
            pin("body", "string", "Body", required=True),
        ],
        [pin("commentId", "integer", "Comment Id"), pin("url", "string", "URL")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
    action(
        "GitHubCreateIssue",
        "GitHub: Create Issue",
        "GitHub",
        "Opens an issue (simulated: nothing is sent)",
        [
            pin("repository", "string", "Repository", required=True),
            pin("title", "string", "Title", required=True),
            pin("body", "string", "Body", default=""),
        ],
        [pin("issueNumber", "integer", "Issue Number"), pin("url", "string", "URL")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
    action(
        "SendGridSendEmail",
        "SendGrid: Send Email",
        "SendGrid",
        "Sends an e-mail (simulated: nothing is sent)",
        [
            pin("to", "string", "To", required=True),
            pin("subject", "string", "Subject", required=True),
            pin("text", "string", "Text", default=""),
        ],
        [pin("messageId", "string", "Message Id")],
        properties=[prop("connectionId", "string", "Connection", required=True)],
    ),
]

NODES: tuple[dict[str, Any], ...] = tuple(_INTEGRATIONS)
