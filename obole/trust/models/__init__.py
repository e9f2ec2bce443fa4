from obole.trust.models.audit import AppendOnlyError, AuditEntry
from obole.trust.models.counter import Counter, Refusal, RuleHit
from obole.trust.models.report import Report
from obole.trust.models.standing import Standing

__all__ = ["AppendOnlyError", "AuditEntry", "Counter", "Refusal", "Report", "RuleHit", "Standing"]
