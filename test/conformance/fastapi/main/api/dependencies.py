"""Clerk session JWT verification (networkless: the instance PEM from the dashboard / JWKS).

Reads its configuration at import time, like the seeds' project: app.py must load .env.local
before importing this module.
"""
import logging
import os
from typing import Any, Dict, Optional

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from ..faults import on
from .audit import log_auth_failed
from .models import ClerkClaims

logger = logging.getLogger("main.api.auth")

CLERK_PEM_PUBLIC_KEY = os.getenv("CLERK_PEM_PUBLIC_KEY")
CLERK_ISSUER = os.getenv("CLERK_ISSUER")
CLERK_JWT_AUDIENCE = os.getenv("CLERK_JWT_AUDIENCE")

if not CLERK_PEM_PUBLIC_KEY:
    logger.critical("CLERK_PEM_PUBLIC_KEY is not set; every protected request will answer 500")

# auto_error=False so a missing header is answered 401 (FastAPI < 0.122 would answer 403).
security = HTTPBearer() if on("forbid-missing-header") else HTTPBearer(auto_error=False)


def _refuse(request: Request, status_code: int, detail: str, headers: Optional[Dict[str, str]] = None) -> HTTPException:
    log_auth_failed(detail, status_code, request.method, request.url.path)
    return HTTPException(status_code=status_code, detail=detail, headers=headers)


def _decode(token: str) -> Dict[str, Any]:
    verify_options: Dict[str, Any] = {
        "verify_aud": False,  # session tokens carry no 'aud'
        "require": ["exp", "iat", "sub"],
    }
    kwargs: Dict[str, Any] = {"issuer": CLERK_ISSUER, "leeway": 10}  # 10 s clock-skew tolerance
    algorithms = ["RS256"]

    if on("no-exp-required"):
        del verify_options["require"]
    if on("accept-expired"):
        verify_options["verify_exp"] = False  # "tokens only live 60 s, tests kept failing"
    if on("no-signature-check"):
        verify_options["verify_signature"] = False
    if on("alg-none"):
        # "support unsigned tokens from the local dev tool"
        if str(jwt.get_unverified_header(token).get("alg", "")).lower() == "none":
            verify_options["verify_signature"] = False
    if on("issuer-unchecked"):
        del kwargs["issuer"]
    if on("require-aud"):
        verify_options["verify_aud"] = True
        kwargs["audience"] = CLERK_JWT_AUDIENCE
    if on("no-leeway"):
        # The seeds' variant: leeway put inside options, where PyJWT silently ignores it.
        del kwargs["leeway"]
        verify_options["leeway"] = 10

    return jwt.decode(token, CLERK_PEM_PUBLIC_KEY, algorithms=algorithms, options=verify_options, **kwargs)


def require_clerk_user(
    request: Request,
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(security),
) -> ClerkClaims:
    if credentials is None:
        raise _refuse(request, status.HTTP_401_UNAUTHORIZED, "Not authenticated", {"WWW-Authenticate": "Bearer"})

    if not CLERK_PEM_PUBLIC_KEY:
        raise _refuse(
            request,
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)",
        )

    try:
        payload = _decode(credentials.credentials)
    except jwt.ExpiredSignatureError:
        raise _refuse(request, status.HTTP_401_UNAUTHORIZED, "Token expired", {"WWW-Authenticate": "Bearer"})
    except jwt.InvalidSignatureError:
        raise _refuse(request, status.HTTP_401_UNAUTHORIZED, "Invalid token signature", {"WWW-Authenticate": "Bearer"})
    except jwt.InvalidTokenError as e:
        raise _refuse(request, status.HTTP_401_UNAUTHORIZED, f"Token validation failed: {e}", {"WWW-Authenticate": "Bearer"})

    try:
        user_claims = ClerkClaims(**payload)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise _refuse(request, status.HTTP_401_UNAUTHORIZED, f"Token validation failed: {field} {first['msg']}", {"WWW-Authenticate": "Bearer"})

    if not user_claims.email:
        logger.warning("JWT missing 'email' claim for user %s", user_claims.sub)
    return user_claims
