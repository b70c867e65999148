//! The objects that name hosts, read lean (borrowed strings, only the fields the policy reads),
//! and the claims they make. The same views read the object under admission and the objects
//! listed from the cluster, whose field masks ([`Family::fields`]) keep exactly these fields.

use std::borrow::Cow;

use netsec_shared::acme;
use netsec_shared::cluster::Resource;
use netsec_shared::gateway;
use netsec_shared::request::Borrowed;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::pattern::{Pattern, Wildcards};

/// The kinds the policy reads, each with the resource its lookups name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ingress,
    HttpRoute,
    GrpcRoute,
    TlsRoute,
    VirtualService,
    Gateway,
    ListenerSet,
    IstioGateway,
}

/// Claimants route a host to a team's backends; listeners are the shared infrastructure that
/// serves them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Claimants,
    Listeners,
}

impl Family {
    pub fn kinds(self) -> &'static [Kind] {
        match self {
            Family::Claimants => &[
                Kind::Ingress,
                Kind::HttpRoute,
                Kind::GrpcRoute,
                Kind::TlsRoute,
                Kind::VirtualService,
            ],
            Family::Listeners => &[Kind::Gateway, Kind::ListenerSet, Kind::IstioGateway],
        }
    }
}

const META: [&str; 4] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.deletionTimestamp",
];

impl Kind {
    /// The kind of an admission request, by group and kind.
    pub fn of_request(group: &str, kind: &str) -> Option<Kind> {
        Some(match (group, kind) {
            ("networking.k8s.io", "Ingress") => Kind::Ingress,
            ("gateway.networking.k8s.io", "HTTPRoute") => Kind::HttpRoute,
            ("gateway.networking.k8s.io", "GRPCRoute") => Kind::GrpcRoute,
            ("gateway.networking.k8s.io", "TLSRoute") => Kind::TlsRoute,
            ("gateway.networking.k8s.io", "Gateway") => Kind::Gateway,
            ("gateway.networking.k8s.io", "ListenerSet") => Kind::ListenerSet,
            ("networking.istio.io", "VirtualService") => Kind::VirtualService,
            ("networking.istio.io", "Gateway") => Kind::IstioGateway,
            _ => return None,
        })
    }

    /// Is `kind` the name of one of the kinds, in some group?
    pub fn named(kind: &str) -> bool {
        matches!(
            kind,
            "Ingress"
                | "HTTPRoute"
                | "GRPCRoute"
                | "TLSRoute"
                | "Gateway"
                | "ListenerSet"
                | "VirtualService"
        )
    }

    pub fn family(self) -> Family {
        match self {
            Kind::Gateway | Kind::ListenerSet | Kind::IstioGateway => Family::Listeners,
            _ => Family::Claimants,
        }
    }

    /// The resource listed from the cluster (the metadata's `contextAwareResources`): Istio's
    /// v1 (served since Istio 1.22, the API server converts from any stored version) and the
    /// Gateway API's v1 (TLSRoute and ListenerSet are v1 since Gateway API 1.5).
    pub fn resource(self) -> Resource<'static> {
        let (api_version, kind) = match self {
            Kind::Gateway => return gateway::GATEWAY,
            Kind::ListenerSet => return gateway::LISTENER_SET,
            Kind::Ingress => ("networking.k8s.io/v1", "Ingress"),
            Kind::HttpRoute => ("gateway.networking.k8s.io/v1", "HTTPRoute"),
            Kind::GrpcRoute => ("gateway.networking.k8s.io/v1", "GRPCRoute"),
            Kind::TlsRoute => ("gateway.networking.k8s.io/v1", "TLSRoute"),
            Kind::VirtualService => ("networking.istio.io/v1", "VirtualService"),
            Kind::IstioGateway => ("networking.istio.io/v1", "Gateway"),
        };
        Resource { api_version, kind }
    }

    /// How the kind is named in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::IstioGateway => "Istio Gateway",
            other => other.resource().kind,
        }
    }

    /// The kind's plural, for messages about its listing.
    pub fn plural(self) -> String {
        match self {
            Kind::Ingress => "Ingresses".into(),
            other => format!("{}s", other.name()),
        }
    }

    /// The field masks of a listing: names, hosts, and what tells a solver apart.
    pub fn fields(self) -> Vec<&'static str> {
        let spec: &[&str] = match self {
            Kind::Ingress => &[
                "spec.rules.host",
                "spec.rules.http.paths.path",
                "spec.tls.hosts",
                "spec.defaultBackend",
            ],
            Kind::HttpRoute => &["spec.hostnames", "spec.rules.matches.path.value"],
            Kind::GrpcRoute | Kind::TlsRoute => &["spec.hostnames"],
            Kind::VirtualService => &["spec.hosts", "spec.gateways", "spec.http.match.uri"],
            Kind::Gateway | Kind::ListenerSet => {
                &["spec.listeners.hostname", "spec.listeners.port"]
            }
            Kind::IstioGateway => &["spec.servers.hosts", "spec.servers.port.number"],
        };
        META.iter().chain(spec).copied().collect()
    }

    fn wildcards(self) -> Wildcards {
        match self {
            Kind::Ingress => Wildcards::OneLabel,
            _ => Wildcards::AnyDepth,
        }
    }
}

