//! A marketplace run: N libp2p nodes, each on its own thread with its own runtime, tracer
//! provider and resource, driven through the phases of a workload, their spans written by
//! one collector.

use crate::collector::{Collector, Msg, Output, Written};
use crate::market::{self, Node, NodeFaults, Package};
use crate::rng::Rng;
use crate::telemetry::{NodeTelemetry, OpError};
use anyhow::{Context as _, bail};
use libp2p::{Multiaddr, PeerId, identity};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// A fault injected on purpose, and what it leaves in the traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// The last node dies right after announcing its first package: that publish's root and
    /// `gossipsub.publish` never end, so its finished children and the receivers'
    /// `p2p.gossip.propagate` spans lose their parent.
    KillNode,
    /// Every announcement is lost on the receiving side: no `p2p.gossip.propagate` at all.
    DropGossip,
    /// Every node's record store refuses package records: DHT puts fail (ERROR spans),
    /// nothing is announced, searches find nothing to fetch.
    FailDht,
    /// Every Kademlia request takes 250 ms longer: DHT puts and publishes blow the p99 bound.
    SlowDht,
    /// Every announcement is held for a second on the receiving side before the application
    /// sees it (a slow link or a congested mesh): `p2p.gossip.propagate` spans start late, so
    /// publish traces last a second longer while the publishes themselves stay fast.
    DelayGossip,
    /// The collector's exporter loses every fourth batch: those spans never reach the dump
    /// (their children and parents are left orphaned or rootless), and with
    /// `--collector-telemetry` its counters say how many failed.
    LoseExport,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::KillNode => "kill-node",
            Fault::DropGossip => "drop-gossip",
            Fault::FailDht => "fail-dht",
            Fault::SlowDht => "slow-dht",
            Fault::DelayGossip => "delay-gossip",
            Fault::LoseExport => "lose-export",
        }
    }
}

/// How long `delay-gossip` holds each announcement.
const GOSSIP_DELAY: Duration = Duration::from_secs(1);

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub nodes: usize,
    pub seed: u64,
    pub publishes: usize,
    pub searches: usize,
    pub discoveries: usize,
    pub distributions: usize,
    pub fault: Option<Fault>,
    /// End the output with the Collector's own span counters (JSON lines only).
    pub collector_telemetry: bool,
    /// Write the nodes' log records, each with the trace and span it happened in, as
    /// `resourceLogs` lines beside the spans (JSON lines only).
    pub logs: bool,
}

impl Default for Config {
    fn default() -> Self {
        // Enough of each operation for a p99 over the rule pack's 10-sample minimum.
        Self {
            nodes: 4,
            seed: 1,
            publishes: 12,
            searches: 12,
            discoveries: 10,
            distributions: 10,
            fault: None,
            collector_telemetry: false,
            logs: false,
        }
    }
}

/// One node as the summary shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeSummary {
    pub index: usize,
    pub peer_id: String,
    pub instance_id: String,
    pub crashed: bool,
}

/// What happened in a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub nodes: Vec<NodeSummary>,
    pub fault: Option<&'static str>,
    /// Per operation: how many succeeded and how many failed (with their error types).
    pub operations: BTreeMap<&'static str, OpCounts>,
    pub spans: u64,
    /// Spans the collector lost on purpose (`lose-export`).
    pub spans_lost: u64,
    /// Log records written (`logs`).
    pub logs: u64,
    pub batches: u64,
    pub bytes: u64,
    pub elapsed_ms: u64,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct OpCounts {
    pub ok: u64,
    pub failed: BTreeMap<String, u64>,
    /// Operations whose node died before they finished.
    pub lost: u64,
}

enum Op {
    Publish {
        pkg: Package,
        crash_after_broadcast: bool,
    },
    Search(String),
    Discover,
    Distribute(String),
    /// Not traced: the harness asks how many topic peers, announcements and running handlers
    /// the node has.
    Status,
    Shutdown,
}

/// What a node answers: an operation done, or (for the harness) its status.
enum Answer {
    Done,
    Status(NodeStatus),
}

type OpReply = Result<Answer, OpError>;

