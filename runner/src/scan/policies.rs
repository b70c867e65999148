//! The policies a scan applies: the modules of a bundle directory, `--policy` modules and
//! registry references, or the ClusterAdmissionPolicy / AdmissionPolicy / policy-group manifests
//! a user deploys, each with the webhook it would be registered as.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::{Value, json};

use super::input::{self, Event, Source};
use super::matching::Rule;
use crate::host::PolicyHost;
use crate::metadata::{ContextAwareResource, Metadata};
use crate::oci::{self, Transport};

/// A policy module, read once and shared by every worker (wasmtime compiles it once too).
#[derive(Debug)]
pub struct Module {
    pub bytes: Vec<u8>,
    pub metadata: Metadata,
    /// Where it came from, for the report.
    pub source: String,
}

/// One module with its settings: a policy, or a member of a group.
#[derive(Clone, Debug)]
pub struct Evaluated {
    pub module: Arc<Module>,
    pub settings: Value,
    /// The deployed `contextAwareResources`, which replace the metadata's.
    pub context_aware: Option<BTreeSet<ContextAwareResource>>,
}

impl Evaluated {
    /// A host for this module, ready to evaluate (each worker makes its own).
    pub fn host(&self) -> Result<PolicyHost> {
        let mut host = PolicyHost::load(&self.module.bytes)?;
        if let Some(resources) = &self.context_aware {
            host.set_context_aware_resources(resources.clone());
        }
        Ok(host)
    }

    pub fn context_resources(&self) -> BTreeSet<ContextAwareResource> {
        self.context_aware
            .clone()
            .unwrap_or_else(|| self.module.metadata.context_aware_resources.clone())
    }
}

#[derive(Clone, Debug)]
pub enum Body {
    Single(Evaluated),
    Group {
        members: Vec<(String, Evaluated)>,
        expression: Expr,
        message: String,
    },
}

/// A policy as the API server sees it: a webhook with rules and selectors, behind which
/// policy-server evaluates the module(s).
#[derive(Clone, Debug)]
pub struct Policy {
    /// The name Kubewarden's controller and audit-scanner use (`clusterwide-<name>`,
    /// `namespaced-<namespace>-<name>`, `clusterwide-group-<name>`, ...); the module's file stem
    /// for a module scanned on its own.
    pub id: String,
    pub body: Body,
    pub rules: Vec<Rule>,
    pub mutating: bool,
    /// `mode: monitor`: rejections are reported but not enforced.
    pub monitor: bool,
    pub namespace_selector: Option<Value>,
    pub object_selector: Option<Value>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub description: String,
}

impl Policy {
    pub fn is_context_aware(&self) -> bool {
        match &self.body {
            Body::Single(e) => !e.context_resources().is_empty(),
            Body::Group { members, .. } => members
                .iter()
                .any(|(_, e)| !e.context_resources().is_empty()),
        }
    }

    pub fn evaluated(&self) -> Vec<&Evaluated> {
        match &self.body {
            Body::Single(e) => vec![e],
            Body::Group { members, .. } => members.iter().map(|(_, e)| e).collect(),
        }
    }
}

/// Where modules come from.
pub struct Resolver {
    /// A bundle directory whose modules stand in for registry references of the same name and
    /// version (given with `--bundle`).
    pub bundle: Option<PathBuf>,
    pub cache: PathBuf,
    pub transport: Transport,
}

/// The cache of pulled modules: `$NETSEC_CACHE_DIR`, else `$XDG_CACHE_HOME/netsec`, else
/// `~/.cache/netsec`.
pub fn default_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("NETSEC_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("netsec");
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/netsec"))
        .unwrap_or_else(|| std::env::temp_dir().join("netsec-cache"))
}

