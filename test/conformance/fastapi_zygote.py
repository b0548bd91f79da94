"""Zygote for the FastAPI conformance backend: pay the third-party imports once per test worker.

Started by test/conformance/backends.ts as `/usr/bin/python3 -B fastapi_zygote.py <serve.py>`.
It imports what serve.py and the app import from third parties (uvicorn, fastapi, pydantic, PyJWT,
python-dotenv, cryptography), never the app itself (main.*: it reads FAULTS and the env file at
import), then forks one child per backend. Each child is a real, separate process: it takes its own
cwd and environment, then runs serve.py unchanged (runpy, as `python3 serve.py` would), so the app
is imported fresh in every backend and a broken app still fails before LISTENING.

Protocol: one JSON array per line.
  stdin  ["start", id, cwd, env]   fork a backend           ["reap", id]  forget an exited one
  stdout ["ready"]  ["started", id, pid]  ["out"|"err", id, text]  ["exit", id, code, signal]
A backend's stdout/stderr come back as "out"/"err" (its fds 1 and 2 are pipes read here). An exited
backend is reported with waitid(WNOWAIT) and stays a zombie until Node sends "reap", so Node can
signal the pid it was given until it has seen the exit: the pid is never reused under it.
The zygote ends when its stdin closes (the test worker ended) or on SIGTERM, and stops its
children first; a child also gets SIGKILL if the zygote dies (PR_SET_PDEATHSIG).
"""
import codecs
import json
import os
import selectors
import signal
import sys

SERVE = os.path.abspath(sys.argv[1])
# As when serve.py is the script: its folder is sys.path[0] for every import below.
sys.path[0] = os.path.dirname(SERVE)

# What serve.py, uvicorn.Config/Server and main.api.* import from outside the app.
import asyncio  # noqa: E402,F401
import logging.config  # noqa: E402,F401
import uuid  # noqa: E402,F401

import dotenv  # noqa: E402,F401
import fastapi  # noqa: E402,F401
import fastapi.responses  # noqa: E402,F401
import fastapi.security  # noqa: E402,F401
import jwt  # noqa: E402,F401
import jwt.algorithms  # noqa: E402,F401
import pydantic  # noqa: E402,F401
import uvicorn  # noqa: E402,F401
import uvicorn.config  # noqa: E402,F401
import uvicorn.server  # noqa: E402,F401

for _lazy in (
    # uvicorn.Config.load() imports these by name; some are optional (httptools, websockets, uvloop).
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.off",
    "uvicorn.middleware.proxy_headers",
):
    try:
        __import__(_lazy)
    except ImportError:
        pass

PR_SET_PDEATHSIG = 1
_libc = None
try:
    import ctypes

    _libc = ctypes.CDLL(None, use_errno=True)
except Exception:  # pragma: no cover - no ctypes: children just lack the death signal
    _libc = None


def send(*msg) -> None:
    data = (json.dumps(msg) + "\n").encode()
    while data:
        n = os.write(1, data)
        data = data[n:]


class Child:
    def __init__(self, cid, pid, out_fd, err_fd):
        self.id = cid
        self.pid = pid
        self.fds = {out_fd: "out", err_fd: "err"}
        self.decoders = {out_fd: codecs.getincrementaldecoder("utf-8")("replace"), err_fd: codecs.getincrementaldecoder("utf-8")("replace")}
        self.reported = False


children = {}  # id -> Child
by_fd = {}  # pipe read end -> Child
sel = selectors.DefaultSelector()
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)


def run_child(cwd, env, out_w, err_w, zygote_pid):
    """In the forked child: become a backend process, then run serve.py. Never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        # The handlers a fresh interpreter has (it ignores SIGPIPE itself: left as inherited).
        for s in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(s, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if _libc is not None:
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != zygote_pid:
                os._exit(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, 1 << 16)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [SERVE]
        import runpy

        try:
            runpy.run_path(SERVE, run_name="__main__")
            code = 0
        except SystemExit as e:
            # What the interpreter does with an uncaught SystemExit.
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        try:
            import atexit

            atexit._run_exitfuncs()
        except BaseException:
            pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def start(cid, cwd, env):
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    zygote_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        run_child(cwd, env, out_w, err_w, zygote_pid)
    os.close(out_w)
    os.close(err_w)
    child = Child(cid, pid, out_r, err_r)
    children[cid] = child
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
        by_fd[fd] = child
        sel.register(fd, selectors.EVENT_READ)
    send("started", cid, pid)


def drain(fd, final=False):
    child = by_fd.get(fd)
    if child is None:
        return
    kind = child.fds[fd]
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            if final:
                # The child is dead; a grandchild may hold the pipe. Keep what came, stop reading.
                data = b""
            else:
                return
        text = child.decoders[fd].decode(data, final=not data)
        if text:
            send(kind, child.id, text)
        if not data:
            sel.unregister(fd)
            os.close(fd)
            del by_fd[fd]
            return


def check_exits():
    for child in list(children.values()):
        if child.reported:
            continue
        info = os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None or info.si_pid == 0:
            continue
        child.reported = True
        for fd in [fd for fd, c in by_fd.items() if c is child]:
            drain(fd, final=True)
        if info.si_code == os.CLD_EXITED:
            send("exit", child.id, info.si_status, None)
        else:
            send("exit", child.id, None, signal.Signals(info.si_status).name)


def reap(cid):
    child = children.pop(cid, None)
    if child is not None:
        os.waitpid(child.pid, 0)


def shutdown():
    """Stop every backend still running (SIGTERM, then SIGKILL after 3 s), reap them, exit."""
    import time

    live = [c for c in children.values()]
    for c in live:
        try:
            os.kill(c.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 3
    for c in live:
        while True:
            pid, _ = os.waitpid(c.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(c.pid, signal.SIGKILL)
                os.waitpid(c.pid, 0)
                break
            time.sleep(0.02)
    os._exit(0)


def main():
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: shutdown())
    os.set_blocking(0, False)
    sel.register(0, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    pending = b""
    send("ready")
    try:
        loop(pending)
    except BaseException:
        import traceback

        traceback.print_exc()
        shutdown()


def loop(pending):
    while True:
        for key, _ in sel.select():
            fd = key.fd
            if fd == 0:
                try:
                    data = os.read(0, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    shutdown()
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    msg = json.loads(line)
                    if msg[0] == "start":
                        start(msg[1], msg[2], msg[3])
                    elif msg[0] == "reap":
                        reap(msg[1])
            elif fd == wake_r:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                check_exits()
            else:
                drain(fd)
        # A SIGCHLD that raced the select above is also seen here.
        check_exits()


if __name__ == "__main__":
    main()
