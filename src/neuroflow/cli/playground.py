"""``neuroflow playground``: a local page to watch a network learn, every number computed
by neuroflow (needs the optional extra ``neuroflow[playground]``: Starlette and uvicorn).

The server listens on 127.0.0.1 only and opens the page with a one-time sign-in link (or
prints it, with ``--no-browser``), which the page exchanges for an HttpOnly cookie holding
the server's random token; requests with another Host or Origin, or without the token,
are refused. The token and the links appear in no process's arguments. Ctrl-C (exit 130)
or SIGTERM (143) stops it within 2 seconds, even during a training step.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from neuroflow.cli._args import MAX_EPOCHS, UsageError, int_in, path_text
from neuroflow.files import check_writable

__all__ = ["add", "run", "forwarding_page"]

HOST = "127.0.0.1"
#: Seconds a sign-in link works (:data:`neuroflow.playground.server.CODE_SECONDS`).
CODE_SECONDS = 60.0
#: Seconds from Ctrl-C or SIGTERM to the end of the process, at most.
STOP_SECONDS = 1.2


def add(commands: Any) -> None:
    """Add the ``playground`` command to the subparsers ``commands``."""
    parser = commands.add_parser(
        "playground", help="watch a network learn in the browser (local page)",
        description="Serve the neuroflow playground on http://127.0.0.1:PORT and print its "
                    "URL (with a random token): train a small network on a 2-D data set "
                    "and watch its decision boundary, neurons, weights and gradients, "
                    "inspect one backpropagation step, the cost landscape, a learning-rate "
                    "race, the code that reproduces it, and MNIST. Ctrl-C stops it. Needs "
                    "neuroflow[playground].")
    parser.add_argument("--port", type=int_in(0, 65535), default=8765,
                        help="port on 127.0.0.1 (default 8765; 0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true",
                        help="print the URL without opening a browser")
    parser.add_argument("--state", default="", metavar="SETTINGS",
                        help="initial settings as in the page's URL, e.g. "
                             "'data=spiral&layers=8,8,4&act=relu&lr=0.03'")
    parser.add_argument("--save-dir", type=path_text, default=".", metavar="FOLDER",
                        help="where 'save model' writes .safetensors files (default: here)")
    parser.add_argument("--epochs", type=int_in(1, MAX_EPOCHS), default=None, metavar="N",
                        help="with --out: no server; train N epochs with the --state "
                             "settings, as the page does, and save the model (the page's "
                             "'Show the code' gives this command)")
    parser.add_argument("--out", type=path_text, default=None, metavar="PATH",
                        help="with --epochs: the .safetensors file to write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve the playground until Ctrl-C or SIGTERM, then return 130 or 143 (or, with
    ``--epochs`` and ``--out``, train and save without a server and return 0)."""
    if (args.epochs is None) != (args.out is None):
        raise UsageError("--epochs and --out: expected both (train and save without a "
                         "server) or neither")
    if args.out is not None:
        return _train_and_save(args)
    try:
        # the optional extra neuroflow[playground], and the face that needs it
        import uvicorn

        from neuroflow.playground import Config, Engine, create_app
    except ImportError as error:
        raise UsageError(f"the playground needs the optional extra: pip install "
                         f"'neuroflow[playground]' ({error})") from None
    config = Config.parse(dict(parse_qsl(args.state.lstrip("#?"), keep_blank_values=True)))
    save_dir = Path(args.save_dir)
    if not save_dir.is_dir():
        raise UsageError(f"--save-dir: expected an existing folder, received {args.save_dir!r}")
    listener = _listen(args.port)
    port = listener.getsockname()[1]
    app = create_app(Engine(config), secrets.token_urlsafe(24), port=port, save_dir=save_dir)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           ws="none",
                                           # longer than the stop: the process ends first
                                           timeout_graceful_shutdown=5))
    logging.getLogger("uvicorn.error").addFilter(_quiet_upgrades)
    return _serve(server, app, listener, f"http://{HOST}:{port}/",
                  f"#{urlencode(config.query())}", browser=not args.no_browser)


def _listen(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port``, with ``SO_REUSEADDR`` (a restart right
    after a stop finds the port in TIME_WAIT); a port in use is one line."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise UsageError(f"--port: port {port} on {HOST} is in use by another program "
                             f"(or another playground); choose another --port, or --port 0 "
                             f"for any free port") from None
        raise UsageError(f"--port: cannot listen on {HOST}:{port} ({error.strerror}); "
                         f"try another port or --port 0") from None
    listener.listen(64)
    return listener


def _quiet_upgrades(record: logging.LogRecord) -> bool:
    """uvicorn's warnings about Upgrade requests: the application answers them 400."""
    message = record.getMessage()
    return not (message.startswith("Unsupported upgrade request")
                or message.startswith("No supported WebSocket library"))


