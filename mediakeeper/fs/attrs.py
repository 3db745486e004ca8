"""What a copy that replaces a user's file must carry over besides its bytes: owner, group,
mode, extended attributes and the POSIX ACL (stored as the ``system.posix_acl_*`` attributes).
A copy that cannot carry one of them is not put in the original's place: the caller is told
why (FileError)."""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat

from mediakeeper.core.errors import FileError

_UNSUPPORTED = (errno.ENOTSUP, errno.EOPNOTSUPP)


def user_name(uid: int | None = None) -> str:
    """The name of ``uid`` (this process's effective user by default), else its number."""
    uid = os.geteuid() if uid is None else uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def same_owner_and_mode(fd: int, st: os.stat_result, path: str) -> None:
    """Give the copy the original's owner, group and mode (in that order: a change of owner
    clears set-id bits). The copy is made by whoever runs the batch; root (a NAS, a container)
    would otherwise take every fixed file from its owner and its media server's group. Asked
    only when the owner differs: where a file system gives every file the same one (FAT, a
    share mounted with uid=), a change of owner may be refused even when it changes nothing."""
    copy = os.fstat(fd)
    if (copy.st_uid, copy.st_gid) != (st.st_uid, st.st_gid):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            raise FileError(path, _owner_problem(st)) from None
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def _owner_problem(st: os.stat_result) -> str:
    """Why a copy cannot belong to the original's owner and group, and what to do."""
    if st.st_uid == os.geteuid():  # the file is ours: its group is the one we may not give
        name = _group_name(st.st_gid)
        return (
            f"cannot keep its group {name} (gid {st.st_gid}): you are not in that group; "
            "add yourself to it or run as root"
        )
    return (
        f"cannot keep its owner {user_name(st.st_uid)} (uid {st.st_uid}, gid {st.st_gid}): "
        "run the batch as that user, or as root"
    )


def same_attributes(source: int, copy: int, path: str) -> None:
    """Give the copy every extended attribute of the original (``user.*``, the POSIX ACL,
    and any other this process can read), each one the copy lacks. FileError naming the
    first one the copy's file system refuses."""
    try:
        names = os.listxattr(source)
    except OSError as err:
        if err.errno in _UNSUPPORTED:
            return  # a file system without them: nothing to keep
        raise
    for name in names:
        value = os.getxattr(source, name)
        try:
            if os.getxattr(copy, name) == value:
                continue  # given already (a security label the copy got on creation)
        except OSError:
            pass
        try:
            os.setxattr(copy, name, value)
        except OSError as err:
            what = "access ACL" if name == "system.posix_acl_access" else f"attribute {name}"
            if err.errno in (errno.EPERM, errno.EACCES):  # security.*: root's to set
                fix = f"{user_name()} may not set it; run the batch as root"
            else:
                fix = "the copy's file system refuses it; fix it by hand"
            raise FileError(
                path, f"cannot keep its {what} ({err.strerror}): {fix} or remove the attribute"
            ) from None
