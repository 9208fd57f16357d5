"""The exceptions involve raises on purpose.

    InvolveError                    base: a refused action, shown to a person as one line
    ├── SettingsError               a bad INVOLVE_* setting at start-up
    ├── PolicyError                 the payments policy file fails validation, or has no period for a date
    ├── InvalidClaim                a claim breaks the claim rules (carries a list of field errors)
    ├── NotFound                    no claim / person / recruitment with that reference
    ├── NotAllowed                  the acting person lacks the role, or acts on their own claim
    ├── WrongState                  the action is not legal from the entity's current status
    ├── AlreadyPaid                 a second payment of the same claim (a WrongState)
    ├── LinkInvalid                 an action link is forged, expired or already used
    ├── DuplicateDelivery           a webhook delivery id seen before with a different body
    └── IntakeUnavailable           intake's writer process did not answer: send the claim again (503)

The CLI prints `str(exc)` to stderr and exits 2; the web layer maps each class to a status.
"""
from __future__ import annotations


class InvolveError(Exception):
    """Base class: a refused action with a plain-language message."""


class SettingsError(InvolveError):
    """Raised at start-up when an INVOLVE_* setting cannot be used; the message names the variable."""


class PolicyError(InvolveError):
    """Raised when the payments policy fails validation or has no period covering a date."""


class InvalidClaim(InvolveError):
    """Raised when a claim breaks the rules; `errors` is a list of {field, message}."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        first = errors[0] if errors else {"field": "?", "message": "invalid"}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first['field']}: {first['message']}{more}")

    def __reduce__(self):  # pickled with its errors (intake's writer process sends it back: involve/intake_writer.py)
        return (type(self), (self.errors,))


class NotFound(InvolveError):
    """Raised when a reference names nothing that exists."""


class NotAllowed(InvolveError):
    """Raised when the acting person may not take this action (role, own claim, approver pays)."""


class WrongState(InvolveError):
    """Raised when an action is not a legal transition from the current status."""


class AlreadyPaid(WrongState):
    """Raised when a payment is recorded for a claim that is already paid."""


class LinkInvalid(InvolveError):
    """Raised when an action link is forged, expired or already used."""


class DuplicateDelivery(InvolveError):
    """Raised when a delivery id arrives again with a different body."""


class IntakeUnavailable(InvolveError):
    """Raised when intake's writer process died or did not answer; nothing may have been stored, so the
    sender is asked to send the claim again (a claim that was stored answers 200 the second time)."""