impl Resolver {
    /// A module by path, `file://` URL or `registry://` reference.
    pub fn module(&self, reference: &str) -> Result<Arc<Module>> {
        if let Some(path) = reference.strip_prefix("file://") {
            return read_module(Path::new(path));
        }
        let is_registry = reference.starts_with("registry://")
            || (!reference.ends_with(".wasm") && !Path::new(reference).exists());
        if !is_registry {
            return read_module(Path::new(reference));
        }
        let parsed = oci::parse_reference(reference)?;
        if let (Some(bundle), Some(tag)) = (&self.bundle, parsed.tag()) {
            let name = parsed.repository().rsplit('/').next().unwrap_or_default();
            let local = bundle.join(format!("{name}.wasm"));
            if local.is_file() {
                let module = read_module(&local)?;
                let version = module
                    .metadata
                    .annotation(crate::bundle::VERSION_ANNOTATION);
                if version.is_some_and(|v| tag.strip_prefix('v').unwrap_or(tag) == v) {
                    return Ok(module);
                }
            }
        }
        let leaf = match (parsed.digest(), parsed.tag()) {
            (Some(digest), _) => digest.replace(':', "-"),
            (None, Some(tag)) => tag.to_string(),
            (None, None) => "latest".to_string(),
        };
        let cached = self
            .cache
            .join("store")
            .join(parsed.registry())
            .join(parsed.repository())
            .join(format!("{leaf}.wasm"));
        if !cached.is_file() {
            let pulled = oci::pull(reference, self.transport)?;
            if let Some(parent) = cached.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&cached, &pulled.module)
                .with_context(|| format!("cannot write {}", cached.display()))?;
        }
        let mut module = read_module(&cached)?;
        if let Some(m) = Arc::get_mut(&mut module) {
            m.source = reference.to_string();
        }
        Ok(module)
    }
}

fn read_module(path: &Path) -> Result<Arc<Module>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let metadata = Metadata::from_wasm(&bytes)
        .with_context(|| format!("{} is not a policy module", path.display()))?
        .with_context(|| {
            format!(
                "{} has no embedded metadata (rules, mutating): annotate it with \
                 `netsec annotate` first",
                path.display()
            )
        })?;
    Ok(Arc::new(Module {
        bytes,
        metadata,
        source: input::Source::File(path.to_path_buf()).display(),
    }))
}

/// A policy from a module alone: its metadata's rules and `mutating`, default settings.
pub fn from_module(module: Arc<Module>) -> Policy {
    let id = policy_name(&module.source);
    let metadata = &module.metadata;
    Policy {
        id,
        rules: metadata.rules.iter().map(Rule::from).collect(),
        mutating: metadata.mutating,
        monitor: false,
        namespace_selector: None,
        object_selector: None,
        category: metadata
            .annotation("io.kubewarden.policy.category")
            .map(str::to_string),
        severity: metadata
            .annotation("io.kubewarden.policy.severity")
            .map(str::to_string),
        description: metadata
            .annotation("io.kubewarden.policy.description")
            .or(metadata.annotation("io.kubewarden.policy.title"))
            .unwrap_or_default()
            .to_string(),
        body: Body::Single(Evaluated {
            module,
            settings: json!({}),
            context_aware: None,
        }),
    }
}

/// A module's name: its file stem, or the last path segment of a registry reference.
fn policy_name(source: &str) -> String {
    if source.ends_with(".wasm") && !source.contains("://") {
        let stem = Path::new(source).file_stem().and_then(|s| s.to_str());
        return stem.unwrap_or(source).to_string();
    }
    let last = source.rsplit('/').next().unwrap_or(source);
    let last = last.split('@').next().unwrap_or(last);
    last.split(':').next().unwrap_or(last).to_string()
}

/// Every module of a bundle directory, by name.
pub fn bundle(dir: &Path) -> Result<Vec<Policy>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "cannot list the bundle {}: build it with `make dist`, or name one with --bundle",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("{} holds no policy module (*.wasm)", dir.display());
    }
    paths
        .iter()
        .map(|p| read_module(p).map(from_module))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    rules: Option<Vec<Rule>>,
    #[serde(default)]
    mutating: bool,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    namespace_selector: Option<Value>,
    #[serde(default)]
    object_selector: Option<Value>,
    #[serde(default)]
    context_aware_resources: Option<BTreeSet<ContextAwareResource>>,
    #[serde(default)]
    policies: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    expression: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    module: String,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    context_aware_resources: Option<BTreeSet<ContextAwareResource>>,
}

