"""Authorization guards: who may read and delete a job (issue 11).

The rule, over the claims PyJWT verified (require_clerk_user):

  GET    /jobs/{job_id}  owner only: job.created_by must be the token's sub. Another user's job
                         answers 404 {"detail": "Job not found"}, exactly like an unknown id.
  DELETE /jobs/{job_id}  organization admins only (require_org_admin, then the route), in order:
                         1. no active organization in the token        -> 403
                         2. its role is not org:admin                   -> 403 {"detail": "requires role org:admin"}
                            (both before the lookup: a non-admin learns nothing about ids)
                         3. unknown id                                  -> 404
                         4. the job's organization (the creator's active org at POST /jobs, or
                            None) is not the caller's active org        -> 403
                         else 204 and the job is gone. A job created without an active
                         organization can be deleted by nobody.

The role is read from the v2 claim `o.rol` ("admin", without the "org:" prefix, so compared as
"org:" + rol), or from the v1 claim `org_role` ("org:admin") when the token has no `v: 2`.
Every refusal writes an access_denied audit line.
"""
from fastapi import Depends, HTTPException, Request, status

from ..faults import on
from .audit import log_access_denied
from .dependencies import require_clerk_user
from .models import ClerkClaims

ADMIN_ROLE = "org:admin"


def deny(request: Request, user: ClerkClaims, status_code: int, detail: str, reason: str) -> HTTPException:
    """A refusal of a verified caller (403/404), audited. Unknown ids keep their 404 under any fault."""
    if on("wrong-refusal-status") and reason != "job-not-found":
        # The fault: the refusal copied from the authentication path.
        status_code = status.HTTP_401_UNAUTHORIZED
    log_access_denied(reason, status_code, request.method, request.url.path, user, request.path_params.get("job_id"))
    return HTTPException(status_code=status_code, detail=detail)


def require_org_admin(request: Request, user: ClerkClaims = Depends(require_clerk_user)) -> ClerkClaims:
    """Steps 1-2: an active organization in which the caller holds org:admin."""
    org = user.active_organization()
    if org is None:
        raise deny(request, user, status.HTTP_403_FORBIDDEN, f"requires role {ADMIN_ROLE} (no active organization in the session token)", "no-active-organization")
    if org.role != ADMIN_ROLE:
        raise deny(request, user, status.HTTP_403_FORBIDDEN, f"requires role {ADMIN_ROLE}", "missing-role")
    return user


# The fault skip-role-check: the route wired with the sign-in dependency only (no guard at all).
delete_guard = require_clerk_user if on("skip-role-check") else require_org_admin
