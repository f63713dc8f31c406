"""Whether a host's vmha services are healthy: every unit active, every health URL answering 200,
and no unit restarted by systemd behind our back (a crash-looping unit can look active at one
instant; its restart counter gives it away).

Shared by service_health's module (after a deploy: reads the units before and after waiting for the
URLs; Ansible ships this file with it as module_utils) and deploy_record's check script, next to
which it is installed on the host (a host left out of the deploy as current must be as healthy as
one that was deployed; it reads the units once and compares the restart counters with those recorded
at its last deploy). Plain Python 3 without Ansible imports, so it works both ways. It imports only
modules built into the interpreter (no subprocess, urllib or socket): the check runs on every host
of every run, and those imports alone would cost it a third of its time.
"""
import _socket
import os
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


def systemctl_show(units):
    """`systemctl show` of the units, parsed. posix_spawn and a pipe rather than subprocess, whose
    imports alone cost the check a tenth of its time."""
    if not units:
        return {}
    read_end, write_end = os.pipe()
    pid = os.posix_spawnp("systemctl", SHOW + list(units), os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, write_end, 1), (os.POSIX_SPAWN_CLOSE, read_end)])
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8", errors="replace") as output:
        text = output.read()
    os.waitpid(pid, 0)
    return parse_show(text)


def restart_counts(shown):
    """systemd's automatic restarts of each unit, from systemctl_show."""
    return {unit: props.get("NRestarts", "0") for unit, props in shown.items()}


def unit_problems(shown, restarts_before, since):
    """What is wrong with the units as shown, given their restart counts at an earlier moment
    (`since` says which, for the message)."""
    problems = []
    for unit, props in sorted(shown.items()):
        state = props.get("ActiveState", "?")
        restarts = props.get("NRestarts", "0")
        if props.get("LoadState") == "not-found":
            problems.append("%s is not installed" % unit)
        elif state != "active":
            problems.append("%s is %s/%s (%s restarts)" % (unit, state, props.get("SubState", "?"), restarts))
        elif unit in restarts_before and restarts_before[unit] != restarts:
            # Up: systemd restarted a unit that died. Down: someone restarted it by hand (that resets
            # the count), which a re-deploy of the host confirms is harmless.
            problems.append("%s was restarted %s (systemd's restarts: %s -> %s)"
                            % (unit, since, restarts_before[unit], restarts))
    return problems


def http_status_line(host, port, request, timeout):
    """The first line of the answer to a request, from the first address of host that accepts a
    connection (as socket.create_connection tries them)."""
    error = OSError("no address")
    # The host as bytes: a str host goes through the idna codec, whose import costs 3 ms.
    for family, kind, proto, _, address in _socket.getaddrinfo(host.encode("ascii"), port, 0, _socket.SOCK_STREAM):
        conn = _socket.socket(family, kind, proto)
        try:
            conn.settimeout(timeout)
            conn.connect(address)
            conn.sendall(request)
            answer = b""
            while b"\n" not in answer and len(answer) < 4096:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer.split(b"\n", 1)[0].decode("latin-1")
        except OSError as failed:
            error = failed
        finally:
            conn.close()
    raise error


def probe(url, timeout=5):
    """None when the URL answers 200, else what it answered. Plain HTTP/1.0: health URLs are
    http://<address>:<port>/<path> on the host itself."""
    _, _, rest = url.partition("://")
    host_port, _, path = rest.partition("/")
    host, _, port = host_port.rpartition(":")
    try:
        request = ("GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host_port)).encode()
        status_line = http_status_line(host, int(port), request, timeout).split()
    except (OSError, ValueError) as error:
        return "did not answer (%s)" % error
    code = status_line[1] if len(status_line) > 1 else "nothing"
    return None if code == "200" else "answered %s" % code


def url_problems(urls, wait_seconds=0, probe=probe, sleep=time.sleep, clock=time.monotonic):
    """Each URL is tried every 2 s for up to wait_seconds; the ones that never answered 200."""
    problems = []
    deadline = clock() + wait_seconds
    for url in urls:
        answer = probe(url)
        while answer is not None and clock() < deadline:
            sleep(2)
            answer = probe(url)
        if answer is not None:
            problems.append("%s %s" % (url, answer))
    return problems


def health_problems(units, urls, wait_seconds=0, show=systemctl_show, **url_stand_ins):
    """After a deploy: the units read before and after the URLs are waited for."""
    before = restart_counts(show(units))
    problems = url_problems(urls, wait_seconds, **url_stand_ins)
    return unit_problems(show(units), before, "while being checked") + problems


def health_since(units, urls, restarts_at_record, show=systemctl_show, **url_stand_ins):
    """A host left out of the deploy: the URLs answer now, and the units are read once, their restart
    counts compared with those recorded at the host's last deploy."""
    problems = url_problems(urls, 0, **url_stand_ins)
    return unit_problems(show(units), restarts_at_record, "since its last deploy") + problems
