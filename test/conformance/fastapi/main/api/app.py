"""FastAPI app. Loads .env.local BEFORE importing the dependencies that read it at import.

  POST   /jobs           201, the job (any signed-in user; the job records sub and the active org)
  GET    /jobs           the caller's own jobs
  GET    /jobs/{job_id}  owner only; another user's job is 404, like an unknown id
  DELETE /jobs/{job_id}  org:admin of the job's organization only (403 otherwise); 204

The exact authorization rule is at the top of authz.py.
"""
import logging
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List

from dotenv import load_dotenv

from ..faults import on

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
logger = logging.getLogger("main.api")

env_file = Path(os.getenv("APP_ENV_FILE") or Path(__file__).resolve().parent.parent.parent / ".env.local")


def _load_env() -> None:
    if env_file.exists():
        load_dotenv(env_file)
        logger.info("Loaded environment variables from %s", env_file)
    else:
        logger.warning("No env file at %s", env_file)


if on("env-not-loaded"):
    # The anti-pattern from the seeds: dependencies imported first, env loaded too late.
    from .dependencies import require_clerk_user  # noqa: E402

    _load_env()
else:
    _load_env()
    from .dependencies import require_clerk_user  # noqa: E402

from fastapi import Depends, FastAPI, Request, Response, status  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from .audit import log_job_created, log_job_event  # noqa: E402
from .authz import delete_guard, deny  # noqa: E402
from .models import ClerkClaims, JobCreate, JobCreated, JobRecord  # noqa: E402

app = FastAPI(title="Conformance jobs API (FastAPI + PyJWT)")
_jobs: Dict[str, JobRecord] = {}


@app.get("/health")
def health() -> Dict[str, str]:
    return {"status": "ok"}


@app.post("/jobs", status_code=status.HTTP_201_CREATED, response_model=JobCreated)
def create_job(job: JobCreate, user: ClerkClaims = Depends(require_clerk_user)):
    created = JobCreated(
        job_id=str(uuid.uuid4()),
        status="pending",
        created_by=user.sub,
        created_at=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    )
    org = user.active_organization()
    _jobs[created.job_id] = JobRecord(**created.dict(), org_id=org.id if org else None)
    log_job_created(created.job_id, user)
    if on("status-200"):
        return JSONResponse(status_code=200, content=created.dict())
    return created


@app.get("/jobs", response_model=List[JobCreated])
def list_jobs(user: ClerkClaims = Depends(require_clerk_user)):
    return [j for j in _jobs.values() if j.created_by == user.sub]


@app.get("/jobs/{job_id}", response_model=JobCreated)
def read_job(job_id: str, request: Request, user: ClerkClaims = Depends(require_clerk_user)):
    job = _jobs.get(job_id)
    if job is None:
        raise deny(request, user, status.HTTP_404_NOT_FOUND, "Job not found", "job-not-found")
    if job.created_by != user.sub and not on("skip-ownership-check"):
        raise deny(request, user, status.HTTP_404_NOT_FOUND, "Job not found", "not-owner")
    log_job_event("job_read", job_id, user)
    return job


@app.delete("/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_job(job_id: str, request: Request, user: ClerkClaims = Depends(delete_guard)):
    job = _jobs.get(job_id)
    if job is None:
        raise deny(request, user, status.HTTP_404_NOT_FOUND, "Job not found", "job-not-found")
    org = user.active_organization()
    # Step 4; skip-ownership-check forgets it, skip-role-check has no guard at all.
    if not on("skip-ownership-check") and not on("skip-role-check") and (org is None or job.org_id != org.id):
        raise deny(request, user, status.HTTP_403_FORBIDDEN, "requires role org:admin in the job's organization", "other-organization")
    log_job_event("job_deleted", job_id, user)
    del _jobs[job_id]
    return Response(status_code=status.HTTP_204_NO_CONTENT)
