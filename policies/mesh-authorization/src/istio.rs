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

use std::borrow::Cow;

use netsec_shared::request::{ObjectMeta, StringMap};
use netsec_shared::selector::LabelSelector;
use netsec_shared::{AdmissionRequest, Findings, Verdict};
use serde::Deserialize;

use crate::matching::{self, Pitfall, Role};
use crate::settings::{Mode, Settings};

type List<'a> = Option<Vec<Cow<'a, str>>>;

fn items<'s, 'a>(list: &'s List<'a>) -> &'s [Cow<'a, str>] {
    list.as_deref().unwrap_or_default()
}

/// An AuthorizationPolicy, as admitted or as listed (the same type keeps one deserialiser in
/// the module).
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizationPolicy<'a> {
    #[serde(default, borrow)]
    pub metadata: Option<ObjectMeta<'a>>,
    #[serde(default, borrow)]
    pub spec: Option<Spec<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec<'a> {
    /// `matchLabels` only in Istio's WorkloadSelector; read with the shared selector type.
    #[serde(default, borrow)]
    pub selector: Option<LabelSelector<'a>>,
    #[serde(default, borrow)]
    pub target_ref: Option<TargetRef<'a>>,
    #[serde(default, borrow)]
    pub target_refs: Option<Vec<TargetRef<'a>>>,
    #[serde(default, borrow)]
    pub action: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub provider: Option<Provider<'a>>,
    #[serde(default, borrow)]
    pub rules: Option<Vec<Option<Rule<'a>>>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TargetRef<'a> {
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Provider<'a> {
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Rule<'a> {
    #[serde(default, borrow)]
    pub from: Option<Vec<From<'a>>>,
    #[serde(default, borrow)]
    pub to: Option<Vec<To<'a>>>,
    #[serde(default, borrow)]
    pub when: Option<Vec<Condition<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct From<'a> {
    #[serde(default, borrow)]
    pub source: Option<Source<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source<'a> {
    #[serde(default, borrow)]
    pub principals: List<'a>,
    #[serde(default, borrow)]
    pub not_principals: List<'a>,
    #[serde(default, borrow)]
    pub request_principals: List<'a>,
    #[serde(default, borrow)]
    pub not_request_principals: List<'a>,
    #[serde(default, borrow)]
    pub namespaces: List<'a>,
    #[serde(default, borrow)]
    pub not_namespaces: List<'a>,
    #[serde(default, borrow)]
    pub service_accounts: List<'a>,
    #[serde(default, borrow)]
    pub not_service_accounts: List<'a>,
    #[serde(default, borrow)]
    pub ip_blocks: List<'a>,
    #[serde(default, borrow)]
    pub not_ip_blocks: List<'a>,
    #[serde(default, borrow)]
    pub remote_ip_blocks: List<'a>,
    #[serde(default, borrow)]
    pub not_remote_ip_blocks: List<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct To<'a> {
    #[serde(default, borrow)]
    pub operation: Option<Operation<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation<'a> {
    #[serde(default, borrow)]
    pub hosts: List<'a>,
    #[serde(default, borrow)]
    pub not_hosts: List<'a>,
    #[serde(default, borrow)]
    pub ports: List<'a>,
    #[serde(default, borrow)]
    pub not_ports: List<'a>,
    #[serde(default, borrow)]
    pub methods: List<'a>,
    #[serde(default, borrow)]
    pub not_methods: List<'a>,
    #[serde(default, borrow)]
    pub paths: List<'a>,
    #[serde(default, borrow)]
    pub not_paths: List<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition<'a> {
    #[serde(default, borrow)]
    pub key: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub values: List<'a>,
    #[serde(default, borrow)]
    pub not_values: List<'a>,
}

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

const NO_SPEC: Spec<'static> = Spec {
    selector: None,
    target_ref: None,
    target_refs: None,
    action: None,
    provider: None,
    rules: None,
};

