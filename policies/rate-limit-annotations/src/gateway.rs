//! The Gateway API side (`gatewayAPI: envoy-gateway`): every HTTPRoute and GRPCRoute is rate
//! limited by an Envoy Gateway `BackendTrafficPolicy`, on the route or on its Gateway, and the
//! limits of those policies are within the bounds.

use std::borrow::Cow;

use netsec_shared::cluster::{Cluster, Resource, unreadable};
use netsec_shared::gateway::{self, ParentRef};
use netsec_shared::json::Json;
use netsec_shared::review::{judges, object_of_kind};
use netsec_shared::{AdmissionRequest, Findings, Verdict};
use serde_json::Value;

use crate::policy::{Side, check_bound};
use crate::settings::{GatewayApi, Measure, Settings};

/// Envoy Gateway's API group.
const ENVOY_GROUP: &str = "gateway.envoyproxy.io";
const BACKEND_TRAFFIC_POLICY: Resource = Resource {
    api_version: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
};

/// What the policy reads of the BackendTrafficPolicies it lists (the field masks of the list).
const TRAFFIC_POLICY_FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "spec"];

/// `None` when the request is not a Gateway API or Envoy Gateway one (the Ingress rules judge it).
pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Option<Verdict> {
    let group = request.kind.group.as_ref();
    if group != gateway::GROUP && group != ENVOY_GROUP {
        return None;
    }
    if settings.gateway_api == GatewayApi::None || !judges(request, &settings.exempt_namespaces) {
        return Some(Verdict::accept());
    }
    let kind = request.kind.kind.as_ref();
    let judged = matches!(
        (group, kind),
        (gateway::GROUP, "HTTPRoute" | "GRPCRoute") | (ENVOY_GROUP, "BackendTrafficPolicy")
    );
    if !judged {
        return Some(Verdict::accept());
    }
    let object: Value = match object_of_kind(request, kind, |v: &Json| v.0["kind"].as_str()) {
        Ok(Json(object)) => object,
        Err(rejection) => return Some(rejection),
    };
    let unreadable = |why: String| {
        Verdict::reject(format!(
            "the object cannot be read as {}: {why}",
            if kind == "BackendTrafficPolicy" {
                "a BackendTrafficPolicy".to_string()
            } else {
                format!("an {kind}")
            }
        ))
    };
    let verdict = if kind == "BackendTrafficPolicy" {
        TrafficPolicy::read(&object).map(|policy| {
            let mut findings = Findings::new();
            check_limits(&mut findings, &policy, "", settings);
            findings.into_verdict()
        })
    } else {
        RouteView::read(&object).map(|route| {
            let namespace = request.namespace_or(route.namespace);
            check_route(kind, &route, namespace, settings, cluster)
        })
    };
    Some(verdict.unwrap_or_else(unreadable))
}

/// What the rate-limit rules read of an HTTPRoute or GRPCRoute.
#[derive(Debug, Default)]
pub struct RouteView<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub parents: Vec<ParentRef<'a>>,
    /// `spec.rules[].name`.
    pub rule_names: Vec<Option<&'a str>>,
}

