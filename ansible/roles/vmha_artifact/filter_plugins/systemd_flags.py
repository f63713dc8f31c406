"""Renders a component's flags dict as the arguments of its systemd ExecStart= line.

Shared by every unit template of vmha (each component role imports vmha_artifact, which brings
this filter along). Semantics: flags are sorted by name; a list value repeats the flag; None
drops it; true renders the bare flag; false renders `-flag=false` (VictoriaMetrics style) or
`--no-flag` (kingpin style, node_exporter). An argument with characters systemd would interpret
is double-quoted with \\ " % $ escaped.
"""
import re

_PLAIN = re.compile(r'^[A-Za-z0-9_./:,=@+-]+$')


def _systemd_quote(arg):
    if _PLAIN.match(arg):
        return arg
    escaped = arg.replace('\\', '\\\\').replace('"', '\\"').replace('%', '%%').replace('$', '$$')
    return '"' + escaped + '"'


def _render(name, value, style):
    if style == 'kingpin':
        if value is False:
            return '--no-' + name
        return '--' + name + ('' if value is True else '=' + str(value))
    if value is True:
        return '-' + name
    return '-' + name + ('=false' if value is False else '=' + str(value))


def systemd_flag_args(flags, style='victoriametrics'):
    if style not in ('victoriametrics', 'kingpin'):
        raise ValueError("systemd_flag_args: style must be 'victoriametrics' or 'kingpin', got %r" % (style,))
    args = []
    for name in sorted(flags):
        raw = flags[name]
        for value in raw if isinstance(raw, (list, tuple)) else [raw]:
            if value is not None:
                args.append(_systemd_quote(_render(name, value, style)))
    return args


class FilterModule:
    def filters(self):
        return {'systemd_flag_args': systemd_flag_args}
