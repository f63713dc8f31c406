"""Whether a host's vmha services are healthy: every unit active, every health URL answering 200,
and no unit restarted while it was checked (a crash-looping unit can look active at one instant;
its restart counter moving between two reads gives it away).

Shared by service_health's module (after a deploy, waiting for the URLs; Ansible ships this file
with it as module_utils) and deploy_record's check script, next to which it is installed on the host
(a host left out of the deploy as current must be as healthy as one that was deployed). Plain
Python 3 without Ansible imports, so it works both ways.
"""
import socket
import subprocess
import time

SHOW = ["systemctl", "show", "--property=Id,LoadState,ActiveState,SubState,NRestarts"]


def parse_show(text):
    """`systemctl show` output (one block of Key=value lines per unit, blank-line separated) by unit."""
    units = {}
    for block in text.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if "Id" in props:
            units[props["Id"]] = props
    return units


def unit_problems(before, after):
    """What is wrong with the units, from two `systemctl show` outputs taken around the URL checks."""
    first, second = parse_show(before), parse_show(after)
    problems = []
    for unit, props in sorted(second.items()):
        state = props.get("ActiveState", "?")
        restarts = props.get("NRestarts", "0")
        if props.get("LoadState") == "not-found":
            problems.append("%s is not installed" % unit)
        elif state != "active":
            problems.append("%s is %s/%s (%s restarts)" % (unit, state, props.get("SubState", "?"), restarts))
        elif unit in first and first[unit].get("NRestarts", "0") != restarts:
            problems.append("%s restarted while being checked (%s -> %s restarts): crash loop"
                            % (unit, first[unit].get("NRestarts"), restarts))
    return problems


def probe(url, timeout=5):
    """None when the URL answers 200, else what it answered. Plain HTTP/1.0 over a socket: health URLs
    are http://<address>:<port>/<path> on the host itself, and urllib's imports alone would cost the
    check (run on every host of every run) a quarter of its time."""
    _, _, rest = url.partition("://")
    host_port, _, path = rest.partition("/")
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as conn:
            conn.sendall(("GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host_port)).encode())
            status_line = conn.makefile("rb").readline().decode("latin-1").split()
    except (OSError, ValueError) as error:
        return "did not answer (%s)" % error
    code = status_line[1] if len(status_line) > 1 else "nothing"
    return None if code == "200" else "answered %s" % code


def health_problems(units, urls, wait_seconds=0, run=subprocess.run, probe=probe, sleep=time.sleep, clock=time.monotonic):
    """Problems of the units and health URLs; each URL is tried every 2 s for up to wait_seconds."""
    def show():
        if not units:
            return ""
        return run(SHOW + list(units), capture_output=True, text=True).stdout

    before = show()
    problems = []
    deadline = clock() + wait_seconds
    for url in urls:
        answer = probe(url)
        while answer is not None and clock() < deadline:
            sleep(2)
            answer = probe(url)
        if answer is not None:
            problems.append("%s %s" % (url, answer))
    return unit_problems(before, show()) + problems
