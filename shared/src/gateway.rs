//! Lean views of the Gateway API (`gateway.networking.k8s.io`): Gateway, and the routes that
//! attach to it (HTTPRoute, GRPCRoute, TLSRoute share the fields policies read).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::cluster::{Cluster, Resource};
use crate::request::{ObjectMeta, null_as_empty};

/// The API group of Gateway and its routes.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// The Gateway a policy reads from the cluster (v1 is served by every Gateway API release
/// since 1.0, whatever version the Gateway was written in).
pub const GATEWAY: Resource = Resource {
    api_version: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "crate::request::object_or_null")]
    pub metadata: ObjectMeta<'a>,
    #[serde(default, borrow, deserialize_with = "crate::request::object_or_null")]
    pub spec: GatewaySpec<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub listeners: Vec<Listener<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener<'a> {
    #[serde(default, borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub hostname: Option<Cow<'a, str>>,
    #[serde(default)]
    pub port: Option<i64>,
    #[serde(default, borrow)]
    pub protocol: Cow<'a, str>,
    #[serde(default, borrow)]
    pub tls: Option<ListenerTls<'a>>,
    #[serde(default, borrow)]
    pub allowed_routes: Option<AllowedRoutes<'a>>,
}

impl Listener<'_> {
    pub fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref().filter(|h| !h.is_empty())
    }

    /// `allowedRoutes.namespaces.from`, `Same` when unset (the API's default).
    pub fn routes_from(&self) -> &str {
        self.allowed_routes
            .as_ref()
            .and_then(|a| a.namespaces.as_ref())
            .and_then(|n| n.from.as_deref())
            .unwrap_or("Same")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerTls<'a> {
    #[serde(default, borrow)]
    pub mode: Option<Cow<'a, str>>,
    /// Only how many there are matters to the policies.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub certificate_refs: Vec<IgnoredAny>,
}

impl ListenerTls<'_> {
    /// `Terminate` when unset, as the API defaults it.
    pub fn mode(&self) -> &str {
        self.mode.as_deref().unwrap_or("Terminate")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedRoutes<'a> {
    #[serde(default, borrow)]
    pub namespaces: Option<RouteNamespaces<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteNamespaces<'a> {
    #[serde(default, borrow)]
    pub from: Option<Cow<'a, str>>,
}

/// HTTPRoute, GRPCRoute or TLSRoute: what they have in common, and HTTPRoute's redirects.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "crate::request::object_or_null")]
    pub metadata: ObjectMeta<'a>,
    #[serde(default, borrow, deserialize_with = "crate::request::object_or_null")]
    pub spec: RouteSpec<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec<'a> {
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub parent_refs: Vec<ParentRef<'a>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub hostnames: Vec<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub rules: Vec<RouteRule<'a>>,
}

impl RouteSpec<'_> {
    /// The parent references to Gateways, with their index in `spec.parentRefs`. Other parents
    /// (a Service, for mesh routing under GAMMA) carry no traffic from outside the cluster.
    pub fn gateway_parents(&self) -> impl Iterator<Item = (usize, &ParentRef<'_>)> {
        self.parent_refs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_gateway())
    }
}

/// A `ParentReference`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef<'a> {
    #[serde(default, borrow)]
    pub group: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub section_name: Option<Cow<'a, str>>,
    #[serde(default)]
    pub port: Option<i64>,
}

impl ParentRef<'_> {
    /// Group and kind default to `gateway.networking.k8s.io` and `Gateway`.
    pub fn is_gateway(&self) -> bool {
        self.group.as_deref().unwrap_or(GROUP) == GROUP
            && self.kind.as_deref().unwrap_or("Gateway") == "Gateway"
    }

    /// The parent's namespace: the route's own unless given.
    pub fn namespace_or<'s>(&'s self, route_namespace: &'s str) -> &'s str {
        self.namespace
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(route_namespace)
    }

    /// Does the reference select the listener? `sectionName` picks a listener by name, `port`
    /// by port; with both, both must hold; with neither, every listener is selected.
    pub fn selects(&self, listener: &Listener<'_>) -> bool {
        self.section_name
            .as_deref()
            .is_none_or(|s| s == listener.name)
            && self.port.is_none_or(|p| Some(p) == listener.port)
    }

    /// How the reference picks listeners, for messages.
    pub fn describe(&self, route_namespace: &str) -> String {
        let mut text = format!(
            "Gateway {}/{}",
            self.namespace_or(route_namespace),
            self.name
        );
        if let Some(section) = self.section_name.as_deref() {
            text.push_str(&format!(" listener {section:?}"));
        }
        if let Some(port) = self.port {
            text.push_str(&format!(" port {port}"));
        }
        text
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRule<'a> {
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_as_empty")]
    pub filters: Vec<RouteFilter<'a>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub backend_refs: Vec<IgnoredAny>,
}

