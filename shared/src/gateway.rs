//! Lean views of the Gateway API (`gateway.networking.k8s.io`): the objects that hold listeners
//! (Gateway, ListenerSet and the experimental XListenerSet), and the routes that attach to them
//! (HTTPRoute, GRPCRoute, TLSRoute share the fields policies read).
//!
//! A ListenerSet (`apis/v1/listenerset_types.go` of kubernetes-sigs/gateway-api, standard channel
//! since 1.5; before that `XListenerSet` of `gateway.networking.x-k8s.io/v1alpha1`, in
//! `apisx/v1alpha1/xlistenerset_types.go`) adds listeners to the Gateway its `spec.parentRef`
//! names (a `ParentGatewayReference`: group and kind default to the Gateway's, the namespace to
//! the ListenerSet's). Its `spec.listeners` are `ListenerEntry`s, a Gateway `Listener` in all the
//! fields read here, so one view reads both. A route attaches to the listeners of its direct
//! parent only (GEP-1713, "Route Attachment"): a reference to a Gateway never selects the
//! listeners of its ListenerSets, and a reference to a ListenerSet selects among its own by
//! `sectionName` and `port`, as for a Gateway.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use crate::cluster::{Cluster, Resource};
use crate::request::ObjectMeta;
use crate::view::{list, object, optional_string, string, strings};
use crate::view_reader;

/// The API group of Gateway and its routes.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// The API group of the experimental channel's kinds (`XListenerSet`).
pub const X_GROUP: &str = "gateway.networking.x-k8s.io";

/// The Gateway a policy reads from the cluster (v1 is served by every Gateway API release
/// since 1.0, whatever version the Gateway was written in).
pub const GATEWAY: Resource = Resource {
    api_version: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
};

/// The ListenerSet of the standard channel.
pub const LISTENER_SET: Resource = Resource {
    api_version: "gateway.networking.k8s.io/v1",
    kind: "ListenerSet",
};

/// The ListenerSet of the experimental channel (Gateway API 1.3 to 1.4), which the standard one
/// replaces.
pub const X_LISTENER_SET: Resource = Resource {
    api_version: "gateway.networking.x-k8s.io/v1alpha1",
    kind: "XListenerSet",
};

/// The resource of an object that holds listeners, by its group and kind: a Gateway, a
/// ListenerSet or an XListenerSet; `None` for any other kind.
pub fn listener_holder(group: &str, kind: &str) -> Option<Resource<'static>> {
    let resource = match kind {
        "Gateway" => GATEWAY,
        "ListenerSet" => LISTENER_SET,
        "XListenerSet" => X_LISTENER_SET,
        _ => return None,
    };
    // The group is the apiVersion's part before the version.
    let version = resource.api_version.strip_prefix(group)?;
    version.starts_with('/').then_some(resource)
}

/// A Gateway, ListenerSet or XListenerSet: what holds listeners. `gatewayClassName` is a
/// Gateway's, `parentRef` a ListenerSet's.
#[derive(Debug, Default)]
pub struct ListenerHolder<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub metadata: ObjectMeta<'a>,
    pub spec: HolderSpec<'a>,
}

view_reader!(ListenerHolder {
    "kind" => kind: optional_string,
    "metadata" => metadata: object,
    "spec" => spec: object,
});

#[derive(Debug, Default)]
pub struct HolderSpec<'a> {
    pub gateway_class_name: Option<Cow<'a, str>>,
    /// A ListenerSet's `ParentGatewayReference` (`apis/v1/shared_types.go`): group, kind, name
    /// and namespace, the fields of a route's `ParentReference` but section and port.
    pub parent_ref: Option<ParentRef<'a>>,
    pub listeners: Vec<Listener<'a>>,
}

view_reader!(HolderSpec {
    "gatewayClassName" => gateway_class_name: optional_string,
    "parentRef" => parent_ref,
    "listeners" => listeners: list,
});

#[derive(Debug, Default)]
pub struct Listener<'a> {
    pub name: Cow<'a, str>,
    pub hostname: Option<Cow<'a, str>>,
    pub port: Option<i64>,
    pub protocol: Cow<'a, str>,
    pub tls: Option<ListenerTls<'a>>,
    pub allowed_routes: Option<AllowedRoutes<'a>>,
}

view_reader!(Listener {
    "name" => name: string,
    "hostname" => hostname: optional_string,
    "port" => port,
    "protocol" => protocol: string,
    "tls" => tls,
    "allowedRoutes" => allowed_routes,
});

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

#[derive(Debug, Default)]
pub struct ListenerTls<'a> {
    pub mode: Option<Cow<'a, str>>,
    /// Only how many there are matters to the policies.
    pub certificate_refs: Vec<IgnoredAny>,
}

view_reader!(ListenerTls {
    "mode" => mode: optional_string,
    "certificateRefs" => certificate_refs: list,
});

impl ListenerTls<'_> {
    /// `Terminate` when unset, as the API defaults it.
    pub fn mode(&self) -> &str {
        self.mode.as_deref().unwrap_or("Terminate")
    }
}

