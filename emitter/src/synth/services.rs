//! The services shape: a small web shop as OpenTelemetry SDKs describe it. A browser request
//! reaches the frontend (HTTP server), which calls other services over HTTP and gRPC; they
//! query PostgreSQL and Redis. Spans carry the semantic-convention attributes of their kind
//! (`http.*`, `url.*`, `rpc.*`, `db.*`, `server.*`), resources carry 18 attributes
//! (service, host, process, SDK, Kubernetes, cloud), failures carry a status message and an
//! `exception` event. None of it is P2P-shaped, so the P2P pack fails on it.

use super::{Gen, KIND_CLIENT, KIND_INTERNAL, Span, kv_int, kv_str};

const KIND_SERVER: u8 = 2;

/// A service: name, SDK language, runtime, runtime version, instrumentation scope.
pub(super) struct Service {
    name: &'static str,
    language: &'static str,
    runtime: &'static str,
    runtime_version: &'static str,
    scope: &'static str,
}

pub(super) const SERVICES: [Service; 6] = [
    Service {
        name: "frontend",
        language: "nodejs",
        runtime: "nodejs",
        runtime_version: "22.11.0",
        scope: "@opentelemetry/instrumentation-http",
    },
    Service {
        name: "checkout",
        language: "go",
        runtime: "go",
        runtime_version: "go1.23.4",
        scope: "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
    },
    Service {
        name: "cart",
        language: "dotnet",
        runtime: ".NET",
        runtime_version: "8.0.11",
        scope: "OpenTelemetry.Instrumentation.GrpcNetClient",
    },
    Service {
        name: "payment",
        language: "nodejs",
        runtime: "nodejs",
        runtime_version: "22.11.0",
        scope: "@opentelemetry/instrumentation-grpc",
    },
    Service {
        name: "catalog",
        language: "go",
        runtime: "go",
        runtime_version: "go1.23.4",
        scope: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
    },
    Service {
        name: "recommendation",
        language: "python",
        runtime: "cpython",
        runtime_version: "3.12.8",
        scope: "opentelemetry.instrumentation.grpc",
    },
];

const FRONTEND: u32 = 0;
const CHECKOUT: u32 = 1;
const CART: u32 = 2;
const PAYMENT: u32 = 3;
const CATALOG: u32 = 4;
const RECOMMENDATION: u32 = 5;

const USER_AGENTS: [&str; 3] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
];

/// The line prefix of each service's batches: its resource and scope.
pub(super) fn prefixes(g: &mut Gen) -> Vec<String> {
    SERVICES
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let pod = format!("{}-{:x}-{:05x}", s.name, g.rng.below(1 << 32), g.rng.below(1 << 20));
            let attrs = [
                kv_str("service.name", s.name),
                kv_str("service.namespace", "shop"),
                kv_str("service.version", "2.1.3"),
                kv_str("service.instance.id", &uuid(g)),
                kv_str("deployment.environment.name", "production"),
                kv_str("host.name", &pod),
                kv_str("host.arch", "amd64"),
                kv_str("os.type", "linux"),
                kv_int("process.pid", 1 + g.rng.below(30_000)),
                kv_str("process.runtime.name", s.runtime),
                kv_str("process.runtime.version", s.runtime_version),
                kv_str("telemetry.sdk.name", "opentelemetry"),
                kv_str("telemetry.sdk.language", s.language),
                kv_str("telemetry.sdk.version", "1.29.0"),
                kv_str("k8s.namespace.name", "shop"),
                kv_str("k8s.pod.name", &pod),
                kv_str("k8s.node.name", &format!("ip-10-0-{}-{}.ec2.internal", i * 16, 10 + g.rng.below(200))),
                kv_str("cloud.region", "eu-west-1"),
            ];
            format!(
                r#"{{"resourceSpans":[{{"resource":{{"attributes":[{}]}},"scopeSpans":[{{"scope":{{"name":"{}","version":"0.56.0"}},"spans":["#,
                attrs.join(","),
                s.scope
            )
        })
        .collect()
}

