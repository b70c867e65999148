//! Istio `AuthorizationPolicy` (`security.istio.io/v1`, `v1beta1`): a lean view, and the checks
//! of one policy on its own.
//!
//! Semantics from istio/api `security/v1beta1/authorization_policy.proto` and istio/istio:
//! `pilot/pkg/security/authz/builder` (CUSTOM, then DENY, then ALLOW; a workload that some
//! ALLOW policy applies to is denied whatever no ALLOW rule matches; an ALLOW policy without
//! rules matches nothing, a DENY one never triggers), `pilot/pkg/security/authz/model` `New`
//! (rules are ORed; inside a rule `from`, `to` and `when` are ANDed; the sources of `from` and the
//! operations of `to` are ORed; inside a source or operation every field is ANDed, values ORed,
//! `notX` a negated OR; an absent `from` matches every source), and `ValidateAuthorizationPolicy`
//! of `pkg/config/validation` (what the API server refuses: DENY or CUSTOM without rules, CUSTOM
//! without `provider.name`, `provider` on another action, source fields CUSTOM cannot judge).

use crate::object::Value;
use netsec_shared::request::StringMap;
use netsec_shared::{AdmissionRequest, Findings, Verdict};

use crate::matching::{self, Pitfall, Role};
use crate::object::{MeshObject, MeshSpec, is_set, items, not_a_list, quoted, strings, text};
use crate::settings::{Mode, Settings};

/// An Istio AuthorizationPolicy, admitted or listed.
pub type AuthorizationPolicy<'a> = MeshObject<'a>;

/// `spec.action`; absent or empty is ALLOW (the proto enum's zero value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
    Audit,
    Custom,
}

/// Istio's annotation that makes a policy only log what it would do.
pub const DRY_RUN: &str = "istio.io/dry-run";

/// The source fields, positive then negative, as the proto names them.
const POSITIVE_SOURCE: [&str; 6] = [
    "principals",
    "requestPrincipals",
    "namespaces",
    "serviceAccounts",
    "ipBlocks",
    "remoteIpBlocks",
];
const NEGATIVE_SOURCE: [&str; 6] = [
    "notPrincipals",
    "notRequestPrincipals",
    "notNamespaces",
    "notServiceAccounts",
    "notIpBlocks",
    "notRemoteIpBlocks",
];
const POSITIVE_OPERATION: [&str; 4] = ["hosts", "ports", "methods", "paths"];
const NEGATIVE_OPERATION: [&str; 4] = ["notHosts", "notPorts", "notMethods", "notPaths"];

/// `istio.io/dry-run: "true"`: istiod installs the policy in shadow mode, enforcing nothing
/// (it parses the value with Go `strconv.ParseBool`).
pub fn dry_run(policy: &AuthorizationPolicy<'_>) -> bool {
    policy
        .annotation(DRY_RUN)
        .and_then(|v| netsec_shared::annotations::BoolSyntax::Go.parse(v))
        .unwrap_or(false)
}

/// The action, or the text of one Istio does not know.
pub fn action(spec: &MeshSpec<'_>) -> Result<Action, String> {
    match &spec.action {
        Value::Null => Ok(Action::Allow),
        Value::String(a) => match a.as_ref() {
            "" | "ALLOW" => Ok(Action::Allow),
            "DENY" => Ok(Action::Deny),
            "AUDIT" => Ok(Action::Audit),
            "CUSTOM" => Ok(Action::Custom),
            other => Err(format!("{other:?}")),
        },
        _ => Err("not a string".to_string()),
    }
}

/// `rules` as Istio reads them: a JSON `[]` is the same empty list as no field.
pub fn rules<'s, 'a>(spec: &'s MeshSpec<'a>) -> &'s [Value<'a>] {
    items(&spec.rules)
}

/// Policies with `targetRef(s)` attach to gateways, waypoints and Services, not to the
/// workloads a selector picks.
pub fn targets(spec: &MeshSpec<'_>) -> bool {
    is_set(&spec.target_ref) || is_set(&spec.target_refs)
}

fn targets_gateway(spec: &MeshSpec<'_>) -> bool {
    std::iter::once(&spec.target_ref)
        .chain(items(&spec.target_refs))
        .any(|t| t["kind"] == "Gateway")
}

