"""Who may decide a claim: the one place that answers "may this person approve / reject / pay / ask
about this claim, and if not, why not", and "whom do we ask to approve it".

Pure rules over plain facts (no I/O). The claim services enforce them, the processing and reminder
services use them to pick approvers, and the staff pages use them to decide which buttons to show,
so a page never offers an action the service then refuses.

    approve   awaiting_approval: the named approver (a lead or co-ordinator), or any co-ordinator;
              awaiting_second_approval: a co-ordinator or PPI lead other than the first approver
    reject    as approve, and a PPI lead may reject at the second approval
    ask       as reject (the claim then needs information from the claimant)
    pay       finance, never the person who approved it (either approval)
    view      the claim's page (name, email, history): co-ordinators and PPI leads every claim; a lead the
              claims led by, routed to or approved by them (the same claims as their list); finance the
              claims at the payment stage; anyone who may act on it now (`may_view`)
    nobody decides or pays their own claim; nobody acts for a claim in a status the transition table
    (involve/domain/transitions.py) does not allow the action from.

Whom to ask skips staff who are away: `away` maps each address away today to their delegate (or
None). A named approver who is away is replaced by their delegate (who becomes the named approver);
co-ordinators who are away are replaced by theirs. Nobody away is ever asked or reminded.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from involve.domain.emails import address_key
from involve.domain.transitions import PAST_TENSE, can

APPROVER_ROLES = ("lead", "coordinator")          # first approval (a lead only for claims routed to them)
SECOND_APPROVER_ROLES = ("coordinator", "ppi_lead")
DECIDER_ROLES = ("lead", "coordinator", "ppi_lead")  # may see claims to decide them
PAYER_ROLES = ("finance",)
ACTIONS = ("approve", "reject", "ask", "pay")


@dataclass(frozen=True)
class Actor:
    """A member of staff as the rules see them: an address (canonical form) and the roles held."""
    email: str
    roles: frozenset[str] = field(default_factory=frozenset)
    active: bool = True

    def has(self, *roles: str) -> bool:
        return self.active and bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class ClaimFacts:
    """What the rules need to know about a claim."""
    reference: str
    status: str
    claimant_email: str
    lead_email: str | None = None           # the activity lead named on the claim, if any
    approver_email: str | None = None       # the named approver (set when the claim is routed), if any
    approved_by: str | None = None
    second_approved_by: str | None = None
    flags: tuple[str, ...] = ()
    keyed_by: str | None = None             # who confirmed it for the person by phone, if anyone

    @classmethod
    def of(cls, claim) -> ClaimFacts:
        """From a `models.Claim` (or anything with the same attributes). Every address is put in its
        canonical form (involve.domain.emails), so a stored `Name <addr>` or a different case is
        still the same person to every rule here."""
        key = address_key
        return cls(reference=claim.reference, status=claim.status, claimant_email=key(claim.claimant_email),
                   lead_email=key(claim.lead_email) or None, approver_email=key(claim.approver_email) or None,
                   approved_by=key(claim.approved_by) or None,
                   second_approved_by=key(claim.second_approved_by) or None, flags=tuple(claim.flags or ()),
                   keyed_by=key(getattr(claim, "keyed_by", None)) or None)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""                 # one plain sentence when refused
    transition: str | None = None    # the transition-table action to apply when allowed
    wrong_state: bool = False        # refused because of the claim's status, not the person

    def __bool__(self) -> bool:
        return self.allowed


def _no(reason: str) -> Decision:
    return Decision(False, reason)


def _status_refusal(action: str, claim: ClaimFacts) -> Decision:
    verb = PAST_TENSE.get(action, action + "ed")
    return Decision(False, f"{claim.reference} is {claim.status}; it cannot be {verb} now", wrong_state=True)


def may(actor: Actor, action: str, claim: ClaimFacts) -> Decision:
    """May `actor` do `action` (approve, reject, ask, pay) to `claim` now? The reason says why not."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    who = actor.email
    if not actor.active:
        return _no(f"{who} is not registered as staff, so cannot {action} claims")
    if who == claim.claimant_email:
        verb = {"pay": "record payment of", "approve": "approve"}.get(action, "decide")
        return _no(f"{who} cannot {verb} their own claim")
    if action == "pay":
        return _may_pay(actor, claim)
    if action == "approve":
        return _may_approve(actor, claim)
    return _may_reject_or_ask(actor, action, claim)


