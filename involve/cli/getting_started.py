"""`involve info` and `involve send-example`: what a newcomer runs first."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from involve.cli.common import out, refuse
from involve.errors import InvolveError


def masked_url(url: str) -> str:
    """A database or SMTP URL with its password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def info() -> None:
    """Print the webhook secret, where things are, and one ready command that sends the example claim."""
    from involve.serve import check_settings
    from involve.settings import settings

    try:
        check_settings()
    except InvolveError as exc:
        refuse(str(exc))
    out.print(f"home:           {settings.var_dir.parent}  (secrets, database, mail and files under var/)",
              markup=False)
    out.print(f"database:       {masked_url(settings.database_url)}", markup=False)
    out.print(f"webhook secret: {settings.resolved_webhook_secret}", markup=False)
    mail = masked_url(settings.smtp_url) if settings.smtp_url else f"{settings.mail_dir}/new (embedded sink)"
    out.print(f"mail:           {mail}", markup=False)
    out.print("send the example claim (in another terminal, while this runs):", markup=False)
    out.print("  .venv/bin/involve send-example", markup=False)


def send_example(url: Annotated[str | None, typer.Option(help="Base URL of involve serve.")] = None,
                 claim_file: Annotated[Path | None, typer.Option("--file", help="A canonical claim JSON.")] = None
                 ) -> None:
    """Sign and POST a claim (default: the spec's example, dated today) to /webhooks/claims."""
    import base64
    import hashlib
    import hmac
    import secrets
    import time
    from datetime import date as _date

    import httpx

    from involve.settings import PROJECT_ROOT, settings

    data = json.loads((claim_file or PROJECT_ROOT / "involve" / "examples" / "claim.json").read_text())
    if claim_file is None:
        data["activity"]["date"] = _date.today().isoformat()
        data.pop("submission_id", None)
    body = json.dumps(data).encode()
    msg_id, ts = "msg_" + secrets.token_hex(8), int(time.time())
    key = base64.b64decode(settings.resolved_webhook_secret.removeprefix("whsec_"))
    sig = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    r = httpx.post((url or settings.base_url).rstrip("/") + "/webhooks/claims", content=body, timeout=30,
                   headers={"content-type": "application/json", "webhook-id": msg_id,
                            "webhook-timestamp": str(ts), "webhook-signature": f"v1,{sig}"})
    out.print(f"{r.status_code} {r.text}", markup=False)
    if r.status_code >= 300:
        raise typer.Exit(2)