impl<'a> RouteView<'a> {
    pub fn read(v: &'a Value) -> Result<RouteView<'a>, String> {
        let empty = &Value::Null;
        let metadata = field(v, "metadata", "")?.unwrap_or(empty);
        let spec = field(v, "spec", "")?.unwrap_or(empty);
        let mut parents = Vec::new();
        for (i, p) in items(spec, "parentRefs", "spec")?.iter().enumerate() {
            let path = format!("spec.parentRefs[{i}]");
            let port = match field(p, "port", &path)? {
                None => None,
                Some(n) => Some(
                    n.as_i64()
                        .ok_or(format!("{path}.port: expected an integer"))?,
                ),
            };
            parents.push(ParentRef {
                group: text(p, "group", &path)?.map(Cow::Borrowed),
                kind: text(p, "kind", &path)?.map(Cow::Borrowed),
                namespace: text(p, "namespace", &path)?.map(Cow::Borrowed),
                name: Cow::Borrowed(text(p, "name", &path)?.unwrap_or_default()),
                section_name: text(p, "sectionName", &path)?.map(Cow::Borrowed),
                port,
            });
        }
        let mut rule_names = Vec::new();
        for (i, rule) in items(spec, "rules", "spec")?.iter().enumerate() {
            rule_names.push(text(rule, "name", &format!("spec.rules[{i}]"))?);
        }
        Ok(RouteView {
            name: text(metadata, "name", "metadata")?.unwrap_or_default(),
            namespace: text(metadata, "namespace", "metadata")?.unwrap_or_default(),
            parents,
            rule_names,
        })
    }
}

/// A `BackendTrafficPolicy`, read from a JSON tree: the module already carries serde_json's
/// `Value` for its settings and mutations, and a derived reader per nested type would push it
/// over its size budget.
#[derive(Debug, Default)]
pub struct TrafficPolicy<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub targets: Vec<TargetRef<'a>>,
    pub rate_limit: Option<RateLimit<'a>>,
    /// Set, a route policy is merged with its Gateway's instead of replacing it.
    pub merge_type: Option<&'a str>,
}

/// A `LocalPolicyTargetReferenceWithSectionName`: the target is in the policy's namespace.
#[derive(Debug, Default)]
pub struct TargetRef<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub section_name: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct RateLimit<'a> {
    pub kind: Option<&'a str>,
    /// (`global` or `local`, its rules).
    pub sections: Vec<(&'static str, Vec<Option<Limit<'a>>>)>,
}

#[derive(Debug, Default)]
pub struct Limit<'a> {
    pub requests: Option<u64>,
    pub unit: Option<&'a str>,
}

/// The field `key` of the map `v` (absent or null: `None`), its path, for errors.
fn field<'v>(v: &'v Value, key: &str, path: &str) -> Result<Option<&'v Value>, String> {
    match v {
        Value::Object(map) => Ok(map.get(key).filter(|x| !x.is_null())),
        Value::Null => Ok(None),
        _ => Err(format!("{path}: expected a map")),
    }
}

fn text<'v>(v: &'v Value, key: &str, path: &str) -> Result<Option<&'v str>, String> {
    match field(v, key, path)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{}: expected a string", at(path, key))),
    }
}

fn items<'v>(v: &'v Value, key: &str, path: &str) -> Result<&'v [Value], String> {
    match field(v, key, path)? {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("{}: expected a sequence", at(path, key))),
    }
}

fn number(v: &Value, key: &str, path: &str) -> Result<Option<u64>, String> {
    match field(v, key, path)? {
        None => Ok(None),
        Some(Value::Number(n)) if n.is_u64() => Ok(n.as_u64()),
        Some(_) => Err(format!("{}: expected a whole number", at(path, key))),
    }
}

fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> TrafficPolicy<'a> {
    pub fn read(v: &'a Value) -> Result<TrafficPolicy<'a>, String> {
        let empty = &Value::Null;
        let metadata = field(v, "metadata", "")?.unwrap_or(empty);
        let spec = field(v, "spec", "")?.unwrap_or(empty);
        let mut targets = Vec::new();
        let single = field(spec, "targetRef", "spec")?.map(|t| ("spec.targetRef".to_string(), t));
        let listed = items(spec, "targetRefs", "spec")?
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("spec.targetRefs[{i}]"), t));
        for (path, t) in single.into_iter().chain(listed) {
            targets.push(TargetRef {
                group: text(t, "group", &path)?.unwrap_or_default(),
                kind: text(t, "kind", &path)?.unwrap_or_default(),
                name: text(t, "name", &path)?.unwrap_or_default(),
                section_name: text(t, "sectionName", &path)?,
            });
        }
        let rate_limit = match field(spec, "rateLimit", "spec")? {
            None => None,
            Some(r) => {
                let path = "spec.rateLimit";
                let mut sections = Vec::new();
                for name in ["global", "local"] {
                    let at = format!("{path}.{name}");
                    let Some(section) = field(r, name, path)? else {
                        continue;
                    };
                    let mut limits = Vec::new();
                    for (i, rule) in items(section, "rules", &at)?.iter().enumerate() {
                        let rule_path = format!("{at}.rules[{i}]");
                        limits.push(match field(rule, "limit", &rule_path)? {
                            None => None,
                            Some(limit) => {
                                let limit_path = format!("{rule_path}.limit");
                                Some(Limit {
                                    requests: number(limit, "requests", &limit_path)?,
                                    unit: text(limit, "unit", &limit_path)?,
                                })
                            }
                        });
                    }
                    sections.push((name, limits));
                }
                Some(RateLimit {
                    kind: text(r, "type", path)?,
                    sections,
                })
            }
        };
        Ok(TrafficPolicy {
            namespace: text(metadata, "namespace", "metadata")?.unwrap_or_default(),
            name: text(metadata, "name", "metadata")?.unwrap_or_default(),
            targets,
            rate_limit,
            merge_type: text(spec, "mergeType", "spec")?,
        })
    }
}