/// Whether the policy applies to pods with `labels` in a namespace it covers: no selector
/// (or an empty one) is every workload there.
pub fn selects(spec: &MeshSpec<'_>, labels: &StringMap<'_>) -> bool {
    !targets(spec) && spec.selector.as_ref().is_none_or(|s| s.matches(labels))
}

/// A rule that matches every request: no `from`, `to` or `when`.
pub fn has_match_all_rule(spec: &MeshSpec<'_>) -> bool {
    rules(spec)
        .iter()
        .any(|r| r.is_object() && rule_is_empty(r))
}

fn rule_is_empty(rule: &Value) -> bool {
    ["from", "to", "when"].iter().all(|k| !is_set(&rule[*k]))
}

/// A `when` condition that names who is calling with positive values: it narrows the
/// sources like a `from` would (headers are the client's to set, so they do not).
fn has_source_condition(rule: &Value) -> bool {
    items(&rule["when"]).iter().any(|c| {
        let key = text(&c["key"]);
        is_set(&c["values"])
            && (matches!(
                key,
                "source.ip" | "remote.ip" | "source.namespace" | "source.principal"
            ) || key.starts_with("request.auth."))
    })
}

/// The fields of `names` that are set in `part`, with their strings.
fn set_fields<'v>(part: &'v Value, names: &[&'static str]) -> Vec<(&'static str, Vec<&'v str>)> {
    names
        .iter()
        .filter_map(|n| {
            let value = &part[*n];
            is_set(value).then(|| (*n, strings(value)))
        })
        .collect()
}

/// Whether the rule sets only `notX` fields (and `notValues`): it matches by exclusion.
fn only_exclusions(rule: &Value) -> bool {
    let sources = items(&rule["from"]).iter().map(|f| &f["source"]);
    let operations = items(&rule["to"]).iter().map(|t| &t["operation"]);
    let mut any = false;
    for s in sources {
        if !set_fields(s, &POSITIVE_SOURCE).is_empty() {
            return false;
        }
        any |= !set_fields(s, &NEGATIVE_SOURCE).is_empty();
    }
    for o in operations {
        if !set_fields(o, &POSITIVE_OPERATION).is_empty() {
            return false;
        }
        any |= !set_fields(o, &NEGATIVE_OPERATION).is_empty();
    }
    for c in items(&rule["when"]) {
        if is_set(&c["values"]) {
            return false;
        }
        any |= is_set(&c["notValues"]);
    }
    any
}

/// Judges an AuthorizationPolicy under admission in `namespace`.
/// `object` is the policy already read, if it was.
pub fn check_policy<'a>(
    request: &AdmissionRequest<'a>,
    object: Option<AuthorizationPolicy<'a>>,
    settings: &Settings,
    namespace: &str,
) -> Verdict {
    let policy: AuthorizationPolicy = match object {
        Some(policy) => policy,
        None => match request.object("an Istio AuthorizationPolicy") {
            Ok(policy) => policy,
            Err(message) => return Verdict::reject(message),
        },
    };
    let mut findings = Findings::new();
    check(&policy, settings, namespace, &mut findings);
    findings.into_verdict()
}

