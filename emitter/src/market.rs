//! The marketplace operations of one node, each a trace whose span names, hierarchy and
//! attributes are those of SPEC section 8, doing real work over the network.

use crate::net::{self, Inbound, Net, Request, Response, TOPIC};
use crate::rng::Rng;
use crate::telemetry::{OpError, continue_from, traced, traceparent};
use libp2p::futures::future::join_all;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use libp2p::kad::{Record, RecordKey};
use libp2p::{PeerId, identity};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::{field, info_span};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// A package as its author hands it to the publishing node: content plus the author's
/// signature over `id`, `version` and the content digest.
#[derive(Clone, Debug)]
pub(crate) struct Package {
    pub id: String,
    pub version: String,
    pub content: Vec<u8>,
    pub sha256: String,
    pub signature: Vec<u8>,
}

impl Package {
    pub(crate) fn new(id: String, version: String, content: Vec<u8>, author: &identity::Keypair) -> Self {
        let sha256 = hex(&Sha256::digest(&content));
        let signature = author.sign(&signed_bytes(&id, &version, &sha256)).unwrap_or_default();
        Self { id, version, content, sha256, signature }
    }
}

fn signed_bytes(id: &str, version: &str, sha256: &str) -> Vec<u8> {
    format!("{id}\n{version}\n{sha256}").into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    tracecheck_wire::hex::encode(bytes)
}

fn record_key(package_id: &str) -> String {
    format!("/ggen/packages/{package_id}")
}

/// The gossipsub announcement of a new package.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Announcement {
    package_id: String,
    version: String,
    publisher: String,
    sha256: String,
    size: u64,
    traceparent: String,
}

/// The DHT record of a package.
#[derive(Serialize)]
struct PackageRecord<'a> {
    package_id: &'a str,
    version: &'a str,
    publisher: String,
    sha256: &'a str,
    size: u64,
}

/// Faults a node can suffer on purpose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NodeFaults {
    /// Received announcements are lost before the application sees them.
    pub drop_gossip: bool,
    /// Received announcements wait this long before the application sees them.
    pub gossip_delay: Duration,
}

#[derive(Default)]
struct State {
    /// Packages whose content this node holds.
    catalog: BTreeMap<String, Package>,
    /// Packages announced by others.
    announced: BTreeMap<String, Announcement>,
    chunks: HashMap<(String, u32), Vec<u8>>,
    replicas: BTreeMap<String, Vec<String>>,
    reputation: HashMap<PeerId, f64>,
}