impl TrafficPolicy<'_> {
    /// The section names of the targets naming `kind` `name`: `None` for the whole object.
    fn sections_of<'s>(
        &'s self,
        group: &'s str,
        kind: &'s str,
        name: &'s str,
    ) -> impl Iterator<Item = Option<&'s str>> + 's {
        self.targets
            .iter()
            .filter(move |t| t.group == group && t.kind == kind && t.name == name)
            .map(|t| t.section_name)
    }

    /// The rate-limit rules with their paths.
    fn limit_rules(&self) -> impl Iterator<Item = (String, Option<&Limit<'_>>)> {
        self.rate_limit
            .iter()
            .flat_map(|r| r.sections.iter())
            .flat_map(|(name, limits)| {
                limits.iter().enumerate().map(move |(i, limit)| {
                    (format!("spec.rateLimit.{name}.rules[{i}]"), limit.as_ref())
                })
            })
    }

    fn limits(&self) -> bool {
        self.limit_rules().next().is_some()
    }

    fn local(&self) -> bool {
        self.rate_limit.as_ref().is_some_and(|r| {
            r.kind == Some("Local")
                || (r.kind.is_none() && r.sections.iter().any(|(n, _)| *n == "local"))
        })
    }

    fn describe(&self) -> String {
        format!("BackendTrafficPolicy {}/{}", self.namespace, self.name)
    }
}

/// The limits of a policy within the bounds; `prefix` names the policy when it is not the
/// object under admission.
fn check_limits(
    findings: &mut Findings,
    policy: &TrafficPolicy<'_>,
    prefix: &str,
    settings: &Settings,
) {
    let Some(rate_limit) = &policy.rate_limit else {
        return;
    };
    if !policy.limits() {
        let section = match rate_limit.kind {
            Some("Local") => "local",
            _ => "global",
        };
        findings.violation(
            format!("{prefix}spec.rateLimit.{section}.rules"),
            "is empty or missing, so the policy limits nothing; add a rule with a limit \
             (requests and unit)",
        );
    }
    for (path, limit) in policy.limit_rules() {
        let path = format!("{prefix}{path}.limit");
        let Some(limit) = limit else {
            findings.violation(path, "is missing; set requests and unit");
            continue;
        };
        let (Some(requests), Some(unit)) = (limit.requests, limit.unit) else {
            findings.violation(path, "needs both requests and unit");
            continue;
        };
        // Hours and days are checked against the per-minute bounds.
        let (measure, minutes) = match unit {
            "Second" => (Measure::Rps, 1),
            "Minute" => (Measure::Rpm, 1),
            "Hour" => (Measure::Rpm, 60),
            "Day" => (Measure::Rpm, 1_440),
            other => {
                findings.violation(
                    format!("{path}.unit"),
                    format!(
                        "is {other:?}, which is not a unit Envoy Gateway reads; use Second, \
                         Minute, Hour or Day"
                    ),
                );
                continue;
            }
        };
        check_bound(
            findings,
            settings,
            &path,
            &format!("{requests} per {unit}"),
            measure,
            (requests, minutes),
            |side, bound| {
                let requests = bound.saturating_mul(minutes as i64);
                match side {
                    Side::Raise => format!("raise requests to at least {requests}"),
                    Side::Lower => format!("lower requests to at most {requests}"),
                }
            },
        );
    }
}

