//! The rules, over the parsed files of one ConfigMap.

use netsec_shared::Findings;

use crate::corefile::{Corefile, Directive, Position, ServerBlock, Via, mentions_placeholder};
use crate::forward::{DEFAULT_EXPIRE_NANOS, PROPERTY_NAMES, Takes};
use crate::gostd;
use crate::hostsfile::{HostsEntry, parse_ip};
use crate::pattern::{
    glob_covers, normalize_path, regex_literal_suffix, replacement_literal_suffix, resolve_import,
    suffix_reaches,
};
use crate::plugins::{COREDNS_VERSION, Unknown, classify};
use crate::rewrite::{Mapping, Match, Rule, parse_rule};
use crate::server::{Conflict, Listeners, ZoneAddr};
use crate::settings::Settings;
use crate::upstream::{
    Allowed, Host, Scheme, Upstream, allow_list, capital_scheme, is_allowed, parse_upstream,
    transport_of,
};
use crate::zone::{Address, fqdn, is_reverse, parse_address, show, within, zones_of};

/// CoreDNS refuses a `forward` with more upstreams.
const MAX_UPSTREAMS: usize = 15;
/// CoreDNS's caps when `cache` names no TTL.
const DEFAULT_SUCCESS_TTL: u64 = 3600;
const DEFAULT_DENIAL_TTL: u64 = 1800;
const DEFAULT_SERVE_STALE: u64 = 3600;

/// What a ConfigMap key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Whole server blocks (the `Corefile` key, `*.server`).
    Server,
    /// Plugin lines CoreDNS imports into the main server block (`*.override`).
    Override,
}

/// One parsed key of the ConfigMap.
pub struct File<'a> {
    /// `data[Corefile]` or `binaryData[x.server]`: how messages name the key.
    pub label: String,
    pub kind: FileKind,
    pub corefile: Corefile<'a>,
}

/// A key of the ConfigMap that a `hosts` plugin reads as its hosts file.
pub struct HostsFile {
    /// `data[NodeHosts]`.
    pub label: String,
    pub entries: Vec<HostsEntry>,
}

/// Hosts files of the checked ConfigMap, with the absolute path CoreDNS reads each at.
pub type HostsFiles = Vec<(String, HostsFile)>;

/// A server block with its parsed keys.
struct Block<'a> {
    file: &'a File<'a>,
    block: &'a ServerBlock<'a>,
    addresses: Vec<Address>,
    zones: Vec<String>,
}

impl Block<'_> {
    fn has(&self, plugin: &str) -> bool {
        self.block.directives.iter().any(|d| d.name.text == plugin)
    }

    fn keys(&self) -> String {
        if self.block.keys.is_empty() {
            "the main server block (this key is imported into it)".to_string()
        } else {
            let keys: Vec<&str> = self.block.keys.iter().map(|k| k.text.as_ref()).collect();
            format!("server block {:?}", keys.join(" "))
        }
    }

    /// Could it receive queries for a name in `domain`?
    fn serves(&self, domain: &str) -> bool {
        self.zones
            .iter()
            .any(|z| within(domain, z) || within(z, domain))
    }
}

/// Where a line is, as messages name it: `data[Corefile] line 12:`.
fn at(label: &str, position: Position, via: Option<&Via>) -> String {
    match via {
        Some(via) => format!(
            "{label} line {} (snippet {:?} imported at line {}):",
            position.line, via.snippet, via.import_line
        ),
        None => format!("{label} line {}:", position.line),
    }
}

fn here(block: &Block<'_>, d: &Directive) -> String {
    at(&block.file.label, d.position(), d.via.as_ref())
}

pub fn check(
    files: &[File],
    hosts_files: &HostsFiles,
    settings: &Settings,
    findings: &mut Findings,
) {
    let blocks = server_blocks(files, findings);
    check_duplicates(&blocks, findings);
    let cluster = cluster_domains(&blocks, settings);
    let upstreams = allow_list(&settings.allowed_upstreams);
    let context = Context {
        settings,
        cluster: &cluster,
        upstreams: &upstreams,
        hosts_files,
    };
    for block in &blocks {
        for d in &block.block.directives {
            check_plugin_name(block, d, settings, findings);
            check_directive(block, d, &context, findings);
        }
        if block.file.kind == FileKind::Server && block.has("kubernetes") {
            check_required(block, settings, findings);
        }
        if settings.protect_cluster_domain && block.file.kind == FileKind::Server {
            check_cluster_block(block, &cluster, findings);
        }
    }
    for file in files {
        check_imports(file, settings, findings);
        for p in &file.corefile.placeholders {
            findings.warn(format!(
                "{} {} is an environment placeholder: its value is not visible to this policy, so what it expands to is not checked",
                at(&file.label, p.position, None),
                p.text
            ));
        }
    }
}

