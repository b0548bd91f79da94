"""Pydantic models: the Clerk session claims we rely on, and the job resources."""
from typing import Any, Dict, Optional

from pydantic import BaseModel, Field

from ..faults import on


class ClerkClaims(BaseModel):
    sub: str = Field(..., description="Clerk user id (user_...)")
    sid: Optional[str] = Field(default=None, description="Clerk session id (sess_...)")
    iat: int
    exp: Optional[int] = None
    iss: Optional[str] = None
    azp: Optional[str] = None
    if on("require-email"):
        # The mistake from the seeds: email made mandatory although session tokens rarely carry it.
        email: str = Field(..., description="User email")
    else:
        email: Optional[str] = Field(default=None, description="User email (optional in session tokens)")

    class Config:
        extra = "allow"


class JobCreate(BaseModel):
    name: Optional[str] = None
    payload: Dict[str, Any] = Field(default_factory=dict)

    class Config:
        extra = "allow"


class JobCreated(BaseModel):
    job_id: str
    status: str = "pending"
    created_by: str
    created_at: str
