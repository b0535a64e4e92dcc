"""ORM models: the catalogue, people who use ROMIN, feedback, ranking weights, index state."""

from app.models.accounts import ApiToken, User
from app.models.base import Base
from app.models.catalogue import RiskFactor, Support, Tool, ToolRiskFactor, tool_risk_factors
from app.models.curation import ToolRevision, WorkflowStep
from app.models.feedback import Feedback
from app.models.index_job import IndexJob
from app.models.index_state import IndexState
from app.models.moderation import CommentDecision, CommentReport
from app.models.outbox import IndexOutbox
from app.models.plans import SavedPlan
from app.models.ranking import RankingWeightsVersion, ScorePrior
from app.models.rate_limits import RateLimitCounter
from app.models.workspace import FactorFollow, Favourite, OfficerAlerts, SupportDownload, ToolNews

__all__ = [
    "Base",
    "RiskFactor",
    "Support",
    "Tool",
    "ToolRiskFactor",
    "tool_risk_factors",
    "ApiToken",
    "User",
    "Feedback",
    "RankingWeightsVersion",
    "ScorePrior",
    "IndexState",
    "IndexOutbox",
    "ToolRevision",
    "WorkflowStep",
    "IndexJob",
    "CommentDecision",
    "CommentReport",
    "RateLimitCounter",
    "Favourite",
    "FactorFollow",
    "SupportDownload",
    "ToolNews",
    "OfficerAlerts",
    "SavedPlan",
]
