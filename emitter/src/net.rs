//! A libp2p node: TCP on loopback, noise, yamux, Kademlia, gossipsub, identify and a
//! request-response protocol for the marketplace. One task owns the swarm ([`drive`]);
//! operations talk to it through [`Net`], and inbound messages come out as [`Inbound`].

use crate::telemetry::OpError;
use libp2p::futures::StreamExt as _;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId};
use libp2p::kad::{self, store::MemoryStore, store::MemoryStoreConfig};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, identify, identity, noise, tcp, yamux};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub(crate) const TOPIC: &str = "/ggen/packages/v1";
const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/ggen/kad/1.0.0");
/// Loopback answers in milliseconds; a query still running after this has failed.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
const MARKET_PROTOCOL: StreamProtocol = StreamProtocol::new("/ggen/market/1.0.0");

/// Requests between marketplace nodes; each carries the caller's `traceparent`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Request {
    /// Which packages matching `query` do you hold?
    Search { query: String, traceparent: String },
    /// Send me the content of a package.
    Fetch { package_id: String, traceparent: String },
    /// Store one chunk of a package's content.
    Chunk { package_id: String, index: u32, data: Vec<u8>, traceparent: String },
    /// Keep a replica of a package: the chunk digests to hold.
    Replicate { package_id: String, chunk_digests: Vec<String>, traceparent: String },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Response {
    Hits { package_ids: Vec<String> },
    Content { package_id: String, data: Vec<u8>, sha256: String },
    Stored { bytes: u64 },
    Failed { error_type: String, message: String },
}

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    kad: kad::Behaviour<MemoryStore>,
    gossipsub: gossipsub::Behaviour,
    identify: identify::Behaviour,
    market: request_response::json::Behaviour<Request, Response>,
}

/// Builds a node's swarm. `max_record_bytes` limits the Kademlia record store (a store that
/// refuses records is how the `fail-dht` fault is made).
pub(crate) fn build_swarm(key: identity::Keypair, max_record_bytes: usize) -> anyhow::Result<Swarm<Behaviour>> {
    let swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)?
        .with_behaviour(|key| {
            let peer_id = key.public().to_peer_id();
            let mut kad_config = kad::Config::new(KAD_PROTOCOL);
            kad_config
                .set_query_timeout(QUERY_TIMEOUT)
                .set_substreams_timeout(QUERY_TIMEOUT)
                .set_periodic_bootstrap_interval(None)
                .set_replication_interval(None)
                .set_publication_interval(None)
                .set_provider_publication_interval(None);
            let store = MemoryStore::with_config(
                peer_id,
                MemoryStoreConfig { max_value_bytes: max_record_bytes, ..MemoryStoreConfig::default() },
            );
            let mut kad = kad::Behaviour::with_config(peer_id, store, kad_config);
            // Loopback addresses are never confirmed external, so ask for server mode outright.
            kad.set_mode(Some(kad::Mode::Server));
            let gossip_config = gossipsub::ConfigBuilder::default()
                .heartbeat_initial_delay(Duration::from_millis(100))
                .heartbeat_interval(Duration::from_millis(100))
                // Messages stay in the cache (and can still be validated and forwarded) for 2 s:
                // longer than `delay-gossip` holds them.
                .history_length(20)
                .validation_mode(gossipsub::ValidationMode::Strict)
                .validate_messages()
                .build()
                .map_err(|e| anyhow::anyhow!("gossipsub config: {e}"))?;
            let gossipsub =
                gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), gossip_config)
                    .map_err(|e| anyhow::anyhow!("gossipsub: {e}"))?;
            let identify = identify::Behaviour::new(
                identify::Config::new("/ggen/1.0.0".into(), key.public())
                    .with_agent_version(format!("tracecheck-emit/{}", env!("CARGO_PKG_VERSION"))),
            );
            let market = request_response::json::Behaviour::new(
                [(MARKET_PROTOCOL, ProtocolSupport::Full)],
                request_response::Config::default().with_request_timeout(Duration::from_secs(5)),
            );
            Ok(Behaviour { kad, gossipsub, identify, market })
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
        .build();
    Ok(swarm)
}

/// Listens on a fresh loopback TCP port and waits for the address.
pub(crate) async fn listen(swarm: &mut Swarm<Behaviour>) -> Result<Multiaddr, OpError> {
    let addr: Multiaddr = "/ip4/127.0.0.1/tcp/0".parse().map_err(|e| OpError::new("multiaddr", format!("{e}")))?;
    swarm.listen_on(addr).map_err(|e| OpError::new("transport.ListenError", e.to_string()))?;
    loop {
        if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await {
            return Ok(address);
        }
    }
}

