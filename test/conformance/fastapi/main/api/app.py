"""FastAPI app. Loads .env.local BEFORE importing the dependencies that read it at import."""
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

from fastapi import Depends, FastAPI, status  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from .audit import log_job_created  # noqa: E402
from .models import ClerkClaims, JobCreate, JobCreated  # noqa: E402

app = FastAPI(title="Conformance jobs API (FastAPI + PyJWT)")
_jobs: Dict[str, JobCreated] = {}


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
    _jobs[created.job_id] = created
    log_job_created(created.job_id, user)
    if on("status-200"):
        return JSONResponse(status_code=200, content=created.dict())
    return created


@app.get("/jobs", response_model=List[JobCreated])
def list_jobs(user: ClerkClaims = Depends(require_clerk_user)):
    return [j for j in _jobs.values() if j.created_by == user.sub]
