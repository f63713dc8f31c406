"""Filters of the rolling upgrade gates: read VictoriaMetrics /metrics text (Prometheus format).

The metric names were looked up in the VictoriaMetrics source (v1.149.0-cluster and v1.150.0-cluster):
- vm_app_version{version, short_version} 1: lib/appmetrics/appmetrics.go; short_version is
  v1.150.0-cluster for the cluster binaries and v1.150.0 for vmutils (lib/buildinfo/version.go).
- vm_rpc_vmstorage_is_reachable / vm_rpc_vmstorage_is_read_only{name="vminsert", addr, rpc_call}:
  app/vminsert/netstorage/netstorage.go, one per -storageNode.
- vm_tcpdialer_addr_available{name="vmselect", addr}: lib/netutil/conn_pool.go, the connection pool
  vmselect keeps per -storageNode (1 while it holds connections or its last dial succeeded).
- vmagent_remotewrite_pending_data_bytes{path, url}: app/vmagent/remotewrite/remotewrite.go, what the
  remote write queue (in memory and on disk) still holds.
"""
import re

_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _samples(text, name):
    """(labels, value) of every sample of metric `name` in a /metrics answer."""
    out = []
    for line in (text or '').splitlines():
        match = _LINE.match(line)
        if not match or match.group(1) != name:
            continue
        labels = dict(_LABEL.findall(match.group(2) or ''))
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        out.append((labels, value))
    return out


def vm_app_version(text):
    """The release a running VictoriaMetrics binary reports, e.g. '1.150.0'; '' when unknown."""
    for labels, _ in _samples(text, 'vm_app_version'):
        match = re.match(r'v(\d+\.\d+\.\d+)', labels.get('short_version', ''))
        if match:
            return match.group(1)
    return ''


def vm_storage_nodes_unseen(text, nodes, metric, component, wanted=1.0):
    """Storage nodes (addr:port) whose `metric{name=component, addr=node}` is missing or not `wanted`."""
    seen = {}
    for labels, value in _samples(text, metric):
        if labels.get('name') == component and 'addr' in labels:
            seen.setdefault(labels['addr'], []).append(value)
    return [node for node in nodes if node not in seen or any(v != float(wanted) for v in seen[node])]


def vm_pending_bytes(text):
    """Bytes vmagent still holds for its remote write URLs (sum over the queues); -1 without the metric."""
    samples = _samples(text, 'vmagent_remotewrite_pending_data_bytes')
    return sum(v for _, v in samples) if samples else -1


class FilterModule(object):
    def filters(self):
        return {
            'vm_app_version': vm_app_version,
            'vm_storage_nodes_unseen': vm_storage_nodes_unseen,
            'vm_pending_bytes': vm_pending_bytes,
        }
