"""reviewer: audit e-commerce customer-service chats against platform rules."""

__version__ = "0.1.0"

from .audit import Auditor, AuditSummary, audit_file  # noqa: E402
from .config import Settings, load_settings  # noqa: E402
from .errors import ConfigError, InputError, JudgeError, ReviewerError, RuleError  # noqa: E402
from .ingest import Reject, load_conversations, read_conversations  # noqa: E402
from .judge import Judge, JudgeItem, make_judge  # noqa: E402
from .models import AuditRecord, Candidate, Conversation, Finding, Scorecard, Verdict  # noqa: E402
from .rules import Catalog, RulePass, load_catalog  # noqa: E402

__all__ = [
    "AuditRecord", "AuditSummary", "Auditor", "Candidate", "Catalog", "ConfigError", "Conversation", "Finding",
    "InputError", "Judge", "JudgeError", "JudgeItem", "Reject", "ReviewerError", "RuleError", "RulePass",
    "Scorecard", "Settings", "Verdict", "__version__", "audit_file", "load_catalog", "load_conversations",
    "load_settings", "make_judge", "read_conversations",
]
