#!/usr/bin/python
# The record of a host's last complete deploy: which code and inventory it was (a fingerprint
# computed on the controller), a digest of every file under the watched paths, and the units that
# must be active. state=check compares the host with its record (changes nothing); state=record
# writes it at the end of a healthy deploy.
# Pure functions (no AnsibleModule) so test/deploy-record.test.ts can run them through python3.
import hashlib
import json
import os
import stat
import subprocess

DOCUMENTATION = r"""
module: vmha_deploy_record
short_description: Compare a host with the record of its last complete vmha deploy, or write that record
options:
  state: {type: str, choices: [check, record], default: check, description: check compares, record writes}
  path: {type: path, required: true, description: The record file (JSON, mode 0600)}
  fingerprint: {type: str, default: '', description: The run's fingerprint (state=record)}
  watched_paths: {type: list, elements: path, default: [], description: Files and directories (recursive) whose state the record keeps (state=record)}
  units: {type: list, elements: str, default: [], description: Units that must be active (state=record)}
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


def inactive_units(units, run=subprocess.run):
    """Units that are not active now (systemctl is-active prints one state per unit, in order)."""
    if not units:
        return []
    out = run(["systemctl", "is-active"] + list(units), capture_output=True, text=True).stdout.split()
    return [unit for unit, state in zip(units, out + ["unknown"] * len(units)) if state != "active"]


def drift(record, now_files, inactive):
    """Why the host no longer looks as its record says: changed, missing or new paths, inactive units."""
    reasons = []
    recorded = record.get("files", {})
    for path in sorted(set(recorded) | set(now_files)):
        if path not in now_files:
            reasons.append("%s is missing" % path)
        elif path not in recorded:
            reasons.append("%s is new" % path)
        elif recorded[path] != now_files[path]:
            reasons.append("%s changed" % path)
    reasons.extend("unit %s is not active" % unit for unit in inactive)
    return reasons


def check(path, run=subprocess.run):
    try:
        with open(path) as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {"fingerprint": "", "drift": ["no record of a complete deploy (%s)" % path]}
    reasons = drift(record, snapshot(record.get("watched_paths", [])), inactive_units(record.get("units", []), run))
    if len(reasons) > MAX_REASONS:
        reasons = reasons[:MAX_REASONS] + ["and %d more" % (len(reasons) - MAX_REASONS)]
    return {"fingerprint": record.get("fingerprint", ""), "drift": reasons}


def record(path, fingerprint, watched_paths, units):
    """Writes the record (0600, atomically); returns whether its content changed."""
    content = json.dumps(
        {"fingerprint": fingerprint, "watched_paths": list(watched_paths), "units": list(units),
         "files": snapshot(watched_paths)},
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
            "fingerprint": {"type": "str", "default": ""},
            "watched_paths": {"type": "list", "elements": "path", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "check":
        module.exit_json(changed=False, **check(params["path"]))
    if not params["fingerprint"]:
        module.fail_json(msg="vmha_deploy_record: state=record needs the run's fingerprint")
    if module.check_mode:
        module.exit_json(changed=False)
    module.exit_json(changed=record(params["path"], params["fingerprint"], params["watched_paths"], params["units"]))


if __name__ == "__main__":
    main()