/// The policies of the namespaces the route and its Gateways and ListenerSets live in.
struct Policies<'a> {
    /// (namespace, its policies).
    by_namespace: Vec<(&'a str, Vec<TrafficPolicy<'a>>)>,
}

impl Policies<'_> {
    fn of(&self, namespace: &str) -> &[TrafficPolicy<'_>] {
        self.by_namespace
            .iter()
            .find(|(ns, _)| *ns == namespace)
            .map_or(&[][..], |(_, policies)| policies.as_slice())
    }

    /// The policies with a rate limit in `namespace` that target the object `group`/`kind`
    /// `name` as a whole, or, when `section` is given, the listener of that name.
    fn limiting<'s>(
        &'s self,
        namespace: &str,
        (group, kind, name): (&str, &str, &str),
        section: Option<&str>,
    ) -> Vec<&'s TrafficPolicy<'s>> {
        self.of(namespace)
            .iter()
            .filter(|p| {
                p.limits()
                    && p.sections_of(group, kind, name)
                        .any(|s| s.is_none() || s == section)
            })
            .collect()
    }
}

/// A parent the route attaches through, by its index in `spec.parentRefs`: a Gateway, or a
/// ListenerSet with the Gateway it adds its listeners to, or why that could not be read.
struct Parent<'p> {
    index: usize,
    by: &'p ParentRef<'p>,
    gateway: Option<Result<(String, String), String>>,
}

pub fn check_route(
    kind: &str,
    route: &RouteView<'_>,
    namespace: &str,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    let parents: Vec<Parent> = route
        .parents
        .iter()
        .enumerate()
        .filter_map(|(index, by)| {
            let resource = by.holder()?;
            let gateway = (!by.is_gateway())
                .then(|| parent_gateway(cluster, resource, &by.name, by.namespace_or(namespace)));
            Some(Parent { index, by, gateway })
        })
        .collect();
    if parents.is_empty() {
        // Unattached, or mesh routing (a Service parent): no traffic from outside the cluster.
        return Verdict::accept();
    }
    let mut namespaces = vec![namespace];
    for parent in &parents {
        let gateway_ns = match &parent.gateway {
            Some(Ok((_, ns))) => Some(ns.as_str()),
            _ => None,
        };
        for ns in [Some(parent.by.namespace_or(namespace)), gateway_ns]
            .into_iter()
            .flatten()
        {
            if !namespaces.contains(&ns) {
                namespaces.push(ns);
            }
        }
    }
    let mut answers = Vec::new();
    for ns in &namespaces {
        let answer = cluster
            .list_by_namespace(BACKEND_TRAFFIC_POLICY, ns, TRAFFIC_POLICY_FIELDS)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|e| e.to_string()))
            .and_then(|text| netsec_shared::json::value(&text));
        match answer {
            Ok(list) => answers.push((*ns, list)),
            Err(why) => return unreadable_policies(kind, ns, why),
        }
    }
    let mut by_namespace = Vec::new();
    for (ns, list) in &answers {
        let read: Result<Vec<TrafficPolicy>, String> = items(list, "items", "")
            .and_then(|items| items.iter().map(TrafficPolicy::read).collect());
        match read {
            Ok(policies) => by_namespace.push((*ns, policies)),
            Err(why) => return unreadable_policies(kind, ns, why),
        }
    }
    let policies = Policies { by_namespace };
    judge_route(kind, route, namespace, &parents, &policies, settings)
}