#[derive(Debug, Default)]
pub struct Meta<'a> {
    pub name: Option<Borrowed<'a>>,
    pub namespace: Option<Borrowed<'a>>,
    pub uid: Option<Borrowed<'a>>,
    pub deletion_timestamp: Option<IgnoredAny>,
}

netsec_shared::view_reader!(Meta {
    "name" => name,
    "namespace" => namespace,
    "uid" => uid,
    "deletionTimestamp" => deletion_timestamp,
});

/// Any of the kinds: `kind` and `metadata`, and the union of their `spec` fields (the kinds do
/// not share a field name with another meaning).
#[derive(Debug, Default)]
pub struct Object<'a> {
    pub api_version: Option<Borrowed<'a>>,
    pub kind: Option<Borrowed<'a>>,
    pub metadata: Meta<'a>,
    pub spec: Spec<'a>,
}

netsec_shared::view_reader!(Object {
    "apiVersion" => api_version,
    "kind" => kind,
    "metadata" => metadata: netsec_shared::view::object,
    "spec" => spec: netsec_shared::view::object,
});

#[derive(Debug, Default)]
pub struct Spec<'a> {
    // Ingress
    pub default_backend: Option<IgnoredAny>,
    pub tls: Vec<IngressTls<'a>>,
    pub rules: Vec<Rule<'a>>,
    // HTTPRoute, GRPCRoute, TLSRoute
    pub hostnames: Vec<Borrowed<'a>>,
    // VirtualService
    pub hosts: Vec<Borrowed<'a>>,
    pub gateways: Option<Vec<Borrowed<'a>>>,
    pub http: Vec<VsHttp<'a>>,
    // Gateway, ListenerSet
    pub listeners: Vec<Listener<'a>>,
    // Istio Gateway
    pub servers: Vec<Server<'a>>,
}

netsec_shared::view_reader!(Spec {
    "defaultBackend" => default_backend,
    "tls" => tls: netsec_shared::view::list,
    "rules" => rules: netsec_shared::view::list,
    "hostnames" => hostnames: netsec_shared::view::list,
    "hosts" => hosts: netsec_shared::view::list,
    "gateways" => gateways,
    "http" => http: netsec_shared::view::list,
    "listeners" => listeners: netsec_shared::view::list,
    "servers" => servers: netsec_shared::view::list,
});

#[derive(Debug, Default)]
pub struct IngressTls<'a> {
    pub hosts: Vec<Borrowed<'a>>,
}

netsec_shared::view_reader!(IngressTls {
    "hosts" => hosts: netsec_shared::view::list,
});

/// An Ingress rule (`host`, `http.paths`) or an HTTPRoute rule (`matches`).
#[derive(Debug, Default)]
pub struct Rule<'a> {
    pub host: Option<Borrowed<'a>>,
    pub http: Option<IngressHttp<'a>>,
    pub matches: Vec<RouteMatch<'a>>,
}

netsec_shared::view_reader!(Rule {
    "host" => host,
    "http" => http,
    "matches" => matches: netsec_shared::view::list,
});

#[derive(Debug, Default)]
pub struct IngressHttp<'a> {
    pub paths: Vec<IngressPath<'a>>,
}

netsec_shared::view_reader!(IngressHttp {
    "paths" => paths: netsec_shared::view::list,
});

#[derive(Debug, Default)]
pub struct IngressPath<'a> {
    pub path: Option<Borrowed<'a>>,
}

netsec_shared::view_reader!(IngressPath {
    "path" => path,
});