type Reply<T> = oneshot::Sender<Result<T, OpError>>;

enum Cmd {
    AddAddress {
        peer: PeerId,
        addr: Multiaddr,
    },
    Bootstrap {
        reply: Reply<()>,
    },
    DialKnown {
        reply: Reply<usize>,
    },
    ClosestPeers {
        key: Vec<u8>,
        reply: Reply<Vec<PeerId>>,
    },
    PutRecordTo {
        record: kad::Record,
        peers: Vec<PeerId>,
        reply: Reply<()>,
    },
    StartProviding {
        key: kad::RecordKey,
        reply: Reply<()>,
    },
    GetRecord {
        key: kad::RecordKey,
        reply: Reply<Option<PeerId>>,
    },
    GetProviders {
        key: kad::RecordKey,
        reply: Reply<Vec<PeerId>>,
    },
    Subscribe {
        reply: Reply<()>,
    },
    TopicPeers {
        reply: Reply<Vec<PeerId>>,
    },
    MeshPeers {
        reply: Reply<Vec<PeerId>>,
    },
    ConnectedPeers {
        reply: Reply<Vec<PeerId>>,
    },
    Publish {
        data: Vec<u8>,
        reply: Reply<MessageId>,
    },
    Validate {
        id: MessageId,
        source: PeerId,
        accept: MessageAcceptance,
        reply: Reply<usize>,
    },
    Request {
        peer: PeerId,
        request: Request,
        reply: Reply<Response>,
    },
    Respond {
        channel: ResponseChannel<Response>,
        response: Response,
    },
    Identify {
        peer: PeerId,
        reply: Reply<(String, usize)>,
    },
    /// Keep the connections up for `linger` (bytes already queued leave), then drop everything.
    Crash {
        linger: Duration,
    },
}

/// What arrives from other nodes.
#[derive(Debug)]
pub(crate) enum Inbound {
    Gossip { id: MessageId, source: PeerId, data: Vec<u8> },
    Request { peer: PeerId, request: Request, channel: ResponseChannel<Response> },
}

/// The handle operations use to drive the network.
#[derive(Clone, Debug)]
pub(crate) struct Net {
    tx: mpsc::UnboundedSender<Cmd>,
    /// Added before every Kademlia request (the `slow-dht` fault).
    dht_delay: Duration,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cmd")
    }
}

fn stopped() -> OpError {
    OpError::new("node.Stopped", "the node's network task has stopped")
}

impl Net {
    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Cmd) -> Result<T, OpError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    async fn dht_pause(&self) {
        if !self.dht_delay.is_zero() {
            tokio::time::sleep(self.dht_delay).await;
        }
    }

    pub(crate) fn add_address(&self, peer: PeerId, addr: Multiaddr) -> Result<(), OpError> {
        self.tx.send(Cmd::AddAddress { peer, addr }).map_err(|_| stopped())
    }
    pub(crate) async fn bootstrap(&self) -> Result<(), OpError> {
        self.call(|reply| Cmd::Bootstrap { reply }).await
    }
    /// Dials every peer in the routing table not connected yet; returns how many it dialled.
    pub(crate) async fn dial_known(&self) -> Result<usize, OpError> {
        self.call(|reply| Cmd::DialKnown { reply }).await
    }
    pub(crate) async fn closest_peers(&self, key: Vec<u8>) -> Result<Vec<PeerId>, OpError> {
        self.dht_pause().await;
        self.call(|reply| Cmd::ClosestPeers { key, reply }).await
    }
    pub(crate) async fn put_record_to(&self, record: kad::Record, peers: Vec<PeerId>) -> Result<(), OpError> {
        self.dht_pause().await;
        self.call(|reply| Cmd::PutRecordTo { record, peers, reply }).await
    }
    pub(crate) async fn start_providing(&self, key: kad::RecordKey) -> Result<(), OpError> {
        self.dht_pause().await;
        self.call(|reply| Cmd::StartProviding { key, reply }).await
    }
    /// The peer that returned the record (`None`: found in the local store).
    pub(crate) async fn get_record(&self, key: kad::RecordKey) -> Result<Option<PeerId>, OpError> {
        self.dht_pause().await;
        self.call(|reply| Cmd::GetRecord { key, reply }).await
    }
    pub(crate) async fn get_providers(&self, key: kad::RecordKey) -> Result<Vec<PeerId>, OpError> {
        self.dht_pause().await;
        self.call(|reply| Cmd::GetProviders { key, reply }).await
    }
    pub(crate) async fn subscribe(&self) -> Result<(), OpError> {
        self.call(|reply| Cmd::Subscribe { reply }).await
    }
    /// Connected peers subscribed to the package topic.
    pub(crate) async fn topic_peers(&self) -> Result<Vec<PeerId>, OpError> {
        self.call(|reply| Cmd::TopicPeers { reply }).await
    }
    pub(crate) async fn mesh_peers(&self) -> Result<Vec<PeerId>, OpError> {
        self.call(|reply| Cmd::MeshPeers { reply }).await
    }
    pub(crate) async fn connected_peers(&self) -> Result<Vec<PeerId>, OpError> {
        self.call(|reply| Cmd::ConnectedPeers { reply }).await
    }
    pub(crate) async fn publish(&self, data: Vec<u8>) -> Result<MessageId, OpError> {
        self.call(|reply| Cmd::Publish { data, reply }).await
    }
    /// Reports the application's verdict on a received message; on `Accept` gossipsub
    /// forwards it. Returns the number of mesh peers it may be forwarded to.
    pub(crate) async fn validate(
        &self,
        id: MessageId,
        source: PeerId,
        accept: MessageAcceptance,
    ) -> Result<usize, OpError> {
        self.call(|reply| Cmd::Validate { id, source, accept, reply }).await
    }
    pub(crate) async fn request(&self, peer: PeerId, request: Request) -> Result<Response, OpError> {
        self.call(|reply| Cmd::Request { peer, request, reply }).await
    }
    pub(crate) fn respond(&self, channel: ResponseChannel<Response>, response: Response) -> Result<(), OpError> {
        self.tx.send(Cmd::Respond { channel, response }).map_err(|_| stopped())
    }
    /// Pushes our identify record to `peer`; returns its agent version and protocol count.
    pub(crate) async fn identify(&self, peer: PeerId) -> Result<(String, usize), OpError> {
        self.call(|reply| Cmd::Identify { peer, reply }).await
    }
    pub(crate) fn crash(&self, linger: Duration) {
        let _ = self.tx.send(Cmd::Crash { linger });
    }
}

