"""Recruitment involvement through the real server, real SMTP, the CLI and the API: HR starts a
recruitment, the invitation arrives, the person accepts by link, comments on the job description,
attends, confirms the interview_panel claim made for them (adding a cost) through its Confirm: link, and it
goes into the claims flow; a restart repeats nothing."""
from __future__ import annotations

import time
from datetime import date, timedelta

import httpx
import pytest

from tests.e2e.harness import act_on_link, links, text_of

HR, COORD = "hr@example.nhs.uk", "coordinator@example.nhs.uk"
PAT, RAY = "pat.panel@example.org", "ray.recruit@example.org"


@pytest.fixture(scope="module")
def staffed(live):
    for email, name, role in ((HR, "HR", "hr"), (COORD, "Co-ordinator", "coordinator")):
        r = live.cli("staff", "add", "--email", email, "--name", name, "--role", role, "--by", live.admin)
        assert r.returncode == 0, r.stderr
    trained = (date.today() - timedelta(days=100)).isoformat()
    for email, name, borough in ((PAT, "Pat Panel", "havering"), (RAY, "Ray Recruit", "redbridge")):
        r = live.cli("register", "add", "--email", email, "--name", name, "--borough", borough,
                     "--recruitment-consent", "--panel-trained-on", trained, "--by", live.admin)
        assert r.returncode == 0, r.stderr
    return live


def wait_for(check, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return check()


def test_recruitment_through_links_to_claim(staffed, sink):
    live = staffed
    r = live.cli("recruitment", "start", "--title", "Band 5 Nurse", "--staff-group", "nurse", "--borough",
                 "havering", "--interview-date", date.today().isoformat(), "--panel-size", "1", "--by", HR,
                 "--service", "Acute Ward", "--job-description", "Draft: caring for people on the ward.",
                 "--decision-rule", "The panel's view counts equally.")
    assert r.returncode == 0, r.stderr
    ref = r.stdout.strip()
    assert ref.startswith("REC-")

    [invite] = sink.wait(ref, "invitation", to=PAT)  # Pat: from the borough
    [accept] = links(text_of(invite), "Accept")
    assert links(text_of(invite), "Decline")

    live.stop()  # a restart while the recruitment waits on Pat: nothing is lost or repeated
    live.start()
    time.sleep(3)
    assert len(sink.find(ref, "invitation")) == 1

    assert act_on_link(accept).status_code == 200
    assert act_on_link(accept).status_code == 410
    [jd] = sink.wait(ref, "job description", to=PAT)
    [comment] = links(text_of(jd), "Comment")
    assert act_on_link(comment, {"comment_1": "Mention lived experience."}).status_code == 200
    [questions] = sink.wait(ref, "questions", to=PAT)
    [propose] = links(text_of(questions), "Propose")
    assert act_on_link(propose, {"question_1": "How do you make people feel safe?"}).status_code == 200

    _, shown = live.cli_json("recruitment", "show", ref)
    assert shown["reference"] == ref and shown["status"] == "open"
    assert shown["invited"] == [PAT]
    [member] = shown["panel"]
    assert (member["email"], member["status"]) == (PAT, "accepted") and member["trained_until"]
    assert [c["text"] for c in shown["comments"]] == ["Mention lived experience."]
    r = live.cli("recruitment", "comment", ref, str(shown["comments"][0]["id"]), "--accept", "--reason",
                 "Added", "--by", HR)
    assert r.returncode == 0, r.stderr
    q_id = str(shown["questions"][0]["id"])
    assert live.cli("recruitment", "question-used", ref, "--question", q_id, "--by", HR).returncode == 0

    r = live.cli("recruitment", "attend", ref, "--member", PAT, "--by", HR)
    assert r.returncode == 0, r.stderr
    again = live.cli("recruitment", "attend", ref, "--member", PAT, "--by", HR)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    [thanks] = sink.wait(ref, "thank you", to=PAT)
    claim_ref = next(w.strip("(),.:") for w in str(thanks["Subject"]).split() if w.startswith("CLM-"))
    _, claim = live.cli_json("claims", "show", claim_ref)
    assert (claim["activity_kind"], claim["status"]) == ("interview_panel", "awaiting_confirmation")
    [confirm] = links(text_of(thanks), "Confirm")
    assert links(text_of(thanks), "Withdraw") and "/claim?" not in text_of(thanks)
    # the page's form as it comes (fee, no costs, pay arranged later) lacks Pat's declaration:
    # the page again with an error summary, and the link still works
    refused = act_on_link(confirm)
    assert refused.status_code == 400 and "There is a problem" in refused.text
    done = act_on_link(confirm, {"declaration": "yes", "public_transport": "5.60", "method": "voucher"})
    assert done.status_code == 200 and claim_ref in done.text
    assert act_on_link(confirm).status_code == 410  # once
    assert sink.wait(claim_ref, "approval", to=COORD)  # one claim, confirmed, in the claims flow
    _, claim = live.cli_json("claims", "show", claim_ref)
    assert (claim["activity_kind"], claim["status"], claim["expenses_amount"]) == (
        "interview_panel", "awaiting_approval", "5.60")
    assert [h["actor"] for h in claim["history"] if h["action"] == "confirm"] == [PAT]
    assert "duplicate_suspected" not in claim["flags"]

    r = live.cli("recruitment", "score", ref, "--member", PAT, "--candidate", "A", "--question", q_id,
                 "--score", "4", "--by", HR)
    assert r.returncode == 0, r.stderr
    r = live.cli("recruitment", "close", ref, "--outcome", "Appointed A", "--panel-view", "Agreed",
                 "--by", HR)
    assert r.returncode == 0, r.stderr
    _, shown = live.cli_json("recruitment", "show", ref)
    assert shown["status"] == "closed" and shown["panel"][0]["status"] == "attended"
    assert len(sink.find(ref, "invitation")) == 1


def test_training_and_the_api(staffed, sink):
    live = staffed
    day = (date.today() + timedelta(days=3)).isoformat()
    r = live.cli("training", "add", "--date", day, "--start", "10:00", "--end", "12:00", "--capacity", "4",
                 "--by", HR)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().isdigit()
    assert live.cli("training", "add", "--date", "2020-01-01", "--start", "10:00", "--end", "12:00",
                    "--capacity", "4", "--by", HR).returncode == 2

    token = live.cli("staff", "token", "--email", HR, "--by", HR).stdout.strip()
    body = {"title": "Clinical Psychologist", "staff_group": "psychologist", "borough": "redbridge",
            "interview_date": (date.today() + timedelta(days=10)).isoformat(), "panel_size": 1}
    api = live.url + "/api/recruitments"
    assert httpx.post(api, json=body, timeout=30).status_code == 401
    assert httpx.post(api, json=body, headers={"Authorization": "Bearer nope"}, timeout=30).status_code == 401
    bad = httpx.post(api, json=dict(body, staff_group="chef"), headers={"Authorization": f"Bearer {token}"},
                     timeout=30)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "staff_group"
    r = httpx.post(api, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    assert sink.wait(ref, "invitation", to=RAY)  # Ray: from the borough, and Pat is on another panel
    shown = httpx.get(f"{api}/{ref}", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert shown["invited"] == [RAY]
    assert wait_for(lambda: live.cli_json("recruitment", "show", ref)[1]["panel"][0]["status"] == "invited")