/// The checks of one policy, in `namespace`.
pub fn check(
    policy: &AuthorizationPolicy<'_>,
    settings: &Settings,
    namespace: &str,
    findings: &mut Findings,
) {
    let spec = policy.spec();
    // Written only for a finding.
    let name = || policy.name();
    let action = match action(spec) {
        Ok(action) => action,
        Err(other) => {
            findings.violation(
                "spec.action",
                format!(
                    "is {other}, which Istio does not know; use ALLOW (the default), DENY, \
                     AUDIT or CUSTOM"
                ),
            );
            return;
        }
    };
    if let Some(why) = not_a_list(&spec.rules) {
        findings.violation("spec.rules", format!("{why}, which Istio refuses"));
        return;
    }
    if !spec.provider.is_null() && action != Action::Custom {
        findings.violation(
            "spec.provider",
            "is set on a policy whose action is not CUSTOM, which Istio refuses; remove it, or \
             set action: CUSTOM to delegate the decision to that provider",
        );
    }
    if dry_run(policy) && action != Action::Audit {
        findings.warn(format!(
            "AuthorizationPolicy {:?} has {DRY_RUN}: \"true\", so Istio only logs what it \
             would do and enforces none of it; remove the annotation once the logs look right",
            name()
        ));
    }
    let rules = rules(spec);
    match action {
        Action::Audit => {
            findings.warn(format!(
                "AuthorizationPolicy {:?} is an AUDIT policy: it only marks the requests it \
                 matches for audit logging and neither allows nor denies any, so it is not \
                 judged and does not count as authorization",
                name()
            ));
            return;
        }
        Action::Deny if rules.is_empty() => findings.violation(
            "spec.rules",
            "is empty on a DENY policy, which Istio refuses because it never triggers; add the \
             rules to deny (an empty rule {} denies every request)",
        ),
        Action::Custom => check_custom(spec, rules, findings),
        _ => {}
    }
    // Written only for a finding.
    let scope = || scope(spec, namespace, &settings.root_namespace);
    let public = spec
        .selector
        .as_ref()
        .is_some_and(|s| settings.public(&s.match_labels))
        || targets_gateway(spec);
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("spec.rules[{i}]");
        if !rule.is_object() {
            findings.violation(path, "is not a rule object, which Istio refuses; remove it");
            continue;
        }
        match action {
            Action::Allow => check_allow_rule(rule, &path, &scope, public, settings, findings),
            Action::Deny => check_deny_rule(rule, &path, settings, findings),
            _ => {}
        }
        check_operations(rule, &path, action, settings, findings);
    }
}

/// Who the policy applies to, for messages.
fn scope(spec: &MeshSpec<'_>, namespace: &str, root: &str) -> String {
    match (&spec.selector, targets(spec)) {
        (_, true) => "for the resources its targetRefs name".to_string(),
        (Some(s), _) if !s.is_empty() => "for the workloads its selector picks".to_string(),
        _ if namespace == root => {
            format!("mesh-wide (it sits in the root namespace {root:?} without a selector)")
        }
        _ => format!("for every workload of namespace {namespace:?}"),
    }
}