impl<'a> AuthorizationPolicy<'a> {
    pub fn name(&self) -> String {
        self.metadata
            .as_ref()
            .map_or_else(|| "<unnamed>".to_string(), ObjectMeta::display_name)
    }

    pub fn spec(&self) -> &Spec<'a> {
        self.spec.as_ref().unwrap_or(&NO_SPEC)
    }

    /// `istio.io/dry-run: "true"`: istiod installs the policy in shadow mode, enforcing nothing
    /// (it parses the value with Go `strconv.ParseBool`).
    pub fn dry_run(&self) -> bool {
        self.metadata
            .as_ref()
            .and_then(|m| m.annotation(DRY_RUN))
            .and_then(|v| netsec_shared::annotations::BoolSyntax::Go.parse(v))
            .unwrap_or(false)
    }
}

impl Spec<'_> {
    /// The action, or the text of one Istio does not know.
    pub fn action(&self) -> Result<Action, &str> {
        match self.action.as_deref().unwrap_or_default() {
            "" | "ALLOW" => Ok(Action::Allow),
            "DENY" => Ok(Action::Deny),
            "AUDIT" => Ok(Action::Audit),
            "CUSTOM" => Ok(Action::Custom),
            other => Err(other),
        }
    }

    /// `rules` as Istio reads them: a JSON `[]` is the same empty list as no field.
    pub fn rules(&self) -> &[Option<Rule<'_>>] {
        self.rules.as_deref().unwrap_or_default()
    }

    /// Policies with `targetRef(s)` attach to gateways, waypoints and Services, not to the
    /// workloads a selector picks.
    pub fn targets(&self) -> bool {
        self.target_ref.is_some() || self.target_refs.as_ref().is_some_and(|t| !t.is_empty())
    }

    fn targets_gateway(&self) -> bool {
        let gateway = |t: &TargetRef| t.kind.as_deref() == Some("Gateway");
        self.target_ref.as_ref().is_some_and(gateway)
            || self.target_refs.iter().flatten().any(gateway)
    }

    /// Whether the policy applies to pods with `labels` in a namespace it covers: no selector
    /// (or an empty one) is every workload there.
    pub fn selects(&self, labels: &StringMap<'_>) -> bool {
        !self.targets() && self.selector.as_ref().is_none_or(|s| s.matches(labels))
    }

    /// A rule that matches every request: no `from`, `to` or `when`.
    pub fn has_match_all_rule(&self) -> bool {
        self.rules()
            .iter()
            .any(|r| r.as_ref().is_some_and(Rule::is_empty))
    }
}

impl Rule<'_> {
    fn is_empty(&self) -> bool {
        self.from.as_ref().is_none_or(Vec::is_empty)
            && self.to.as_ref().is_none_or(Vec::is_empty)
            && self.when.as_ref().is_none_or(Vec::is_empty)
    }

    /// A `when` condition that names who is calling with positive values: it narrows the
    /// sources like a `from` would (headers are the client's to set, so they do not).
    fn has_source_condition(&self) -> bool {
        self.when.iter().flatten().any(|c| {
            let key = c.key.as_deref().unwrap_or_default();
            !items(&c.values).is_empty()
                && (matches!(
                    key,
                    "source.ip" | "remote.ip" | "source.namespace" | "source.principal"
                ) || key.starts_with("request.auth."))
        })
    }

    /// Whether the rule sets only `notX` fields (and `notValues`): it matches by exclusion.
    fn only_exclusions(&self) -> bool {
        let sources = self.from.iter().flatten().filter_map(|f| f.source.as_ref());
        let operations = self
            .to
            .iter()
            .flatten()
            .filter_map(|t| t.operation.as_ref());
        let mut any = false;
        for s in sources {
            if !s.positive_fields().is_empty() {
                return false;
            }
            any |= !s.negative_fields().is_empty();
        }
        for o in operations {
            if [&o.hosts, &o.ports, &o.methods, &o.paths]
                .iter()
                .any(|l| !items(l).is_empty())
            {
                return false;
            }
            any |= [&o.not_hosts, &o.not_ports, &o.not_methods, &o.not_paths]
                .iter()
                .any(|l| !items(l).is_empty());
        }
        for c in self.when.iter().flatten() {
            if !items(&c.values).is_empty() {
                return false;
            }
            any |= !items(&c.not_values).is_empty();
        }
        any
    }
}