/// One marketplace node: its network handle and what it knows.
pub(crate) struct Node {
    pub net: Net,
    pub peer_id: PeerId,
    key: identity::Keypair,
    faults: NodeFaults,
    state: Mutex<State>,
    rng: Mutex<Rng>,
    /// Handlers of inbound messages still running.
    in_flight: AtomicUsize,
    /// The node's exporter; cleared when the node crashes.
    telemetry_alive: Arc<AtomicBool>,
    crashed: tokio::sync::Notify,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("peer_id", &self.peer_id).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A handler that panicked holding the lock leaves consistent data behind (every update is
    // one statement), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How long a crashing node's connections stay up so queued bytes leave.
const CRASH_LINGER: Duration = Duration::from_millis(300);
/// Chunk size for content distribution.
const CHUNK_BYTES: usize = 1024;

impl Node {
    pub(crate) fn new(
        net: Net,
        key: identity::Keypair,
        faults: NodeFaults,
        seed: u64,
        telemetry_alive: Arc<AtomicBool>,
    ) -> Self {
        Self {
            net,
            peer_id: key.public().to_peer_id(),
            key,
            faults,
            state: Mutex::new(State::default()),
            rng: Mutex::new(Rng(seed)),
            in_flight: AtomicUsize::new(0),
            telemetry_alive,
            crashed: tokio::sync::Notify::new(),
        }
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub(crate) fn announced(&self) -> BTreeSet<String> {
        lock(&self.state).announced.keys().cloned().collect()
    }

    pub(crate) async fn wait_crashed(&self) {
        self.crashed.notified().await;
    }

    /// The process dies: its exporter goes silent at once (open spans are lost), its
    /// connections stay up a moment for bytes already queued, then everything stops.
    async fn crash(&self) -> ! {
        self.telemetry_alive.store(false, Ordering::Release);
        self.net.crash(CRASH_LINGER);
        tokio::time::sleep(CRASH_LINGER).await;
        self.crashed.notify_one();
        std::future::pending().await
    }

    /// `p2p.package.publish`: validate, store the record in the DHT, announce on gossipsub.
    /// With `crash_after_broadcast` the node dies right after the announcement leaves.
    pub(crate) async fn publish(&self, pkg: Package, crash_after_broadcast: bool) -> Result<(), OpError> {
        let root = info_span!(
            "p2p.package.publish",
            package_id = %pkg.id,
            package_version = %pkg.version,
            package.size_bytes = pkg.content.len() as i64,
        );
        traced(root, async {
            self.validate(&pkg).await?;
            self.dht_put(&pkg).await?;
            lock(&self.state).catalog.insert(pkg.id.clone(), pkg.clone());
            self.announce(&pkg, crash_after_broadcast).await
        })
        .await
    }

    async fn validate(&self, pkg: &Package) -> Result<(), OpError> {
        traced(info_span!("p2p.package.validate"), async {
            traced(info_span!("signature.verify", signature.algorithm = "ed25519"), async {
                let ok = self.key.public().verify(&signed_bytes(&pkg.id, &pkg.version, &pkg.sha256), &pkg.signature);
                if ok {
                    Ok(())
                } else {
                    Err(OpError::new("package.BadSignature", "the author's signature does not match the package"))
                }
            })
            .await?;
            traced(info_span!("content.hash", hash.algorithm = "sha256"), async {
                let actual = hex(&Sha256::digest(&pkg.content));
                if actual == pkg.sha256 {
                    Ok(())
                } else {
                    Err(OpError::new("package.DigestMismatch", format!("content hashes to {actual}")))
                }
            })
            .await
        })
        .await
    }

    async fn dht_put(&self, pkg: &Package) -> Result<(), OpError> {
        let key = record_key(&pkg.id);
        let value = serde_json::to_vec(&PackageRecord {
            package_id: &pkg.id,
            version: &pkg.version,
            publisher: self.peer_id.to_string(),
            sha256: &pkg.sha256,
            size: pkg.content.len() as u64,
        })
        .map_err(|e| OpError::new("encode", e.to_string()))?;
        let span = info_span!(
            "dht.put",
            otel.kind = "client",
            kad.key = %key,
            record_size_bytes = value.len() as i64,
        );
        traced(span, async {
            let peers = traced(info_span!("kad.query_closest_peers", otel.kind = "client"), async {
                let peers = self.net.closest_peers(key.clone().into_bytes()).await?;
                tracing::Span::current().set_attribute("kad.peers_found", peers.len() as i64);
                if peers.is_empty() {
                    return Err(OpError::new("kad.NoPeers", "no peer close to the key answered"));
                }
                Ok(peers)
            })
            .await?;
            let targets = peers.len() as i64;
            traced(info_span!("kad.store_value", otel.kind = "client", kad.quorum = 1, kad.targets = targets), async {
                let record = Record::new(RecordKey::new(&key), value);
                self.net.put_record_to(record, peers).await?;
                self.net.start_providing(RecordKey::new(&key)).await
            })
            .await?;
            traced(info_span!("kad.confirm_storage", otel.kind = "client"), async {
                let holder = self.net.get_record(RecordKey::new(&key)).await?;
                let holder = holder.map_or_else(|| "local".to_owned(), |p| p.to_string());
                tracing::Span::current().set_attribute("kad.confirmed_by", holder);
                Ok(())
            })
            .await
        })
        .await
    }

    async fn announce(&self, pkg: &Package, crash_after_broadcast: bool) -> Result<(), OpError> {
        let span =
            info_span!("gossipsub.publish", otel.kind = "producer", topic = TOPIC, messaging.system = "gossipsub");
        traced(span.clone(), async {
            let data = traced(info_span!("message.encode"), async {
                let announcement = Announcement {
                    package_id: pkg.id.clone(),
                    version: pkg.version.clone(),
                    publisher: self.peer_id.to_string(),
                    sha256: pkg.sha256.clone(),
                    size: pkg.content.len() as u64,
                    // Receivers continue this span's trace.
                    traceparent: traceparent(&span),
                };
                serde_json::to_vec(&announcement).map_err(|e| OpError::new("encode", e.to_string()))
            })
            .await?;
            span.set_attribute("announcement_size_bytes", data.len() as i64);
            traced(info_span!("peers.select"), async {
                let peers = self.net.topic_peers().await?;
                tracing::Span::current().set_attribute("peers.selected", peers.len() as i64);
                if peers.is_empty() {
                    return Err(OpError::new("gossipsub.InsufficientPeers", "no peer subscribes to the topic"));
                }
                Ok(())
            })
            .await?;
            traced(info_span!("network.broadcast"), async {
                let id = self.net.publish(data).await?;
                tracing::Span::current().set_attribute("messaging.message.id", id.to_string());
                Ok(())
            })
            .await?;
            tracing::info!(package_id = %pkg.id, package_version = %pkg.version, "announced {}", pkg.id);
            if crash_after_broadcast {
                self.crash().await;
            }
            Ok(())
        })
        .await
    }

    /// `p2p.package.search`: local lookup, DHT providers, fan-out to peers, then a fetch.
    pub(crate) async fn search(&self, query: String) -> Result<(), OpError> {
        let root = info_span!("p2p.package.search", query_text = %query);
        traced(root.clone(), async {
            let local = {
                let st = lock(&self.state);
                st.catalog.keys().chain(st.announced.keys()).filter(|id| id.contains(&query)).count()
            };
            root.set_attribute("local_results", local as i64);
            let key = record_key(&query);
            let providers = traced(info_span!("dht_get_providers", otel.kind = "client", kad.key = %key), async {
                let providers = self.net.get_providers(RecordKey::new(&key)).await?;
                tracing::Span::current().set_attribute("kad.providers_found", providers.len() as i64);
                Ok(providers)
            })
            .await?;
            root.set_attribute("dht_results", providers.len() as i64);
            let mut peers = self.net.connected_peers().await?;
            peers.sort();
            peers.truncate(3);
            root.set_attribute("fan_out", peers.len() as i64);
            let holders = self.peer_query(&query, &peers).await?;
            let sources: BTreeSet<PeerId> = providers.iter().chain(&holders).copied().collect();
            root.set_attribute("total_results", (sources.len() + local) as i64);
            tracing::info!(
                total_results = (sources.len() + local) as i64,
                "search for {query:?} found {} source(s)",
                sources.len() + local
            );
            let from = providers.first().or(holders.first()).copied();
            self.content_fetch(&query, from).await
        })
        .await
    }

    async fn peer_query(&self, query: &str, peers: &[PeerId]) -> Result<Vec<PeerId>, OpError> {
        let span = info_span!("peer_query", peers.contacted = peers.len() as i64);
        traced(span, async {
            if peers.is_empty() {
                return Err(OpError::new("search.NoPeers", "no connected peer to ask"));
            }
            let asks = peers.iter().map(|peer| async move {
                let span = info_span!("dht_peer_query", otel.kind = "client", peer.id = %peer);
                let request = Request::Search { query: query.to_owned(), traceparent: traceparent(&span) };
                let r = traced(span, async {
                    match self.net.request(*peer, request).await? {
                        Response::Hits { package_ids } => {
                            tracing::Span::current().set_attribute("hits", package_ids.len() as i64);
                            Ok(!package_ids.is_empty())
                        }
                        other => Err(unexpected(&other)),
                    }
                })
                .await;
                (*peer, r)
            });
            let answers = join_all(asks).await;
            let answered = answers.iter().filter(|(_, r)| r.is_ok()).count();
            if answered == 0 {
                return Err(OpError::new("search.NoAnswers", "no peer answered the query"));
            }
            Ok(answers.into_iter().filter_map(|(p, r)| matches!(r, Ok(true)).then_some(p)).collect())
        })
        .await
    }

    async fn content_fetch(&self, package_id: &str, from: Option<PeerId>) -> Result<(), OpError> {
        let span = info_span!("content_fetch", otel.kind = "client", package_id = %package_id);
        traced(span.clone(), async {
            let Some(peer) = from else {
                return Err(OpError::new("search.NotFound", format!("no peer holds {package_id}")));
            };
            span.set_attribute("peer.id", peer.to_string());
            let request = Request::Fetch { package_id: package_id.to_owned(), traceparent: traceparent(&span) };
            match self.net.request(peer, request).await? {
                Response::Content { data, sha256, .. } => {
                    let actual = hex(&Sha256::digest(&data));
                    if actual != sha256 {
                        return Err(OpError::new(
                            "package.DigestMismatch",
                            format!("fetched content hashes to {actual}"),
                        ));
                    }
                    span.set_attribute("content.size_bytes", data.len() as i64);
                    Ok(())
                }
                other => Err(unexpected(&other)),
            }
        })
        .await
    }

    /// `p2p.peer.discovery`: a Kademlia walk, an identify exchange with a found peer, and the
    /// peer's reputation updated from how that went.
    pub(crate) async fn discover(&self) -> Result<(), OpError> {
        let root = info_span!("p2p.peer.discovery");
        traced(root.clone(), async {
            let mut target = [0u8; 32];
            lock(&self.rng).fill(&mut target);
            let found = traced(info_span!("kad_query", otel.kind = "client"), async {
                let found = self.net.closest_peers(target.to_vec()).await?;
                tracing::Span::current().set_attribute("kad.peers_found", found.len() as i64);
                Ok(found)
            })
            .await?;
            let connected = self.net.connected_peers().await?;
            let pick = lock(&self.rng).below(found.len() as u64) as usize;
            let peer = found
                .iter()
                .cycle()
                .skip(pick)
                .take(found.len())
                .find(|p| connected.contains(p))
                .copied()
                .ok_or_else(|| OpError::new("discovery.NoPeer", "no connected peer among those found"))?;
            root.set_attribute("peer.id", peer.to_string());
            let exchange = traced(info_span!("identify_exchange", peer.id = %peer), async {
                let (agent, protocols) = self.net.identify(peer).await?;
                let span = tracing::Span::current();
                span.set_attribute("identify.agent_version", agent);
                span.set_attribute("identify.protocols", protocols as i64);
                Ok(())
            })
            .await;
            let score = traced(info_span!("reputation_update", peer.id = %peer), async {
                let mut st = lock(&self.state);
                let old = st.reputation.get(&peer).copied().unwrap_or(0.5);
                let new = 0.8 * old + if exchange.is_ok() { 0.2 } else { 0.0 };
                st.reputation.insert(peer, new);
                let span = tracing::Span::current();
                span.set_attribute("previous_reputation_score", old);
                span.set_attribute("new_reputation_score", new);
                Ok(new)
            })
            .await?;
            root.set_attribute("new_reputation_score", score);
            exchange
        })
        .await
    }

    /// `p2p.content.distribute`: send the content in chunks to one peer, pick replica holders
    /// near the content key, and have them keep a replica.
    pub(crate) async fn distribute(&self, package_id: String) -> Result<(), OpError> {
        let root = info_span!("p2p.content.distribute", package_id = %package_id);
        traced(root.clone(), async {
            let pkg = lock(&self.state)
                .catalog
                .get(&package_id)
                .cloned()
                .ok_or_else(|| OpError::new("distribute.NotHeld", format!("{package_id} is not held here")))?;
            let mut peers = self.net.connected_peers().await?;
            peers.sort();
            let primary = *peers
                .get(lock(&self.rng).below(peers.len() as u64) as usize)
                .ok_or_else(|| OpError::new("distribute.NoPeers", "no connected peer"))?;
            let chunks: Vec<&[u8]> = pkg.content.chunks(CHUNK_BYTES).collect();
            root.set_attribute("chunks", chunks.len() as i64);
            let span =
                info_span!("chunked_transfer", otel.kind = "client", peer.id = %primary, chunks = chunks.len() as i64);
            traced(span.clone(), async {
                for (index, chunk) in chunks.iter().enumerate() {
                    let request = Request::Chunk {
                        package_id: package_id.clone(),
                        index: index as u32,
                        data: chunk.to_vec(),
                        traceparent: traceparent(&span),
                    };
                    match self.net.request(primary, request).await? {
                        Response::Stored { .. } => {}
                        other => return Err(unexpected(&other)),
                    }
                }
                Ok(())
            })
            .await?;
            let replicas = traced(info_span!("peer_selection", otel.kind = "client"), async {
                let closest = self.net.closest_peers(record_key(&package_id).into_bytes()).await?;
                let chosen: Vec<PeerId> =
                    closest.into_iter().filter(|p| *p != primary && *p != self.peer_id).take(2).collect();
                tracing::Span::current().set_attribute("replicas.selected", chosen.len() as i64);
                Ok(chosen)
            })
            .await?;
            let digests: Vec<String> = chunks.iter().map(|c| hex(&Sha256::digest(c))).collect();
            let span = info_span!("replication", replicas = replicas.len() as i64);
            traced(span.clone(), async {
                let asks = replicas.iter().map(|peer| {
                    let request = Request::Replicate {
                        package_id: package_id.clone(),
                        chunk_digests: digests.clone(),
                        traceparent: traceparent(&span),
                    };
                    self.net.request(*peer, request)
                });
                for answer in join_all(asks).await {
                    match answer? {
                        Response::Stored { .. } => {}
                        other => return Err(unexpected(&other)),
                    }
                }
                Ok(())
            })
            .await
        })
        .await
    }

    /// Handles one inbound message; counted in [`Node::in_flight`] while it runs.
    pub(crate) async fn handle(&self, inbound: Inbound) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        match inbound {
            Inbound::Gossip { id, source, data } => self.on_gossip(id, source, data).await,
            Inbound::Request { peer, request, channel } => {
                let response = self.serve(peer, request).await;
                let _ = self.net.respond(channel, response);
            }
        }
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    /// `p2p.gossip.propagate`, a child of the sender's `gossipsub.publish`.
    async fn on_gossip(&self, id: MessageId, source: PeerId, data: Vec<u8>) {
        if self.faults.drop_gossip {
            // Lost on the way in: the application never sees it, no span records it.
            let _ = self.net.validate(id, source, MessageAcceptance::Ignore).await;
            return;
        }
        if !self.faults.gossip_delay.is_zero() {
            // Held on the way in: the handler (and its span) starts late.
            tokio::time::sleep(self.faults.gossip_delay).await;
        }
        let decoded: Result<Announcement, _> = serde_json::from_slice(&data);
        let span = info_span!(
            "p2p.gossip.propagate",
            otel.kind = "consumer",
            messaging.system = "gossipsub",
            messaging.destination.name = TOPIC,
            messaging.message.id = %id,
            p2p.source_peer = %source,
        );
        let span = match &decoded {
            Ok(a) => continue_from(span, &a.traceparent),
            Err(_) => span,
        };
        let _ = traced(span, async {
            let validated = traced(info_span!("message_validation"), async {
                let a = decoded.map_err(|e| OpError::new("gossip.Malformed", e.to_string()))?;
                if a.sha256.len() != 64 || a.package_id.is_empty() || a.version.is_empty() {
                    return Err(OpError::new("gossip.Invalid", "announcement lacks a package id, version or digest"));
                }
                Ok(a)
            })
            .await;
            let announcement = match validated {
                Ok(a) => a,
                Err(e) => {
                    let _ = self.net.validate(id, source, MessageAcceptance::Reject).await;
                    return Err(e);
                }
            };
            tracing::info!(package_id = %announcement.package_id, "announcement of {} from {source}", announcement.package_id);
            traced(info_span!("peer_broadcast"), async {
                let forwarded = self.net.validate(id.clone(), source, MessageAcceptance::Accept).await?;
                tracing::Span::current().set_attribute("peers.forwarded", forwarded as i64);
                Ok(())
            })
            .await?;
            traced(info_span!("mesh_maintenance"), async {
                let mesh = self.net.mesh_peers().await?;
                tracing::Span::current().set_attribute("mesh.peers", mesh.len() as i64);
                lock(&self.state).announced.insert(announcement.package_id.clone(), announcement);
                Ok(())
            })
            .await
        })
        .await;
    }

    /// Server side of the marketplace protocol, each request a SERVER span continuing the
    /// caller's trace.
    async fn serve(&self, peer: PeerId, request: Request) -> Response {
        let (span, traceparent) = match &request {
            Request::Search { query, traceparent } => {
                (info_span!("peer_query.serve", otel.kind = "server", query_text = %query), traceparent)
            }
            Request::Fetch { package_id, traceparent } => {
                (info_span!("content.serve", otel.kind = "server", package_id = %package_id), traceparent)
            }
            Request::Chunk { package_id, index, traceparent, .. } => (
                info_span!("chunk.store", otel.kind = "server", package_id = %package_id, chunk.index = i64::from(*index)),
                traceparent,
            ),
            Request::Replicate { package_id, traceparent, .. } => {
                (info_span!("replica.store", otel.kind = "server", package_id = %package_id), traceparent)
            }
        };
        let span = continue_from(span, traceparent);
        span.set_attribute("peer.id", peer.to_string());
        let result = traced(span, async {
            let mut st = lock(&self.state);
            Ok(match request {
                Request::Search { query, .. } => {
                    let package_ids: Vec<String> =
                        st.catalog.keys().filter(|id| id.contains(&query)).cloned().collect();
                    tracing::Span::current().set_attribute("hits", package_ids.len() as i64);
                    Response::Hits { package_ids }
                }
                Request::Fetch { package_id, .. } => {
                    let pkg = st
                        .catalog
                        .get(&package_id)
                        .ok_or_else(|| OpError::new("package.NotFound", format!("{package_id} is not held here")))?;
                    Response::Content { package_id, data: pkg.content.clone(), sha256: pkg.sha256.clone() }
                }
                Request::Chunk { package_id, index, data, .. } => {
                    let bytes = data.len() as u64;
                    st.chunks.insert((package_id, index), data);
                    Response::Stored { bytes }
                }
                Request::Replicate { package_id, chunk_digests, .. } => {
                    let bytes = chunk_digests.len() as u64;
                    st.replicas.insert(package_id, chunk_digests);
                    Response::Stored { bytes }
                }
            })
        })
        .await;
        result.unwrap_or_else(|e| Response::Failed { error_type: e.kind, message: e.message })
    }
}

fn unexpected(response: &Response) -> OpError {
    match response {
        Response::Failed { error_type, message } => OpError::new(error_type.clone(), message.clone()),
        other => OpError::new("protocol.UnexpectedResponse", format!("{other:?}")),
    }
}

/// `p2p.swarm.init`: create the swarm and listen, bootstrap Kademlia, subscribe to the topic.
pub(crate) async fn init(
    key: &identity::Keypair,
    bootstrap: &[(PeerId, libp2p::Multiaddr)],
    max_record_bytes: usize,
    dht_delay: Duration,
) -> Result<(Net, tokio::sync::mpsc::UnboundedReceiver<Inbound>, libp2p::Multiaddr), OpError> {
    let peer_id = key.public().to_peer_id();
    let root = info_span!(
        "p2p.swarm.init",
        p2p.peer_id = %peer_id,
        bootstrap_node_count = bootstrap.len() as i64,
        connected_peers = field::Empty,
    );
    traced(root.clone(), async {
        let (swarm, addr) = traced(info_span!("swarm_create", transport = "tcp+noise+yamux"), async {
            let mut swarm = net::build_swarm(key.clone(), max_record_bytes)
                .map_err(|e| OpError::new("swarm.BuildError", e.to_string()))?;
            let addr = net::listen(&mut swarm).await?;
            tracing::Span::current().set_attribute("listen_address", addr.to_string());
            Ok((swarm, addr))
        })
        .await?;
        let (net, inbound) = net::spawn(swarm, dht_delay);
        traced(
            info_span!("kad_bootstrap", otel.kind = "client", bootstrap_node_count = bootstrap.len() as i64),
            async {
                if bootstrap.is_empty() {
                    // The first node is everyone else's bootstrap node.
                    return Ok(());
                }
                for (peer, addr) in bootstrap {
                    net.add_address(*peer, addr.clone())?;
                }
                net.bootstrap().await?;
                let dialled = net.dial_known().await?;
                tracing::Span::current().set_attribute("peers.dialled", dialled as i64);
                // Wait (briefly) for those dials, so the node starts connected to whom it found.
                for _ in 0..50 {
                    if net.connected_peers().await?.len() >= dialled {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok(())
            },
        )
        .await?;
        traced(info_span!("gossipsub_subscribe", topic = TOPIC), net.subscribe()).await?;
        let connected = net.connected_peers().await?.len();
        root.record("connected_peers", connected as i64);
        tracing::info!(connected_peers = connected as i64, "node {peer_id} listening on {addr}");
        Ok((net, inbound, addr))
    })
    .await
}
