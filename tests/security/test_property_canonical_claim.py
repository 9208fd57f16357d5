"""Issue 18, item 10: any string a form could send in a name, title or email field is either
accepted (2xx) or refused with 422, never a 5xx, through the real FastAPI app and database
(SQLite, and PostgreSQL when INVOLVE_TEST_POSTGRES_URL is set)."""
from __future__ import annotations

import copy
import itertools

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from involve.web.app import create_app
from tests.security.support import post_claim, recent

FIELDS = (("claimant", "name"), ("claimant", "email"), ("activity", "title"), ("activity", "service"),
          ("activity", "reference"), ("activity", "lead_email"))
HOSTILE = st.sampled_from(["\x00", "\n", "\r\n", "\u202e", "\u2028", "\ud800", "<", ">", "@", "\"", "'", "=",
                           "\x1b[2J", "Approve: https://evil.example/", "a" * 201, "\u00fc", "\U0001f600",
                           "Name <x@example.org>", "x@example.org", " "])
TEXT = st.one_of(st.text(max_size=350), st.lists(st.one_of(HOSTILE, st.text(max_size=20)), max_size=6).map("".join),
                 st.emails().map(str))
_ids = itertools.count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=TEXT)
def test_any_form_string_is_stored_or_refused_with_422_never_5xx(db, example_claim, field, value):
    claim = recent(copy.deepcopy(example_claim))
    claim["submission_id"] = f"prop-{next(_ids)}"
    claim[field[0]][field[1]] = value
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        r = post_claim(client, claim, f"prop-{next(_ids)}")
    assert r.status_code in (200, 202, 422), (field, value, r.status_code, r.text[:300])
