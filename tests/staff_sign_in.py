"""Sign a test client in as a member of staff the way a person does: ask for a link on
/staff/sign-in, take it from the outbox, press the button on the link's page."""
from __future__ import annotations

import re

from sqlalchemy import select

from involve.db import reader
from models import OutboxEmail


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(client, email: str) -> None:
    r = client.post("/staff/sign-in", data={"csrf_token": csrf(client.get("/staff/sign-in")), "email": email})
    assert r.status_code == 200, r.text[-300:]
    with reader() as s:
        mail = s.execute(select(OutboxEmail).where(OutboxEmail.template == "staff_signin",
                                                   OutboxEmail.to_addr == email)
                         .order_by(OutboxEmail.id.desc()).limit(1)).scalar_one()
    link = re.sub(r"^https?://[^/]+", "", mail.context["signin_url"])
    r = client.post(link, data={"csrf_token": csrf(client.get(link))}, follow_redirects=False)
    assert r.status_code == 303, r.text[-300:]