impl RouteRule<'_> {
    /// The rule answers with a redirect to `https` (a `RequestRedirect` filter whose scheme is
    /// https); one without a scheme keeps the request's, plain http.
    pub fn redirects_to_https(&self) -> bool {
        self.filters.iter().any(|f| {
            f.kind == "RequestRedirect"
                && f.request_redirect
                    .as_ref()
                    .and_then(|r| r.scheme.as_deref())
                    .is_some_and(|s| s.eq_ignore_ascii_case("https"))
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteFilter<'a> {
    #[serde(default, borrow, rename = "type")]
    pub kind: Cow<'a, str>,
    #[serde(default, borrow)]
    pub request_redirect: Option<RequestRedirect<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRedirect<'a> {
    #[serde(default, borrow)]
    pub scheme: Option<Cow<'a, str>>,
}

/// What the policies read of a Gateway they look up (the field masks of the lookup).
const GATEWAY_FIELDS: &[&str] = &["kind", "metadata.name", "metadata.namespace", "spec"];

/// Reads the Gateway a route names and hands it to `f`. The error says why it could not be
/// read: not found, refused by the host, or unreadable.
pub fn with_gateway<R>(
    cluster: &dyn Cluster,
    name: &str,
    namespace: &str,
    f: impl FnOnce(&Gateway<'_>) -> R,
) -> Result<R, String> {
    let bytes = cluster.get(GATEWAY, name, Some(namespace), GATEWAY_FIELDS)?;
    // Read as text with the parser of the objects under admission, so that the module does not
    // carry a second one for bytes.
    let gateway: Gateway = std::str::from_utf8(&bytes)
        .map_err(|e| e.to_string())
        .and_then(crate::json::from_str)
        .map_err(|e| format!("the answer cannot be read as a Gateway: {e}"))?;
    Ok(f(&gateway))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::MemoryCluster;
    use serde_json::json;

    #[test]
    fn gateway_view() {
        let gw: Gateway = serde_json::from_str(
            r#"{"kind":"Gateway","spec":{"gatewayClassName":"eg","listeners":[
                {"name":"http","port":80,"protocol":"HTTP"},
                {"name":"https","port":443,"protocol":"HTTPS","hostname":"*.example.com",
                 "tls":{"certificateRefs":[{"name":"c"}]},
                 "allowedRoutes":{"namespaces":{"from":"All"}}},
                {"name":"tls","port":8443,"protocol":"TLS","tls":{"mode":"Passthrough"}}]}}"#,
        )
        .unwrap();
        let l = &gw.spec.listeners;
        assert_eq!(l[0].routes_from(), "Same");
        assert_eq!(l[0].hostname(), None);
        assert_eq!(l[1].routes_from(), "All");
        assert_eq!(l[1].hostname(), Some("*.example.com"));
        let tls = l[1].tls.as_ref().unwrap();
        assert_eq!((tls.mode(), tls.certificate_refs.len()), ("Terminate", 1));
        assert_eq!(l[2].tls.as_ref().unwrap().mode(), "Passthrough");
        for bad in [
            r#"{"spec":{"listeners":{}}}"#,
            r#"{"spec":{"listeners":[{"port":"80"}]}}"#,
        ] {
            assert!(serde_json::from_str::<Gateway>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parent_refs_select_listeners() {
        let route: Route = serde_json::from_str(
            r#"{"spec":{"parentRefs":[{"name":"gw"},{"name":"gw","sectionName":"https"},
                {"name":"gw","port":80},{"name":"gw","sectionName":"https","port":80},
                {"group":"","kind":"Service","name":"svc"},
                {"group":"gateway.networking.k8s.io","kind":"Gateway","name":"gw","namespace":"infra"}],
               "hostnames":null,"rules":[{"filters":[{"type":"RequestRedirect",
               "requestRedirect":{"scheme":"HTTPS"}}]},{"backendRefs":[{"name":"web"}]}]}}"#,
        )
        .unwrap();
        let http = Listener {
            name: "http".into(),
            port: Some(80),
            ..Listener::default()
        };
        let https = Listener {
            name: "https".into(),
            port: Some(443),
            ..Listener::default()
        };
        let p = &route.spec.parent_refs;
        let sel = |i: usize| (p[i].selects(&http), p[i].selects(&https));
        assert_eq!(sel(0), (true, true));
        assert_eq!(sel(1), (false, true));
        assert_eq!(sel(2), (true, false));
        assert_eq!(sel(3), (false, false));
        let gateways: Vec<usize> = route.spec.gateway_parents().map(|(i, _)| i).collect();
        assert_eq!(gateways, [0, 1, 2, 3, 5]);
        assert_eq!(p[0].namespace_or("shop"), "shop");
        assert_eq!(p[5].namespace_or("shop"), "infra");
        assert_eq!(
            p[3].describe("shop"),
            "Gateway shop/gw listener \"https\" port 80"
        );
        assert!(route.spec.hostnames.is_empty());
        assert!(route.spec.rules[0].redirects_to_https());
        assert!(!route.spec.rules[1].redirects_to_https());
    }

    #[test]
    fn gateway_lookup() {
        let cluster = MemoryCluster::new(vec![json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "infra"},
            "spec": {"listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})]);
        let n = with_gateway(&cluster, "gw", "infra", |g| g.spec.listeners.len());
        assert_eq!(n, Ok(1));
        let missing = with_gateway(&cluster, "gw", "shop", |_| ()).unwrap_err();
        assert!(missing.contains("Cannot find"), "{missing}");
    }
}