enum Query {
    Bootstrap(Reply<()>),
    Closest(Reply<Vec<PeerId>>),
    Put(Reply<()>),
    Provide(Reply<()>),
    GetRecord(Reply<Option<PeerId>>),
    Providers(Reply<Vec<PeerId>>),
}

/// Starts the task that owns `swarm`; returns the handle and the inbound stream.
pub(crate) fn spawn(swarm: Swarm<Behaviour>, dht_delay: Duration) -> (Net, mpsc::UnboundedReceiver<Inbound>) {
    let (tx, cmds) = mpsc::unbounded_channel();
    let (inbound_tx, inbound) = mpsc::unbounded_channel();
    let driver = Driver {
        swarm,
        topic: IdentTopic::new(TOPIC),
        queries: HashMap::new(),
        requests: HashMap::new(),
        identify: HashMap::new(),
        inbound: inbound_tx,
    };
    tokio::spawn(driver.run(cmds));
    (Net { tx, dht_delay }, inbound)
}

struct Driver {
    swarm: Swarm<Behaviour>,
    topic: IdentTopic,
    queries: HashMap<kad::QueryId, Query>,
    requests: HashMap<OutboundRequestId, Reply<Response>>,
    identify: HashMap<PeerId, Vec<Reply<(String, usize)>>>,
    inbound: mpsc::UnboundedSender<Inbound>,
}

fn kad_error(kind: &str, e: impl std::fmt::Display) -> OpError {
    OpError::new(format!("kad.{kind}"), e.to_string())
}

