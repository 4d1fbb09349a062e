"""What a file's first bytes say before any format reads it: a Git LFS pointer, or binary.

The one copy of these checks: discovery uses them to name log-like files no format takes,
reading before it hands a file to its format, and readers on the first bytes they read.
"""

from __future__ import annotations

#: The first bytes of a Git LFS pointer file.
LFS_MAGIC = b"version https://git-lfs"
#: A Git LFS pointer is ~130 bytes; a file this large or larger is never one.
POINTER_MAX = 1024


def is_lfs_pointer(head: bytes) -> bool:
    """Whether the first bytes of a file are a Git LFS pointer instead of its content."""
    return head.startswith(LFS_MAGIC)


def lfs_message(path: str) -> str:
    return f"{path} is a Git LFS pointer, not the log; run `git lfs pull`"


def is_binary(head: bytes) -> bool:
    """Whether the first bytes of a file are not text (a NUL, or bytes that aren't UTF-8)."""
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 3  # a character cut at the end of ``head`` is text
    return False


def binary_message(path: str) -> str:
    return (f"{path}: named like a text log but holds binary bytes; the file is damaged or "
            "is not a log: copy it again, or move it out of the log folder")