fn uuid(g: &mut Gen) -> String {
    let (a, b) = (g.rng.next(), g.rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

fn host(service: u32) -> String {
    format!("{}.shop.svc.cluster.local", SERVICES[service as usize].name)
}

impl Gen {
    /// One request from a browser, as a trace over the services.
    pub(super) fn service_trace(&mut self, out: &mut Vec<Span>) {
        let trace = self.id16();
        let start = self.clock;
        let end = start + 8_000_000 + self.rng.below(240_000_000);
        let (method, route, path) = match self.rng.below(10) {
            0..=3 => {
                let id = format!("/api/products/{}", self.product());
                ("GET", "/api/products/{productId}", id)
            }
            4..=5 => ("POST", "/api/checkout", "/api/checkout".to_string()),
            6..=7 => ("GET", "/api/cart", "/api/cart".to_string()),
            _ => ("GET", "/api/recommendations", format!("/api/recommendations?productIds={}", self.product())),
        };
        let name: &'static str = match route {
            "/api/products/{productId}" => "GET /api/products/{productId}",
            "/api/checkout" => "POST /api/checkout",
            "/api/cart" => "GET /api/cart",
            _ => "GET /api/recommendations",
        };
        let ua = USER_AGENTS[self.rng.below(USER_AGENTS.len() as u64) as usize];
        let client = format!("10.0.{}.{}", self.rng.below(256), self.rng.below(256));
        let mut root = self.span(trace, None, name, KIND_SERVER, start, end, FRONTEND, String::new());
        let (s, e) = inner(start, end);
        let failed = match route {
            "/api/products/{productId}" => self.catalog_get(trace, root.id, s, e, out),
            "/api/checkout" => self.place_order(trace, root.id, s, e, out),
            "/api/cart" => self.cart_get(trace, root.id, FRONTEND, s, e, out),
            _ => self.recommend(trace, root.id, s, e, out),
        };
        let status = if failed { 500 } else { 200 };
        root.extra = [
            kv_str("http.request.method", method),
            kv_str("url.scheme", "https"),
            kv_str("url.path", &path),
            kv_str("http.route", route),
            kv_int("http.response.status_code", status),
            kv_str("server.address", "shop.example.com"),
            kv_int("server.port", 443),
            kv_str("client.address", &client),
            kv_str("user_agent.original", ua),
            kv_str("network.protocol.version", "1.1"),
        ]
        .join(",");
        if failed {
            fail(&mut root, "Internal Server Error: upstream call failed", "Error");
        }
        out.push(root);
    }

    fn product(&mut self) -> String {
        format!("{:010X}", self.rng.below(1 << 40))
    }

    /// An RPC from `from` to `to`: a client span, the server span, and what the server
    /// does inside (`inside` lays out its children and says whether the call failed).
    #[allow(clippy::too_many_arguments)]
    fn rpc(
        &mut self,
        trace: [u8; 16],
        parent: [u8; 8],
        (from, to): (u32, u32),
        (service, method): (&'static str, &'static str),
        name: &'static str,
        (start, end): (u64, u64),
        out: &mut Vec<Span>,
        inside: impl FnOnce(&mut Gen, [u8; 8], u64, u64, &mut Vec<Span>) -> bool,
    ) -> bool {
        let mut client = self.span(trace, Some(parent), name, KIND_CLIENT, start, end, from, String::new());
        let (s, e) = inner(start, end);
        let mut server = self.span(trace, Some(client.id), name, KIND_SERVER, s, e, to, String::new());
        let (cs, ce) = inner(s, e);
        let failed = inside(self, server.id, cs, ce, out);
        let code = if failed { 13 } else { 0 };
        let attrs = |peer: &str| {
            [
                kv_str("rpc.system", "grpc"),
                kv_str("rpc.service", service),
                kv_str("rpc.method", method),
                kv_int("rpc.grpc.status_code", code),
                kv_str("server.address", peer),
                kv_int("server.port", 8080),
                kv_str("network.transport", "tcp"),
                kv_str("network.type", "ipv4"),
            ]
            .join(",")
        };
        client.extra = attrs(&host(to));
        server.extra = attrs(&host(to));
        if failed {
            fail(&mut server, "13 INTERNAL: the call failed inside the service", "GrpcError");
            fail(&mut client, "13 INTERNAL: the call failed inside the service", "GrpcError");
        }
        out.push(server);
        out.push(client);
        failed
    }

    /// A database query made by `service`.
    #[allow(clippy::too_many_arguments)]
    fn query(
        &mut self,
        trace: [u8; 16],
        parent: [u8; 8],
        service: u32,
        (system, op, table): (&'static str, &'static str, &'static str),
        name: &'static str,
        text: &str,
        (start, end): (u64, u64),
        out: &mut Vec<Span>,
    ) {
        let (addr, port) = if system == "redis" {
            ("redis.shop.svc.cluster.local", 6379)
        } else {
            ("postgres.shop.svc.cluster.local", 5432)
        };
        let extra = [
            kv_str("db.system.name", system),
            kv_str("db.namespace", if system == "redis" { "0" } else { "shop" }),
            kv_str("db.operation.name", op),
            kv_str("db.collection.name", table),
            kv_str("db.query.text", text),
            kv_str("server.address", addr),
            kv_int("server.port", port),
            kv_str("network.peer.address", &format!("10.0.3.{}", 10 + self.rng.below(20))),
        ]
        .join(",");
        out.push(self.span(trace, Some(parent), name, KIND_CLIENT, start, end, service, extra));
    }

    fn catalog_get(&mut self, trace: [u8; 16], parent: [u8; 8], s: u64, e: u64, out: &mut Vec<Span>) -> bool {
        let product = self.product();
        let slots = self.slots(s, e, 2);
        let cache = format!("GET product:{product}");
        self.query(trace, parent, FRONTEND, ("redis", "GET", "product"), "GET", &cache, slots[0], out);
        let mut client =
            self.span(trace, Some(parent), "GET", KIND_CLIENT, slots[1].0, slots[1].1, FRONTEND, String::new());
        let url = format!("http://{}:8080/products/{product}", host(CATALOG));
        client.extra = [
            kv_str("http.request.method", "GET"),
            kv_str("url.full", &url),
            kv_str("server.address", &host(CATALOG)),
            kv_int("server.port", 8080),
            kv_int("http.response.status_code", 200),
            kv_str("network.protocol.version", "1.1"),
        ]
        .join(",");
        let (ss, se) = inner(slots[1].0, slots[1].1);
        let server_extra = [
            kv_str("http.request.method", "GET"),
            kv_str("url.path", &format!("/products/{product}")),
            kv_str("url.scheme", "http"),
            kv_str("http.route", "/products/{id}"),
            kv_int("http.response.status_code", 200),
            kv_str("server.address", &host(CATALOG)),
            kv_int("server.port", 8080),
            kv_str("network.protocol.version", "1.1"),
        ]
        .join(",");
        let server =
            self.span(trace, Some(client.id), "GET /products/{id}", KIND_SERVER, ss, se, CATALOG, server_extra);
        let (qs, qe) = inner(ss, se);
        let sql = "SELECT id, name, description, picture, price_usd_currency_code, price_usd_units, price_usd_nanos, categories FROM products WHERE id = $1";
        self.query(
            trace,
            server.id,
            CATALOG,
            ("postgresql", "SELECT", "products"),
            "SELECT shop.products",
            sql,
            (qs, qe),
            out,
        );
        out.push(server);
        out.push(client);
        false
    }

    fn cart_get(&mut self, trace: [u8; 16], parent: [u8; 8], from: u32, s: u64, e: u64, out: &mut Vec<Span>) -> bool {
        let name = "oteldemo.CartService/GetCart";
        self.rpc(
            trace,
            parent,
            (from, CART),
            ("oteldemo.CartService", "GetCart"),
            name,
            (s, e),
            out,
            |g, server, s, e, out| {
                let user = uuid(g);
                g.query(
                    trace,
                    server,
                    CART,
                    ("redis", "HGETALL", "cart"),
                    "HGETALL",
                    &format!("HGETALL cart:{user}"),
                    (s, e),
                    out,
                );
                false
            },
        )
    }

    fn recommend(&mut self, trace: [u8; 16], parent: [u8; 8], s: u64, e: u64, out: &mut Vec<Span>) -> bool {
        let name = "oteldemo.RecommendationService/ListRecommendations";
        let service = ("oteldemo.RecommendationService", "ListRecommendations");
        self.rpc(trace, parent, (FRONTEND, RECOMMENDATION), service, name, (s, e), out, |g, server, s, e, out| {
            let slots = g.slots(s, e, 2);
            let list = "oteldemo.ProductCatalogService/ListProducts";
            g.rpc(
                trace,
                server,
                (RECOMMENDATION, CATALOG),
                ("oteldemo.ProductCatalogService", "ListProducts"),
                list,
                slots[0],
                out,
                |g, server, s, e, out| {
                    let sql = "SELECT id, name, categories FROM products ORDER BY popularity DESC LIMIT $1";
                    g.query(
                        trace,
                        server,
                        CATALOG,
                        ("postgresql", "SELECT", "products"),
                        "SELECT shop.products",
                        sql,
                        (s, e),
                        out,
                    );
                    false
                },
            );
            let mut pick = g.span(
                trace,
                Some(server),
                "get_product_list",
                KIND_INTERNAL,
                slots[1].0,
                slots[1].1,
                RECOMMENDATION,
                String::new(),
            );
            pick.extra = [
                kv_str("code.function.name", "recommendation_server.get_product_list"),
                kv_int("app.products.count", 5),
            ]
            .join(",");
            out.push(pick);
            false
        })
    }

    fn place_order(&mut self, trace: [u8; 16], parent: [u8; 8], s: u64, e: u64, out: &mut Vec<Span>) -> bool {
        let name = "oteldemo.CheckoutService/PlaceOrder";
        let service = ("oteldemo.CheckoutService", "PlaceOrder");
        self.rpc(trace, parent, (FRONTEND, CHECKOUT), service, name, (s, e), out, |g, server, s, e, out| {
            let items = 1 + g.rng.below(3) as usize;
            let slots = g.slots(s, e, 2 + items);
            g.cart_get(trace, server, CHECKOUT, slots[0].0, slots[0].1, out);
            for slot in &slots[1..1 + items] {
                let sql = "UPDATE inventory SET reserved = reserved + $1 WHERE product_id = $2 AND available >= $1";
                g.query(
                    trace,
                    server,
                    CHECKOUT,
                    ("postgresql", "UPDATE", "inventory"),
                    "UPDATE shop.inventory",
                    sql,
                    *slot,
                    out,
                );
            }
            let charge = "oteldemo.PaymentService/Charge";
            let declined = g.rng.chance(0.03);
            g.rpc(
                trace,
                server,
                (CHECKOUT, PAYMENT),
                ("oteldemo.PaymentService", "Charge"),
                charge,
                slots[1 + items],
                out,
                |g, server, s, e, out| {
                    let mut check = g.span(trace, Some(server), "charge", KIND_INTERNAL, s, e, PAYMENT, String::new());
                    check.extra = [
                        kv_str("code.function.name", "chargeServiceHandler"),
                        kv_str("app.payment.card_type", "visa"),
                        kv_str("app.payment.card_valid", if declined { "false" } else { "true" }),
                        kv_str("app.loyalty.level", "gold"),
                    ]
                    .join(",");
                    if declined {
                        fail(
                            &mut check,
                            "Payment request failed. Invalid token. app.loyalty.level=gold",
                            "UnknownError",
                        );
                    }
                    out.push(check);
                    declined
                },
            )
        })
    }
}

/// The inner part of `[start, end)` a child occupies, leaving a little at each end.
fn inner(start: u64, end: u64) -> (u64, u64) {
    let margin = (end - start) / 20;
    (start + margin, (end - margin).max(start + margin + 1))
}

/// Marks `span` failed, with a status message and an `exception` event.
fn fail(span: &mut Span, message: &'static str, kind: &str) {
    span.error = true;
    span.status_message = message;
    let stack = format!(
        "{kind}: {message}\\n    at handler (/app/server.js:42:11)\\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"
    );
    span.events = format!(
        r#"{{"timeUnixNano":"{}","name":"exception","attributes":[{},{},{}],"droppedAttributesCount":0}}"#,
        span.end.saturating_sub(1000),
        kv_str("exception.type", kind),
        kv_str("exception.message", message),
        kv_str("exception.stacktrace", &stack)
    );
}
