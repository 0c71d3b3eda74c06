//! A batch: what one parallel task decoded, with its own string table, merged later.

use super::accounting::{Accounting, InputIssue, IssueKind};
use crate::model::{Dump, LogRec, NO_SCOPE, Slice, SourceLoc, SpanId, TraceId, Value};

/// Decoded spans and input issues of one chunk of input, with chunk-local symbols and
/// chunk-relative line numbers.
#[derive(Debug, Default)]
pub struct Batch {
    /// The chunk's spans and arenas (its `files` stay empty).
    pub part: Dump,
    pub issues: Vec<InputIssue>,
    pub accounting: Accounting,
    /// Newlines in the chunk, to place the next chunk's lines.
    pub newlines: u64,
}

/// What can name a log record in findings, in order of preference: its event name, its
/// body, its severity text.
#[derive(Debug)]
pub struct LogText<'a> {
    pub event: Option<&'a str>,
    pub body: Option<&'a str>,
    pub severity_text: Option<&'a str>,
}

/// Characters of a log's text kept to name it in findings.
const LOG_EXCERPT: usize = 80;

/// Merged batches kept for reuse ([`Batch::fresh`], [`Batch::recycle`]): at most
/// `SPARE_MAX`, each keeping at most `SPARE_BYTES` (arenas and string table).
static SPARE: std::sync::Mutex<Vec<Batch>> = std::sync::Mutex::new(Vec::new());
const SPARE_MAX: usize = 64;
const SPARE_BYTES: usize = 32 << 20;

/// Current length of an arena as a `u32` arena index.
pub fn arena_len<T>(v: &[T]) -> u32 {
    u32::try_from(v.len()).unwrap_or(u32::MAX)
}

/// The slice of `v` pushed since `start`.
pub fn since<T>(v: &[T], start: u32) -> Slice {
    Slice { start, len: arena_len(v) - start }
}

/// The lengths of a batch's arenas and counts at one moment, to undo a record.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    spans: usize,
    attrs: usize,
    events: usize,
    links: usize,
    resources: usize,
    scopes: usize,
    logs: usize,
    issues: usize,
    spans_read: u64,
    spans_dropped: u64,
    logs_read: u64,
    logs_with_trace: u64,
}

impl Batch {
    /// Records an input issue.
    pub fn issue(
        &mut self,
        kind: IssueKind,
        loc: SourceLoc,
        message: String,
        trace_id: Option<TraceId>,
        span_id: Option<SpanId>,
    ) {
        self.issues.push(InputIssue { kind, loc, message, trace_id, span_id });
    }

    /// Keeps a log record that names a trace (and counts it): `times` is its time and
    /// observed time (the first that is set is kept), `text` what names it in findings.
    pub fn push_log(
        &mut self,
        trace_id: TraceId,
        span_id: Option<SpanId>,
        (time, observed): (u64, u64),
        severity: u8,
        text: LogText<'_>,
        loc: SourceLoc,
    ) {
        self.accounting.logs_with_trace += 1;
        let shown = text.event.filter(|e| !e.is_empty()).or(text.body).or(text.severity_text).unwrap_or("");
        let excerpt = self.part.strings.intern(crate::model::excerpt(shown, LOG_EXCERPT));
        let time = if time != 0 { time } else { observed };
        self.part.logs.push(LogRec { trace_id, span_id, time, severity, excerpt, loc });
    }

    /// Counts a span that cannot be kept (its own trace or span id is invalid) and says why.
    pub fn drop_span(&mut self, loc: SourceLoc, message: String, trace_id: Option<TraceId>) {
        self.accounting.spans_dropped += 1;
        self.issue(IssueKind::InvalidId, loc, message, trace_id, None);
    }

    /// Remembers the current state, so a record that fails halfway can be undone.
    pub fn mark(&self) -> Mark {
        let p = &self.part;
        Mark {
            spans: p.spans.len(),
            attrs: p.attrs.len(),
            events: p.events.len(),
            links: p.links.len(),
            resources: p.resources.len(),
            scopes: p.scopes.len(),
            logs: p.logs.len(),
            issues: self.issues.len(),
            spans_read: self.accounting.spans_read,
            spans_dropped: self.accounting.spans_dropped,
            logs_read: self.accounting.logs_read,
            logs_with_trace: self.accounting.logs_with_trace,
        }
    }

    /// Drops everything added since `m` (interned strings stay: they are only a table).
    pub fn rollback(&mut self, m: Mark) {
        let p = &mut self.part;
        p.spans.truncate(m.spans);
        p.attrs.truncate(m.attrs);
        p.events.truncate(m.events);
        p.links.truncate(m.links);
        p.resources.truncate(m.resources);
        p.scopes.truncate(m.scopes);
        p.logs.truncate(m.logs);
        self.issues.truncate(m.issues);
        self.accounting.spans_read = m.spans_read;
        self.accounting.spans_dropped = m.spans_dropped;
        self.accounting.logs_read = m.logs_read;
        self.accounting.logs_with_trace = m.logs_with_trace;
    }
    /// Sets a resource's service name and clock domain from its attributes: the host is
    /// `host.name` (or Jaeger's `hostname`), else its address, else `service.instance.id`,
    /// else the service name.
    pub fn identify_resource(&mut self, idx: usize) {
        let part = &mut self.part;
        let r = &mut part.resources[idx];
        let (mut host, mut ip, mut instance) = (None, None, None);
        for a in &part.attrs[r.attrs.range()] {
            let Value::Str(s) = a.value() else { continue };
            match part.strings.resolve(a.key) {
                "service.name" => r.service_name = Some(s),
                "host.name" | "hostname" => host = Some(s),
                "host.ip" | "ip" => ip = Some(s),
                "service.instance.id" => instance = Some(s),
                _ => {}
            }
        }
        r.host = host.or(ip).or(instance).or(r.service_name);
    }