#[derive(Debug, Default)]
pub struct AllowedRoutes<'a> {
    pub namespaces: Option<RouteNamespaces<'a>>,
}

view_reader!(AllowedRoutes {
    "namespaces" => namespaces,
});

#[derive(Debug, Default)]
pub struct RouteNamespaces<'a> {
    pub from: Option<Cow<'a, str>>,
}

view_reader!(RouteNamespaces {
    "from" => from: optional_string,
});

/// HTTPRoute, GRPCRoute or TLSRoute: what they have in common, and HTTPRoute's redirects.
#[derive(Debug, Default)]
pub struct Route<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub metadata: ObjectMeta<'a>,
    pub spec: RouteSpec<'a>,
}

view_reader!(Route {
    "kind" => kind: optional_string,
    "metadata" => metadata: object,
    "spec" => spec: object,
});

#[derive(Debug, Default)]
pub struct RouteSpec<'a> {
    pub parent_refs: Vec<ParentRef<'a>>,
    pub hostnames: Vec<Cow<'a, str>>,
    pub rules: Vec<RouteRule<'a>>,
}

view_reader!(RouteSpec {
    "parentRefs" => parent_refs: list,
    "hostnames" => hostnames: strings,
    "rules" => rules: list,
});

impl RouteSpec<'_> {
    /// The parent references to Gateways and ListenerSets, with their index in
    /// `spec.parentRefs`. Other parents (a Service, for mesh routing under GAMMA) carry no
    /// traffic from outside the cluster.
    /// Each comes with the resource to read it as.
    pub fn listener_parents(
        &self,
    ) -> impl Iterator<Item = (usize, &ParentRef<'_>, Resource<'static>)> {
        self.parent_refs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.holder().map(|resource| (i, p, resource)))
    }
}

/// A `ParentReference`.
#[derive(Debug, Default)]
pub struct ParentRef<'a> {
    pub group: Option<Cow<'a, str>>,
    pub kind: Option<Cow<'a, str>>,
    pub namespace: Option<Cow<'a, str>>,
    pub name: Cow<'a, str>,
    pub section_name: Option<Cow<'a, str>>,
    pub port: Option<i64>,
}

view_reader!(ParentRef {
    "group" => group: optional_string,
    "kind" => kind: optional_string,
    "namespace" => namespace: optional_string,
    "name" => name: string,
    "sectionName" => section_name: optional_string,
    "port" => port,
});

impl ParentRef<'_> {
    /// Group and kind default to `gateway.networking.k8s.io` and `Gateway`
    /// (`ParentReference` and `ParentGatewayReference` of `apis/v1/shared_types.go`).
    pub fn is_gateway(&self) -> bool {
        self.holder() == Some(GATEWAY)
    }

    /// The kind named, `Gateway` by default.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("Gateway")
    }

    /// The resource of the parent when it holds listeners (see [`listener_holder`]).
    pub fn holder(&self) -> Option<Resource<'static>> {
        listener_holder(self.group.as_deref().unwrap_or(GROUP), self.kind())
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
            "{} {}/{}",
            self.kind(),
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

#[derive(Debug, Default)]
pub struct RouteRule<'a> {
    pub name: Option<Cow<'a, str>>,
    pub filters: Vec<RouteFilter<'a>>,
    pub backend_refs: Vec<IgnoredAny>,
}

view_reader!(RouteRule {
    "name" => name: optional_string,
    "filters" => filters: list,
    "backendRefs" => backend_refs: list,
});

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

#[derive(Debug, Default)]
pub struct RouteFilter<'a> {
    pub kind: Cow<'a, str>,
    pub request_redirect: Option<RequestRedirect<'a>>,
}

view_reader!(RouteFilter {
    "type" => kind: string,
    "requestRedirect" => request_redirect,
});

#[derive(Debug, Default)]
pub struct RequestRedirect<'a> {
    pub scheme: Option<Cow<'a, str>>,
}

view_reader!(RequestRedirect {
    "scheme" => scheme: optional_string,
});

/// What the policies read of a Gateway or ListenerSet they look up (the field masks of the
/// lookup).
const HOLDER_FIELDS: &[&str] = &["kind", "metadata.name", "metadata.namespace", "spec"];

