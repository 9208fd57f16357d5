"""A whole recruitment through HR's pages alone (start, training, attendance, job description and the
comment decisions, questions, scores, close), with a panel member scoring through their Score: link."""
from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from involve.db import unit_of_work
from involve.services import recruitment_replies
from involve.services.people import add_person, add_staff
from involve.services.recruitment_panel import advance_due
from involve.views.recruitment import describe
from involve.web.app import create_app
from tests.integration.test_recruitment import TODAY, at, link, mails, signed
from tests.staff_sign_in import csrf, sign_in

HR, ANN, FAY = "hr@example.nhs.uk", "ann@example.org", "fay@example.org"


def dmy(day, prefix: str) -> dict:
    return {f"{prefix}[day]": day.day, f"{prefix}[month]": day.month, f"{prefix}[year]": day.year}  # NHS.UK names


def post(c: TestClient, url: str, page, **data):
    r = c.post(url, data={"csrf_token": csrf(page), **data}, follow_redirects=False)
    assert r.status_code == 303, r.text[-1500:]
    return c.get(r.headers["location"])


def test_a_whole_recruitment_through_the_hr_pages(db, monkeypatch):
    from involve import settings as settings_module

    monkeypatch.setenv("INVOLVE_STAFF_SESSION_IDLE_MINUTES", str(60 * 24 * 30))  # the clock jumps days ahead
    settings_module.reset_settings()
    at(-10, monkeypatch)
    with unit_of_work() as s:
        add_staff(s, email=HR, name="HR", roles=["hr"])
        add_person(s, email=ANN, name="Ann", borough="havering", recruitment_consent=True,
                   panel_trained_on=TODAY - timedelta(days=300))
        add_person(s, email=FAY, name="Fay", borough="havering", recruitment_consent=True)
    with TestClient(create_app()) as c:
        sign_in(c, HR)
        form = c.get("/staff/recruitment/new")
        bad = c.post("/staff/recruitment/new", data={"csrf_token": csrf(form), "title": "", "panel_size": "9"})
        assert bad.status_code == 400 and "There is a problem" in bad.text
        page = post(c, "/staff/recruitment/new", form, title="Band 6 Community Psychiatric Nurse", staff_group="cpn",
                    borough="havering", start="09:30", end="13:00", panel_size="2",
                    job_description="Draft: you will support people.", **dmy(TODAY, "interview_date"))
        ref = re.search(r"(REC-[0-9A-Z-]+)", page.text).group(1)
        assert "Community psychiatric nurse" in page.text and TODAY.strftime("%B %Y") in page.text
        advance_due()
        for who in (ANN, FAY):
            recruitment_replies.accept(signed(link("recruitment_invitation", who, "accept_url")))
        # training for Fay, who has none: a session, her booking, her attendance
        lst = c.get("/staff/recruitment")
        post(c, "/staff/training", lst, start="10:00", end="12:00", capacity="4",
             **dmy(TODAY - timedelta(days=5), "day"))
        advance_due()
        at(-5, monkeypatch)
        lst = c.get("/staff/recruitment")
        session_id = re.search(r'action="/staff/training/(\d+)/attend"', lst.text).group(1)
        lst = post(c, f"/staff/training/{session_id}/attend", lst, member=FAY)
        assert "Fay (fay@example.org): attended" in lst.text
        # the job description: a new draft, Ann's comment, HR's decision, the final text
        page = c.get(f"/staff/recruitment/{ref}")
        page = post(c, f"/staff/recruitment/{ref}/jd-draft", page, text="Draft two: you will support people.")
        advance_due()
        recruitment_replies.comment(signed(link("recruitment_jd_request", ANN, "comment_url")), ["Say recovery."])
        page = c.get(f"/staff/recruitment/{ref}")
        comment_id = describe(ref)["comments"][0]["id"]
        refused = c.post(f"/staff/recruitment/{ref}/comment", data={"csrf_token": csrf(page), "comment_id": comment_id,
                                                                     "decision": "accept", "reason": " "})
        assert refused.status_code == 409 and "reason is required" in refused.text
        page = post(c, f"/staff/recruitment/{ref}/comment", page, comment_id=comment_id, decision="accept",
                    reason="Added to the summary")
        page = post(c, f"/staff/recruitment/{ref}/jd-final", page, text="Final: you will support recovery.")
        [decision] = mails("recruitment_jd_decision", ANN)
        assert decision.context["comments"][0]["reason"] == "Added to the summary"
        # questions
        page = post(c, f"/staff/recruitment/{ref}/question-add", page, text="How do you make someone feel heard?")
        question_id = describe(ref)["questions"][0]["id"]
        page = post(c, f"/staff/recruitment/{ref}/question-used", page, question=question_id)
        # the interview day: attendance, scores (HR for Ann; Fay through her Score: link), close
        at(0, monkeypatch)
        page = c.get(f"/staff/recruitment/{ref}")
        for who in (ANN, FAY):
            page = post(c, f"/staff/recruitment/{ref}/attend", page, member=who)
        page = post(c, f"/staff/recruitment/{ref}/score", page, member=ANN, candidate="Candidate A",
                    question=question_id, score="4")
        score_link = re.sub(r"^https?://[^/]+", "", link("recruitment_thanks", FAY, "score_url"))
        own = c.get(score_link)
        assert own.status_code == 200 and "How do you make someone feel heard?" in own.text
        done = c.post(score_link, data={"confirm": "yes", "candidate_1": "Candidate A", "question_1": question_id,
                                        "score_1": "5", "candidate_2": "Candidate B", "question_2": question_id,
                                        "score_2": "3"})
        assert done.status_code == 200 and "2 scores" in done.text
        assert c.get(score_link).status_code == 410
        page = c.get(f"/staff/recruitment/{ref}")
        page = post(c, f"/staff/recruitment/{ref}/close", page, outcome="Candidate A appointed",
                    panel_view="The panel's scores were a third of the decision")
    rec = describe(ref)
    assert rec["status"] == "closed" and {m["status"] for m in rec["panel"]} == {"attended"}
    assert sorted((x["member"], x["candidate"], x["score"]) for x in rec["scores"]) == [
        (ANN, "Candidate A", 4), (FAY, "Candidate A", 5), (FAY, "Candidate B", 3)]
    assert rec["job_description_final"] == "Final: you will support recovery."
    assert "Closed" in page.text and ">cpn<" not in page.text
