#!/usr/bin/python
# The record of a host's last complete deploy: which code and inventory it was (a fingerprint
# computed on the controller), a digest of every file under the watched paths, and the units and
# health URLs that must stay healthy. state=check compares the host with its record and checks its
# health (changes nothing); state=record writes it at the end of a healthy deploy.
# Pure functions (AnsibleModule only in main) so test/deploy-record.test.ts can run them through python3.
import hashlib
import json
import os
import stat
import subprocess

from ansible.module_utils.vmha_unit_health import health_problems, probe as probe_url

DOCUMENTATION = r"""
module: vmha_deploy_record
short_description: Compare a host with the record of its last complete vmha deploy, or write that record
options:
  state: {type: str, choices: [check, record], default: check, description: check compares, record writes}
  path: {type: path, required: true, description: The record file (JSON, mode 0600)}
  fingerprint: {type: str, required: true, description: The run's fingerprint}
  watched_paths: {type: list, elements: path, default: [], description: Files and directories (recursive) whose state the record keeps (state=record)}
  units: {type: list, elements: str, default: [], description: Units that must stay active (state=record)}
  health_urls: {type: list, elements: str, default: [], description: Health URLs on the host that must answer 200 (state=record)}
"""

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
        return "file %s sha256=%s" % (owner, hashlib.sha256(handle.read()).hexdigest())


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


def check(path, fingerprint, run=subprocess.run, probe=probe_url):
    """Whether the host is current: its record is of this run's fingerprint, nothing watched drifted
    and its services are healthy. Drift is only looked for when the fingerprint matches (otherwise
    the host is deployed anyway, and the deploy ends with the full health check)."""
    try:
        with open(path) as handle:
            record = json.load(handle)
    except (OSError, ValueError):  # never deployed completely: deployed, nothing to explain
        return {"current": False, "drift": []}
    if record.get("fingerprint") != fingerprint:
        return {"current": False, "drift": []}
    reasons = drift(record, snapshot(record.get("watched_paths", [])))
    if not reasons:
        reasons = health_problems(record.get("units", []), record.get("health_urls", []), run=run, probe=probe)
    if len(reasons) > MAX_REASONS:
        reasons = reasons[:MAX_REASONS] + ["and %d more" % (len(reasons) - MAX_REASONS)]
    return {"current": not reasons, "drift": reasons}


def record(path, fingerprint, watched_paths, units, health_urls=()):
    """Writes the record (0600, atomically); returns whether its content changed."""
    content = json.dumps(
        {"fingerprint": fingerprint, "watched_paths": list(watched_paths), "units": list(units),
         "health_urls": list(health_urls), "files": snapshot(watched_paths)},
        indent=1, sort_keys=True)
    try:
        with open(path) as handle:
            if handle.read() == content:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    temporary = path + ".tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(content)
    os.replace(temporary, path)
    return True


def main():
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["check", "record"], "default": "check"},
            "path": {"type": "path", "required": True},
            "fingerprint": {"type": "str", "required": True},
            "watched_paths": {"type": "list", "elements": "path", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "health_urls": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "check":
        module.exit_json(changed=False, **check(params["path"], params["fingerprint"]))
    if module.check_mode:
        module.exit_json(changed=False)
    module.exit_json(changed=record(params["path"], params["fingerprint"], params["watched_paths"], params["units"],
                                    params["health_urls"]))


if __name__ == "__main__":
    main()