impl Driver {
    async fn run(mut self, mut cmds: mpsc::UnboundedReceiver<Cmd>) {
        loop {
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    None => break,
                    Some(Cmd::Crash { linger }) => {
                        let deadline = tokio::time::sleep(linger);
                        tokio::pin!(deadline);
                        loop {
                            tokio::select! {
                                _ = &mut deadline => break,
                                _ = self.swarm.select_next_some() => {}
                            }
                        }
                        break;
                    }
                    Some(cmd) => self.command(cmd),
                },
                event = self.swarm.select_next_some() => self.event(event),
            }
        }
    }

    fn command(&mut self, cmd: Cmd) {
        let b = self.swarm.behaviour_mut();
        match cmd {
            Cmd::AddAddress { peer, addr } => {
                b.kad.add_address(&peer, addr);
            }
            Cmd::Bootstrap { reply } => match b.kad.bootstrap() {
                Ok(id) => {
                    self.queries.insert(id, Query::Bootstrap(reply));
                }
                Err(e) => drop(reply.send(Err(kad_error("NoKnownPeers", e)))),
            },
            Cmd::DialKnown { reply } => {
                let known: Vec<PeerId> = b
                    .kad
                    .kbuckets()
                    .flat_map(|bucket| bucket.iter().map(|e| *e.node.key.preimage()).collect::<Vec<_>>())
                    .collect();
                let mut dialled = 0;
                for peer in known {
                    if !self.swarm.is_connected(&peer) && self.swarm.dial(peer).is_ok() {
                        dialled += 1;
                    }
                }
                let _ = reply.send(Ok(dialled));
            }
            Cmd::ClosestPeers { key, reply } => {
                let id = b.kad.get_closest_peers(key);
                self.queries.insert(id, Query::Closest(reply));
            }
            Cmd::PutRecordTo { record, peers, reply } => {
                let id = b.kad.put_record_to(record, peers.into_iter(), kad::Quorum::One);
                self.queries.insert(id, Query::Put(reply));
            }
            Cmd::StartProviding { key, reply } => match b.kad.start_providing(key) {
                Ok(id) => {
                    self.queries.insert(id, Query::Provide(reply));
                }
                Err(e) => drop(reply.send(Err(kad_error("StoreError", e)))),
            },
            Cmd::GetRecord { key, reply } => {
                let id = b.kad.get_record(key);
                self.queries.insert(id, Query::GetRecord(reply));
            }
            Cmd::GetProviders { key, reply } => {
                let id = b.kad.get_providers(key);
                self.queries.insert(id, Query::Providers(reply));
            }
            Cmd::Subscribe { reply } => {
                let r = b.gossipsub.subscribe(&self.topic).map(drop);
                let _ = reply.send(r.map_err(|e| OpError::new("gossipsub.SubscriptionError", e.to_string())));
            }
            Cmd::TopicPeers { reply } => {
                let hash = self.topic.hash();
                let peers = b.gossipsub.all_peers().filter(|(_, topics)| topics.contains(&&hash)).map(|(p, _)| *p);
                let _ = reply.send(Ok(peers.collect()));
            }
            Cmd::MeshPeers { reply } => {
                let _ = reply.send(Ok(b.gossipsub.mesh_peers(&self.topic.hash()).copied().collect()));
            }
            Cmd::ConnectedPeers { reply } => {
                let _ = reply.send(Ok(self.swarm.connected_peers().copied().collect()));
            }
            Cmd::Publish { data, reply } => {
                let r = b.gossipsub.publish(self.topic.clone(), data);
                let _ = reply.send(r.map_err(|e| OpError::new("gossipsub.PublishError", e.to_string())));
            }
            Cmd::Validate { id, source, accept, reply } => {
                let hash = self.topic.hash();
                let mesh = b.gossipsub.mesh_peers(&hash).filter(|p| **p != source).count();
                let known = b.gossipsub.report_message_validation_result(&id, &source, accept);
                let _ = reply.send(if known {
                    Ok(mesh)
                } else {
                    Err(OpError::new("gossipsub.UnknownMessage", "the message left the validation cache"))
                });
            }
            Cmd::Request { peer, request, reply } => {
                let id = b.market.send_request(&peer, request);
                self.requests.insert(id, reply);
            }
            Cmd::Respond { channel, response } => {
                // The requester may have gone; its side records the failure.
                let _ = b.market.send_response(channel, response);
            }
            Cmd::Identify { peer, reply } => {
                b.identify.push([peer]);
                self.identify.entry(peer).or_default().push(reply);
            }
            Cmd::Crash { .. } => {}
        }
    }

    fn event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                id,
                result,
                step,
                ..
            })) => self.query_progressed(id, result, step.last),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let _ = self.inbound.send(Inbound::Gossip {
                    id: message_id,
                    source: propagation_source,
                    data: message.data,
                });
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(ev)) => match ev {
                identify::Event::Received { peer_id, info, .. } => {
                    // Kademlia learns other nodes' listen addresses from identify.
                    if info.protocols.contains(&KAD_PROTOCOL) {
                        for addr in info.listen_addrs {
                            self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                        }
                    }
                }
                identify::Event::Pushed { peer_id, info, .. } => {
                    for reply in self.identify.remove(&peer_id).unwrap_or_default() {
                        let _ = reply.send(Ok((info.agent_version.clone(), info.protocols.len())));
                    }
                }
                identify::Event::Error { peer_id, error, .. } => {
                    for reply in self.identify.remove(&peer_id).unwrap_or_default() {
                        let _ = reply.send(Err(OpError::new("identify.UpgradeError", error.to_string())));
                    }
                }
                identify::Event::Sent { .. } => {}
            },
            SwarmEvent::Behaviour(BehaviourEvent::Market(ev)) => match ev {
                request_response::Event::Message { peer, message, .. } => match message {
                    request_response::Message::Request { request, channel, .. } => {
                        let _ = self.inbound.send(Inbound::Request { peer, request, channel });
                    }
                    request_response::Message::Response { request_id, response } => {
                        if let Some(reply) = self.requests.remove(&request_id) {
                            let _ = reply.send(Ok(response));
                        }
                    }
                },
                request_response::Event::OutboundFailure { request_id, error, .. } => {
                    if let Some(reply) = self.requests.remove(&request_id) {
                        let kind = match &error {
                            request_response::OutboundFailure::DialFailure => "DialFailure",
                            request_response::OutboundFailure::Timeout => "Timeout",
                            request_response::OutboundFailure::ConnectionClosed => "ConnectionClosed",
                            request_response::OutboundFailure::UnsupportedProtocols => "UnsupportedProtocols",
                            request_response::OutboundFailure::Io(_) => "Io",
                        };
                        let _ = reply.send(Err(OpError::new(format!("request_response.{kind}"), error.to_string())));
                    }
                }
                _ => {}
            },
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
                for reply in self.identify.remove(&peer_id).unwrap_or_default() {
                    let _ = reply.send(Err(OpError::new("identify.ConnectionClosed", "the connection closed")));
                }
            }
            _ => {}
        }
    }

    fn query_progressed(&mut self, id: kad::QueryId, result: kad::QueryResult, last: bool) {
        use kad::QueryResult as R;
        let Some(pending) = self.queries.remove(&id) else { return };
        match (pending, result) {
            (Query::Bootstrap(reply), R::Bootstrap(r)) => match r {
                Ok(ok) if !last && ok.num_remaining > 0 => {
                    self.queries.insert(id, Query::Bootstrap(reply));
                }
                Ok(_) => drop(reply.send(Ok(()))),
                Err(e) => drop(reply.send(Err(kad_error("BootstrapError", e)))),
            },
            (Query::Closest(reply), R::GetClosestPeers(r)) => {
                let _ = reply.send(match r {
                    Ok(ok) => Ok(ok.peers.into_iter().map(|p| p.peer_id).collect()),
                    Err(e) => Err(kad_error("GetClosestPeersError", e)),
                });
            }
            (Query::Put(reply), R::PutRecord(r)) => {
                let _ = reply.send(r.map(drop).map_err(|e| match e {
                    kad::PutRecordError::QuorumFailed { .. } => kad_error("QuorumFailed", e),
                    kad::PutRecordError::Timeout { .. } => kad_error("Timeout", e),
                }));
            }
            (Query::Provide(reply), R::StartProviding(r)) => {
                let _ = reply.send(r.map(drop).map_err(|e| kad_error("AddProviderError", e)));
            }
            (Query::GetRecord(reply), R::GetRecord(r)) => match r {
                Ok(kad::GetRecordOk::FoundRecord(found)) => {
                    let _ = reply.send(Ok(found.peer));
                    if let Some(mut q) = self.swarm.behaviour_mut().kad.query_mut(&id) {
                        q.finish();
                    }
                }
                Ok(kad::GetRecordOk::FinishedWithNoAdditionalRecord { .. }) => {
                    let _ = reply.send(Err(OpError::new("kad.NotFound", "no peer returned the record")));
                }
                Err(e) => drop(reply.send(Err(kad_error("GetRecordError", e)))),
            },
            (Query::Providers(reply), R::GetProviders(r)) => match r {
                Ok(kad::GetProvidersOk::FoundProviders { providers, .. }) => {
                    let local = *self.swarm.local_peer_id();
                    let found: HashSet<PeerId> = providers.into_iter().filter(|p| *p != local).collect();
                    if found.is_empty() && !last {
                        self.queries.insert(id, Query::Providers(reply));
                    } else {
                        let mut found: Vec<PeerId> = found.into_iter().collect();
                        found.sort();
                        let _ = reply.send(Ok(found));
                        if let Some(mut q) = self.swarm.behaviour_mut().kad.query_mut(&id) {
                            q.finish();
                        }
                    }
                }
                Ok(kad::GetProvidersOk::FinishedWithNoAdditionalRecord { .. }) => drop(reply.send(Ok(Vec::new()))),
                Err(e) => drop(reply.send(Err(kad_error("GetProvidersError", e)))),
            },
            // A later step of a query already answered, or a result of another kind.
            (pending, _) if !last => {
                self.queries.insert(id, pending);
            }
            _ => {}
        }
    }
}