/// Reads the Gateway or ListenerSet (`resource`, see [`listener_holder`]) that an object names
/// and hands it to `f` (a `dyn` closure: one copy of the reader in the module, whatever its
/// callers want of it). The error says why it could not be read: not found, refused by the host,
/// or unreadable.
pub fn with_listeners(
    cluster: &dyn Cluster,
    resource: Resource<'_>,
    name: &str,
    namespace: &str,
    f: &mut dyn FnMut(&ListenerHolder<'_>),
) -> Result<(), String> {
    let bytes = cluster.get(resource, name, Some(namespace), HOLDER_FIELDS)?;
    // Read as text with the parser of the objects under admission, so that the module does not
    // carry a second one for bytes.
    let holder: ListenerHolder = crate::mem::utf8(&bytes)
        .map_err(|e| e.to_string())
        .and_then(crate::json::from_str)
        .map_err(|e| format!("the answer cannot be read as a {}: {e}", resource.kind))?;
    f(&holder);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::MemoryCluster;
    use serde_json::json;

    #[test]
    fn gateway_view() {
        let gw: ListenerHolder = serde_json::from_str(
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
            assert!(
                serde_json::from_str::<ListenerHolder>(bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(gw.spec.gateway_class_name.as_deref(), Some("eg"));
        assert!(gw.spec.parent_ref.is_none());
    }

    #[test]
    fn listener_set_view() {
        let ls: ListenerHolder = serde_json::from_str(
            r#"{"kind":"ListenerSet","metadata":{"name":"team","namespace":"shop"},
                "spec":{"parentRef":{"name":"edge","namespace":"infra"},"listeners":[
                {"name":"https","port":443,"protocol":"HTTPS","hostname":"shop.example.com",
                 "tls":{"mode":"Terminate","certificateRefs":[{"name":"c"}]}}]}}"#,
        )
        .unwrap();
        let parent = ls.spec.parent_ref.as_ref().unwrap();
        assert!(parent.is_gateway());
        assert_eq!(
            (parent.name.as_ref(), parent.namespace_or("shop")),
            ("edge", "infra")
        );
        assert_eq!(ls.spec.listeners[0].hostname(), Some("shop.example.com"));
        assert!(ls.spec.gateway_class_name.is_none());
        let kinds = [
            (GROUP, "Gateway", Some(GATEWAY)),
            (GROUP, "ListenerSet", Some(LISTENER_SET)),
            (X_GROUP, "XListenerSet", Some(X_LISTENER_SET)),
            (X_GROUP, "ListenerSet", None),
            (GROUP, "XListenerSet", None),
            ("networking.istio.io", "Gateway", None),
        ];
        for (group, kind, want) in kinds {
            assert_eq!(listener_holder(group, kind), want, "{group} {kind}");
        }
    }

    #[test]
    fn parent_refs_select_listeners() {
        let route: Route = serde_json::from_str(
            r#"{"spec":{"parentRefs":[{"name":"gw"},{"name":"gw","sectionName":"https"},
                {"name":"gw","port":80},{"name":"gw","sectionName":"https","port":80},
                {"group":"","kind":"Service","name":"svc"},
                {"group":"gateway.networking.k8s.io","kind":"Gateway","name":"gw","namespace":"infra"},
                {"group":"gateway.networking.k8s.io","kind":"ListenerSet","name":"ls","sectionName":"http"},
                {"group":"gateway.networking.x-k8s.io","kind":"XListenerSet","name":"xls"},
                {"kind":"ListenerSet","group":"gateway.networking.x-k8s.io","name":"wrong"}],
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
        let parents: Vec<usize> = route.spec.listener_parents().map(|(i, ..)| i).collect();
        assert_eq!(parents, [0, 1, 2, 3, 5, 6, 7]);
        assert!(p[5].is_gateway() && !p[6].is_gateway() && !p[4].is_gateway());
        assert_eq!(p[6].holder(), Some(LISTENER_SET));
        assert_eq!(p[7].holder(), Some(X_LISTENER_SET));
        assert_eq!(
            (sel(6), p[6].describe("shop").as_str()),
            ((true, false), "ListenerSet shop/ls listener \"http\"")
        );
        assert_eq!(p[7].describe("shop"), "XListenerSet shop/xls");
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
    fn lookups() {
        let cluster = MemoryCluster::new(vec![
            json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "infra"},
            "spec": {"listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}}),
            json!({
            "apiVersion": "gateway.networking.x-k8s.io/v1alpha1", "kind": "XListenerSet",
            "metadata": {"name": "ls", "namespace": "shop"},
            "spec": {"parentRef": {"name": "gw", "namespace": "infra"},
                     "listeners": [{"name": "a", "port": 80, "protocol": "HTTP"},
                                   {"name": "b", "port": 443, "protocol": "HTTPS"}]}}),
        ]);
        let mut n = 0;
        let mut count = |h: &ListenerHolder| n = h.spec.listeners.len();
        assert_eq!(
            with_listeners(&cluster, GATEWAY, "gw", "infra", &mut count),
            Ok(())
        );
        assert_eq!(n, 1);
        let mut count = |h: &ListenerHolder| n = h.spec.listeners.len();
        assert_eq!(
            with_listeners(&cluster, X_LISTENER_SET, "ls", "shop", &mut count),
            Ok(())
        );
        assert_eq!(n, 2);
        let missing = with_listeners(&cluster, GATEWAY, "gw", "shop", &mut |_| ()).unwrap_err();
        assert!(missing.contains("Cannot find"), "{missing}");
        let other = with_listeners(&cluster, LISTENER_SET, "ls", "shop", &mut |_| ()).unwrap_err();
        assert!(other.contains("ListenerSet named 'ls'"), "{other}");
    }
}
