"""ALCOA+ audit trail: one JSON object per line in AUDIT_DIR/audit_YYYYMMDD.jsonl (UTC date)."""
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Optional

from ..faults import on

AUDIT_DIR = Path(os.getenv("AUDIT_DIR", "logs/audit/jobs"))
_lock = threading.Lock()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _write(entry: Dict[str, Any]) -> None:
    if on("audit-none"):
        return  # the "temporarily disabled" audit writer
    now = _now()
    AUDIT_DIR.mkdir(parents=True, exist_ok=True)
    path = AUDIT_DIR / f"audit_{now.strftime('%Y%m%d')}.jsonl"
    line = json.dumps(entry, separators=(",", ":"))
    with _lock, path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def log_job_created(job_id: str, claims: Any) -> None:
    log_job_event("job_created", job_id, claims)


def log_job_event(event: str, job_id: str, claims: Any) -> None:
    """The attributed line of an accepted request: job_created, job_read, job_deleted."""
    entry: Dict[str, Any] = {
        "event": event,
        "timestamp": _now().isoformat().replace("+00:00", "Z"),
        "job_id": job_id,
        "user_id": claims.sid if on("audit-wrong-user") else claims.sub,
        "user_email": claims.email,
        "session_id": claims.sid,
        "token_iat": claims.iat,
        "alcoa_attributable": True,
        "alcoa_contemporaneous": True,
    }
    if on("audit-no-iat"):
        del entry["token_iat"]
    _write(entry)


def log_auth_failed(reason: str, status_code: int, method: str, path: str, user_id: Optional[str] = None) -> None:
    _write(
        {
            "event": "auth_failed",
            "timestamp": _now().isoformat().replace("+00:00", "Z"),
            "reason": reason,
            "status_code": status_code,
            "method": method,
            "path": path,
            "user_id": user_id,
            "alcoa_attributable": False,
            "alcoa_contemporaneous": True,
        }
    )


def log_access_denied(reason: str, status_code: int, method: str, path: str, claims: Any, job_id: Optional[str]) -> None:
    """An authorization refusal: the caller is verified, so the line is attributed, but says denied."""
    _write(
        {
            "event": "access_denied",
            "timestamp": _now().isoformat().replace("+00:00", "Z"),
            "reason": reason,
            "status_code": status_code,
            "method": method,
            "path": path,
            "job_id": job_id,
            "user_id": claims.sub,
            "session_id": claims.sid,
            "token_iat": claims.iat,
            "alcoa_attributable": True,
            "alcoa_contemporaneous": True,
        }
    )
