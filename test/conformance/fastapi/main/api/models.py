"""Pydantic models: the Clerk session claims we rely on, and the job resources."""
from typing import Any, Dict, NamedTuple, Optional

from pydantic import BaseModel, Field

from ..faults import on


class ActiveOrganization(NamedTuple):
    id: str
    role: Optional[str]  # with the "org:" prefix, e.g. "org:admin"


class ClerkClaims(BaseModel):
    sub: str = Field(..., description="Clerk user id (user_...)")
    sid: Optional[str] = Field(default=None, description="Clerk session id (sess_...)")
    iat: int
    exp: Optional[int] = None
    iss: Optional[str] = None
    azp: Optional[str] = None
    v: Optional[int] = Field(default=None, description="2 for v2 session tokens (absent in v1)")
    o: Optional[Dict[str, Any]] = Field(default=None, description="v2 active organization {id, slg, rol, per, fpm}")
    org_id: Optional[str] = Field(default=None, description="v1 active organization id")
    org_role: Optional[str] = Field(default=None, description='v1 role, already prefixed ("org:admin")')
    if on("require-email"):
        # The mistake from the seeds: email made mandatory although session tokens rarely carry it.
        email: str = Field(..., description="User email")
    else:
        email: Optional[str] = Field(default=None, description="User email (optional in session tokens)")

    class Config:
        extra = "allow"

    def active_organization(self) -> Optional[ActiveOrganization]:
        """The session's active organization: v2 `o` (rol has no "org:" prefix), else v1 flat claims."""
        if self.v == 2:
            org = self.o or {}
            org_id, role = org.get("id"), org.get("rol")
        else:
            org_id, role = self.org_id, self.org_role
        if not isinstance(org_id, str) or not org_id:
            return None
        if isinstance(role, str) and role:
            role = role if role.startswith("org:") else f"org:{role}"
        else:
            role = None
        return ActiveOrganization(org_id, role)


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


class JobRecord(JobCreated):
    """What the store keeps: the job plus the creator's active organization (never in responses)."""
    org_id: Optional[str] = None
