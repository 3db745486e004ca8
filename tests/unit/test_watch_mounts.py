"""Which file systems the watcher takes for network ones (scanned: their changes made from
another machine send no inotify events), read from the kernel's mount table format."""

from __future__ import annotations

from mediakeeper.watch.mounts import mount_table, network_file_system

MOUNTINFO = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
40 27 0:45 / /srv/music rw,relatime - nfs4 nas:/music rw,vers=4.2
41 27 254:1 / /data rw,relatime - ext4 /dev/vdb rw
42 41 0:46 / /data/lib/The\\040Share rw,relatime - cifs //nas/share rw
43 41 0:47 / /data/other rw,relatime - fuse.sshfs me@nas: rw
"""


def test_the_mount_table_is_read_with_its_escapes():
    table = mount_table(MOUNTINFO)
    assert ("/data/lib/The Share", "cifs") in table and ("/", "ext4") in table
    assert "/" in {point for point, _type in mount_table()}  # this machine's own, read


def test_a_library_on_or_holding_a_network_file_system_is_told_by_its_type():
    table = mount_table(MOUNTINFO)
    assert network_file_system("/srv/music/Rock", table) == "nfs4"  # on one
    assert network_file_system("/data/lib", table) == "cifs"  # one mounted inside it
    assert network_file_system("/data/other", table) == "fuse.sshfs"
    assert network_file_system("/data/local", table) is None
    assert network_file_system("/srv/musicals", table) is None  # a name that only starts alike