/// The policies of Kubewarden manifests (files or directories); other documents are ignored.
pub fn from_manifests(paths: &[PathBuf], resolver: &Resolver) -> Result<Vec<Policy>> {
    let (sources, errors) = input::sources(paths, || Ok(String::new()));
    if let Some(Event::Error { file, message, .. }) = errors.first() {
        bail!("--policies {file}: {message}");
    }
    let mut out = Vec::new();
    for source in &sources {
        let mut events = Vec::new();
        input::read(source, &mut |e| events.push(e));
        for event in events {
            match event {
                Event::Object(doc) => {
                    let group = doc.object["apiVersion"]
                        .as_str()
                        .unwrap_or_default()
                        .split('/')
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if group != "policies.kubewarden.io" {
                        continue;
                    }
                    let at = format!("{}:{}", doc.file, doc.line);
                    if let Some(policy) =
                        manifest(&doc.object, resolver).with_context(|| at.clone())?
                    {
                        out.push(policy);
                    }
                }
                Event::Error {
                    file,
                    line,
                    message,
                } => bail!("--policies {file}:{}: {message}", line.unwrap_or(1)),
                Event::Skipped { .. } => {}
            }
        }
    }
    if out.is_empty() {
        bail!(
            "--policies {}: no ClusterAdmissionPolicy, AdmissionPolicy or policy group found",
            sources
                .iter()
                .map(Source::display)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(out)
}

fn manifest(object: &Value, resolver: &Resolver) -> Result<Option<Policy>> {
    let kind = object["kind"].as_str().unwrap_or_default();
    let name = object["metadata"]["name"]
        .as_str()
        .context("the policy has no metadata.name")?;
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let (id, namespaced) = match kind {
        "ClusterAdmissionPolicy" => (format!("clusterwide-{name}"), false),
        "AdmissionPolicy" => (format!("namespaced-{namespace}-{name}"), true),
        "ClusterAdmissionPolicyGroup" => (format!("clusterwide-group-{name}"), false),
        "AdmissionPolicyGroup" => (format!("namespaced-group-{namespace}-{name}"), true),
        _ => return Ok(None),
    };
    let spec: Spec = serde_json::from_value(object["spec"].clone())
        .with_context(|| format!("{kind} {name}: spec is malformed"))?;
    let annotation = |key: &str| object["metadata"]["annotations"][key].as_str();
    let settings = |s: Option<Value>| match s {
        None | Some(Value::Null) => json!({}),
        Some(other) => other,
    };
    let is_group = kind.ends_with("Group");
    let (body, module_metadata) = if is_group {
        let policies = spec
            .policies
            .with_context(|| format!("{kind} {name} has no spec.policies"))?;
        let mut members = Vec::new();
        for (member, value) in policies {
            let m: Member = serde_json::from_value(value)
                .with_context(|| format!("{kind} {name}: spec.policies.{member} is malformed"))?;
            members.push((
                member,
                Evaluated {
                    module: resolver.module(&m.module)?,
                    settings: settings(m.settings),
                    context_aware: Some(m.context_aware_resources.unwrap_or_default()),
                },
            ));
        }
        let text = spec
            .expression
            .with_context(|| format!("{kind} {name} has no spec.expression"))?;
        let expression = Expr::parse(&text)
            .with_context(|| format!("{kind} {name}: spec.expression {text:?}"))?;
        for called in expression.calls() {
            if !members.iter().any(|(m, _)| m == called) {
                bail!(
                    "{kind} {name}: spec.expression calls {called}(), which is not in spec.policies"
                );
            }
        }
        (
            Body::Group {
                members,
                expression,
                message: spec.message.unwrap_or_default(),
            },
            None,
        )
    } else {
        let reference = spec
            .module
            .with_context(|| format!("{kind} {name} has no spec.module"))?;
        let module = resolver.module(&reference)?;
        let metadata = module.metadata.clone();
        (
            Body::Single(Evaluated {
                module,
                settings: settings(spec.settings),
                context_aware: Some(spec.context_aware_resources.unwrap_or_default()),
            }),
            Some(metadata),
        )
    };
    let rules = match spec.rules {
        Some(rules) => rules,
        None => module_metadata
            .as_ref()
            .map(|m| m.rules.iter().map(Rule::from).collect())
            .unwrap_or_default(),
    };
    // The controller confines a namespaced policy to its namespace.
    let namespace_selector = if namespaced {
        Some(json!({"matchLabels": {"kubernetes.io/metadata.name": namespace}}))
    } else {
        spec.namespace_selector
    };
    Ok(Some(Policy {
        id,
        body,
        rules,
        mutating: spec.mutating && !is_group,
        monitor: spec.mode.as_deref() == Some("monitor"),
        namespace_selector,
        object_selector: spec.object_selector,
        category: annotation("io.kubewarden.policy.category")
            .map(str::to_string)
            .or_else(|| {
                module_metadata
                    .as_ref()
                    .and_then(|m| m.annotation("io.kubewarden.policy.category"))
                    .map(str::to_string)
            }),
        severity: annotation("io.kubewarden.policy.severity")
            .map(str::to_string)
            .or_else(|| {
                module_metadata
                    .as_ref()
                    .and_then(|m| m.annotation("io.kubewarden.policy.severity"))
                    .map(str::to_string)
            }),
        description: annotation("io.kubewarden.policy.description")
            .or(module_metadata
                .as_ref()
                .and_then(|m| m.annotation("io.kubewarden.policy.description")))
            .unwrap_or_default()
            .to_string(),
    }))
}

/// A policy group's `expression`: calls of its members joined by `&&`, `||`, `!` and
/// parentheses, with `true` and `false` — the boolean part of CEL that groups are written in.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Call(String),
    Literal(bool),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr> {
        let tokens = tokenize(text)?;
        let mut pos = 0;
        let expr = parse_or(&tokens, &mut pos)?;
        if pos != tokens.len() {
            bail!("unexpected {:?}", tokens[pos]);
        }
        Ok(expr)
    }

    pub fn calls(&self) -> Vec<&str> {
        match self {
            Expr::Call(name) => vec![name],
            Expr::Literal(_) => vec![],
            Expr::Not(e) => e.calls(),
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut out = a.calls();
                out.extend(b.calls());
                out
            }
        }
    }

    pub fn eval(&self, accepted: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Expr::Call(name) => accepted(name),
            Expr::Literal(b) => *b,
            Expr::Not(e) => !e.eval(accepted),
            Expr::And(a, b) => a.eval(accepted) && b.eval(accepted),
            Expr::Or(a, b) => a.eval(accepted) || b.eval(accepted),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '&' || c == '|' {
            if chars.get(i + 1) != Some(&c) {
                bail!("{c} must be doubled ({c}{c})");
            }
            out.push(format!("{c}{c}"));
            i += 2;
        } else if "()!".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            bail!(
                "{c:?} is not supported: a group expression here combines member calls with &&, ||, ! and parentheses"
            );
        }
    }
    Ok(out)
}