fn check_custom(spec: &MeshSpec<'_>, rules: &[Value], findings: &mut Findings) {
    if rules.is_empty() {
        findings.violation(
            "spec.rules",
            "is empty on a CUSTOM policy, which Istio refuses because it never triggers; add the \
             rules of the requests to send to the provider (an empty rule {} sends every request)",
        );
        return;
    }
    if text(&spec.provider["name"]).is_empty() {
        findings.violation(
            "spec.provider.name",
            "is missing on a CUSTOM policy, which Istio refuses: CUSTOM hands the decision to an \
             external authorizer, and without one nothing is checked; name one of \
             meshConfig.extensionProviders",
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        for (j, from) in items(&rule["from"]).iter().enumerate() {
            let source = &from["source"];
            for field in POSITIVE_SOURCE.iter().chain(&NEGATIVE_SOURCE) {
                if is_set(&source[*field]) && !field.to_ascii_lowercase().contains("ipblocks") {
                    findings.violation(
                        format!("spec.rules[{i}].from[{j}].source.{field}"),
                        "is not supported with the CUSTOM action, which Istio refuses; the \
                         provider sees the request, so let it judge the caller",
                    );
                }
            }
        }
        for (j, c) in items(&rule["when"]).iter().enumerate() {
            let key = text(&c["key"]);
            if matches!(
                key,
                "source.namespace" | "source.serviceAccount" | "source.principal"
            ) || key.starts_with("request.auth.")
            {
                findings.violation(
                    format!("spec.rules[{i}].when[{j}].key"),
                    format!("is {key:?}, which Istio does not support with the CUSTOM action"),
                );
            }
        }
    }
}

fn check_allow_rule(
    rule: &Value,
    path: &str,
    scope: &dyn Fn() -> String,
    public: bool,
    settings: &Settings,
    findings: &mut Findings,
) {
    if rule_is_empty(rule) {
        findings.violation(
            path,
            format!(
                "is an empty rule ({{}}), which matches every request, so the policy allows \
                 every caller {}; name the callers in from.source (principals, namespaces) \
                 or remove the rule (a policy without rules allows nothing)",
                scope()
            ),
        );
        return;
    }
    if public {
        return;
    }
    let froms = items(&rule["from"]);
    if froms.is_empty() {
        if !has_source_condition(rule) {
            findings.violation(
                path,
                format!(
                    "has no from, so any caller, in the mesh or not, may make the requests it \
                     describes {}; add from.source with the principals or namespaces \
                     allowed, or list the entry point's labels in publicWorkloadLabels",
                    scope()
                ),
            );
        }
        return;
    }
    for (j, from) in froms.iter().enumerate() {
        // Written only for a finding.
        let at = || format!("{path}.from[{j}].source");
        let source = &from["source"];
        let positive = set_fields(source, &POSITIVE_SOURCE);
        let mut wildcards = Vec::new();
        let mut scoped = false;
        for (field, values) in &positive {
            let everyone = |v: &str| match *field {
                "principals" => matching::principal_is_everyone(v),
                "namespaces" => matching::namespace_is_everyone(v),
                _ => false,
            };
            let open: Vec<&str> = values
                .iter()
                .copied()
                .filter(|v| everyone(v) && !settings.wildcard_allowed(v))
                .collect();
            if open.is_empty() {
                scoped = true;
            } else {
                wildcards.push((*field, open));
            }
        }
        if scoped {
            continue;
        }
        if let Some((field, open)) = wildcards.first() {
            findings.violation(
                format!("{}.{field}", at()),
                format!(
                    "has {}, which every workload with a mesh identity matches, so the rule \
                     allows the whole mesh {} (mTLS without authorization); name the \
                     service accounts (cluster.local/ns/<namespace>/sa/<account>) or \
                     namespaces allowed, or list the value in allowedWildcardPrincipals",
                    quoted(open),
                    scope()
                ),
            );
            continue;
        }
        match set_fields(source, &NEGATIVE_SOURCE).first() {
            Some((field, values)) => findings.violation(
                format!("{}.{field}", at()),
                format!(
                    "is {} with no positive field beside it, so the rule allows every other \
                     caller {}, callers without mTLS included; an allow-list goes in \
                     principals or namespaces (notX fields belong in DENY policies)",
                    quoted(values),
                    scope()
                ),
            ),
            None => findings.violation(
                at(),
                "is empty or missing, which Istio refuses; name the callers",
            ),
        }
    }
}

fn check_deny_rule(rule: &Value, path: &str, settings: &Settings, findings: &mut Findings) {
    if !only_exclusions(rule) {
        return;
    }
    // A DENY made only of exclusions denies everything its exclusions do not name; an
    // exclusion that names everything leaves nothing to deny.
    for (j, from) in items(&rule["from"]).iter().enumerate() {
        for (field, values) in set_fields(&from["source"], &NEGATIVE_SOURCE) {
            let at = format!("{path}.from[{j}].source.{field}");
            if values.contains(&"*") {
                findings.violation(
                    at,
                    "has \"*\", which every caller matches, so this DENY rule, made only of \
                     exclusions, never matches and denies nothing; list the callers to spare",
                );
            } else if field == "notPrincipals"
                && values
                    .iter()
                    .any(|v| matching::principal_is_everyone(v) && !settings.wildcard_allowed(v))
            {
                findings.violation(
                    at,
                    format!(
                        "is {}, which spares every workload with a mesh identity, so this DENY \
                         rule only denies callers without mTLS; list the identities to spare",
                        quoted(&values)
                    ),
                );
            }
        }
    }
    for (j, to) in items(&rule["to"]).iter().enumerate() {
        for (field, values) in set_fields(&to["operation"], &NEGATIVE_OPERATION) {
            if values.contains(&"*") {
                findings.violation(
                    format!("{path}.to[{j}].operation.{field}"),
                    "has \"*\", which every request matches, so this DENY rule, made only of \
                     exclusions, never matches and denies nothing; list what to spare",
                );
            }
        }
    }
}

/// Paths and hosts that requests can spell around, and paths that never match.
fn check_operations(
    rule: &Value,
    path: &str,
    action: Action,
    settings: &Settings,
    findings: &mut Findings,
) {
    let guard_positive = matches!(action, Action::Deny | Action::Custom);
    for (j, to) in items(&rule["to"]).iter().enumerate() {
        let op = &to["operation"];
        for (field, positive) in [
            ("paths", true),
            ("notPaths", false),
            ("hosts", true),
            ("notHosts", false),
        ] {
            let values = strings(&op[field]);
            let role = if positive == guard_positive {
                Role::Guard
            } else {
                Role::Grant
            };
            for (k, value) in values.iter().enumerate() {
                let pitfalls = if field.ends_with("aths") {
                    matching::path_pitfalls(value, &values, role, settings.path_normalization)
                } else {
                    matching::host_pitfall(value, &values, role)
                        .into_iter()
                        .collect()
                };
                if pitfalls.is_empty() {
                    continue;
                }
                let at = format!("{path}.to[{j}].operation.{field}[{k}]");
                for pitfall in pitfalls {
                    report(findings, settings, &at, value, role, pitfall);
                }
            }
        }
    }
}

fn report(
    findings: &mut Findings,
    settings: &Settings,
    at: &str,
    value: &str,
    role: Role,
    pitfall: Pitfall,
) {
    match (pitfall, role) {
        (Pitfall::Dead(why), Role::Guard) => findings.violation(
            at,
            format!("{value:?} {why}, so what it should stop gets through"),
        ),
        (Pitfall::Dead(why), Role::Grant) => findings.warn(format!("{at} {value:?} {why}")),
        (Pitfall::Escape(why), _) => match settings.on_matching_pitfall {
            Mode::Reject => findings.violation(at, format!("{value:?} {why}")),
            Mode::Warn => findings.warn(format!("{at} {value:?} {why}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;
    use serde_json::{Value, json};

    fn judge(spec: Value, settings: &str, namespace: &str) -> Verdict {
        let object = json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                            "metadata": {"name": "p", "namespace": namespace}, "spec": spec});
        let text = object.to_string();
        let policy: AuthorizationPolicy = serde_json::from_str(&text).unwrap();
        let settings: Settings = parse_settings(settings.as_bytes()).unwrap();
        let mut findings = Findings::new();
        check(&policy, &settings, namespace, &mut findings);
        findings.into_verdict()
    }

    fn message(v: &Verdict) -> String {
        v.message().unwrap_or_default()
    }

    #[test]
    fn allow_everyone_shapes() {
        // (spec, accepted, message substring)
        let cases: &[(Value, bool, &str)] = &[
            (json!({}), true, ""),
            (json!({"action": "ALLOW"}), true, ""),
            (
                json!({"rules": [{}]}),
                false,
                "spec.rules[0] is an empty rule ({}), which matches every request, so the policy allows every caller for every workload of namespace \"shop\"",
            ),
            (json!({"rules": [{"from": []}]}), false, "is an empty rule"),
            (
                json!({"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]}),
                false,
                "spec.rules[0] has no from, so any caller",
            ),
            (
                json!({"rules": [{"to": [{"operation": {"methods": ["GET"]}}],
                               "when": [{"key": "source.namespace", "values": ["front"]}]}]}),
                true,
                "",
            ),
            (
                json!({"rules": [{"to": [{"operation": {"methods": ["GET"]}}],
                               "when": [{"key": "request.headers[x-user]", "values": ["a"]}]}]}),
                false,
                "has no from",
            ),
            (
                json!({"rules": [{"from": [{"source": {"principals": ["*"]}}]}]}),
                false,
                "spec.rules[0].from[0].source.principals has [\"*\"], which every workload with a mesh identity matches",
            ),
            (
                json!({"rules": [{"from": [{"source": {"principals": ["cluster.local/*"]}}]}]}),
                false,
                "has [\"cluster.local/*\"]",
            ),
            (
                json!({"rules": [{"from": [{"source": {"namespaces": ["*"]}}]}]}),
                false,
                "source.namespaces has [\"*\"]",
            ),
            (
                json!({"rules": [{"from": [{"source": {"principals": ["*"], "namespaces": ["front"]}}]}]}),
                true,
                "",
            ),
            (
                json!({"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/front/sa/web"]}}]}]}),
                true,
                "",
            ),
            (
                json!({"rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]}),
                true,
                "",
            ),
            (
                json!({"rules": [{"from": [{"source": {"notNamespaces": ["untrusted"]}}]}]}),
                false,
                "source.notNamespaces is [\"untrusted\"] with no positive field beside it",
            ),
            (
                json!({"rules": [{"from": [{"source": {"notPrincipals": ["cluster.local/ns/a/sa/b"]}}]}]}),
                false,
                "callers without mTLS included",
            ),
            (
                json!({"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/a/sa/b"]}},
                                        {"source": {"principals": ["*"]}}]}]}),
                false,
                "from[1].source.principals",
            ),
        ];
        for (spec, accepted, text) in cases {
            let v = judge(spec.clone(), "{}", "shop");
            assert_eq!(v.is_accepted(), *accepted, "{spec}: {v:?}");
            assert!(message(&v).contains(text), "{spec}: {}", message(&v));
        }
    }

    #[test]
    fn wildcards_can_be_allowed_and_scope_is_named() {
        let spec = json!({"rules": [{"from": [{"source": {"principals": ["*"]}}]}]});
        assert!(
            judge(
                spec.clone(),
                r#"{"allowedWildcardPrincipals": ["*"]}"#,
                "shop"
            )
            .is_accepted()
        );
        let m = message(&judge(spec, "{}", "istio-system"));
        assert!(
            m.contains("mesh-wide (it sits in the root namespace \"istio-system\""),
            "{m}"
        );
        let selected = json!({"selector": {"matchLabels": {"app": "web"}}, "rules": [{}]});
        assert!(
            message(&judge(selected, "{}", "shop"))
                .contains("for the workloads its selector picks")
        );
    }

    #[test]
    fn public_entry_points_may_omit_from() {
        let gateway = json!({"selector": {"matchLabels": {"istio": "ingressgateway"}},
                             "rules": [{"to": [{"operation": {"paths": ["/public/*"]}}]}]});
        assert!(judge(gateway.clone(), "{}", "istio-system").is_accepted());
        assert!(!judge(gateway, r#"{"publicWorkloadLabels": []}"#, "istio-system").is_accepted());
        let by_ref = json!({"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "edge"}],
                            "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]});
        assert!(judge(by_ref, "{}", "shop").is_accepted());
        // Even an entry point may not allow every request.
        let open = json!({"selector": {"matchLabels": {"istio": "ingressgateway"}}, "rules": [{}]});
        assert!(!judge(open, "{}", "istio-system").is_accepted());
    }

    #[test]
    fn deny_custom_audit_and_provider() {
        let cases: &[(Value, bool, &str)] = &[
            (
                json!({"action": "DENY"}),
                false,
                "spec.rules is empty on a DENY policy",
            ),
            (json!({"action": "DENY", "rules": [{}]}), true, ""),
            (
                json!({"action": "CUSTOM", "rules": [{}]}),
                false,
                "spec.provider.name is missing on a CUSTOM policy",
            ),
            (
                json!({"action": "CUSTOM", "provider": {"name": ""}, "rules": [{}]}),
                false,
                "spec.provider.name is missing",
            ),
            (
                json!({"action": "CUSTOM", "provider": {"name": "oauth2"}}),
                false,
                "spec.rules is empty on a CUSTOM policy",
            ),
            (
                json!({"action": "CUSTOM", "provider": {"name": "oauth2"}, "rules": [{"to": [{"operation": {"paths": ["/api/*"]}}]}]}),
                true,
                "",
            ),
            (
                json!({"action": "CUSTOM", "provider": {"name": "oauth2"},
                    "rules": [{"from": [{"source": {"principals": ["a"]}}]}]}),
                false,
                "source.principals is not supported with the CUSTOM action",
            ),
            (
                json!({"action": "CUSTOM", "provider": {"name": "oauth2"},
                    "rules": [{"when": [{"key": "request.auth.claims[iss]", "values": ["x"]}]}]}),
                false,
                "when[0].key is \"request.auth.claims[iss]\"",
            ),
            (
                json!({"action": "ALLOW", "provider": {"name": "x"}}),
                false,
                "spec.provider is set on a policy whose action is not CUSTOM",
            ),
            (
                json!({"action": "REJECT"}),
                false,
                "spec.action is \"REJECT\", which Istio does not know",
            ),
            (json!({"action": "AUDIT", "rules": [{}]}), true, ""),
            (
                json!({"action": "DENY", "rules": [{"from": [{"source": {"notNamespaces": ["*"]}}]}]}),
                false,
                "never matches and denies nothing",
            ),
            (
                json!({"action": "DENY", "rules": [{"from": [{"source": {"notPrincipals": ["cluster.local/*"]}}]}]}),
                false,
                "only denies callers without mTLS",
            ),
            (
                json!({"action": "DENY", "rules": [{"from": [{"source": {"notNamespaces": ["prod"]}}]}]}),
                true,
                "",
            ),
            (
                json!({"action": "DENY", "rules": [{"to": [{"operation": {"notMethods": ["*"]}}]}]}),
                false,
                "to[0].operation.notMethods has \"*\"",
            ),
            (
                json!({"action": "DENY", "rules": [{"from": [{"source": {"notNamespaces": ["*"], "principals": ["x"]}}]}]}),
                true,
                "",
            ),
        ];
        for (spec, accepted, text) in cases {
            let v = judge(spec.clone(), "{}", "shop");
            assert_eq!(v.is_accepted(), *accepted, "{spec}: {v:?}");
            assert!(message(&v).contains(text), "{spec}: {}", message(&v));
        }
        let audit = judge(json!({"action": "AUDIT", "rules": [{}]}), "{}", "shop");
        assert!(audit.warnings()[0].contains("is an AUDIT policy"));
    }

    #[test]
    fn path_and_host_pitfalls_follow_the_settings() {
        let deny = json!({"action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/admin"], "hosts": ["admin.example.com"]}}]}]});
        let warned = judge(deny.clone(), "{}", "shop");
        assert!(warned.is_accepted());
        let w = warned.warnings().join("\n");
        assert!(
            w.contains(
                "spec.rules[0].to[0].operation.paths[0] \"/admin\" matches \"/admin\" exactly"
            ),
            "{w}"
        );
        assert!(
            w.contains("pathNormalization BASE leaves as they are"),
            "{w}"
        );
        assert!(
            w.contains("operation.hosts[0] \"admin.example.com\" has no port"),
            "{w}"
        );
        let rejected = judge(deny, r#"{"onMatchingPitfall": "reject"}"#, "shop");
        assert!(!rejected.is_accepted());
        let fixed = json!({"action": "DENY", "rules": [{"to": [{"operation": {
            "paths": ["/admin", "/admin/*"], "hosts": ["admin.example.com", "admin.example.com:*"]}}]}]});
        let v = judge(
            fixed,
            r#"{"onMatchingPitfall": "reject", "pathNormalization": "DECODE_AND_MERGE_SLASHES"}"#,
            "shop",
        );
        assert!(v.is_accepted() && v.warnings().is_empty(), "{v:?}");
        // ALLOW with notPaths guards like a DENY; ALLOW paths fail closed.
        let allow_not = json!({"rules": [{"from": [{"source": {"namespaces": ["a"]}}],
                                          "to": [{"operation": {"notPaths": ["/internal/*"]}}]}]});
        assert!(!judge(allow_not, r#"{"onMatchingPitfall": "reject"}"#, "shop").is_accepted());
        let allow = json!({"rules": [{"from": [{"source": {"namespaces": ["a"]}}],
                                      "to": [{"operation": {"paths": ["/api"]}}]}]});
        assert!(
            judge(allow, r#"{"onMatchingPitfall": "reject"}"#, "shop")
                .warnings()
                .is_empty()
        );
        // A denied path that can never match lets everything through: always rejected.
        let dead = json!({"action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/a/../admin/*"]}}]}]});
        let m = message(&judge(dead, "{}", "shop"));
        assert!(
            m.contains("\"/a/../admin/*\" has a \".\" or \"..\" segment"),
            "{m}"
        );
    }

    #[test]
    fn dry_run_and_selection() {
        let object = json!({"metadata": {"name": "deny-all", "annotations": {"istio.io/dry-run": "true"}},
                            "spec": {}});
        let text = object.to_string();
        let p: AuthorizationPolicy = serde_json::from_str(&text).unwrap();
        assert!(dry_run(&p));
        let mut findings = Findings::new();
        check(&p, &Settings::default(), "shop", &mut findings);
        assert!(findings.into_verdict().warnings()[0].contains("enforces none of it"));
        let web: StringMap = [("app".into(), "web".into())].into();
        let spec: MeshSpec =
            serde_json::from_str(r#"{"selector":{"matchLabels":{"app":"web"}}}"#).unwrap();
        assert!(selects(&spec, &web) && !selects(&spec, &StringMap::new()));
        let all: MeshSpec =
            serde_json::from_str(r#"{"rules":[{"to":[{"operation":{"ports":["80"]}}]},{}]}"#)
                .unwrap();
        assert!(selects(&all, &web) && has_match_all_rule(&all));
        let gw: MeshSpec =
            serde_json::from_str(r#"{"targetRef":{"kind":"Gateway","name":"x"}}"#).unwrap();
        assert!(!selects(&gw, &web));
    }
}