#[derive(Debug, Default)]
pub struct RouteMatch<'a> {
    pub path: Option<RoutePath<'a>>,
}

netsec_shared::view_reader!(RouteMatch {
    "path" => path,
});

#[derive(Debug, Default)]
pub struct RoutePath<'a> {
    pub value: Option<Borrowed<'a>>,
}

netsec_shared::view_reader!(RoutePath {
    "value" => value,
});

#[derive(Debug, Default)]
pub struct VsHttp<'a> {
    pub matches: Vec<VsMatch<'a>>,
}

netsec_shared::view_reader!(VsHttp {
    "match" => matches: netsec_shared::view::list,
});

#[derive(Debug, Default)]
pub struct VsMatch<'a> {
    pub uri: Option<StringMatch<'a>>,
}

netsec_shared::view_reader!(VsMatch {
    "uri" => uri,
});

/// Istio's `StringMatch`: one of exact, prefix, regex.
#[derive(Debug, Default)]
pub struct StringMatch<'a> {
    pub exact: Option<Borrowed<'a>>,
    pub prefix: Option<Borrowed<'a>>,
}

netsec_shared::view_reader!(StringMatch {
    "exact" => exact,
    "prefix" => prefix,
});

#[derive(Debug, Default)]
pub struct Listener<'a> {
    pub hostname: Option<Borrowed<'a>>,
    pub port: Option<i64>,
}

netsec_shared::view_reader!(Listener {
    "hostname" => hostname,
    "port" => port,
});

#[derive(Debug, Default)]
pub struct Server<'a> {
    pub hosts: Vec<Borrowed<'a>>,
    pub port: Option<ServerPort>,
}

netsec_shared::view_reader!(Server {
    "hosts" => hosts: netsec_shared::view::list,
    "port" => port,
});

#[derive(Debug, Default, Deserialize)]
pub struct ServerPort {
    #[serde(default)]
    pub number: Option<i64>,
}

/// Where a claim is written in its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    RuleHost(usize),
    TlsHost(usize, usize),
    Hostname(usize),
    VsHost(usize),
    ListenerHostname(usize),
    ServerHost(usize, usize),
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Field::RuleHost(i) => write!(f, "spec.rules[{i}].host"),
            Field::TlsHost(i, j) => write!(f, "spec.tls[{i}].hosts[{j}]"),
            Field::Hostname(i) => write!(f, "spec.hostnames[{i}]"),
            Field::VsHost(i) => write!(f, "spec.hosts[{i}]"),
            Field::ListenerHostname(i) => write!(f, "spec.listeners[{i}].hostname"),
            Field::ServerHost(i, j) => write!(f, "spec.servers[{i}].hosts[{j}]"),
        }
    }
}

/// The HTTP paths a claim routes on its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paths<'a> {
    /// The whole host: a TLSRoute or GRPCRoute, a rule without paths, a regex.
    All,
    /// These paths; none for a TLS entry, which routes nothing by itself.
    Some(Vec<Cow<'a, str>>),
}

impl Paths<'_> {
    /// Would two claims on one host send a request path to both?
    pub fn overlap(&self, other: &Paths<'_>) -> bool {
        match (self, other) {
            (Paths::Some(a), _) if a.is_empty() => false,
            (_, Paths::Some(b)) if b.is_empty() => false,
            (Paths::All, _) | (_, Paths::All) => true,
            (Paths::Some(a), Paths::Some(b)) => a.iter().any(|p| b.contains(p)),
        }
    }
}

/// One host an object claims.
#[derive(Clone, Debug)]
pub struct Claim<'a> {
    pub field: Field,
    /// As written (for messages); for Istio Gateway hosts, without the namespace part.
    pub host: &'a str,
    pub pattern: Pattern<'a>,
    pub paths: Paths<'a>,
    /// The listener's port (listeners only).
    pub port: Option<i64>,
}

/// A host the policy cannot read: the field and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub field: Field,
    pub host: String,
    pub why: String,
}

/// What an object claims. `Ok(None)`-like hosts that claim nothing specific are left out: an
/// empty host, `*` (a catch-all, which every implementation ranks below any named host), and
/// for Istio, names without a dot (short service names, qualified with the object's namespace).
pub struct Claims<'a> {
    pub claims: Vec<Claim<'a>>,
    pub unreadable: Vec<Unreadable>,
}

