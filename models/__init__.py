"""SQLAlchemy models: the database is the source of truth for every flow.

Import `Base` and the model classes from here; Alembic reads `Base.metadata`.
"""
from models.audit import AuditHead, AuditRecord
from models.base import Base
from models.claimant import ClaimQuestion, Receipt, ReceiptFetch, StoredFile
from models.claims import Claim, Delivery, ExpenseLine, Payment, PaymentFailure, PaymentRun
from models.finance import Budget, Payee, PayrollExport, PayrollLine
from models.outbox import LinkToken, OutboxEmail
from models.people import Person, Staff, StaffSession, StaffSignInLink
from models.programme import (
    Activity,
    ActivityInvite,
    BuddyPair,
    Forum,
    ForumMember,
    PlanAction,
    PlanUpdate,
    SupportRequest,
    UnmetNeed,
)
from models.recruitment import (
                                JdComment,
                                PanelMember,
                                PanelScore,
                                Question,
                                QuestionUse,
                                Recruitment,
                                TrainingBooking,
                                TrainingSession,
)

__all__ = [
    "Base", "Person", "Staff", "StaffSession", "StaffSignInLink",
    "Claim", "Delivery", "ExpenseLine", "Payment", "PaymentFailure", "PaymentRun",
    "AuditHead", "AuditRecord", "LinkToken", "OutboxEmail",
    "Recruitment", "PanelMember", "TrainingSession", "TrainingBooking", "JdComment", "Question", "QuestionUse",
    "PanelScore", "PlanAction", "PlanUpdate", "Forum", "ForumMember", "Activity", "ActivityInvite", "BuddyPair",
    "SupportRequest", "UnmetNeed",
    "Payee", "PayrollExport", "PayrollLine", "Budget", "Receipt", "ReceiptFetch", "StoredFile", "ClaimQuestion",
]
