"""Prefect task around the audit anchor service."""
from __future__ import annotations

from anyio import to_thread
from prefect import task

from involve.services import anchors


@task(name="sign-audit-chain-head", retries=2, retry_delay_seconds=[30, 300], persist_result=False)
async def sign_chain_head() -> dict:
    """Append the signed head to the anchor file and queue it to the auditor; returns the record
    number, the file and whether an email was queued (never record contents)."""
    r = await to_thread.run_sync(lambda: anchors.anchor(email=True))
    return {"seq": r.anchor.seq, "file": str(r.path), "emailed": r.emailed_to is not None}
