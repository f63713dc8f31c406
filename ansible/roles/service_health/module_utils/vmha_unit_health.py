"""Whether a host's vmha services are healthy: every unit active, every health URL answering 200,
and no unit restarted while it was checked (a crash-looping unit can look active at one instant;
its restart counter moving between two reads gives it away).

Shared by service_health's module (after a deploy, waiting for the URLs) and deploy_record's check
(a host left out of the deploy as current must be as healthy as one that was deployed).
"""
import subprocess
import time
import urllib.error
import urllib.request

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
    """None when the URL answers 200, else what it answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return None if response.status == 200 else "answered %d" % response.status
    except urllib.error.HTTPError as error:
        return "answered %d" % error.code
    except (OSError, ValueError) as error:
        return "did not answer (%s)" % getattr(error, "reason", error)


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