impl<'a> Object<'a> {
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or_default()
    }

    /// The kind the object says it is, by its `apiVersion` group and `kind`.
    pub fn own_kind(&self) -> Option<Kind> {
        let api_version = self.api_version.as_deref()?;
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        Kind::of_request(group, self.kind.as_deref()?)
    }

    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("<unnamed>")
    }

    /// Is a VirtualService bound to a gateway? Without `gateways` Istio binds it to `mesh`
    /// only, the sidecars, which is no external claim.
    fn bound_to_gateway(&self) -> bool {
        self.spec
            .gateways
            .as_ref()
            .is_some_and(|g| g.iter().any(|g| g.0 != "mesh"))
    }

    /// The claims of the object, read as `kind`.
    pub fn claims(&'a self, kind: Kind) -> Claims<'a> {
        let mut out = Claims {
            claims: Vec::new(),
            unreadable: Vec::new(),
        };
        let w = kind.wildcards();
        let spec = &self.spec;
        match kind {
            Kind::Ingress => {
                for (i, rule) in spec.rules.iter().enumerate() {
                    let paths = match &rule.http {
                        Some(http) if !http.paths.is_empty() => Paths::Some(
                            http.paths
                                .iter()
                                .map(|p| match p.path.as_deref() {
                                    None | Some("") => Cow::Borrowed("/"),
                                    Some(_) => p.path.clone().map(|p| p.0).unwrap_or_default(),
                                })
                                .collect(),
                        ),
                        _ => Paths::All,
                    };
                    if let Some(host) = rule.host.as_deref() {
                        out.add(Field::RuleHost(i), host, w, paths, None);
                    }
                }
                for (i, tls) in spec.tls.iter().enumerate() {
                    for (j, host) in tls.hosts.iter().enumerate() {
                        out.add(Field::TlsHost(i, j), host, w, Paths::Some(vec![]), None);
                    }
                }
            }
            Kind::HttpRoute | Kind::GrpcRoute | Kind::TlsRoute => {
                let paths = if kind == Kind::HttpRoute {
                    http_route_paths(&spec.rules)
                } else {
                    Paths::All
                };
                for (i, host) in spec.hostnames.iter().enumerate() {
                    out.add(Field::Hostname(i), host, w, paths.clone(), None);
                }
            }
            Kind::VirtualService => {
                if !self.bound_to_gateway() {
                    return out;
                }
                let paths = vs_paths(&spec.http);
                for (i, host) in spec.hosts.iter().enumerate() {
                    if host.contains('.') || host.contains('*') {
                        out.add(Field::VsHost(i), host, w, paths.clone(), None);
                    }
                }
            }
            Kind::Gateway | Kind::ListenerSet => {
                for (i, listener) in spec.listeners.iter().enumerate() {
                    if let Some(host) = listener.hostname.as_deref() {
                        let field = Field::ListenerHostname(i);
                        out.add(field, host, w, Paths::All, Some(listener.port.unwrap_or(0)));
                    }
                }
            }
            Kind::IstioGateway => {
                for (i, server) in spec.servers.iter().enumerate() {
                    let port = server.port.as_ref().and_then(|p| p.number).unwrap_or(0);
                    for (j, entry) in server.hosts.iter().enumerate() {
                        let field = Field::ServerHost(i, j);
                        match istio_server_host(entry) {
                            Ok(host) => out.add(field, host, w, Paths::All, Some(port)),
                            Err(why) => out.unreadable.push(Unreadable {
                                field,
                                host: entry.to_string(),
                                why,
                            }),
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether a host the object names, read as `kind`, could meet one of `claims`: a test by
    /// the names alone, before [`Self::claims`] reads and checks every host. Two hosts meet only
    /// when the base of one (the name, or what follows `*.`) is the other's or under it, so an
    /// object without such a host has no claim that meets any of `claims`.
    pub fn may_meet(&self, kind: Kind, claims: &[Claim<'_>]) -> bool {
        let near = |host: &str| near(host, claims);
        let spec = &self.spec;
        match kind {
            Kind::Ingress => {
                spec.rules
                    .iter()
                    .filter_map(|r| r.host.as_deref())
                    .any(near)
                    || spec.tls.iter().flat_map(|t| &t.hosts).any(|h| near(h))
            }
            Kind::HttpRoute | Kind::GrpcRoute | Kind::TlsRoute => {
                spec.hostnames.iter().any(|h| near(h))
            }
            Kind::VirtualService => spec.hosts.iter().any(|h| near(h)),
            Kind::Gateway | Kind::ListenerSet => spec
                .listeners
                .iter()
                .filter_map(|l| l.hostname.as_deref())
                .any(near),
            // Its hosts carry a namespace part: read them whole.
            Kind::IstioGateway => true,
        }
    }

    /// Is the object a cert-manager HTTP-01 solver, by its shape (see [`acme`])? Only Ingresses
    /// and HTTPRoutes solve challenges.
    pub fn is_solver(&self, kind: Kind) -> bool {
        let spec = &self.spec;
        let named = |host: Option<&str>| host.is_some_and(|h| !h.is_empty() && !h.contains('*'));
        match kind {
            Kind::Ingress => {
                spec.default_backend.is_none()
                    && spec.tls.iter().all(|t| t.hosts.is_empty())
                    && !spec.rules.is_empty()
                    && spec.rules.iter().all(|rule| {
                        named(rule.host.as_deref())
                            && rule.http.as_ref().is_some_and(|http| {
                                acme::only_challenges(
                                    http.paths.iter().map(|p| p.path.as_deref().unwrap_or("")),
                                )
                            })
                    })
            }
            Kind::HttpRoute => {
                !spec.hostnames.is_empty()
                    && spec.hostnames.iter().all(|h| named(Some(h)))
                    && !spec.rules.is_empty()
                    && spec.rules.iter().all(|rule| {
                        acme::only_challenges(rule.matches.iter().map(|m| {
                            m.path
                                .as_ref()
                                .and_then(|p| p.value.as_deref())
                                .unwrap_or("")
                        }))
                    })
            }
            _ => false,
        }
    }
}

impl<'a> Claims<'a> {
    fn add(
        &mut self,
        field: Field,
        host: &'a str,
        wildcards: Wildcards,
        paths: Paths<'a>,
        port: Option<i64>,
    ) {
        if host.is_empty() || host == "*" {
            return;
        }
        match Pattern::parse(host, wildcards) {
            Ok(pattern) => self.claims.push(Claim {
                field,
                host,
                pattern,
                paths,
                port,
            }),
            Err(why) => self.unreadable.push(Unreadable {
                field,
                host: host.to_string(),
                why,
            }),
        }
    }
}

/// Could `host`, as any kind writes it, meet one of `claims`? See [`Object::may_meet`].
pub fn near(host: &str, claims: &[Claim<'_>]) -> bool {
    let base = host.strip_prefix("*.").unwrap_or(host);
    let base = base.strip_suffix('.').unwrap_or(base);
    claims.iter().any(|c| related(base, &c.pattern.base))
}

/// Is one of the names `a` and `b` the other, or under it (a label boundary before its
/// tail), ignoring ASCII case?
fn related(a: &str, b: &str) -> bool {
    let (long, short) = if a.len() >= b.len() {
        (a.as_bytes(), b.as_bytes())
    } else {
        (b.as_bytes(), a.as_bytes())
    };
    let cut = long.len() - short.len();
    long[cut..].eq_ignore_ascii_case(short) && (cut == 0 || long[cut - 1] == b'.')
}

/// The paths an HTTPRoute routes: each match's path value (`/` when a match has no path, as the
/// API defaults it to the prefix `/`), and `/` for a rule without matches.
fn http_route_paths<'a>(rules: &'a [Rule<'a>]) -> Paths<'a> {
    let mut paths = Vec::new();
    for rule in rules {
        if rule.matches.is_empty() {
            paths.push(Cow::Borrowed("/"));
        }
        for m in &rule.matches {
            let value = m.path.as_ref().and_then(|p| p.value.as_deref());
            paths.push(Cow::Borrowed(value.unwrap_or("/")));
        }
    }
    if rules.is_empty() {
        paths.push(Cow::Borrowed("/"));
    }
    Paths::Some(paths)
}

/// The paths of a VirtualService's `http` routes: `exact` and `prefix` URIs; a route without a
/// URI match takes every path, and a regex cannot be compared, so either claims the whole host.
fn vs_paths<'a>(http: &'a [VsHttp<'a>]) -> Paths<'a> {
    let mut paths = Vec::new();
    for route in http {
        if route.matches.is_empty() {
            return Paths::All;
        }
        for m in &route.matches {
            match m
                .uri
                .as_ref()
                .and_then(|u| u.exact.as_ref().or(u.prefix.as_ref()))
            {
                Some(path) => paths.push(Cow::Borrowed(path.as_ref())),
                None => return Paths::All,
            }
        }
    }
    if paths.is_empty() {
        return Paths::All;
    }
    Paths::Some(paths)
}

/// The host part of an Istio Gateway `servers[].hosts` entry, `[namespace/]dnsName`: the
/// namespace part (`*`, `.`, or a namespace name) says which namespaces' VirtualServices may
/// bind, not which names are served. Istio's `validateNamespaceSlashWildcardHostname`
/// (`pkg/config/validation`) refuses more than one `/` and an empty part.
fn istio_server_host(entry: &str) -> Result<&str, String> {
    let Some((namespace, host)) = entry.split_once('/') else {
        return Ok(entry);
    };
    if host.contains('/') {
        return Err("has more than one \"/\"; write namespace/host".into());
    }
    if namespace.is_empty() || host.is_empty() {
        return Err("has an empty namespace or host around \"/\"; write namespace/host".into());
    }
    if namespace != "*"
        && namespace != "."
        && netsec_shared::settings::check_dns_label(namespace).is_err()
    {
        return Err(format!(
            "names {namespace:?}, which is neither a namespace, \"*\" nor \".\""
        ));
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: &str) -> Object<'_> {
        netsec_shared::json::from_str(json).unwrap()
    }

    /// The test by names never leaves out an object whose claims meet one: every pair of hosts
    /// whose patterns intersect passes it.
    #[test]
    fn may_meet_keeps_every_meeting_object() {
        let hosts = [
            "a.example.com",
            "A.Example.COM.",
            "*.example.com",
            "example.com",
            "b.a.example.com",
            "*.a.example.com",
            "ample.com",
            "*.ample.com",
            "x.example.org",
            "*",
            "",
        ];
        for (mine, theirs) in hosts.iter().flat_map(|m| hosts.iter().map(move |t| (m, t))) {
            let subject = format!(r#"{{"spec":{{"hostnames":["{mine}"]}}}}"#);
            let subject = object(&subject);
            let mine = subject.claims(Kind::HttpRoute).claims;
            for kind in [Kind::Ingress, Kind::HttpRoute] {
                let json = format!(
                    r#"{{"spec":{{"rules":[{{"host":"{theirs}"}}],"hostnames":["{theirs}"]}}}}"#
                );
                let other = object(&json);
                let meets = other
                    .claims(kind)
                    .claims
                    .iter()
                    .any(|o| mine.iter().any(|m| m.pattern.intersects(&o.pattern)));
                assert!(
                    !meets || other.may_meet(kind, &mine),
                    "{mine:?} {theirs} {kind:?}"
                );
            }
        }
        assert!(related("b.Example.com", "example.com") && !related("example.com", "ample.com"));
    }

    fn hosts(o: &Object<'_>, kind: Kind) -> Vec<String> {
        o.claims(kind)
            .claims
            .iter()
            .map(|c| format!("{} {}", c.field, c.pattern))
            .collect()
    }

    #[test]
    fn claims_of_each_kind() {
        let ing = object(
            r#"{"spec":{"rules":[{"host":"A.example.com","http":{"paths":[{"path":"/api"},{}]}},
                {"host":"*.example.com"},{"http":{"paths":[]}}],
                "tls":[{"hosts":["a.example.com"]},{"hosts":null}]}}"#,
        );
        assert_eq!(
            hosts(&ing, Kind::Ingress),
            [
                "spec.rules[0].host a.example.com",
                "spec.rules[1].host *.example.com",
                "spec.tls[0].hosts[0] a.example.com"
            ]
        );
        let claims = ing.claims(Kind::Ingress).claims;
        assert_eq!(
            claims[0].paths,
            Paths::Some(vec!["/api".into(), "/".into()])
        );
        assert_eq!(claims[1].paths, Paths::All);
        assert_eq!(claims[2].paths, Paths::Some(vec![]));

        let vs = |gateways: &str| {
            format!(
                r#"{{"spec":{{"hosts":["shop.example.com","reviews","*"],{gateways}
                    "http":[{{"match":[{{"uri":{{"prefix":"/api"}}}}]}}]}}}}"#
            )
        };
        let mesh = vs(r#""gateways":["mesh"],"#);
        assert!(hosts(&object(&mesh), Kind::VirtualService).is_empty());
        let none = vs("");
        assert!(hosts(&object(&none), Kind::VirtualService).is_empty());
        let bound = vs(r#""gateways":["mesh","istio-system/public"],"#);
        let bound = object(&bound);
        assert_eq!(
            hosts(&bound, Kind::VirtualService),
            ["spec.hosts[0] shop.example.com"]
        );
        assert_eq!(
            bound.claims(Kind::VirtualService).claims[0].paths,
            Paths::Some(vec!["/api".into()])
        );

        let gw = object(
            r#"{"spec":{"listeners":[{"hostname":"*.example.com","port":443},{"port":80}]}}"#,
        );
        let claims = gw.claims(Kind::Gateway).claims;
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].port, Some(443));
        assert_eq!(claims[0].pattern.to_string(), "*.example.com");

        let istio = object(
            r#"{"spec":{"servers":[{"port":{"number":443},
                "hosts":["shop/a.example.com","./b.example.com","*/*.example.com","c.example.com","*","prod/*","a/b/c","/x"]}]}}"#,
        );
        let claims = istio.claims(Kind::IstioGateway);
        let got: Vec<String> = claims.claims.iter().map(|c| c.host.to_string()).collect();
        assert_eq!(
            got,
            [
                "a.example.com",
                "b.example.com",
                "*.example.com",
                "c.example.com"
            ]
        );
        let bad: Vec<String> = claims.unreadable.iter().map(|u| u.host.clone()).collect();
        assert_eq!(bad, ["a/b/c", "/x"]);
    }

    #[test]
    fn unreadable_hosts_are_reported() {
        let ing = object(r#"{"spec":{"rules":[{"host":"a.*.example.com"},{"host":"a b"}]}}"#);
        let claims = ing.claims(Kind::Ingress);
        assert!(claims.claims.is_empty());
        assert_eq!(claims.unreadable.len(), 2);
    }

    #[test]
    fn solvers_by_shape() {
        let path = "/.well-known/acme-challenge/tok3n_-x";
        let ingress = |rest: &str| {
            format!(
                r#"{{"spec":{{"rules":[{{"host":"shop.example.com","http":{{"paths":[{{"path":"{path}"}}{rest}]}}}}]}}}}"#
            )
        };
        assert!(object(&ingress("")).is_solver(Kind::Ingress));
        assert!(!object(&ingress(r#",{"path":"/"}"#)).is_solver(Kind::Ingress));
        let wildcard = ingress("").replace("shop.", "*.");
        assert!(!object(&wildcard).is_solver(Kind::Ingress));
        let backend = ingress("").replace(r#"{"rules""#, r#"{"defaultBackend":{},"rules""#);
        assert!(!object(&backend).is_solver(Kind::Ingress));
        assert!(!object(r#"{"spec":{"rules":[]}}"#).is_solver(Kind::Ingress));

        let route = |value: &str| {
            format!(
                r#"{{"spec":{{"hostnames":["shop.example.com"],"rules":[{{"matches":[{{"path":{{"type":"Exact","value":"{value}"}}}}]}}]}}}}"#
            )
        };
        assert!(object(&route(path)).is_solver(Kind::HttpRoute));
        assert!(!object(&route("/.well-known/acme-challenge/")).is_solver(Kind::HttpRoute));
        assert!(!object(&route(path)).is_solver(Kind::TlsRoute));
        let no_matches = r#"{"spec":{"hostnames":["a.example.com"],"rules":[{}]}}"#;
        assert!(!object(no_matches).is_solver(Kind::HttpRoute));
    }

    #[test]
    fn path_overlap() {
        let some = |p: &[&'static str]| Paths::Some(p.iter().map(|s| Cow::Borrowed(*s)).collect());
        assert!(some(&["/api"]).overlap(&some(&["/x", "/api"])));
        assert!(!some(&["/api"]).overlap(&some(&["/"])));
        assert!(Paths::All.overlap(&some(&["/"])));
        assert!(Paths::All.overlap(&Paths::All));
        assert!(!Paths::All.overlap(&some(&[])));
        assert!(!some(&[]).overlap(&Paths::All));
    }

    #[test]
    fn masks_name_every_field_read() {
        for kind in Family::Claimants
            .kinds()
            .iter()
            .chain(Family::Listeners.kinds())
        {
            let fields = kind.fields();
            assert!(fields.contains(&"metadata.uid"), "{kind:?}");
            assert_eq!(
                Kind::of_request(
                    kind.resource().api_version.split('/').next().unwrap(),
                    kind.resource().kind,
                ),
                Some(*kind)
            );
        }
    }
}