impl<'a> Source<'a> {
    /// The positive fields that are set, with their names.
    fn positive_fields(&self) -> Vec<(&'static str, &[Cow<'a, str>])> {
        [
            ("principals", &self.principals),
            ("requestPrincipals", &self.request_principals),
            ("namespaces", &self.namespaces),
            ("serviceAccounts", &self.service_accounts),
            ("ipBlocks", &self.ip_blocks),
            ("remoteIpBlocks", &self.remote_ip_blocks),
        ]
        .into_iter()
        .map(|(n, l)| (n, items(l)))
        .filter(|(_, l)| !l.is_empty())
        .collect()
    }

    fn negative_fields(&self) -> Vec<(&'static str, &[Cow<'a, str>])> {
        [
            ("notPrincipals", &self.not_principals),
            ("notRequestPrincipals", &self.not_request_principals),
            ("notNamespaces", &self.not_namespaces),
            ("notServiceAccounts", &self.not_service_accounts),
            ("notIpBlocks", &self.not_ip_blocks),
            ("notRemoteIpBlocks", &self.not_remote_ip_blocks),
        ]
        .into_iter()
        .map(|(n, l)| (n, items(l)))
        .filter(|(_, l)| !l.is_empty())
        .collect()
    }
}

/// `["a", "b"]`, for messages.
fn list(values: &[Cow<'_, str>]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Judges an AuthorizationPolicy under admission in `namespace`.
pub fn check_policy(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    namespace: &str,
) -> Verdict {
    let policy: AuthorizationPolicy = match request.object("an Istio AuthorizationPolicy") {
        Ok(policy) => policy,
        Err(message) => return Verdict::reject(message),
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
    let name = policy.name();
    let action = match spec.action() {
        Ok(action) => action,
        Err(other) => {
            findings.violation(
                "spec.action",
                format!(
                    "is {other:?}, which Istio does not know; use ALLOW (the default), DENY, \
                     AUDIT or CUSTOM"
                ),
            );
            return;
        }
    };
    if spec.provider.is_some() && action != Action::Custom {
        findings.violation(
            "spec.provider",
            "is set on a policy whose action is not CUSTOM, which Istio refuses; remove it, or \
             set action: CUSTOM to delegate the decision to that provider",
        );
    }
    if policy.dry_run() && action != Action::Audit {
        findings.warn(format!(
            "AuthorizationPolicy {name:?} has {DRY_RUN}: \"true\", so Istio only logs what it \
             would do and enforces none of it; remove the annotation once the logs look right"
        ));
    }
    let rules = spec.rules();
    match action {
        Action::Audit => {
            findings.warn(format!(
                "AuthorizationPolicy {name:?} is an AUDIT policy: it only marks the requests it \
                 matches for audit logging and neither allows nor denies any, so it is not \
                 judged and does not count as authorization"
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
    let scope = scope(spec, namespace, &settings.root_namespace);
    let public = match &settings.public_workloads {
        Some(public) => spec
            .selector
            .as_ref()
            .is_some_and(|s| !s.match_labels.is_empty() && public.matches(&s.match_labels)),
        None => false,
    } || spec.targets_gateway();
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("spec.rules[{i}]");
        let Some(rule) = rule else {
            findings.violation(path, "is null, which Istio refuses; remove it");
            continue;
        };
        match action {
            Action::Allow => check_allow_rule(rule, &path, &scope, public, settings, findings),
            Action::Deny => check_deny_rule(rule, &path, settings, findings),
            _ => {}
        }
        check_operations(rule, &path, action, settings, findings);
    }
}

/// Who the policy applies to, for messages.
fn scope(spec: &Spec<'_>, namespace: &str, root: &str) -> String {
    match (&spec.selector, spec.targets()) {
        (_, true) => "for the resources its targetRefs name".to_string(),
        (Some(s), _) if !s.is_empty() => "for the workloads its selector picks".to_string(),
        _ if namespace == root => {
            format!("mesh-wide (it sits in the root namespace {root:?} without a selector)")
        }
        _ => format!("for every workload of namespace {namespace:?}"),
    }
}

fn check_custom(spec: &Spec<'_>, rules: &[Option<Rule<'_>>], findings: &mut Findings) {
    if rules.is_empty() {
        findings.violation(
            "spec.rules",
            "is empty on a CUSTOM policy, which Istio refuses because it never triggers; add the \
             rules of the requests to send to the provider (an empty rule {} sends every request)",
        );
        return;
    }
    if spec
        .provider
        .as_ref()
        .and_then(|p| p.name.as_deref())
        .is_none_or(str::is_empty)
    {
        findings.violation(
            "spec.provider.name",
            "is missing on a CUSTOM policy, which Istio refuses: CUSTOM hands the decision to an \
             external authorizer, and without one nothing is checked; name one of \
             meshConfig.extensionProviders",
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        let Some(rule) = rule else { continue };
        for (j, from) in rule.from.iter().flatten().enumerate() {
            let Some(source) = &from.source else { continue };
            for (field, values) in source
                .positive_fields()
                .into_iter()
                .chain(source.negative_fields())
            {
                if !values.is_empty()
                    && !matches!(
                        field,
                        "ipBlocks" | "notIpBlocks" | "remoteIpBlocks" | "notRemoteIpBlocks"
                    )
                {
                    findings.violation(
                        format!("spec.rules[{i}].from[{j}].source.{field}"),
                        "is not supported with the CUSTOM action, which Istio refuses; the \
                         provider sees the request, so let it judge the caller",
                    );
                }
            }
        }
        for (j, c) in rule.when.iter().flatten().enumerate() {
            let key = c.key.as_deref().unwrap_or_default();
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
    rule: &Rule<'_>,
    path: &str,
    scope: &str,
    public: bool,
    settings: &Settings,
    findings: &mut Findings,
) {
    if rule.is_empty() {
        findings.violation(
            path,
            format!(
                "is an empty rule ({{}}), which matches every request, so the policy allows \
                 every caller {scope}; name the callers in from.source (principals, namespaces) \
                 or remove the rule (a policy without rules allows nothing)"
            ),
        );
        return;
    }
    if public {
        return;
    }
    let froms = rule.from.as_deref().unwrap_or_default();
    if froms.is_empty() {
        if !rule.has_source_condition() {
            findings.violation(
                path,
                format!(
                    "has no from, so any caller, in the mesh or not, may make the requests it \
                     describes {scope}; add from.source with the principals or namespaces \
                     allowed, or list the entry point's labels in publicWorkloads"
                ),
            );
        }
        return;
    }
    for (j, from) in froms.iter().enumerate() {
        let at = format!("{path}.from[{j}].source");
        let Some(source) = &from.source else {
            findings.violation(at, "is missing, which Istio refuses; name the callers");
            continue;
        };
        let positive = source.positive_fields();
        let mut wildcards = Vec::new();
        let mut scoped = false;
        for (field, values) in &positive {
            let everyone = |v: &str| match *field {
                "principals" => matching::principal_is_everyone(v),
                "namespaces" => matching::namespace_is_everyone(v),
                _ => false,
            };
            let open: Vec<&Cow<str>> = values
                .iter()
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
            let values: Vec<Cow<str>> = open.iter().map(|v| (*v).clone()).collect();
            findings.violation(
                format!("{at}.{field}"),
                format!(
                    "has {}, which every workload with a mesh identity matches, so the rule \
                     allows the whole mesh {scope} (mTLS without authorization); name the \
                     service accounts (cluster.local/ns/<namespace>/sa/<account>) or \
                     namespaces allowed, or list the value in allowedWildcardPrincipals",
                    list(&values)
                ),
            );
            continue;
        }
        let negative = source.negative_fields();
        if let Some((field, values)) = negative.first() {
            findings.violation(
                format!("{at}.{field}"),
                format!(
                    "is {} with no positive field beside it, so the rule allows every other \
                     caller {scope}, callers without mTLS included; an allow-list goes in \
                     principals or namespaces (notX fields belong in DENY policies)",
                    list(values)
                ),
            );
        } else {
            findings.violation(at, "is empty, which Istio refuses; name the callers");
        }
    }
}

fn check_deny_rule(rule: &Rule<'_>, path: &str, settings: &Settings, findings: &mut Findings) {
    if !rule.only_exclusions() {
        return;
    }
    // A DENY made only of exclusions denies everything its exclusions do not name; an
    // exclusion that names everything leaves nothing to deny.
    let star = |l: &List| items(l).iter().any(|v| v == "*");
    for (j, from) in rule.from.iter().flatten().enumerate() {
        let Some(source) = &from.source else { continue };
        for (field, values) in source.negative_fields() {
            let at = format!("{path}.from[{j}].source.{field}");
            if values.iter().any(|v| v == "*") {
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
                        list(values)
                    ),
                );
            }
        }
    }
    for (j, to) in rule.to.iter().flatten().enumerate() {
        let Some(op) = &to.operation else { continue };
        for (field, l) in [
            ("notHosts", &op.not_hosts),
            ("notPorts", &op.not_ports),
            ("notMethods", &op.not_methods),
            ("notPaths", &op.not_paths),
        ] {
            if star(l) {
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
    rule: &Rule<'_>,
    path: &str,
    action: Action,
    settings: &Settings,
    findings: &mut Findings,
) {
    for (j, to) in rule.to.iter().flatten().enumerate() {
        let Some(op) = &to.operation else { continue };
        let guard_positive = matches!(action, Action::Deny | Action::Custom);
        for (field, values, positive) in [
            ("paths", &op.paths, true),
            ("notPaths", &op.not_paths, false),
            ("hosts", &op.hosts, true),
            ("notHosts", &op.not_hosts, false),
        ] {
            let values = items(values);
            if values.is_empty() {
                continue;
            }
            let role = if positive == guard_positive {
                Role::Guard
            } else {
                Role::Grant
            };
            let siblings: Vec<&str> = values.iter().map(|v| v.as_ref()).collect();
            for (k, value) in values.iter().enumerate() {
                let at = format!("{path}.to[{j}].operation.{field}[{k}]");
                let pitfalls = if field.ends_with("aths") {
                    matching::path_pitfalls(value, &siblings, role, settings.path_normalization)
                } else {
                    matching::host_pitfall(value, &siblings, role)
                        .into_iter()
                        .collect()
                };
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
        assert!(!judge(gateway, r#"{"publicWorkloads": null}"#, "istio-system").is_accepted());
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
        assert!(p.dry_run());
        let mut findings = Findings::new();
        check(&p, &Settings::default(), "shop", &mut findings);
        assert!(findings.into_verdict().warnings()[0].contains("enforces none of it"));
        let web: StringMap = [("app".into(), "web".into())].into();
        let spec: Spec =
            serde_json::from_str(r#"{"selector":{"matchLabels":{"app":"web"}}}"#).unwrap();
        assert!(spec.selects(&web) && !spec.selects(&StringMap::new()));
        let all: Spec =
            serde_json::from_str(r#"{"rules":[{"to":[{"operation":{"ports":["80"]}}]},{}]}"#)
                .unwrap();
        assert!(all.selects(&web) && all.has_match_all_rule());
        let gw: Spec =
            serde_json::from_str(r#"{"targetRef":{"kind":"Gateway","name":"x"}}"#).unwrap();
        assert!(!gw.selects(&web));
    }
}