/// The Gateway (name, namespace) a ListenerSet or XListenerSet adds its listeners to: its
/// `spec.parentRef`, a `ParentGatewayReference` (`apis/v1/shared_types.go` of the Gateway API)
/// whose group and kind default to the Gateway's and namespace to the ListenerSet's.
fn parent_gateway(
    cluster: &dyn Cluster,
    resource: Resource<'_>,
    name: &str,
    namespace: &str,
) -> Result<(String, String), String> {
    let bytes = cluster.get(resource, name, Some(namespace), &["spec.parentRef"])?;
    let object: Value = String::from_utf8(bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| netsec_shared::json::value(&text))?;
    let spec = field(&object, "spec", "")?.unwrap_or(&Value::Null);
    let path = "spec.parentRef";
    let parent = field(spec, "parentRef", "spec")?.ok_or("its spec.parentRef is missing")?;
    let group = text(parent, "group", path)?.unwrap_or(gateway::GROUP);
    let kind = text(parent, "kind", path)?.unwrap_or("Gateway");
    if gateway::listener_holder(group, kind) != Some(gateway::GATEWAY) {
        return Err(format!("its spec.parentRef names a {kind}, not a Gateway"));
    }
    Ok((
        text(parent, "name", path)?.unwrap_or_default().to_string(),
        text(parent, "namespace", path)?
            .unwrap_or(namespace)
            .to_string(),
    ))
}

fn unreadable_policies(kind: &str, namespace: &str, error: String) -> Verdict {
    Verdict::reject(unreadable(
        format_args!("the BackendTrafficPolicies of namespace {namespace:?}"),
        format_args!("the rate limit of the {kind} cannot be verified"),
        format_args!("the {kind}"),
        &error,
    ))
}

