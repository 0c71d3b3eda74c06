#!/usr/bin/env python3
"""Writes the hand-made P2P marketplace dumps of sample-traces/p2p/: one healthy run of four
nodes with every operation of SPEC section 8, and variants that each carry exactly one
defect, for rules/p2p-marketplace.toml. Run from the repository root:

    python3 sample-traces/make_p2p_fixtures.py

The expected verdicts are in sample-traces/README.md and asserted in
analyzer/tests/rules_p2p.rs, which finds the faulty spans by their attributes, not by ids
copied from this script.
"""
import hashlib
import json
import os

from make_fixtures import attr  # same directory: OTLP JSON attribute encoding

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "p2p")
T0 = 1763712000000000000  # 2025-11-21T08:00:00Z in ns
MS = 1_000_000
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
NODES = 4
TOPIC = "/ggen/packages/v1"
INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5
OK = {"code": 1}


def peer_id(node):
    """A well-formed Ed25519 libp2p peer id (base58btc, 12D3KooW + 44 characters)."""
    digest = hashlib.sha256(f"tracecheck-node-{node}".encode()).digest() * 2
    return "12D3KooW" + "".join(B58[b % 58] for b in digest[:44])


def resource(node):
    attrs = {
        "service.name": "ggen-p2p-marketplace",
        "service.version": "0.3.0",
        "service.instance.id": f"node-{node}",
        "p2p.peer_id": peer_id(node),
    }
    return {"attributes": [attr(k, v) for k, v in attrs.items()]}


class Dump:
    def __init__(self):
        self.spans = {n: [] for n in range(NODES)}
        self.next_span = 1
        self.next_trace = 1

    def trace(self):
        t = f"{0x5f0c0ffee0000000a3ce929d0e000000 + self.next_trace:032x}"
        self.next_trace += 1
        return t

    def span(self, node, trace, parent, name, start_ms, end_ms, base, kind=INTERNAL, attrs=None, status=OK):
        sid = f"{0x1d2c3b4a00000000 + self.next_span:016x}"
        self.next_span += 1
        self.spans[node].append({
            "traceId": trace,
            "spanId": sid,
            "parentSpanId": parent or "",
            "flags": 257,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": str(base + int(start_ms * MS)),
            "endTimeUnixNano": str(base + int(end_ms * MS)),
            "attributes": [attr(k, v) for k, v in (attrs or {}).items()],
            "status": status,
        })
        return sid

    def lines(self):
        """Batches as the file exporter writes them: each line holds up to 8 spans of
        each node, so traces interleave across lines and nodes."""
        out = []
        cursor = {n: 0 for n in range(NODES)}
        while any(cursor[n] < len(self.spans[n]) for n in range(NODES)):
            rs = []
            for n in range(NODES):
                batch = self.spans[n][cursor[n]:cursor[n] + 8]
                cursor[n] += len(batch)
                if batch:
                    rs.append({
                        "resource": resource(n),
                        "scopeSpans": [{"scope": {"name": "ggen_p2p", "version": "0.3.0"}, "spans": batch}],
                    })
            out.append(json.dumps({"resourceSpans": rs}, separators=(",", ":")))
        return out


def swarm_init(d, node, base, bad_peer_id=False):
    t = d.trace()
    pid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG" if bad_peer_id else peer_id(node)
    root = d.span(node, t, None, "p2p.swarm.init", 0, 300, base,
                  attrs={"p2p.peer_id": pid, "bootstrap_node_count": 1, "connected_peers": NODES - 1})
    d.span(node, t, root, "swarm_create", 1, 20, base)
    d.span(node, t, root, "kad_bootstrap", 21, 200, base, kind=CLIENT)
    d.span(node, t, root, "gossipsub_subscribe", 201, 220, base, attrs={"topic": TOPIC})


