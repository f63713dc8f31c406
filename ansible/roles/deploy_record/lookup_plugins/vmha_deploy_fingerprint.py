# The fingerprint of a site.yml run: every file of the Ansible tree this plugin belongs to
# (playbooks, ansible.cfg, roles), every file of the inventory sources, the controller files the
# inventory names (a renewed TLS certificate is a change), the command line's extra
# vars (files given with @ by content) and tags, and the ansible-core version. Two runs with the
# same fingerprint deploy exactly the same thing; any edit anywhere gives a new one.
import hashlib
import os

from ansible import context
from ansible.plugins.lookup import LookupBase
from ansible.release import __version__ as ansible_version

DOCUMENTATION = r"""
name: vmha_deploy_fingerprint
short_description: Fingerprint of this run's code, inventory and command line (sha256 hex)
options:
  inventory:
    description: The inventory sources (ansible_inventory_sources)
    type: list
    required: true
  files:
    description: Controller files the hosts receive by a path set in the inventory (content hashed; a missing one counts as missing)
    type: list
    default: []
"""

# ansible/, three levels up from roles/deploy_record/lookup_plugins/
ANSIBLE_TREE = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Not part of what a run deploys: byte code, Ansible's local temp (.ansible), installed collections.
SKIPPED_DIRS = {"__pycache__", "collections"}


def tree_files(root):
    if os.path.isfile(root):
        return [root]
    found = []
    for directory, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        found.extend(os.path.join(directory, name) for name in sorted(files) if not name.endswith(".pyc"))
    return found


def add(digest, label, path=None):
    """A labelled entry, followed by the sha256 of the file's content when there is such a file."""
    digest.update(("%s\n" % label).encode())
    if path is not None and os.path.isfile(path):
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())


def fingerprint(roots, command_line, version, files=()):
    digest = hashlib.sha256()
    add(digest, "ansible-core %s" % version)
    for path in files:
        add(digest, "controller file %s" % path, path)
    for root in roots:
        for path in tree_files(root):
            add(digest, "file %s" % os.path.relpath(path, root), path)
    for item in command_line:
        add(digest, "arg %s" % item, item[1:] if item.startswith("@") else None)
    return digest.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        sources = [os.path.realpath(s) for s in self.get_option("inventory") if os.path.exists(s)]
        args = context.CLIARGS
        command_line = (["extra_vars"] + list(args.get("extra_vars", ()))
                        + ["tags"] + sorted(args.get("tags", ())) + ["skip_tags"] + sorted(args.get("skip_tags", ())))
        return [fingerprint([ANSIBLE_TREE] + sources, command_line, ansible_version, self.get_option("files"))]