    /// An empty batch, reusing the memory of one already merged when there is one: its
    /// arenas already have their pages, so decoding the next window of chunks does not
    /// fault in (and zero) fresh memory again.
    pub fn fresh() -> Batch {
        SPARE.lock().ok().and_then(|mut spare| spare.pop()).unwrap_or_default()
    }

    /// Empties a merged batch and keeps it for [`Batch::fresh`] (unless it grew unusually
    /// large or enough are kept already).
    pub fn recycle(mut self) {
        let p = &self.part;
        let bytes = p.spans.capacity() * size_of::<crate::model::Span>()
            + p.attrs.capacity() * size_of::<crate::model::Attr>()
            + p.events.capacity() * size_of::<crate::model::Event>()
            + p.links.capacity() * size_of::<crate::model::Link>()
            + p.strings.kept_bytes();
        if bytes > SPARE_BYTES {
            return;
        }
        let p = &mut self.part;
        p.files.clear();
        p.strings.clear();
        p.resources.clear();
        p.spans.clear();
        p.attrs.clear();
        p.events.clear();
        p.links.clear();
        p.logs.clear();
        p.loc_bases.clear();
        self.issues.clear();
        self.accounting = Accounting::default();
        self.newlines = 0;
        if let Ok(mut spare) = SPARE.lock()
            && spare.len() < SPARE_MAX
        {
            spare.push(self);
        }
    }

    /// Frees the batches kept by [`Batch::recycle`], once a file is decoded: what follows
    /// (the analysis, or the next partition in streaming mode) has its own use for memory.
    pub fn drop_spares() {
        if let Ok(mut spare) = SPARE.lock() {
            *spare = Vec::new();
        }
    }

    /// Moves this batch's content into `dump` (leaving it empty, for [`Batch::recycle`]),
    /// rewriting symbols, arena ranges, resource indexes and line numbers (`line_base` is
    /// the number of lines before this chunk in its file).
    pub fn merge_into(
        &mut self,
        dump: &mut Dump,
        accounting: &mut Accounting,
        issues: &mut Vec<InputIssue>,
        line_base: u64,
    ) {
        let Batch { part: p, issues: batch_issues, accounting: batch_accounting, .. } = self;
        let map = dump.strings.absorb(&p.strings);
        let attr_base = arena_len(&dump.attrs);
        let event_base = arena_len(&dump.events);
        let link_base = arena_len(&dump.links);
        let resource_base = arena_len(&dump.resources);
        let shift = |s: &mut Slice, base: u32| s.start += base;

        for a in &mut p.attrs {
            a.remap(&map);
        }
        dump.attrs.append(&mut p.attrs);
        for e in &mut p.events {
            e.name = map[e.name.0 as usize];
            shift(&mut e.attrs, attr_base);
        }
        dump.events.append(&mut p.events);
        for l in &mut p.links {
            shift(&mut l.attrs, attr_base);
        }
        dump.links.append(&mut p.links);
        let scope_base = arena_len(&dump.scopes);
        for sc in &mut p.scopes {
            sc.name = map[sc.name.0 as usize];
            sc.version = map[sc.version.0 as usize];
            shift(&mut sc.attrs, attr_base);
        }
        dump.scopes.append(&mut p.scopes);
        for r in &mut p.resources {
            shift(&mut r.attrs, attr_base);
            r.service_name = r.service_name.map(|s| map[s.0 as usize]);
            r.host = r.host.map(|s| map[s.0 as usize]);
            r.loc.line += line_base;
        }
        dump.resources.append(&mut p.resources);
        let loc_base = arena_len(&dump.loc_bases);
        for b in &mut p.loc_bases {
            b.line += line_base;
        }
        dump.loc_bases.append(&mut p.loc_bases);
        for s in &mut p.spans {
            s.name = map[s.name.0 as usize];
            s.status_message = map[s.status_message.0 as usize];
            if s.scope != NO_SCOPE {
                s.scope += scope_base;
            }
            s.resource += resource_base;
            shift(&mut s.attrs, attr_base);
            shift(&mut s.events, event_base);
            shift(&mut s.links, link_base);
            s.loc = s.loc.shifted(loc_base);
        }
        dump.spans.append(&mut p.spans);
        for l in &mut p.logs {
            l.excerpt = map[l.excerpt.0 as usize];
            l.loc.line += line_base;
        }
        dump.logs.append(&mut p.logs);
        for mut i in batch_issues.drain(..) {
            i.loc.line += line_base;
            issues.push(i);
        }
        accounting.add(batch_accounting);
    }
}
