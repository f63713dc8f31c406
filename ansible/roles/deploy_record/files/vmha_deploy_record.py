#!/usr/bin/python3
"""The record of a host's last complete vmha deploy, kept on the host by role deploy_record.

The record holds which code and inventory the deploy was (a fingerprint computed on the controller),
a digest of every file under the watched paths, and the units and health URLs that must stay
healthy. A plain script, not an Ansible module: site.yml runs the check on every host with `raw`,
because starting an Ansible module costs a host about 0.2 s of CPU and the check is the whole cost of
a current host in a no-change run. Installed with vmha_unit_health.py (role service_health's health
check) next to it. The check imports only modules built into the interpreter: json (its regular
expressions), hashlib (OpenSSL) and socket would be 12 of its 30 ms, on every host of every run.
So the record is a marshal file; `show` prints it as JSON.

    vmha_deploy_record.py check PATH FINGERPRINT   exit 0: current; 1: not current, one reason per line
    vmha_deploy_record.py record JSON              writes the record; prints "changed" or "unchanged"
    vmha_deploy_record.py show PATH                prints the record as JSON
"""
import marshal
import os
import stat
import sys

try:
    from _sha2 import sha256  # Python 3.12 and later
except ImportError:
    try:
        from _sha256 import sha256  # Python 3.11 and earlier
    except ImportError:
        from hashlib import sha256

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmha_unit_health import health_since, restart_counts, systemctl_show  # noqa: E402

# Larger files (the binaries) are compared by size and modification time: hashing ~100 MB of
# binaries on every run would cost more than the run it saves.
CONTENT_HASH_LIMIT = 1 << 20
MAX_REASONS = 10


def file_digest(path):
    """How one path looks now: kind, owner, mode and content (or size and mtime), or None if missing."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    owner = "%d:%d:%o" % (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    if stat.S_ISLNK(st.st_mode):
        return "link %s %s" % (owner, os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return "dir %s" % owner
    if st.st_size > CONTENT_HASH_LIMIT:
        return "file %s size=%d mtime=%d" % (owner, st.st_size, st.st_mtime_ns)
    with open(path, "rb") as handle:
        return "file %s sha256=%s" % (owner, sha256(handle.read()).hexdigest())


def watched_files(watched_paths):
    """Every path under the watched paths (directories recursively, symlinks not followed), sorted."""
    found = []
    for root in watched_paths:
        if not os.path.lexists(root):
            continue
        found.append(root)
        if os.path.isdir(root) and not os.path.islink(root):
            for directory, dirs, files in os.walk(root):
                dirs.sort()
                for name in dirs + sorted(files):
                    found.append(os.path.join(directory, name))
    return sorted(set(found))


def snapshot(watched_paths):
    return {path: file_digest(path) for path in watched_files(watched_paths)}


def drift(record, now_files):
    """Why the host no longer looks as its record says: changed, missing or new paths."""
    reasons = []
    recorded = record.get("files", {})
    for path in sorted(set(recorded) | set(now_files)):
        if path not in now_files:
            reasons.append("%s is missing" % path)
        elif path not in recorded:
            reasons.append("%s is new" % path)
        elif recorded[path] != now_files[path]:
            reasons.append("%s changed" % path)
    return reasons


def check(path, fingerprint, **health_stand_ins):
    """Whether the host is current: its record is of this run's fingerprint, nothing watched drifted
    and its services are healthy. Drift is only looked for when the fingerprint matches (otherwise
    the host is deployed anyway, and the deploy ends with the full health check)."""
    try:
        record = load(path)
    except (OSError, ValueError):  # never deployed completely: deployed, nothing to explain
        return {"current": False, "drift": []}
    if record.get("fingerprint") != fingerprint:
        return {"current": False, "drift": []}
    reasons = drift(record, snapshot(record.get("watched_paths", [])))
    if not reasons:
        reasons = health_since(record.get("units", []), record.get("health_urls", []), record.get("restarts", {}),
                               **health_stand_ins)
    if len(reasons) > MAX_REASONS:
        reasons = reasons[:MAX_REASONS] + ["and %d more" % (len(reasons) - MAX_REASONS)]
    return {"current": not reasons, "drift": reasons}


def load(path):
    """The record (a root-only file that record() wrote); a file that is not a record raises ValueError."""
    with open(path, "rb") as handle:
        try:
            content = marshal.load(handle)
        except (EOFError, TypeError) as error:
            raise ValueError("%s is not a deploy record: %s" % (path, error)) from error
    if not isinstance(content, dict):
        raise ValueError("%s is not a deploy record" % path)
    return content


def record(path, fingerprint, watched_paths, units, health_urls=(), show=systemctl_show):
    """Writes the record (0600, atomically); returns whether its content changed. Called once the
    host is healthy, so the units' restart counts now are the ones a later check compares with."""
    content = {"fingerprint": fingerprint, "watched_paths": list(watched_paths), "units": list(units),
               "restarts": restart_counts(show(units)), "health_urls": list(health_urls), "files": snapshot(watched_paths)}
    try:
        if load(path) == content:
            return False
    except (OSError, ValueError):
        pass
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    temporary = path + ".tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        marshal.dump(content, handle, 2)  # version 2: no object references, the same bytes for the same record
    os.replace(temporary, path)
    return True


def main(argv):
    if len(argv) == 3 and argv[0] == "check":
        result = check(argv[1], argv[2])
        if result["drift"]:
            print("\n".join(result["drift"]))
        return 0 if result["current"] else 1
    if len(argv) == 2 and argv[0] in ("record", "show"):
        import json  # only here: the check must not pay for its import

        if argv[0] == "show":
            print(json.dumps(load(argv[1]), indent=1, sort_keys=True))
            return 0
        a = json.loads(argv[1])
        changed = record(a["path"], a["fingerprint"], a["watched_paths"], a["units"], a["health_urls"])
        print("changed" if changed else "unchanged")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