fn judge_route(
    kind: &str,
    route: &RouteView<'_>,
    namespace: &str,
    parents: &[Parent<'_>],
    policies: &Policies<'_>,
    settings: &Settings,
) -> Verdict {
    let mut findings = Findings::new();
    let mut covering: Vec<&TrafficPolicy> = Vec::new();
    let name = route.name;

    // Envoy Gateway applies the most specific policy: one on the route replaces the Gateway's
    // for it, unless it asks to be merged.
    let on_route: Vec<(&TrafficPolicy, Option<&str>)> = policies
        .of(namespace)
        .iter()
        .flat_map(|p| {
            p.sections_of(gateway::GROUP, kind, name)
                .map(move |s| (p, s))
        })
        .collect();
    let whole: Vec<&TrafficPolicy> = on_route
        .iter()
        .filter(|(_, s)| s.is_none())
        .map(|(p, _)| *p)
        .collect();
    let limiting: Vec<&TrafficPolicy> = whole.iter().copied().filter(|p| p.limits()).collect();
    let rules_covered = !route.rule_names.is_empty()
        && route.rule_names.iter().all(|rule| {
            rule.is_some_and(|rule_name| {
                on_route
                    .iter()
                    .any(|(p, s)| *s == Some(rule_name) && p.limits())
            })
        });
    let overriding: Vec<&TrafficPolicy> = whole
        .iter()
        .copied()
        .filter(|p| !p.limits() && p.merge_type.is_none())
        .collect();

    if !limiting.is_empty() {
        covering = limiting;
    } else if rules_covered {
        covering.extend(
            on_route
                .iter()
                .filter(|(_, s)| s.is_some())
                .map(|(p, _)| *p),
        );
    } else if let Some(first) = overriding.first() {
        findings.violation(
            "",
            format!(
                "{kind} {name:?} is the target of {}, which has no spec.rateLimit: Envoy Gateway \
                 applies it to the route in place of its Gateway's policy, so no rate limit \
                 applies; add spec.rateLimit to it (or set its mergeType to keep the Gateway's)",
                first.describe()
            ),
        );
    } else {
        let mut unlimited = Vec::new();
        let mut unread_parents = Vec::new();
        for parent in parents {
            let by = parent.by;
            let parent_ns = by.namespace_or(namespace);
            let group = by.group.as_deref().unwrap_or(gateway::GROUP);
            let target = (group, by.kind(), by.name.as_ref());
            let mut found = policies.limiting(parent_ns, target, by.section_name.as_deref());
            // A policy on a whole Gateway limits the listeners of its ListenerSets too (Envoy
            // Gateway's `gatewayPolicyTargetListeners`); one on a Gateway listener does not.
            let mut unread = None;
            match &parent.gateway {
                Some(Ok((gw, gw_ns))) => {
                    found.extend(policies.limiting(gw_ns, (gateway::GROUP, "Gateway", gw), None))
                }
                Some(Err(why)) => unread = Some(why),
                None => {}
            }
            match unread {
                Some(why) if found.is_empty() => unread_parents.push((parent, why)),
                _ if found.is_empty() => unlimited.push(parent),
                _ => {}
            }
            covering.extend(found);
        }
        let all = unlimited.len() + unread_parents.len() == parents.len();
        let route_too = if all {
            format!(" the {kind} {name:?} (in namespace {namespace:?}) or")
        } else {
            String::new()
        };
        for parent in unlimited {
            let by = parent.by;
            let (that, or) = match &parent.gateway {
                Some(Ok((gw, gw_ns))) => (
                    format!("that {} or its Gateway {gw_ns}/{gw}", by.kind()),
                    format!(", the {}, or the Gateway", by.kind()),
                ),
                _ => ("that Gateway".to_string(), " (or the Gateway)".to_string()),
            };
            findings.violation(
                format!("spec.parentRefs[{}]", parent.index),
                format!(
                    "attaches to {}, but no BackendTrafficPolicy with spec.rateLimit targets\
                     {route_too} {that}, so clients reach the route through it without a rate \
                     limit; add a BackendTrafficPolicy with spec.rateLimit whose targetRefs name \
                     the {kind}{or}",
                    by.describe(namespace)
                ),
            );
        }
        for (parent, why) in unread_parents {
            let by = parent.by;
            findings.violation(
                format!("spec.parentRefs[{}]", parent.index),
                unreadable(
                    format_args!(
                        "names {} {}/{}, which no BackendTrafficPolicy with spec.rateLimit \
                         targets, and which",
                        by.kind(),
                        by.namespace_or(namespace),
                        by.name
                    ),
                    format_args!(
                        "it cannot be verified that a policy on its Gateway limits the {kind}"
                    ),
                    format_args!("the {kind}"),
                    why,
                ),
            );
        }
    }
    netsec_shared::sort::sort_by(&mut covering, |a, b| a.describe().cmp(&b.describe()));
    covering.dedup_by_key(|p| p.describe());
    for policy in &covering {
        check_limits(
            &mut findings,
            policy,
            &format!("{}: ", policy.describe()),
            settings,
        );
        if policy.local() {
            findings.warn(format!(
                "{} limits the {kind} with a Local rate limit, which each Envoy replica counts \
                 separately: the effective rate is the limit times the number of replicas; size \
                 it for one replica, or use a Global rate limit",
                policy.describe()
            ));
        }
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::Payload;
    use netsec_shared::cluster::MemoryCluster;
    use serde_json::json;

    fn run(group: &str, kind: &str, spec: Value, cluster: &MemoryCluster) -> Verdict {
        let payload = json!({
            "request": {"uid": "1", "operation": "CREATE", "namespace": "shop",
                        "kind": {"group": group, "version": "v1", "kind": kind},
                        "object": {"kind": kind, "metadata": {"name": "shop", "namespace": "shop"}, "spec": spec}},
            "settings": {"gatewayAPI": "envoy-gateway", "bounds": {"rps": {"max": 50}}},
        })
        .to_string();
        let p = Payload::<Settings>::parse(payload.as_bytes()).unwrap();
        crate::evaluate(&p.request, &p.settings, cluster)
    }

    fn policy(ns: &str, target: Value, rate_limit: Value) -> Value {
        json!({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
               "metadata": {"name": "rl", "namespace": ns},
               "spec": {"targetRefs": [target], "rateLimit": rate_limit}})
    }

    #[test]
    fn coverage() {
        let limit = |n: u64| json!({"type": "Global", "global": {"rules": [{"limit": {"requests": n, "unit": "Second"}}]}});
        let on_route = json!({"group": gateway::GROUP, "kind": "HTTPRoute", "name": "shop"});
        let on_gateway = json!({"group": gateway::GROUP, "kind": "Gateway", "name": "edge"});
        let route = json!({"parentRefs": [{"name": "edge"}], "hostnames": ["a.example.com"]});
        let cases = [
            (vec![policy("shop", on_route.clone(), limit(10))], ""),
            (vec![policy("shop", on_gateway.clone(), limit(10))], ""),
            (
                vec![policy("infra", on_gateway.clone(), limit(10))],
                "no BackendTrafficPolicy",
            ),
            (
                vec![policy("shop", on_route.clone(), limit(100))],
                "above the maximum of 50",
            ),
            (
                vec![
                    policy("shop", on_route.clone(), Value::Null),
                    policy("shop", on_gateway, limit(10)),
                ],
                "in place of its Gateway",
            ),
            (vec![], "no BackendTrafficPolicy"),
        ];
        for (objects, want) in cases {
            let v = run(
                gateway::GROUP,
                "HTTPRoute",
                route.clone(),
                &MemoryCluster::new(objects.clone()),
            );
            assert_eq!(v.is_accepted(), want.is_empty(), "{objects:?}: {v:?}");
            assert!(
                v.message().unwrap_or_default().contains(want),
                "{objects:?}: {v:?}"
            );
        }
        let failing = run(
            gateway::GROUP,
            "HTTPRoute",
            route,
            &MemoryCluster::failing("refused"),
        );
        assert_eq!(
            failing.message().unwrap(),
            "the BackendTrafficPolicies of namespace \"shop\" could not be read, so the rate \
             limit of the HTTPRoute cannot be verified; the HTTPRoute is rejected (fail closed) \
             [refused]"
        );
    }

    #[test]
    fn listener_sets() {
        let limit = json!({"global": {"rules": [{"limit": {"requests": 10, "unit": "Second"}}]}});
        let target = |kind: &str, name: &str, section: Option<&str>| {
            let mut t = json!({"group": gateway::GROUP, "kind": kind, "name": name});
            if let Some(section) = section {
                t["sectionName"] = json!(section);
            }
            t
        };
        let sets = vec![
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "ListenerSet",
                   "metadata": {"name": "team", "namespace": "shop"},
                   "spec": {"parentRef": {"name": "edge", "namespace": "infra"}, "listeners": []}}),
            json!({"apiVersion": "gateway.networking.x-k8s.io/v1alpha1", "kind": "XListenerSet",
                   "metadata": {"name": "xteam", "namespace": "shop"},
                   "spec": {"parentRef": {"name": "edge", "namespace": "infra"}, "listeners": []}}),
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "ListenerSet",
                   "metadata": {"name": "odd", "namespace": "shop"},
                   "spec": {"parentRef": {"kind": "Service", "group": "", "name": "edge"}}}),
        ];
        let with = |policies: Vec<Value>| {
            let mut objects = sets.clone();
            objects.extend(policies);
            MemoryCluster::new(objects)
        };
        let ls = |name: &str, section: Option<&str>| {
            let mut parent = json!({"group": gateway::GROUP, "kind": "ListenerSet", "name": name});
            if let Some(section) = section {
                parent["sectionName"] = json!(section);
            }
            json!({"parentRefs": [parent], "hostnames": ["a.example.com"]})
        };
        let xls = json!({"parentRefs": [{"group": gateway::X_GROUP, "kind": "XListenerSet",
                         "name": "xteam"}], "hostnames": ["a.example.com"]});
        let cases = [
            (
                ls("team", None),
                vec![policy(
                    "shop",
                    target("ListenerSet", "team", None),
                    limit.clone(),
                )],
                "",
            ),
            (
                ls("team", None),
                vec![policy(
                    "infra",
                    target("Gateway", "edge", None),
                    limit.clone(),
                )],
                "",
            ),
            (
                xls.clone(),
                vec![policy(
                    "infra",
                    target("Gateway", "edge", None),
                    limit.clone(),
                )],
                "",
            ),
            (
                ls("team", Some("https")),
                vec![policy(
                    "shop",
                    target("ListenerSet", "team", Some("https")),
                    limit.clone(),
                )],
                "",
            ),
            (
                ls("team", None),
                vec![policy(
                    "shop",
                    target("ListenerSet", "team", Some("https")),
                    limit.clone(),
                )],
                "spec.parentRefs[0] attaches to ListenerSet shop/team, but no",
            ),
            // A policy on a Gateway listener limits the Gateway's own listeners only.
            (
                ls("team", Some("https")),
                vec![policy(
                    "infra",
                    target("Gateway", "edge", Some("https")),
                    limit.clone(),
                )],
                "spec.parentRefs[0] attaches to ListenerSet shop/team listener \"https\", but no \
                 BackendTrafficPolicy with spec.rateLimit targets the HTTPRoute \"shop\" (in \
                 namespace \"shop\") or that ListenerSet or its Gateway infra/edge, so clients \
                 reach the route through it without a rate limit; add a BackendTrafficPolicy with \
                 spec.rateLimit whose targetRefs name the HTTPRoute, the ListenerSet, or the \
                 Gateway",
            ),
            (xls, vec![], "attaches to XListenerSet shop/xteam, but no"),
            (
                ls("gone", None),
                vec![],
                "spec.parentRefs[0] names ListenerSet shop/gone, which no BackendTrafficPolicy \
                 with spec.rateLimit targets, and which could not be read, so it cannot be \
                 verified that a policy on its Gateway limits the HTTPRoute; the HTTPRoute is \
                 rejected (fail closed) [Callback evaluation failure: Cannot find",
            ),
            (
                ls("gone", None),
                vec![policy(
                    "shop",
                    target("HTTPRoute", "shop", None),
                    limit.clone(),
                )],
                "",
            ),
            (
                ls("odd", None),
                vec![],
                "[its spec.parentRef names a Service, not a Gateway]",
            ),
        ];
        for (route, policies, want) in cases {
            let v = run(
                gateway::GROUP,
                "HTTPRoute",
                route.clone(),
                &with(policies.clone()),
            );
            assert_eq!(
                v.is_accepted(),
                want.is_empty(),
                "{route} {policies:?}: {v:?}"
            );
            assert!(
                v.message().unwrap_or_default().contains(want),
                "{route} {policies:?}: {v:?}"
            );
        }
    }

    #[test]
    fn policy_limits() {
        let none = MemoryCluster::default();
        let cases = [
            (
                json!({"rateLimit": {"global": {"rules": [{"limit": {"requests": 50, "unit": "Second"}}]}}}),
                "",
            ),
            (
                json!({"rateLimit": {"local": {"rules": [{"limit": {"requests": 2_000_000, "unit": "Day"}}]}}}),
                "",
            ),
            (
                json!({"rateLimit": {"local": {"rules": [{"limit": {"requests": 51, "unit": "Second"}}]}}}),
                "lower requests to at most 50",
            ),
            (
                json!({"rateLimit": {"global": {"rules": [{"limit": {"requests": 5, "unit": "Week"}}]}}}),
                "not a unit",
            ),
            (
                json!({"rateLimit": {"global": {"rules": [{}]}}}),
                "limit is missing",
            ),
            (
                json!({"rateLimit": {"global": {"rules": [{"limit": {"unit": "Second"}}]}}}),
                "needs both",
            ),
            (
                json!({"rateLimit": {"type": "Local"}}),
                "local.rules is empty",
            ),
            (
                json!({"rateLimit": {"global": {"rules": [{"limit": {"requests": "5"}}]}}}),
                "expected a whole number",
            ),
            (
                json!({"targetRefs": {"name": "x"}}),
                "targetRefs: expected a sequence",
            ),
            (json!({}), ""),
        ];
        for (spec, want) in cases {
            let v = run(ENVOY_GROUP, "BackendTrafficPolicy", spec.clone(), &none);
            assert_eq!(v.is_accepted(), want.is_empty(), "{spec}: {v:?}");
            assert!(
                v.message().unwrap_or_default().contains(want),
                "{spec}: {v:?}"
            );
        }
    }
}