def publish(d, i, base, defect=None):
    node = i % NODES
    t = d.trace()
    dht_ms = {"slow-p99": {2: 800, 9: 850}}.get(defect, {}).get(i, 48)
    end = 120 + dht_ms - 48
    root_status = OK
    root_attrs = {"package_id": f"pkg-{i}", "package_version": f"1.{i}.0"}
    if defect == "error-without-type":
        root_status = {"code": 2, "message": "DHT put failed"}
        root_attrs.update({"error.message": "DHT put failed", "error.type": "DhtPutError"})
    root = d.span(node, t, None, "p2p.package.publish", 0, end, base, attrs=root_attrs, status=root_status)
    v = d.span(node, t, root, "p2p.package.validate", 1, 11, base)
    d.span(node, t, v, "signature.verify", 2, 6, base)
    d.span(node, t, v, "content.hash", 6.5, 10.5, base)
    if defect != "missing-child":
        put_end = 12 + dht_ms + (10 if defect == "wrong-order" else 0)
        put_status, put_attrs = OK, {"kad.key": f"/ggen/pkg/pkg-{i}", "record_size_bytes": 512 + i}
        if defect == "error-without-type":
            put_status = {"code": 2, "message": "quorum not reached"}
            put_attrs["error.message"] = "quorum not reached"
        put = d.span(node, t, root, "dht.put", 12, put_end, base, kind=CLIENT, attrs=put_attrs, status=put_status)
        step = dht_ms / 3
        d.span(node, t, put, "kad.query_closest_peers", 13, 12 + step, base, kind=CLIENT)
        d.span(node, t, put, "kad.store_value", 12.5 + step, 12 + 2 * step, base, kind=CLIENT)
        d.span(node, t, put, "kad.confirm_storage", 12.5 + 2 * step, 11.5 + dht_ms, base)
    g0 = end - 59
    gp = d.span(node, t, root, "gossipsub.publish", g0, g0 + 49, base, kind=PRODUCER,
                attrs={"topic": TOPIC, "announcement_size_bytes": 180 + i})
    d.span(node, t, gp, "message.encode", g0 + 1, g0 + 3, base)
    d.span(node, t, gp, "peers.select", g0 + 4, g0 + 7, base)
    d.span(node, t, gp, "network.broadcast", g0 + 8, g0 + 39, base, kind=PRODUCER)
    for j in range(1, NODES):
        other = (node + j) % NODES
        p0 = g0 + 11 + j
        pr = d.span(other, t, gp, "p2p.gossip.propagate", p0, p0 + 28, base, kind=CONSUMER,
                    attrs={"topic": TOPIC, "source_peer": peer_id(node)})
        d.span(other, t, pr, "message_validation", p0 + 1, p0 + 5, base)
        d.span(other, t, pr, "peer_broadcast", p0 + 6, p0 + 20, base)
        d.span(other, t, pr, "mesh_maintenance", p0 + 21, p0 + 27, base)


def search(d, i, base):
    node = (i + 1) % NODES
    t = d.trace()
    root = d.span(node, t, None, "p2p.package.search", 0, 150, base,
                  attrs={"query_text": f"crypto {i}", "fan_out": NODES - 1, "local_results": 1,
                         "dht_results": 2, "total_results": 3})
    d.span(node, t, root, "dht_get_providers", 2, 20, base, kind=CLIENT)
    pq = d.span(node, t, root, "peer_query", 22, 90, base, attrs={"peers.contacted": NODES - 1})
    for j in range(1, NODES):
        q = d.span(node, t, pq, "dht_peer_query", 22 + 2 * j, 60 + 2 * j, base, kind=CLIENT,
                   attrs={"peer": peer_id((node + j) % NODES)})
        d.span((node + j) % NODES, t, q, "peer_query.serve", 24 + 2 * j, 55 + 2 * j, base, kind=SERVER)
    f = d.span(node, t, root, "content_fetch", 92, 140, base, kind=CLIENT, attrs={"chunks": 2})
    d.span((node + 1) % NODES, t, f, "content.serve", 95, 135, base, kind=SERVER)


def discovery(d, i, base):
    node = (i + 2) % NODES
    t = d.trace()
    root = d.span(node, t, None, "p2p.peer.discovery", 0, 80, base,
                  attrs={"new_reputation_score": round(0.5 + i / 40, 3), "discovered_peers": 2})
    d.span(node, t, root, "kad_query", 1, 30, base, kind=CLIENT)
    d.span(node, t, root, "identify_exchange", 31, 50, base, kind=CLIENT)
    d.span(node, t, root, "reputation_update", 51, 60, base)


def distribute(d, i, base):
    node = (i + 3) % NODES
    t = d.trace()
    root = d.span(node, t, None, "p2p.content.distribute", 0, 200, base, attrs={"chunk_count": 4})
    d.span(node, t, root, "chunked_transfer", 1, 100, base, kind=CLIENT)
    d.span(node, t, root, "peer_selection", 101, 120, base)
    d.span(node, t, root, "replication", 121, 190, base, kind=CLIENT)


def build(defect=None):
    d = Dump()
    for n in range(NODES):
        swarm_init(d, n, T0 + n * 10 * MS, bad_peer_id=(defect == "bad-peer-id" and n == 2))
    step = 1000 * MS
    for i in range(12):
        which = defect if (defect in ("missing-child",) and i == 3) or (defect == "wrong-order" and i == 5) \
            or (defect == "error-without-type" and i == 7) or defect == "slow-p99" else None
        publish(d, i, T0 + (i + 1) * step, which)
        search(d, i, T0 + (i + 1) * step + 300 * MS)
        if i < 10:
            discovery(d, i, T0 + (i + 1) * step + 500 * MS)
            distribute(d, i, T0 + (i + 1) * step + 600 * MS)
    return d.lines()


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in ["healthy", "missing-child", "wrong-order", "bad-peer-id", "error-without-type", "slow-p99"]:
        lines = build(None if name == "healthy" else name)
        with open(os.path.join(OUT, f"{name}.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
