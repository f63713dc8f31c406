"""unit_health_problems: what is wrong with units, from two `systemctl show` outputs.

Each output holds one block of `Key=value` lines per unit, blocks separated by a blank line.
A unit is a problem when it is not active in the second read, or when its NRestarts grew between
the reads (it crashed and was restarted while it was being checked).
"""


def _parse(text):
    units = {}
    for block in text.strip().split('\n\n'):
        props = dict(line.split('=', 1) for line in block.splitlines() if '=' in line)
        if 'Id' in props:
            units[props['Id']] = props
    return units


def unit_health_problems(before, after):
    first, second = _parse(before), _parse(after)
    problems = []
    for unit, props in sorted(second.items()):
        state = props.get('ActiveState', '?')
        restarts = props.get('NRestarts', '0')
        if props.get('LoadState') == 'not-found':
            problems.append('%s is not installed' % unit)
        elif state != 'active':
            problems.append('%s is %s/%s (%s restarts)' % (unit, state, props.get('SubState', '?'), restarts))
        elif unit in first and first[unit].get('NRestarts', '0') != restarts:
            problems.append('%s restarted while being checked (%s -> %s restarts): crash loop'
                            % (unit, first[unit].get('NRestarts'), restarts))
    return problems


class FilterModule(object):
    def filters(self):
        return {'unit_health_problems': unit_health_problems}