def _may_approve(actor: Actor, claim: ClaimFacts) -> Decision:
    who = actor.email
    if claim.keyed_by and claim.keyed_by == who:
        return _no(f"{who} confirmed {claim.reference} for the person, so someone else must approve it")
    if claim.status == "awaiting_second_approval":
        if not actor.has(*SECOND_APPROVER_ROLES):
            return _no(f"{who} cannot give the second approval: that needs the role "
                       f"{' or '.join(SECOND_APPROVER_ROLES)}")
        if who == claim.approved_by:
            return _no(f"{who} gave the first approval; the second approver must be someone else")
        return Decision(True, transition="approve")
    if not actor.has(*APPROVER_ROLES):
        return _no(f"{who} cannot approve claims: that needs the role {' or '.join(APPROVER_ROLES)}")
    if not actor.has("coordinator") and claim.approver_email != who:
        return _no(f"{who} is not the approver for {claim.reference}; a co-ordinator can approve it")
    transition = "first_approve" if "second_approval" in claim.flags else "approve"
    if not can(transition, claim.status):
        return _status_refusal("approve", claim)
    return Decision(True, transition=transition)


def _may_reject_or_ask(actor: Actor, action: str, claim: ClaimFacts) -> Decision:
    who = actor.email
    doing = "reject claims" if action == "reject" else "ask about claims"
    if not actor.has(*DECIDER_ROLES):
        return _no(f"{who} cannot {doing}: that needs the role {' or '.join(DECIDER_ROLES)}")
    if not actor.has("coordinator") and claim.approver_email != who and not (
            claim.status == "awaiting_second_approval" and actor.has("ppi_lead")):
        return _no(f"{who} is not the approver for {claim.reference}; a co-ordinator can "
                   f"{'reject it' if action == 'reject' else 'ask about it'}")
    transition = "reject" if action == "reject" else "ask"
    if action == "ask" and claim.status not in ("awaiting_approval", "awaiting_second_approval"):
        return _status_refusal("ask", claim)
    if action == "reject" and not can(transition, claim.status):
        return _status_refusal("reject", claim)
    return Decision(True, transition=transition)


def _may_pay(actor: Actor, claim: ClaimFacts) -> Decision:
    who = actor.email
    if not actor.has(*PAYER_ROLES):
        return _no(f"{who} cannot record payments: that needs the role finance")
    if not can("pay", claim.status):
        return _status_refusal("pay", claim)
    if who in (claim.approved_by, claim.second_approved_by):
        return _no(f"{who} approved {claim.reference}, so someone else in finance must record its payment")
    return Decision(True, transition="pay")


def allowed_actions(actor: Actor, claim: ClaimFacts) -> frozenset[str]:
    """Every action `actor` may take on `claim` now: what a page shows as buttons."""
    return frozenset(a for a in ACTIONS if may(actor, a, claim))


SEE_EVERY_CLAIM_ROLES = ("coordinator", "ppi_lead")
PAYMENT_STAGE = ("approved", "paid", "payment_failed")


def may_view(actor: Actor, claim: ClaimFacts) -> bool:
    """May `actor` open `claim`'s page (the person's name and email, the history)? Co-ordinators and PPI
    leads see every claim; a lead the claims led by, routed to or approved by them; finance the claims
    at the payment stage; anyone else only a claim they may act on now."""
    if not actor.active:
        return False
    if actor.has(*SEE_EVERY_CLAIM_ROLES):
        return True
    if actor.has("lead") and actor.email in (claim.lead_email, claim.approver_email, claim.approved_by,
                                             claim.second_approved_by):
        return True
    if actor.has(*PAYER_ROLES) and claim.status in PAYMENT_STAGE:
        return True
    return bool(allowed_actions(actor, claim))