struct Order {
    op: Op,
    done: oneshot::Sender<OpReply>,
}

struct NodeHandle {
    orders: mpsc::UnboundedSender<Order>,
    thread: std::thread::JoinHandle<()>,
    summary: NodeSummary,
    key: identity::Keypair,
    addr: Multiaddr,
}

/// Derives node `index`'s Ed25519 identity from the seed (the same seed, the same peer ids).
pub fn node_key(seed: u64, index: usize) -> identity::Keypair {
    let mut rng = Rng(seed ^ 0x6767_656e_7032_7000 ^ (index as u64).wrapping_mul(0x9E37_79B9));
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes);
    // 32 bytes are always a valid Ed25519 secret key.
    identity::Keypair::ed25519_from_bytes(bytes).expect("32 bytes make an Ed25519 secret key")
}

struct NodeSetup {
    index: usize,
    seed: u64,
    key: identity::Keypair,
    bootstrap: Vec<(PeerId, Multiaddr)>,
    faults: NodeFaults,
    max_record_bytes: usize,
    dht_delay: Duration,
    instance_id: String,
    collector: Sender<Msg>,
    logs: bool,
}

fn start_node(setup: NodeSetup) -> anyhow::Result<NodeHandle> {
    let (orders_tx, orders_rx) = mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let summary = NodeSummary {
        index: setup.index,
        peer_id: setup.key.public().to_peer_id().to_string(),
        instance_id: setup.instance_id.clone(),
        crashed: false,
    };
    let key = setup.key.clone();
    let thread = std::thread::Builder::new()
        .name(format!("node-{}", setup.index))
        .spawn(move || node_thread(setup, orders_rx, ready_tx))
        .context("cannot start a node thread")?;
    let addr = match ready_rx.recv() {
        Ok(Ok(addr)) => addr,
        Ok(Err(e)) => bail!("node {} did not start: {e}", summary.index),
        Err(_) => bail!("node {} stopped while starting", summary.index),
    };
    Ok(NodeHandle { orders: orders_tx, thread, summary, key, addr })
}

fn node_thread(
    setup: NodeSetup,
    mut orders: mpsc::UnboundedReceiver<Order>,
    ready: std::sync::mpsc::Sender<Result<Multiaddr, String>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("tokio runtime: {e}")));
            return;
        }
    };
    let peer_id = setup.key.public().to_peer_id();
    let telemetry =
        NodeTelemetry::install(setup.index, &peer_id.to_string(), &setup.instance_id, setup.collector, setup.logs);
    let crashed = runtime.block_on(async {
        let started = market::init(&setup.key, &setup.bootstrap, setup.max_record_bytes, setup.dht_delay).await;
        let (net, mut inbound, addr) = match started {
            Ok(s) => s,
            Err(e) => {
                let _ = ready.send(Err(e.to_string()));
                return false;
            }
        };
        let node = Arc::new(Node::new(net, setup.key.clone(), setup.faults, setup.seed, telemetry.alive()));
        let _ = ready.send(Ok(addr));
        loop {
            tokio::select! {
                order = orders.recv() => {
                    let Some(Order { op, done }) = order else { return false };
                    if let Op::Shutdown = op {
                        let _ = done.send(Ok(Answer::Done));
                        return false;
                    }
                    let node = node.clone();
                    tokio::spawn(async move {
                        let _ = done.send(run_op(&node, op).await);
                    });
                }
                Some(message) = inbound.recv() => {
                    let node = node.clone();
                    tokio::spawn(async move { node.handle(message).await });
                }
                () = node.wait_crashed() => return true,
            }
        }
    });
    // Dropping the runtime drops every task: spans still open end now, and a crashed node's
    // exporter discards them.
    drop(runtime);
    if !crashed {
        telemetry.shutdown();
    }
}

