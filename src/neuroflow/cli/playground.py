"""``neuroflow playground``: a local page to watch a network learn, every number computed
by neuroflow (needs the optional extra ``neuroflow[playground]``: Starlette and uvicorn).

The server listens on 127.0.0.1 only and prints a URL with a random token; requests with
another Host or Origin, or without the token, are refused. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from neuroflow.cli._args import MAX_EPOCHS, UsageError, int_in, path_text
from neuroflow.files import check_writable

__all__ = ["add", "run"]

HOST = "127.0.0.1"


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
    """Serve the playground until Ctrl-C (or, with ``--epochs`` and ``--out``, train and
    save without a server); return 0."""
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
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, args.port))
    except OSError as error:
        listener.close()
        raise UsageError(f"--port: cannot listen on {HOST}:{args.port} ({error.strerror}); "
                         f"try another port or --port 0") from None
    listener.listen(64)
    port = listener.getsockname()[1]
    token = secrets.token_urlsafe(18)
    app = create_app(Engine(config), token, port=port, save_dir=save_dir)
    url = f"http://{HOST}:{port}/?token={token}#{urlencode(config.query())}"
    print(f"neuroflow playground: {url}", flush=True)
    print("(Ctrl-C stops it)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=2))
    if not args.no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # Ctrl-C: the server has shut down; that is how it ends
        pass
    finally:
        listener.close()
    print("neuroflow playground: stopped", file=sys.stderr)
    return 0


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
