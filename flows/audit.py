"""Flow: the daily audit anchor. Signs the verified audit chain head with INVOLVE_AUDIT_KEY, appends it
to var/audit-anchors.jsonl and emails it to INVOLVE_AUDIT_EMAIL (when set), so a copy of the head
lives outside the database and outside this server. The result is a record number and a file path."""
from __future__ import annotations

from prefect import flow


@flow(name="audit-anchor", persist_result=False)
async def audit_anchor() -> dict:
    """Sign today's audit chain head into the anchor file and send it to the auditor."""
    from tasks.audit import sign_chain_head

    return await sign_chain_head()