async fn run_op(node: &Node, op: Op) -> OpReply {
    match op {
        Op::Publish { pkg, crash_after_broadcast } => node.publish(pkg, crash_after_broadcast).await?,
        Op::Search(q) => node.search(q).await?,
        Op::Discover => node.discover().await?,
        Op::Distribute(id) => node.distribute(id).await?,
        Op::Status => {
            return Ok(Answer::Status(NodeStatus {
                topic_peers: node.net.topic_peers().await?.len(),
                in_flight: node.in_flight(),
                announced: node.announced().into_iter().collect(),
            }));
        }
        Op::Shutdown => {}
    }
    Ok(Answer::Done)
}

struct NodeStatus {
    topic_peers: usize,
    in_flight: usize,
    announced: Vec<String>,
}

impl NodeHandle {
    fn send(&self, op: Op) -> oneshot::Receiver<OpReply> {
        let (done, rx) = oneshot::channel();
        // A dead node drops the order; the receiver then reports it lost.
        let _ = self.orders.send(Order { op, done });
        rx
    }

    fn status(&self) -> Option<NodeStatus> {
        match self.send(Op::Status).blocking_recv() {
            Ok(Ok(Answer::Status(s))) => Some(s),
            _ => None,
        }
    }
}

/// Runs the scenario and writes its spans to `output`.
pub fn run(cfg: &Config, output: &Output) -> anyhow::Result<Summary> {
    anyhow::ensure!(cfg.nodes >= 2, "a marketplace needs at least 2 nodes");
    let started = Instant::now();
    let fault = cfg.fault;
    let behaviour = crate::collector::Behaviour {
        telemetry: cfg.collector_telemetry,
        lose_every: (fault == Some(Fault::LoseExport)).then_some(4),
        logs: cfg.logs,
    };
    let collector = Collector::start(output, behaviour)?;
    let mut nodes: Vec<NodeHandle> = Vec::with_capacity(cfg.nodes);
    // One after another: each new node bootstraps from the first and finds the others.
    for index in 0..cfg.nodes {
        let key = node_key(cfg.seed, index);
        let bootstrap = nodes.first().map(|n| vec![(n.key.public().to_peer_id(), n.addr.clone())]).unwrap_or_default();
        let setup = NodeSetup {
            index,
            seed: cfg.seed.wrapping_add(index as u64),
            key,
            bootstrap,
            faults: NodeFaults {
                drop_gossip: fault == Some(Fault::DropGossip),
                gossip_delay: if fault == Some(Fault::DelayGossip) { GOSSIP_DELAY } else { Duration::ZERO },
            },
            max_record_bytes: if fault == Some(Fault::FailDht) { 64 } else { 64 * 1024 },
            dht_delay: if fault == Some(Fault::SlowDht) { Duration::from_millis(250) } else { Duration::ZERO },
            instance_id: format!("ggen-node-{index}"),
            collector: collector.sender(),
            logs: cfg.logs,
        };
        nodes.push(start_node(setup)?);
    }
    wait_until(&nodes, Duration::from_secs(10), |s| s.topic_peers + 1 >= cfg.nodes)
        .context("the nodes did not all see each other on the package topic")?;

    let mut ops: BTreeMap<&'static str, OpCounts> = BTreeMap::new();
    let mut rng = Rng(cfg.seed);

    // Publishing, round robin over the nodes, all at once.
    let victim = cfg.nodes - 1;
    let mut pending = Vec::new();
    let mut packages = Vec::new();
    for k in 0..cfg.publishes {
        // The victim of `kill-node` publishes once, and dies doing it.
        let node = match k % cfg.nodes {
            n if n == victim && fault == Some(Fault::KillNode) && k >= cfg.nodes => 0,
            n => n,
        };
        let id = format!("{}-{k:03}", ["ggen-cli", "ggen-core", "ggen-ai", "ggen-utils", "ggen-marketplace"][k % 5]);
        let version = format!("{}.{}.{}", 1 + rng.below(3), rng.below(20), rng.below(10));
        let mut content = vec![0u8; 2048 + rng.below(6144) as usize];
        rng.fill(&mut content);
        let pkg = Package::new(id.clone(), version, content, &nodes[node].key);
        let crash_after_broadcast = fault == Some(Fault::KillNode) && node == victim;
        pending.push((node, id, nodes[node].send(Op::Publish { pkg, crash_after_broadcast })));
    }
    for (node, id, rx) in pending {
        if tally(ops.entry("publish").or_default(), rx) {
            packages.push((node, id));
        } else if fault == Some(Fault::KillNode) && node == victim {
            nodes[victim].summary.crashed = true;
        }
    }
    let alive: Vec<usize> = (0..cfg.nodes).filter(|i| !nodes[*i].summary.crashed).collect();
    // Let the announcements arrive before anyone searches (they never do when dropped).
    let expected: Vec<&str> = packages.iter().map(|(_, id)| id.as_str()).collect();
    let settle = if fault == Some(Fault::DropGossip) { Duration::from_millis(300) } else { Duration::from_secs(5) };
    let _ = wait_until_alive(&nodes, &alive, settle, |i, s| {
        expected.iter().zip(&packages).all(|(id, (owner, _))| *owner == i || s.announced.iter().any(|a| a == id))
    });

    // Discovery, distribution and search, all at once.
    let mut pending = Vec::new();
    for k in 0..cfg.discoveries {
        let node = alive[k % alive.len()];
        pending.push(("discover", nodes[node].send(Op::Discover)));
    }
    if !packages.is_empty() {
        for k in 0..cfg.distributions {
            let (owner, id) = &packages[k % packages.len()];
            pending.push(("distribute", nodes[*owner].send(Op::Distribute(id.clone()))));
        }
    }
    let searchable: Vec<String> = if packages.is_empty() {
        // Nothing was published: search for what should have been.
        (0..cfg.publishes).map(|k| format!("ggen-{k:03}")).collect()
    } else {
        packages.iter().map(|(_, id)| id.clone()).collect()
    };
    for k in 0..cfg.searches {
        let id = &searchable[k % searchable.len().max(1)];
        let owner = packages.iter().find(|(_, p)| p == id).map(|(o, _)| *o);
        // Someone who does not hold it.
        let candidates: Vec<usize> = alive.iter().copied().filter(|i| Some(*i) != owner).collect();
        let node = candidates[rng.below(candidates.len() as u64) as usize];
        pending.push(("search", nodes[node].send(Op::Search(id.clone()))));
    }
    for (name, rx) in pending {
        tally(ops.entry(name).or_default(), rx);
    }
    // Wait for the receiving sides to finish their spans, then stop everyone.
    let _ = wait_until_alive(&nodes, &alive, Duration::from_secs(5), |_, s| s.in_flight == 0);
    for &i in &alive {
        let _ = nodes[i].send(Op::Shutdown).blocking_recv();
    }
    let mut summaries = Vec::new();
    for n in nodes {
        if n.thread.join().is_err() {
            bail!("node {} panicked", n.summary.index);
        }
        summaries.push(n.summary);
    }
    let Written { spans, batches, bytes, lost, logs } = collector.finish()?;
    Ok(Summary {
        nodes: summaries,
        fault: fault.map(Fault::name),
        operations: ops,
        spans,
        spans_lost: lost,
        logs,
        batches,
        bytes,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// Records an operation's outcome; true when it succeeded.
fn tally(counts: &mut OpCounts, rx: oneshot::Receiver<OpReply>) -> bool {
    match rx.blocking_recv() {
        Ok(Ok(_)) => {
            counts.ok += 1;
            true
        }
        Ok(Err(e)) => {
            *counts.failed.entry(e.kind).or_default() += 1;
            false
        }
        Err(_) => {
            counts.lost += 1;
            false
        }
    }
}

fn wait_until(nodes: &[NodeHandle], limit: Duration, ok: impl Fn(&NodeStatus) -> bool) -> anyhow::Result<()> {
    let all: Vec<usize> = (0..nodes.len()).collect();
    wait_until_alive(nodes, &all, limit, |_, s| ok(s))
}

fn wait_until_alive(
    nodes: &[NodeHandle],
    alive: &[usize],
    limit: Duration,
    ok: impl Fn(usize, &NodeStatus) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let done = alive.iter().all(|&i| nodes[i].status().is_some_and(|s| ok(i, &s)));
        if done {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("gave up after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