fn server_blocks<'a>(files: &'a [File], findings: &mut Findings) -> Vec<Block<'a>> {
    let mut blocks = Vec::new();
    for file in files {
        for block in &file.corefile.blocks {
            let mut addresses = Vec::new();
            for key in &block.keys {
                let place = || at(&file.label, key.position, None);
                if mentions_placeholder(&key.text) {
                    findings.violation(
                        place(),
                        format!(
                            "server block key {:?} holds a placeholder, so the zone it serves cannot be checked; write the zone itself",
                            key.text
                        ),
                    );
                    continue;
                }
                match parse_address(&key.text) {
                    Ok(address) => addresses.push(address),
                    Err(why) => {
                        // The lexer ends a quoted token at its closing quote, so in
                        // `"exam ple.com":53` the port is a key of its own, with no zone.
                        let hint = if key.text.starts_with(':') {
                            " (after a quoted zone, the closing quote ends the key: put the port inside the quotes, as in \"exam ple.com:53\")"
                        } else {
                            ""
                        };
                        findings.violation(
                            place(),
                            format!(
                                "{why}; a server block key is [SCHEME://]ZONE[:PORT], and CoreDNS refuses this one{hint}"
                            ),
                        )
                    }
                }
            }
            let zones = match file.kind {
                FileKind::Override => vec![".".to_string()],
                FileKind::Server => {
                    let mut zones = Vec::new();
                    for address in &addresses {
                        zones.extend_from_slice(&address.zones);
                    }
                    zones
                }
            };
            blocks.push(Block {
                file,
                block,
                addresses,
                zones,
            });
        }
    }
    blocks
}

/// The addresses a block listens on: the arguments of its `bind` lines (interface names stay
/// names: which addresses they stand for is known only on the node, so two different names are
/// taken as different addresses), none when it has no `bind`.
fn bind_addresses(block: &ServerBlock) -> Vec<String> {
    let mut addresses = Vec::new();
    for bind in block.directives.iter().filter(|d| d.name.text == "bind") {
        let except: Vec<&str> = bind
            .property("except")
            .flat_map(|e| e.arg_texts())
            .collect();
        // As written, lower-cased: two spellings of one IPv6 address are taken as two
        // addresses, which can only accept a Corefile CoreDNS refuses, never the reverse.
        for arg in bind.arg_texts() {
            let mut address = arg.to_ascii_lowercase();
            if !except.is_empty() {
                address = format!("{address} except {}", except.join(" "));
            }
            if !addresses.contains(&address) {
                addresses.push(address);
            }
        }
    }
    addresses
}