def _serve(server: Any, app: Any, listener: socket.socket, url: str, state: str, *,
           browser: bool) -> int:
    """Run ``server`` in a thread until Ctrl-C or SIGTERM; return 130 or 143.

    The token never appears in a URL or in any process's arguments: the browser is given
    a private temporary page that forwards it to a one-time sign-in link, and Enter
    in the terminal prints a new link.
    """
    signals: list[int] = []
    stopped_at: list[float] = []
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        if signals:  # a second Ctrl-C: at once
            _exit_now(128 + signum)
        stopped_at.append(time.monotonic())
        signals.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]},
                              name="neuroflow-playground-server", daemon=True)
    opened: list[Path] = []
    try:
        thread.start()
        while not server.started and thread.is_alive() and not stop.wait(0.02):
            pass
        if browser:
            opened.append(_open_browser(url + "?code=" + app.new_code() + state))
            print(f"neuroflow playground: {url} (opened in your browser; press Enter here "
                  f"for a sign-in link for another browser)", flush=True)
        else:
            print(f"neuroflow playground: {url}?code={app.new_code()}{state}", flush=True)
            print(f"(a sign-in link: it works once, within {CODE_SECONDS:g} s; press Enter "
                  f"here for a new one)", flush=True)
        print("(Ctrl-C stops it)", flush=True)
        if sys.stdin is not None and sys.stdin.isatty():
            threading.Thread(target=_new_links, args=(app, url, state), daemon=True).start()
        while thread.is_alive() and not stop.wait(0.1):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    code = 143 if signals and signals[0] == signal.SIGTERM else 130
    # the engines stop after their batch and the streams after their frame; whatever
    # still runs at the deadline ends with the process
    deadline = (stopped_at or [time.monotonic()])[0] + STOP_SECONDS
    app.stop()
    server.should_exit = True
    thread.join(timeout=max(0.0, deadline - time.monotonic()))
    listener.close()
    for path in opened:
        path.unlink(missing_ok=True)
    if not signals:
        raise UsageError("the server stopped unexpectedly")
    why = "Ctrl-C" if code == 130 else "SIGTERM"
    print(f"neuroflow playground: stopped ({why})", file=sys.stderr, flush=True)
    # now, not after the interpreter's teardown (threads still inside a step or reading
    # MNIST, hundreds of MB to free): nothing is left to write
    _exit_now(code)
    return code  # pragma: no cover


def _exit_now(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _open_browser(link: str) -> Path:
    """Open ``link`` in the browser through :func:`forwarding_page`, so that the link is
    in no process's arguments; return the page's path (removed after the link expires)."""
    path = forwarding_page(link)
    threading.Thread(target=webbrowser.open, args=(path.as_uri(),), daemon=True).start()
    remove = threading.Timer(CODE_SECONDS, path.unlink, kwargs={"missing_ok": True})
    remove.daemon = True
    remove.start()
    return path


def forwarding_page(link: str) -> Path:
    """A private (mode 0600) temporary HTML file that sends the browser on to ``link``."""
    descriptor, name = tempfile.mkstemp(prefix="neuroflow-playground-", suffix=".html")
    target = json.dumps(link).replace("<", "\\u003c")
    with os.fdopen(descriptor, "w", encoding="utf-8") as page:
        page.write(f'<!doctype html><meta charset="utf-8"><meta name="referrer" '
                   f'content="no-referrer"><title>neuroflow playground</title>'
                   f'<script>location.replace({target});</script>\n')
    return Path(name)


def _new_links(app: Any, url: str, state: str) -> None:
    """Print a new sign-in link for each line typed on the terminal."""
    for _ in sys.stdin:
        print(f"neuroflow playground: {url}?code={app.new_code()}{state}  (works once, "
              f"within {CODE_SECONDS:g} s)", flush=True)


def _train_and_save(args: argparse.Namespace) -> int:
    """Train ``--epochs`` epochs of the ``--state`` settings exactly as the page does (one
    ``fit`` per epoch) and save the model: the page's weights, bit for bit."""
    # the engine alone: no web server, so no optional extra is needed
    from neuroflow.playground import MAX_EPOCHS_PER_STEP, Config, Engine

    config = Config.parse(dict(parse_qsl(args.state.lstrip("#?"), keep_blank_values=True)))
    check_writable(args.out)
    engine = Engine(config)
    left = args.epochs
    while left and engine.error is None:
        engine.step(min(left, MAX_EPOCHS_PER_STEP))
        left = max(0, args.epochs - engine.epoch)
    if engine.error is not None:
        print(f"neuroflow playground: {engine.error}", file=sys.stderr)
        return 1
    engine.save(args.out)
    print(f"wrote {args.out} ({engine.epoch} epochs, loss {engine.losses[-1]:.6g}, "
          f"accuracy {engine.accuracies[-1]:.2%})")
    return 0