# ---- whom to ask ---------------------------------------------------------------------------------

Staff = Mapping[str, Iterable[str]]  # active staff: canonical email -> roles
Away = Mapping[str, str | None]      # staff away today: email -> delegate (or None)
NOBODY_AWAY: Away = {}


def covering(email: str, away: Away, limit: int = 5) -> str | None:
    """Who acts for `email` today: themselves when not away, else their delegate (followed along a
    chain of absences, at most `limit` steps); None when away with nobody present to cover."""
    seen = {email}
    for _ in range(limit):
        if email not in away:
            return email
        nxt = away[email]
        if nxt is None or nxt in seen:
            return None
        seen.add(nxt)
        email = nxt
    return None


def _present(emails: Iterable[str], away: Away, staff: Staff, roles: Iterable[str],
             exclude: Iterable[str]) -> list[str]:
    """`emails`, each replaced by whoever covers for them, keeping only staff holding one of `roles`."""
    out, skip, want = set(), set(exclude), set(roles)
    for e in emails:
        who = covering(e, away)
        if who and who not in skip and who in staff and set(staff[who]) & want:
            out.add(who)
    return sorted(out)


def approvers_for(claim: ClaimFacts, staff: Staff, away: Away = NOBODY_AWAY) -> tuple[list[str], str | None]:
    """(emails to ask for the first approval, the named approver or None): the activity lead when they
    are staff with an approver role (or whoever covers for them while they are away), else every
    co-ordinator present; never the claimant, nor whoever keyed the claim for the person by phone."""
    lead = address_key(claim.lead_email)
    never = (claim.claimant_email, claim.keyed_by)
    if lead and lead in staff and set(staff[lead]) & set(APPROVER_ROLES) and lead not in never:
        who = covering(lead, away)
        if who and who not in never and who in staff and set(staff[who]) & set(APPROVER_ROLES):
            return [who], who
    coordinators = [e for e, roles in staff.items() if "coordinator" in roles]
    return _present(coordinators, away, staff, ("coordinator",), never), None


def second_approvers(claim: ClaimFacts, staff: Staff, away: Away = NOBODY_AWAY) -> list[str]:
    """Whom to ask for the second approval: co-ordinators and PPI leads (present, or their delegates)
    other than the first approver."""
    eligible = [e for e, roles in staff.items() if set(roles) & set(SECOND_APPROVER_ROLES)]
    return _present(eligible, away, staff, SECOND_APPROVER_ROLES,
                    (claim.approved_by, claim.claimant_email, claim.keyed_by))


def waiting_on(claim: ClaimFacts, staff: Staff, away: Away = NOBODY_AWAY) -> list[str]:
    """Who a waiting claim is waiting on now (for reminders): never someone away."""
    if claim.status == "awaiting_second_approval":
        return second_approvers(claim, staff, away)
    if claim.status == "awaiting_approval":
        who = covering(claim.approver_email, away) if claim.approver_email else None
        if who and who in staff and set(staff[who]) & set(APPROVER_ROLES):
            return [who]
        return approvers_for(claim, staff, away)[0]
    return []


def escalation_recipients(claim: ClaimFacts, staff: Staff, away: Away = NOBODY_AWAY) -> list[str]:
    """Every co-ordinator present (never the claimant, never the first approver at a second approval)."""
    exclude = (claim.claimant_email, claim.keyed_by, claim.approved_by) \
        if claim.status == "awaiting_second_approval" else (claim.claimant_email, claim.keyed_by)
    return sorted(e for e, roles in staff.items() if "coordinator" in roles and e not in away and e not in exclude)