/// Two server blocks CoreDNS will not run together, as `validateZonesAndListeningAddresses`
/// finds them (see `server.rs`).
fn check_duplicates(blocks: &[Block<'_>], findings: &mut Findings) {
    // Each listener remembers its block and key by index; the place is written only for a
    // conflict.
    let place = |(b, k): (usize, usize)| {
        let block = &blocks[b];
        at(&block.file.label, block.block.keys[k].position, None)
    };
    // The listeners borrow their bind addresses: every block's are read first.
    let binds: Vec<Vec<String>> = blocks
        .iter()
        .map(|block| match block.file.kind {
            FileKind::Server => bind_addresses(block.block),
            _ => Vec::new(),
        })
        .collect();
    let mut listeners: Listeners<(usize, usize)> = Listeners::default();
    for ((b, block), binds) in blocks.iter().enumerate().zip(&binds) {
        if block.file.kind != FileKind::Server {
            continue;
        }
        let filtered = block.has("view");
        for (k, address) in block
            .addresses
            .iter()
            .enumerate()
            .take(block.block.keys.len())
        {
            for zone in &address.zones {
                // No bind: one listener on every address.
                let hosts = binds.iter().map(|a| Some(a.as_str()));
                for host in hosts.chain(binds.is_empty().then_some(None)) {
                    let listener = ZoneAddr {
                        transport: address.transport,
                        port: address.port,
                        zone,
                        address: host,
                    };
                    let why = match listeners.add(listener, filtered, (b, k)) {
                        None => continue,
                        Some(Conflict::Defined(other)) => format!(
                            "{} is already served by the server block at {}; CoreDNS refuses to start with two blocks for the same transport, zone, bind address and port (\"cannot serve {} - it is already defined\"): merge them, bind them to different addresses, or tell them apart with view",
                            listener.show(),
                            place(other).trim_end_matches(':'),
                            listener.show()
                        ),
                        Some(Conflict::Overlap(other)) => format!(
                            "{} overlaps the server block at {}: one of the two has no bind and so listens on every address, and CoreDNS refuses to start (\"zone overlap listener capacity\"); give both blocks a bind to different addresses, or merge them",
                            listener.show(),
                            place(other).trim_end_matches(':')
                        ),
                    };
                    findings.violation(place((b, k)), why);
                }
            }
        }
    }
}

/// A directive that is not a plugin of the targeted CoreDNS release.
fn check_plugin_name(
    block: &Block<'_>,
    d: &Directive,
    settings: &Settings,
    findings: &mut Findings,
) {
    let name = d.name.text.as_ref();
    let why = match classify(name, &settings.external_plugins) {
        None => return,
        Some(Unknown::Placeholder) => format!(
            "the plugin name {name} is an environment placeholder, which CoreDNS replaces before it looks the plugin up; its value is not visible to this policy, so which plugin runs here cannot be checked: write the plugin's name"
        ),
        Some(Unknown::Removed { since, replacement }) => format!(
            "the {name} plugin was removed in CoreDNS {since}: CoreDNS {COREDNS_VERSION} refuses the Corefile (\"Unknown directive\"), and a CoreDNS that cannot load its Corefile crash-loops and takes cluster DNS down; {replacement}"
        ),
        Some(Unknown::NotAPlugin) => format!(
            "{name:?} is not a plugin of CoreDNS {COREDNS_VERSION}: CoreDNS refuses the Corefile (\"Unknown directive\"), and a CoreDNS that cannot load its Corefile crash-loops and takes cluster DNS down; correct the name, or list it in externalPlugins if your CoreDNS build includes it"
        ),
    };
    findings.violation(here(block, d), why);
}

/// The cluster domain: the forward zones of every `kubernetes` plugin in sight, plus the
/// `clusterDomains` setting (all that is known when only a `coredns-custom` file is seen).
/// Reverse zones are left out: the stock Corefiles fall through for them to the upstreams.
fn cluster_domains(blocks: &[Block<'_>], settings: &Settings) -> Vec<String> {
    let mut domains: Vec<String> = settings.cluster_domains.iter().map(|d| fqdn(d)).collect();
    for block in blocks {
        for d in block
            .block
            .directives
            .iter()
            .filter(|d| d.name.text == "kubernetes")
        {
            domains.extend(plugin_zones(block, &d.args));
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for zone in domains {
        if zone != "." && !is_reverse(&zone) && !unique.contains(&zone) {
            unique.push(zone);
        }
    }
    unique
}

/// The zones a plugin is authoritative for: its zone arguments, or the block's zones.
fn plugin_zones(block: &Block<'_>, args: &[crate::corefile::Word]) -> Vec<String> {
    if args.is_empty() {
        block.zones.clone()
    } else {
        zones_of(args)
    }
}

/// What every directive is judged against.
struct Context<'a> {
    settings: &'a Settings,
    cluster: &'a [String],
    upstreams: &'a [Allowed],
    hosts_files: &'a HostsFiles,
}

fn check_directive(
    block: &Block<'_>,
    d: &Directive,
    context: &Context<'_>,
    findings: &mut Findings,
) {
    let (settings, cluster) = (context.settings, context.cluster);
    match d.name.text.as_ref() {
        "kubernetes" => check_kubernetes(block, d, settings, cluster, findings),
        "forward" => check_forward(block, d, context, findings),
        "grpc" => {
            for to in d.args.iter().skip(1) {
                let upstream = parse_upstream(&to.text);
                check_upstream_allowed(block, d, &to.text, &upstream, context, findings);
            }
        }
        "cache" => check_cache(block, d, settings, findings),
        "rewrite" => check_rewrite(block, d, cluster, settings.protect_cluster_domain, findings),
        "transfer" if !settings.allow_zone_transfers => findings.violation(
            here(block, d),
            "transfer serves whole zones by AXFR/IXFR, which hands every name and address in them to whoever may ask; remove it (or allowZoneTransfers: true)",
        ),
        _ => {}
    }
    // `transfer { to * }`, and the same inside file, auto and secondary in older releases.
    check_transfer_to(block, d, d.properties(), findings);
    if settings.protect_cluster_domain {
        match d.name.text.as_ref() {
            "hosts" => check_hosts(block, d, cluster, context.hosts_files, findings),
            "template" => check_template(block, d, cluster, findings),
            "file" | "auto" | "etcd" | "secondary" => {
                check_zone_plugin(block, d, cluster, findings)
            }
            _ => {}
        }
    }
}

fn check_transfer_to(
    block: &Block<'_>,
    d: &Directive,
    lines: &[Directive],
    findings: &mut Findings,
) {
    for line in lines {
        let any = || line.arg_texts().any(|a| a == "*");
        let to_any = match line.name.text.as_ref() {
            "to" => any(),
            "transfer" => line.arg_texts().next() == Some("to") && any(),
            _ => false,
        };
        if to_any {
            findings.violation(
                here(block, line),
                format!(
                    "{} allows zone transfers to *: anyone who can reach CoreDNS can download every record of the zone; list the secondary servers' addresses after `to`",
                    d.name.text
                ),
            );
        }
    }
}

fn check_kubernetes(
    block: &Block<'_>,
    d: &Directive,
    settings: &Settings,
    cluster: &[String],
    findings: &mut Findings,
) {
    let pods = d.property("pods").last();
    let mode = pods
        .and_then(|p| p.args.first())
        .map_or("disabled", |a| a.text.as_ref());
    if !settings.allowed_pods_modes.iter().any(|m| m == mode) {
        let place = pods.map_or_else(|| here(block, d), |p| here(block, p));
        let why = match mode {
            "insecure" => "kubernetes sets \"pods insecure\": CoreDNS then answers any pod-style name (1-2-3-4.ns.pod.cluster.local) with the IP written in it, without checking that such a pod exists, so anyone can make a cluster name resolve to any address and pass checks that trust names (wildcard certificates for *.ns.pod.cluster.local); use \"pods verified\" or remove the line (disabled is the default). kubeadm, k3s and EKS ship \"pods insecure\" in their stock Corefile: to accept it, add \"insecure\" to the allowedPodsModes setting".to_string(),
            _ => format!(
                "kubernetes uses pods mode {mode:?}, which allowedPodsModes ({}) does not admit; set `pods` to one of them",
                settings.allowed_pods_modes.join(", ")
            ),
        };
        findings.violation(place, why);
    }
    if settings.protect_cluster_domain {
        for fall in d.property("fallthrough") {
            let zones = zones_of(&fall.args);
            let leaks: Vec<&String> = cluster
                .iter()
                .filter(|c| zones.is_empty() || zones.iter().any(|z| within(c, z) || within(z, c)))
                .collect();
            if !leaks.is_empty() {
                findings.warn(format!(
                    "{} kubernetes falls through for the cluster domain ({}): names it does not know are passed on to the plugins after it (forward, file, ...), which may answer them; list only the reverse zones after fallthrough (in-addr.arpa ip6.arpa)",
                    here(block, fall),
                    leaks.iter().map(|s| show(s)).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
}

fn check_forward(block: &Block<'_>, d: &Directive, context: &Context<'_>, findings: &mut Findings) {
    let settings = context.settings;
    let targets = d.args.get(1..).unwrap_or(&[]);
    if targets.is_empty() {
        findings.violation(
            here(block, d),
            "forward needs a zone and at least one upstream (forward . /etc/resolv.conf); CoreDNS refuses it as written",
        );
    }
    if targets.len() > MAX_UPSTREAMS {
        findings.violation(
            here(block, d),
            format!(
                "forward lists {} upstreams; CoreDNS refuses more than {MAX_UPSTREAMS}: keep at most {MAX_UPSTREAMS}",
                targets.len()
            ),
        );
    }
    let servername = d
        .property("tls_servername")
        .any(|p| p.args.first().is_some_and(|a| !a.text.is_empty()));
    for to in targets {
        // forward's `parseStanza` (CoreDNS 1.14.5 and later, plugin/forward/setup.go) takes
        // the transports `dns`, `tls` and `https` (DNS over HTTPS); any other one
        // `parse.Transport` knows is refused ("is not supported as a destination protocol").
        let transport = transport_of(&to.text);
        if let Some(scheme) = transport.filter(|t| !matches!(*t, "dns" | "tls" | "https")) {
            findings.violation(
                here(block, d),
                format!(
                    "forward sends queries to {:?} over {scheme}://, which forward does not speak: it takes dns://, tls:// and https:// upstreams only, and CoreDNS refuses the Corefile (\"'{scheme}' is not supported as a destination protocol in forward\"); for an encrypted upstream use tls://IP%NAME or https://IP",
                    to.text
                ),
            );
            continue;
        }
        // The same function refuses a DNS-over-HTTPS address with a path: the path is always
        // /dns-query.
        let path = match transport {
            Some("https") => to.text["https://".len()..].find('/'),
            _ => None,
        };
        if let Some(slash) = path {
            findings.violation(
                here(block, d),
                format!(
                    "forward sends DNS over HTTPS to {:?}, whose path CoreDNS refuses (\"paths are not allowed in HTTPS upstream addresses (the /dns-query path is used by default)\"), and a CoreDNS that cannot load its Corefile crash-loops; write the address alone ({})",
                    to.text,
                    &to.text[.."https://".len() + slash]
                ),
            );
            continue;
        }
        let upstream = parse_upstream(&to.text);
        check_upstream_allowed(block, d, &to.text, &upstream, context, findings);
        if upstream.scheme == Scheme::Tls && upstream.server_name.is_some() && servername {
            findings.violation(
                here(block, d),
                format!(
                    "forward names a TLS server for {:?} twice, with %NAME and with tls_servername, and CoreDNS refuses the Corefile (\"both forward and proxy level TLS servernames are set\"); keep one of the two",
                    to.text
                ),
            );
        }
        // forward's default tls.Config has no ServerName, and miekg/dns dials through Go's
        // tls.Dialer, which then takes the address's host: the certificate must list the IP.
        // CoreDNS's own documentation asks for a name; the policy requires one.
        if upstream.scheme == Scheme::Tls && upstream.server_name.is_none() && !servername {
            findings.violation(
                here(block, d),
                format!(
                    "forward sends DNS-over-TLS to {:?} without a server name: its certificate is then verified against the bare IP address, which only some public resolvers' certificates list, and CoreDNS's forward documentation asks for a name; add `tls_servername NAME` to its block (or write {}%NAME)",
                    to.text, to.text
                ),
            );
        }
        if settings.require_tls_upstreams && !matches!(upstream.scheme, Scheme::Tls | Scheme::Https)
        {
            findings.violation(
                here(block, d),
                format!(
                    "forward sends plain DNS to {:?}, which anyone on the path can read and forge; use tls://IP%NAME or https://IP upstreams (or requireTLSUpstreams: false)",
                    to.text
                ),
            );
        }
    }
    check_forward_block(block, d, findings);
    if settings.require_max_concurrent && d.property("max_concurrent").next().is_none() {
        findings.violation(
            here(block, d),
            "forward sets no max_concurrent, so a flood of queries to slow upstreams grows goroutines and memory without bound (about 2 KB per pending query) until CoreDNS is killed; add `max_concurrent 1000` to its block (or requireMaxConcurrent: false)",
        );
    }
}

/// The lines of forward's block, as `parseBlock` reads them ([`Takes`]), and `parseStanza`'s
/// check that `max_age` is not under `expire`. A line with a placeholder is not judged: its
/// value is not visible here, and CoreDNS replaces it first.
fn check_forward_block(block: &Block<'_>, d: &Directive, findings: &mut Findings) {
    let crash = "a CoreDNS that cannot load its Corefile crash-loops and takes cluster DNS down";
    let (mut expire, mut max_age, mut judged) = (DEFAULT_EXPIRE_NANOS, 0, true);
    for p in d.properties() {
        let words: Vec<&str> = std::iter::once(p.name.text.as_ref())
            .chain(p.arg_texts())
            .collect();
        if words.iter().any(|w| mentions_placeholder(w)) {
            judged = false;
            continue;
        }
        // A line may hold more than one property: what one leaves is read as the next.
        let mut rest = &words[..];
        while let Some((&name, args)) = rest.split_first() {
            let Some(takes) = Takes::of(name) else {
                let after = match rest.len() == words.len() {
                    true => "",
                    false => ", read as a property after the values of the one before it",
                };
                findings.violation(
                    here(block, p),
                    format!(
                        "forward has no property {name:?}{after}, and CoreDNS refuses the Corefile (\"unknown property '{name}'\"); {crash}; write one of {}",
                        PROPERTY_NAMES
                    ),
                );
                break;
            };
            let Some(used) = takes.read(args) else {
                findings.violation(
                    here(block, p),
                    format!(
                        "forward's `{}` is refused by CoreDNS: {name} takes {}; {crash}",
                        words.join(" "),
                        takes.describe()
                    ),
                );
                break;
            };
            // Read, so a duration.
            let nanos = || gostd::duration_nanos(args[0]).unwrap_or_default();
            match name {
                "expire" => expire = nanos(),
                "max_age" => max_age = nanos(),
                _ => {}
            }
            rest = &args[used..];
        }
    }
    if judged && max_age > 0 && max_age < expire {
        findings.violation(
            here(block, d),
            format!(
                "forward's max_age is under its expire ({} ms), which CoreDNS refuses (\"max_age must not be less than expire\"; expire is 10s unless set); {crash}; set max_age to at least expire, or remove it",
                expire / 1_000_000
            ),
        );
    }
}

fn check_upstream_allowed(
    block: &Block<'_>,
    d: &Directive,
    target: &str,
    upstream: &Upstream,
    context: &Context<'_>,
    findings: &mut Findings,
) {
    let settings = context.settings;
    if is_allowed(&upstream.host, context.upstreams) {
        return;
    }
    let listed = if settings.allowed_upstreams.is_empty() {
        "allowedUpstreams is empty".to_string()
    } else {
        format!(
            "allowedUpstreams: {}",
            settings.allowed_upstreams.join(", ")
        )
    };
    let what = if mentions_placeholder(target) {
        "holds a placeholder whose value this policy cannot see, so it cannot be matched"
    } else if capital_scheme(target) {
        "starts with a scheme in capitals, which CoreDNS does not read as a scheme (parse.Transport knows lower-case ones only): it takes the whole text for a file or a host name, finds neither and refuses the Corefile; write the scheme in lower case"
    } else if matches!(upstream.host, Host::Name(_)) {
        "is not an address, and upstreams are matched by address; write the resolver's IP"
    } else {
        "is not an allowed upstream"
    };
    findings.violation(
        here(block, d),
        format!(
            "{} sends queries to {target:?}, which {what} ({listed}): an unlisted resolver can answer any name with forged records; forward to an allowed upstream or add it to allowedUpstreams",
            d.name.text
        ),
    );
}

fn check_cache(block: &Block<'_>, d: &Directive, settings: &Settings, findings: &mut Findings) {
    let max = u64::from(settings.max_cache_ttl);
    let mut problems = Vec::new();
    let number = |text: &str, what: &str, problems: &mut Vec<String>| -> Option<u64> {
        let parsed = text.parse::<u64>().ok();
        if parsed.is_none() {
            problems.push(format!("{what} {text:?} is not a number of seconds"));
        }
        parsed
    };
    let ttl = d.args.first().and_then(|a| a.text.parse::<u64>().ok());
    let mut success = None;
    let mut denial = None;
    for p in d.properties() {
        let args: Vec<&str> = p.arg_texts().collect();
        match p.name.text.as_ref() {
            kind @ ("success" | "denial") => {
                let mut values = Vec::new();
                for (i, text) in args.iter().enumerate().skip(1) {
                    let what = if i == 1 {
                        format!("{kind} TTL")
                    } else {
                        format!("{kind} MINTTL")
                    };
                    values.extend(number(text, &what, &mut problems).map(|v| (what, v)));
                }
                for (what, value) in &values {
                    if what.ends_with("MINTTL") && *value > max {
                        problems.push(format!("{what} {value} exceeds maxCacheTTL {max}"));
                    }
                }
                let first = values
                    .iter()
                    .find(|(w, _)| w.ends_with(" TTL"))
                    .map(|(_, v)| *v);
                if kind == "success" {
                    success = first.or(success);
                } else {
                    denial = first.or(denial);
                }
            }
            "serve_stale" => {
                let stale = match args.first() {
                    None => Some(DEFAULT_SERVE_STALE),
                    Some(text) => {
                        let parsed = gostd::duration_seconds(text);
                        if parsed.is_none() {
                            problems
                                .push(format!("serve_stale duration {text:?} is not a duration"));
                        }
                        parsed
                    }
                };
                if let Some(stale) = stale.filter(|s| *s > max) {
                    problems.push(format!(
                        "serve_stale keeps serving expired answers for up to {stale} s, above maxCacheTTL {max}"
                    ));
                }
            }
            _ => {}
        }
    }
    let success = success.or(ttl).unwrap_or(DEFAULT_SUCCESS_TTL);
    let denial = denial.or(ttl).unwrap_or(DEFAULT_DENIAL_TTL);
    if success > max {
        problems.push(format!("answers are cached for up to {success} s"));
    }
    if denial > max {
        problems.push(format!("denials are cached for up to {denial} s"));
    }
    if !problems.is_empty() {
        findings.violation(
            here(block, d),
            format!(
                "cache: {}; maxCacheTTL is {max} s, which bounds how long a forged (poisoned) answer is served; write `cache {max}` or lower, with success/denial TTLs and serve_stale within it",
                problems.join(", ")
            ),
        );
    }
}

fn check_required(block: &Block<'_>, settings: &Settings, findings: &mut Findings) {
    for plugin in &settings.required_plugins {
        if block.has(plugin) {
            continue;
        }
        let why = match plugin.as_str() {
            "errors" => "without it, errors are not logged and failures go unseen",
            "health" => "without it the liveness probe on :8080/health fails or checks nothing",
            "ready" => {
                "without it the readiness probe on :8181/ready cannot tell when CoreDNS can serve"
            }
            "cache" => {
                "without it every query goes upstream, so floods reach the upstreams and answers cannot be bounded by maxCacheTTL"
            }
            "loop" => {
                "without it a forwarding loop (for example through a node's resolv.conf pointing back at CoreDNS) burns CPU and memory until CoreDNS dies"
            }
            _ => "requiredPlugins asks for it",
        };
        findings.violation(
            at(&block.file.label, block.block.position, None),
            format!(
                "{}, which holds the kubernetes plugin, has no {plugin} plugin: {why}; add `{plugin}` to it",
                block.keys()
            ),
        );
    }
}

/// A second server block for the cluster domain takes its queries: CoreDNS routes each query
/// to the block with the longest matching zone.
fn check_cluster_block(block: &Block<'_>, cluster: &[String], findings: &mut Findings) {
    if block.has("kubernetes") {
        return;
    }
    for (address, key) in block.addresses.iter().zip(&block.block.keys) {
        for zone in &address.zones {
            if let Some(domain) = cluster.iter().find(|c| within(zone, c)) {
                findings.violation(
                    at(&block.file.label, key.position, None),
                    format!(
                        "server block {:?} answers for {}, inside the cluster domain {}, which only the kubernetes plugin may answer: CoreDNS sends these names to the block with the longest matching zone, so this block would take them over; remove it (or protectClusterDomain: false)",
                        key.text,
                        show(zone),
                        show(domain)
                    ),
                );
            }
        }
    }
}

fn cluster_list(cluster: &[String]) -> String {
    cluster
        .iter()
        .map(|c| show(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spoofing(findings: &mut Findings, place: String, what: String, cluster: &[String]) {
    findings.violation(
        place,
        format!(
            "{what}; nothing but the kubernetes plugin may answer for the cluster domain ({}), or a name can be made to resolve to an attacker's address (DNS spoofing); remove it or restrict it to other zones (or protectClusterDomain: false)",
            cluster_list(cluster)
        ),
    );
}

fn in_cluster<'c>(name: &str, cluster: &'c [String]) -> Option<&'c String> {
    let name = fqdn(name);
    cluster.iter().find(|c| within(&name, c))
}

/// `rewrite`, one-line or block form, judged through the one rule CoreDNS builds of it.
fn check_rewrite(
    block: &Block<'_>,
    d: &Directive,
    cluster: &[String],
    protect: bool,
    findings: &mut Findings,
) {
    let rule = match parse_rule(d) {
        Ok(rule) => rule,
        Err(why) => {
            findings.violation(
                here(block, d),
                format!(
                    "CoreDNS refuses this rewrite: {why} (rewrite [continue|stop] name|class|type|edns0|ttl|cname|rcode ..., on one line or in a block)"
                ),
            );
            return;
        }
    };
    if !protect {
        return;
    }
    // Only the question (and, for cname, the target CoreDNS resolves next) decides what name is
    // answered. `answer name|value` rules rename records of the response after the fact, and
    // the client matches them against the question it sent, so they cannot make a cluster
    // name resolve elsewhere.
    let (field, mapping) = match &rule.rule {
        Rule::Name { mapping, .. } => ("name", mapping),
        Rule::Cname(mapping) => ("cname", mapping),
        Rule::Other { .. } => return,
    };
    if let Some(problem) = rewrite_problem(block, mapping, cluster) {
        let shown = |text: &str| match mapping.kind {
            Match::Regex => text.to_string(),
            _ => show(text).to_string(),
        };
        spoofing(
            findings,
            here(block, d),
            format!(
                "rewrite {field} {} {:?} {:?} {problem}",
                mapping.kind.as_str(),
                shown(&mapping.from),
                show(&mapping.to)
            ),
            cluster,
        );
    }
}

/// Can the rule map a name into or out of the cluster domain?
fn rewrite_problem(block: &Block<'_>, m: &Mapping, cluster: &[String]) -> Option<&'static str> {
    let serves = cluster.iter().any(|c| block.serves(c));
    let reaches = |suffix: &str| cluster.iter().any(|c| suffix_reaches(suffix, c));
    match m.kind {
        Match::Exact => (in_cluster(&m.from, cluster).is_some()
            || in_cluster(&m.to, cluster).is_some())
        .then_some("maps a name into or out of the cluster domain"),
        Match::Suffix => (reaches(&m.from) || reaches(&m.to))
            .then_some("rewrites a name suffix that can reach into or out of the cluster domain"),
        Match::Prefix | Match::Substring => (serves || reaches(&m.to) || reaches(&m.from))
            .then_some(
                "rewrites part of every name this server block answers, cluster names included",
            ),
        Match::Regex => {
            let from_safe = regex_literal_suffix(&m.from).is_some_and(|s| !reaches(&s));
            let to_safe = !reaches(&replacement_literal_suffix(&m.to));
            if !to_safe {
                Some(
                    "can produce names in the cluster domain (its replacement does not end in a fixed name outside it)",
                )
            } else if serves && !from_safe {
                Some(
                    "matches names of the cluster domain (its regex does not end, anchored with $, in a fixed name outside it)",
                )
            } else {
                None
            }
        }
    }
}

/// `hosts [FILE [ZONES...]] { inline lines }`: its inline lines and the hosts file it reads,
/// when that file is a key of the checked ConfigMap (`hostsParse`, `plugin/hosts/setup.go`).
fn check_hosts(
    block: &Block<'_>,
    d: &Directive,
    cluster: &[String],
    hosts_files: &HostsFiles,
    findings: &mut Findings,
) {
    let zone_args = d.args.get(1..).unwrap_or(&[]);
    for zone in zones_of(zone_args) {
        if cluster.iter().any(|c| within(&zone, c)) {
            spoofing(
                findings,
                here(block, d),
                format!(
                    "hosts is authoritative for {}, inside the cluster domain",
                    show(&zone)
                ),
                cluster,
            );
        }
    }
    // Names outside the plugin's zones are dropped when the file is read.
    let origins = plugin_zones(block, zone_args);
    let served = |name: &str| -> Option<String> {
        let name = fqdn(name);
        (origins.iter().any(|o| within(&name, o)) && in_cluster(&name, cluster).is_some())
            .then_some(name)
    };
    for line in d.properties() {
        if parse_ip(&line.name.text).is_none() {
            continue;
        }
        let address = &line.name.text;
        for name in &line.args {
            if served(&name.text).is_some() {
                spoofing(
                    findings,
                    here(block, line),
                    format!(
                        "hosts maps {:?} to {address}, a name in the cluster domain",
                        name.text
                    ),
                    cluster,
                );
            }
        }
    }
    let path = hosts_path(block.block, d);
    let Some((_, file)) = hosts_files.iter().find(|(p, _)| *p == path) else {
        return;
    };
    for entry in &file.entries {
        for name in &entry.names {
            if served(name).is_some() {
                spoofing(
                    findings,
                    format!("{} line {}:", file.label, entry.line),
                    format!(
                        "the hosts file {path}, read by hosts at {}, maps {name:?} to {}, a name in the cluster domain; the hosts plugin runs before kubernetes, so it would answer for it",
                        here(block, d).trim_end_matches(':'),
                        entry.address
                    ),
                    cluster,
                );
            }
        }
    }
}

/// The file a `hosts` plugin reads: its first argument (`/etc/hosts` without one), a relative
/// path resolved against the block's `root`, or else against `/`, the working directory of the
/// CoreDNS image.
pub fn hosts_path(block: &ServerBlock, d: &Directive) -> String {
    let Some(path) = d.args.first().map(|a| a.text.as_ref()) else {
        return "/etc/hosts".to_string();
    };
    if path.starts_with('/') {
        return normalize_path(path);
    }
    let root = block
        .directives
        .iter()
        .rev()
        .find(|r| r.name.text == "root")
        .and_then(|r| r.args.first())
        .map_or("/", |a| a.text.as_ref());
    normalize_path(&format!("{root}/{path}"))
}

/// The `hosts` plugins of the parsed files, with the block each is in.
pub fn hosts_directives<'a, 's: 'a>(
    corefiles: impl Iterator<Item = &'a Corefile<'s>>,
) -> impl Iterator<Item = (&'a ServerBlock<'s>, &'a Directive<'s>)> {
    corefiles.flat_map(|c| {
        c.blocks.iter().flat_map(|b| {
            b.directives
                .iter()
                .filter(|d| d.name.text == "hosts")
                .map(move |d| (b, d))
        })
    })
}

fn check_template(block: &Block<'_>, d: &Directive, cluster: &[String], findings: &mut Findings) {
    let zones = plugin_zones(block, d.args.get(2..).unwrap_or(&[]));
    let mut matches = Vec::new();
    for line in d.property("match") {
        matches.extend(line.arg_texts());
    }
    for zone in &zones {
        for domain in cluster {
            let problem = if within(zone, domain) {
                Some(format!(
                    "template answers for {}, inside the cluster domain",
                    show(zone)
                ))
            } else if within(domain, zone) {
                let unsafe_match = matches.is_empty()
                    || matches.iter().any(|m| {
                        regex_literal_suffix(m).is_none_or(|s| suffix_reaches(&s, domain))
                    });
                unsafe_match.then(|| {
                    format!(
                        "template answers in zone {} and its match patterns can match names of the cluster domain (each must end, anchored with $, in a fixed name outside it)",
                        show(zone)
                    )
                })
            } else {
                None
            };
            if let Some(problem) = problem {
                spoofing(findings, here(block, d), problem, cluster);
            }
        }
    }
}

fn check_zone_plugin(
    block: &Block<'_>,
    d: &Directive,
    cluster: &[String],
    findings: &mut Findings,
) {
    let args = match d.name.text.as_ref() {
        "file" => d.args.get(1..).unwrap_or(&[]),
        _ => &d.args[..],
    };
    for zone in plugin_zones(block, args) {
        if let Some(domain) = cluster.iter().find(|c| within(&zone, c)) {
            spoofing(
                findings,
                here(block, d),
                format!(
                    "{} serves zone {} from its own data, inside the cluster domain {}",
                    d.name.text,
                    show(&zone),
                    show(domain)
                ),
                cluster,
            );
        }
    }
}

fn check_imports(file: &File, settings: &Settings, findings: &mut Findings) {
    for import in &file.corefile.imports {
        let place = at(&file.label, import.position, import.via.as_ref());
        let pattern = &import.pattern;
        let allowed = if settings.allowed_imports.is_empty() {
            "allowedImports is empty".to_string()
        } else {
            format!("allowedImports: {}", settings.allowed_imports.join(", "))
        };
        if mentions_placeholder(pattern) {
            findings.violation(
                place,
                format!(
                    "import {pattern:?} holds a placeholder, so which files it reads cannot be checked ({allowed}); write the path itself"
                ),
            );
            continue;
        }
        let resolved = resolve_import(pattern);
        if !settings
            .allowed_imports
            .iter()
            .any(|a| glob_covers(&resolve_import(a), &resolved))
        {
            findings.violation(
                place,
                format!(
                    "import {pattern:?} reads {resolved}, files this policy cannot see and that could hold any plugin ({allowed}); import only what allowedImports admits, or inline the configuration"
                ),
            );
        }
    }
}
