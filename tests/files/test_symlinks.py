"""Saves follow a symbolic link only where Linux's ``fs.protected_symlinks`` rule would
(D4): a link that another user planted in a sticky, world-writable folder is refused,
whatever the machine's setting; the user's own links, links in ordinary folders and
links owned by the shared folder's owner are still written through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from neuroflow.errors import OutputError
from neuroflow.files import check_writable, write_atomic

OTHER_UID = 65534  # nobody

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="giving a link to another uid needs root")


def shared_folder(tmp_path: Path, owner: int | None = None) -> Path:
    """A /tmp-like folder: sticky and writable by everyone (mode 1777)."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)
    if owner is not None:
        os.chown(folder, owner, -1)
    return folder


def planted(link: Path, target: Path, uid: int) -> Path:
    link.symlink_to(target)
    os.lchown(link, uid, -1)
    return link


@needs_root
def test_link_planted_by_another_user_in_a_sticky_folder_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"root's file")
    link = planted(shared_folder(tmp_path) / "model.safetensors", victim, OTHER_UID)
    with pytest.raises(OutputError, match=r"^--out: .*symbolic link that another user "
                                          r"\(uid 65534\) owns in the shared folder .*"
                                          r"protected_symlinks"):
        write_atomic(link, b"model", argument="--out")
    with pytest.raises(OutputError, match="protected_symlinks"):
        check_writable(link, argument="--out")
    assert victim.read_bytes() == b"root's file" and link.is_symlink()


@needs_root
def test_dangling_planted_link_is_refused_and_creates_nothing(tmp_path):
    target = tmp_path / "created-by-the-attacker.txt"
    link = planted(shared_folder(tmp_path) / "m.safetensors", target, OTHER_UID)
    with pytest.raises(OutputError, match="protected_symlinks"):
        write_atomic(link, b"model", argument="--out")
    assert not target.exists()


@needs_root
def test_planted_link_to_a_folder_on_the_way_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = planted(shared_folder(tmp_path) / "runs", elsewhere, OTHER_UID)
    with pytest.raises(OutputError, match=r"through .*runs.*protected_symlinks"):
        write_atomic(link / "m.bin", b"model", argument="--out")
    assert not (elsewhere / "m.bin").exists()


@needs_root
def test_links_the_kernel_follows_are_written_through(tmp_path):
    # the writing user's own link in the shared folder
    folder = shared_folder(tmp_path)
    mine = folder / "mine.bin"
    mine.symlink_to(tmp_path / "mine-target.bin")
    write_atomic(mine, b"one")
    assert (tmp_path / "mine-target.bin").read_bytes() == b"one" and mine.is_symlink()
    # another user's link in an ordinary folder (not sticky and world-writable)
    plain = tmp_path / "plain"
    plain.mkdir()
    theirs = planted(plain / "theirs.bin", tmp_path / "theirs-target.bin", OTHER_UID)
    write_atomic(theirs, b"two")
    assert (tmp_path / "theirs-target.bin").read_bytes() == b"two"
    # a link owned by the shared folder's owner
    owned = tmp_path / "owned"
    owned.mkdir()
    owned.chmod(0o1777)
    os.chown(owned, OTHER_UID, -1)
    by_owner = planted(owned / "m.bin", tmp_path / "owner-target.bin", OTHER_UID)
    write_atomic(by_owner, b"three")
    assert (tmp_path / "owner-target.bin").read_bytes() == b"three"


def test_sticky_but_not_world_writable_folder_follows_links(tmp_path):
    folder = tmp_path / "sticky"
    folder.mkdir()
    folder.chmod(0o1755)
    link = folder / "m.bin"
    link.symlink_to(tmp_path / "target.bin")
    write_atomic(link, b"data")
    assert (tmp_path / "target.bin").read_bytes() == b"data"


@needs_root
def test_cli_train_refuses_a_planted_out_link_before_training(tmp_path, monkeypatch, capsys):
    from neuroflow.cli import main

    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep")
    link = planted(shared_folder(tmp_path) / "model.safetensors", victim, OTHER_UID)
    rows = tmp_path / "rows.csv"
    rows.write_text("".join(f"{i % 3},{i % 2},{i % 2}\n" for i in range(12)))
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--data", str(rows), "--layers", "2,3,2", "--epochs", "1",
                   "--quiet", "--out", str(link)])
    err = capsys.readouterr().err
    assert status == 2 and victim.read_bytes() == b"keep"
    assert len(err.strip().splitlines()) == 1 and "--out" in err and "protected_symlinks" in err
