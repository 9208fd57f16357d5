"""Flow: fetch the receipt files form providers hold (Typeform/Tally file-upload answers), in batches.

Never on the webhook's request path: intake only records the URLs. The embedded runner runs this flow
before process-claims, so a file that arrives at once is usually there when the claim is processed (and
the "received" email then asks for no receipt it already has). Not always: a claim that arrives while a
cycle is past this flow is processed first; its file still clears `receipt_missing` when it comes."""
from __future__ import annotations

from prefect import flow

from flows.drain import drain
from tasks.receipts import fetch_receipt_batch


@flow(name="fetch-receipts", log_prints=False, persist_result=False)
async def fetch_receipts(batch_size: int = 10, max_batches: int = 5) -> int:
    """Fetch due receipt files until a batch comes back short (or max_batches ran); returns how many
    rows were handled."""
    return sum(await drain(fetch_receipt_batch, batch_size=batch_size, max_batches=max_batches))