fn parse_or(t: &[String], pos: &mut usize) -> Result<Expr> {
    let mut left = parse_and(t, pos)?;
    while t.get(*pos).is_some_and(|s| s == "||") {
        *pos += 1;
        left = Expr::Or(Box::new(left), Box::new(parse_and(t, pos)?));
    }
    Ok(left)
}

fn parse_and(t: &[String], pos: &mut usize) -> Result<Expr> {
    let mut left = parse_unary(t, pos)?;
    while t.get(*pos).is_some_and(|s| s == "&&") {
        *pos += 1;
        left = Expr::And(Box::new(left), Box::new(parse_unary(t, pos)?));
    }
    Ok(left)
}

fn parse_unary(t: &[String], pos: &mut usize) -> Result<Expr> {
    let token = t.get(*pos).context("the expression ends too early")?;
    *pos += 1;
    match token.as_str() {
        "!" => Ok(Expr::Not(Box::new(parse_unary(t, pos)?))),
        "(" => {
            let inner = parse_or(t, pos)?;
            if t.get(*pos).map(String::as_str) != Some(")") {
                bail!("a ( is not closed");
            }
            *pos += 1;
            Ok(inner)
        }
        "true" => Ok(Expr::Literal(true)),
        "false" => Ok(Expr::Literal(false)),
        name if name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_') =>
        {
            if t.get(*pos).map(String::as_str) != Some("(")
                || t.get(*pos + 1).map(String::as_str) != Some(")")
            {
                bail!("{name} must be called: {name}()");
            }
            *pos += 2;
            Ok(Expr::Call(name.to_string()))
        }
        other => bail!("unexpected {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(policy_name("dist/ingress-tls.wasm"), "ingress-tls");
        assert_eq!(
            policy_name("registry://ghcr.io/org/policies/ingress-tls:v0.1.0"),
            "ingress-tls"
        );
        assert_eq!(
            policy_name("registry://localhost:5000/p/egress@sha256:abc"),
            "egress"
        );
    }

    #[test]
    fn group_expressions() {
        let e = Expr::parse("ingress_tls() && (rate_limit() || !legacy())").unwrap();
        assert_eq!(e.calls(), ["ingress_tls", "rate_limit", "legacy"]);
        let verdicts = |ok: &'static [&'static str]| move |n: &str| ok.contains(&n);
        assert!(e.eval(&verdicts(&["ingress_tls", "rate_limit", "legacy"])));
        assert!(e.eval(&verdicts(&["ingress_tls"])));
        assert!(!e.eval(&verdicts(&["ingress_tls", "legacy"])));
        assert!(!e.eval(&verdicts(&["rate_limit"])));
        assert!(Expr::parse("a() & b()").is_err());
        assert!(Expr::parse("a() && b").is_err());
        assert!(Expr::parse("(a()").is_err());
        assert!(Expr::parse("a() == true").is_err());
        assert!(Expr::parse("true || a()").unwrap().eval(&|_| false));
    }
}
