//! The rules: a host is claimed by one namespace only, by the owners `hostOwners` names, and
//! shared listeners do not overlap across namespaces on one port.

use std::borrow::Cow;

use netsec_shared::cluster::{Cluster, Resource, list_items};
use netsec_shared::request::{GroupVersionKind, OwnObject};
use netsec_shared::review::{judges, object_of_kind, of_kind};
use netsec_shared::{AdmissionRequest, Findings, Verdict};
use netsec_shared::{json, scan};
use serde::de::IgnoredAny;

use crate::objects::{Claim, Family, Kind, Object, near};
use crate::pattern::{Pattern, Shape};
use crate::settings::Settings;

/// Namespaces, to leave out the claims of those being deleted.
const NAMESPACE: Resource = Resource {
    api_version: "v1",
    kind: "Namespace",
};
const NAMESPACE_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.deletionTimestamp",
    "status.phase",
];

/// The keys whose strings are hosts, in any kind's listing: a superset of what
/// [`Object::may_meet`] reads, so that no object it would keep is left out.
const HOST_KEYS: &[&str] = &["host", "hosts", "hostname", "hostnames"];

/// How many conflicting objects one message names.
const NAMED: usize = 3;

/// Claimants and listeners are read as an [`Object`] in the pass that reads the request.
pub struct Own;

impl OwnObject for Own {
    type Of<'a> = Object<'a>;

    fn wanted(kind: &GroupVersionKind<'_>) -> bool {
        Kind::of_request(&kind.group, &kind.kind).is_some()
    }
}

pub fn evaluate(
    request: &AdmissionRequest<'_>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    evaluate_own(request, None, settings, cluster)
}

/// [`evaluate`], with the object already read when it is one ([`Own`]); `None` reads it from
/// the request.
pub fn evaluate_own<'a>(
    request: &AdmissionRequest<'a>,
    own: Option<Object<'a>>,
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Verdict {
    if !judges(request, &settings.exempt_namespaces) {
        return Verdict::accept();
    }
    let (group, kind_name) = (request.kind.group.as_ref(), request.kind.kind.as_ref());
    let by_request = Kind::of_request(group, kind_name);
    // A request built by hand may leave the group (or the kind) out: the object's apiVersion
    // and kind then say what it is.
    if by_request.is_none()
        && !(group.is_empty() && (kind_name.is_empty() || Kind::named(kind_name)))
    {
        return Verdict::accept();
    }
    let object: Result<Object, Verdict> = match own {
        _ if kind_name.is_empty() => request.object("an object").map_err(Verdict::reject),
        Some(own) => of_kind(own, kind_name, |o: &Object| o.kind.as_deref()),
        None => object_of_kind(request, kind_name, |o: &Object| o.kind.as_deref()),
    };
    let object = match object {
        Ok(object) => object,
        Err(rejection) => return rejection,
    };
    let Some(kind) = by_request.or_else(|| object.own_kind()) else {
        return Verdict::accept();
    };
    // Its remaining updates only remove finalizers.
    if object.metadata.deletion_timestamp.is_some() {
        return Verdict::accept();
    }
    let subject = Subject {
        kind,
        namespace: request.namespace_or(object.namespace()),
        uid: object.metadata.uid.as_deref().filter(|u| !u.is_empty()),
        solver: object.is_solver(kind),
    };
    let claims = object.claims(kind);
    let mut findings = Findings::new();
    for bad in &claims.unreadable {
        findings.violation(
            bad.field.to_string(),
            format!(
                "{:?} cannot be read as a host: {}; write a DNS name, optionally with one \
                 leading wildcard label (*.example.com)",
                bad.host, bad.why
            ),
        );
    }
    if claims.claims.is_empty() {
        return findings.into_verdict();
    }
    if kind.family() == Family::Claimants {
        check_owners(&mut findings, &subject, &claims.claims, settings);
    }
    if let Err(message) = check_unique(&mut findings, &subject, &claims.claims, settings, cluster) {
        return Verdict::reject(message);
    }
    findings.into_verdict()
}

/// The object under admission.
struct Subject<'a> {
    kind: Kind,
    namespace: &'a str,
    uid: Option<&'a str>,
    solver: bool,
}

/// `hostOwners` and `requireOwner`. The most specific entry that covers the whole claim decides
/// who may make it; an entry the claim only reaches into (a wildcard over an owned host) must
/// list the namespace too.
fn check_owners(
    findings: &mut Findings,
    subject: &Subject<'_>,
    claims: &[Claim<'_>],
    settings: &Settings,
) {
    let owners = settings.owners();
    let ns = subject.namespace;
    let listed = |namespaces: &[String]| namespaces.iter().any(|n| n == ns);
    for claim in claims {
        let field = claim.field.to_string();
        let container = owners
            .iter()
            .filter(|o| o.pattern.contains(&claim.pattern))
            .max_by_key(|o| o.pattern.specificity());
        match container {
            Some(owner) if !listed(owner.namespaces) => findings.violation(
                &field,
                format!(
                    "{:?} belongs to namespace {} (hostOwners {:?}), not to {ns}; claim it from \
                     {}, or use a host of your own",
                    claim.host,
                    owner.namespaces.join(", "),
                    owner.key,
                    owner.namespaces.join(" or "),
                ),
            ),
            Some(_) => {}
            None if settings.require_owner => findings.violation(
                &field,
                format!(
                    "{:?} is not covered by any hostOwners entry, and requireOwner is true; use \
                     a host an entry gives to namespace {ns}, or add an entry for it",
                    claim.host
                ),
            ),
            None => {}
        }
        for owner in &owners {
            if owner.pattern.intersects(&claim.pattern)
                && !owner.pattern.contains(&claim.pattern)
                && !listed(owner.namespaces)
            {
                findings.violation(
                    &field,
                    format!(
                        "{:?} also covers hosts of {:?}, which belong to namespace {} \
                         (hostOwners); narrow it to hosts of your own, or have {ns} added to \
                         that entry",
                        claim.host,
                        owner.key,
                        owner.namespaces.join(", ")
                    ),
                );
            }
        }
    }
}

/// A claim of another namespace that meets one of the subject's.
struct Conflict<'x> {
    /// Index of the subject's claim.
    mine: usize,
    kind: Kind,
    namespace: &'x str,
    name: &'x str,
    host: &'x str,
    pattern: Pattern<'x>,
    solver: bool,
    /// On a shared host, the paths overlap (else the hosts do).
    shared: bool,
}

/// The listed objects of some kinds, as the cluster answered.
struct Listed {
    answers: Vec<(Kind, Vec<u8>)>,
}

impl Listed {
    fn load(cluster: &dyn Cluster, family: Family) -> Result<Listed, String> {
        let mut answers = Vec::new();
        for &kind in family.kinds() {
            let fields = kind.fields();
            match cluster.list_all(kind.resource(), &fields) {
                Ok(bytes) => answers.push((kind, bytes)),
                Err(e) if kind != Kind::Ingress && not_served(&e) => {}
                Err(e) => {
                    let r = kind.resource();
                    return Err(format!(
                        "the {} of the cluster cannot be listed to check that no other \
                         namespace claims these hosts: {e}; the policy needs {r} in its \
                         contextAwareResources",
                        kind.plural()
                    ));
                }
            }
        }
        Ok(Listed { answers })
    }

    /// The listed objects that may meet one of `claims` ([`Object::may_meet`]), decoded. The
    /// others are only scanned: their hosts, read off the text, are too far from every claim.
    /// At a thousand Ingresses, decoding each would cost most of the request.
    fn meeting(&self, claims: &[Claim<'_>]) -> Result<Vec<(Kind, Object<'_>)>, String> {
        let mut out = Vec::new();
        for (kind, bytes) in &self.answers {
            let kind = *kind;
            let unreadable =
                |e: String| format!("the listed {} cannot be read: {e}", kind.plural());
            let text = netsec_shared::mem::utf8(bytes)
                .map_err(|_| unreadable("the answer is not valid UTF-8".into()))?;
            scan::each_item(text, HOST_KEYS, |item| {
                // An Istio Gateway's hosts carry a namespace part: read them whole.
                let keep = kind == Kind::IstioGateway
                    || item.unsure
                    || item.strings.iter().any(|h| near(h, claims));
                if keep {
                    out.push((kind, json::from_str::<Object>(item.text)?));
                }
                Ok(())
            })
            .map_err(unreadable)?;
        }
        Ok(out)
    }

    fn parse(&self) -> Result<Vec<(Kind, Vec<Object<'_>>)>, String> {
        self.answers
            .iter()
            .map(|(kind, bytes)| {
                list_items::<Object>(bytes)
                    .map(|items| (*kind, items))
                    .map_err(|e| format!("the listed {} cannot be read: {e}", kind.plural()))
            })
            .collect()
    }
}

/// The host's answer for a kind whose API the cluster does not serve (the Gateway API or Istio
/// not installed): no objects of it can claim anything. Any other failure is a failed read.
fn not_served(error: &str) -> bool {
    let e = error.to_ascii_lowercase();
    e.contains("404")
        || e.contains("not found")
        || e.contains("could not find the requested resource")
        || e.contains("no matches for kind")
}

/// Claimants against claimants, listeners against listeners on the same port, of other
/// namespaces; solvers and objects on their way out do not count.
fn check_unique(
    findings: &mut Findings,
    subject: &Subject<'_>,
    claims: &[Claim<'_>],
    settings: &Settings,
    cluster: &dyn Cluster,
) -> Result<(), String> {
    let family = subject.kind.family();
    let listed = Listed::load(cluster, family)?;
    let meeting = listed.meeting(claims)?;
    let shared = settings.shared_hosts();
    let mut conflicts = Vec::new();
    for (kind, object) in &meeting {
        let namespace = object.namespace();
        if namespace == subject.namespace
            || (subject.uid.is_some() && object.metadata.uid.as_deref() == subject.uid)
            || object.metadata.deletion_timestamp.is_some()
        {
            continue;
        }
        if !object.may_meet(*kind, claims) {
            continue;
        }
        let theirs = object.claims(*kind).claims;
        let solver = !theirs.is_empty() && object.is_solver(*kind);
        for (mine, claim) in claims.iter().enumerate() {
            for other in &theirs {
                if !meets(claim, other, family, &shared) {
                    continue;
                }
                conflicts.push(Conflict {
                    mine,
                    kind: *kind,
                    namespace,
                    name: object.name(),
                    host: other.host,
                    pattern: other.pattern.clone(),
                    solver,
                    shared: same_host(claim, other) && is_shared(claim, &shared),
                });
            }
        }
    }
    // An owner's claim is not blocked by a namespace the map does not name (a claim made before
    // the entry was written): that one is reported as a warning, to be cleaned up.
    if family == Family::Claimants && !settings.host_owners.is_empty() {
        conflicts.retain(|c| {
            let pattern = &claims[c.mine].pattern;
            let squatter = owned_by(settings, subject.namespace, pattern)
                && !owned_by(settings, c.namespace, pattern);
            if squatter {
                findings.warn(format!(
                    "{} {}/{} also claims {:?}, which hostOwners gives to namespace {}; remove it",
                    c.kind.name(),
                    c.namespace,
                    c.name,
                    c.host,
                    subject.namespace
                ));
            }
            !squatter
        });
    }
    if conflicts.is_empty() {
        return Ok(());
    }
    // A solver answers a challenge for a claim its namespace already holds; one in a namespace
    // without such a claim is a claim like any other (it would take the name's certificates).
    if subject.solver || conflicts.iter().any(|c| c.solver) {
        let listeners = match family {
            Family::Listeners => None,
            Family::Claimants => Some(Listed::load(cluster, Family::Listeners)?),
        };
        let listener_lists = match &listeners {
            Some(l) => l.parse()?,
            None => Vec::new(),
        };
        // Every claim of a namespace counts here, not only those near the subject's.
        let lists = listed.parse()?;
        let standing = |namespace: &str, pattern: &Pattern<'_>| {
            lists.iter().chain(&listener_lists).any(|(kind, objects)| {
                objects.iter().any(|o| {
                    o.namespace() == namespace
                        && o.metadata.deletion_timestamp.is_none()
                        && !o.is_solver(*kind)
                        && o.claims(*kind)
                            .claims
                            .iter()
                            .any(|c| c.pattern.contains(pattern))
                })
            }) || owned_by(settings, namespace, pattern)
        };
        let mine_standing: Vec<bool> = claims
            .iter()
            .map(|c| subject.solver && standing(subject.namespace, &c.pattern))
            .collect();
        conflicts
            .retain(|c| !(mine_standing[c.mine] || c.solver && standing(c.namespace, &c.pattern)));
    }
    if !conflicts.is_empty() {
        let leaving = terminating_namespaces(cluster)?;
        conflicts.retain(|c| !leaving.iter().any(|n| n == c.namespace));
    }
    report(findings, subject, claims, &conflicts);
    Ok(())
}

/// Do two claims of different namespaces conflict?
fn meets(mine: &Claim<'_>, other: &Claim<'_>, family: Family, shared: &[Pattern<'_>]) -> bool {
    if family == Family::Listeners && mine.port != other.port {
        return false;
    }
    if !mine.pattern.intersects(&other.pattern) {
        return false;
    }
    if family == Family::Claimants && same_host(mine, other) && is_shared(mine, shared) {
        return mine.paths.overlap(&other.paths);
    }
    true
}

/// The same host written the same way (`*.a.com` of an Ingress and of an HTTPRoute count as
/// one host for sharing).
fn same_host(a: &Claim<'_>, b: &Claim<'_>) -> bool {
    a.pattern.base == b.pattern.base
        && (a.pattern.shape == Shape::Exact) == (b.pattern.shape == Shape::Exact)
}

fn is_shared(claim: &Claim<'_>, shared: &[Pattern<'_>]) -> bool {
    shared.iter().any(|s| s.contains(&claim.pattern))
}

/// Does `hostOwners` give `pattern` to `namespace` (its most specific covering entry lists it)?
fn owned_by(settings: &Settings, namespace: &str, pattern: &Pattern<'_>) -> bool {
    settings
        .owners()
        .iter()
        .filter(|o| o.pattern.contains(pattern))
        .max_by_key(|o| o.pattern.specificity())
        .is_some_and(|o| o.namespaces.iter().any(|n| n == namespace))
}

/// The namespaces being deleted: their objects are on their way out, and the API server
/// creates nothing new in them.
fn terminating_namespaces(cluster: &dyn Cluster) -> Result<Vec<String>, String> {
    #[derive(Default)]
    struct Namespace<'a> {
        metadata: NsMeta<'a>,
        status: Option<NsStatus<'a>>,
    }
    netsec_shared::view_reader!(Namespace {
        "metadata" => metadata,
        "status" => status,
    });
    #[derive(Default)]
    struct NsMeta<'a> {
        name: Cow<'a, str>,
        deletion_timestamp: Option<IgnoredAny>,
    }
    netsec_shared::view_reader!(NsMeta {
        "name" => name: netsec_shared::view::string,
        "deletionTimestamp" => deletion_timestamp,
    });
    #[derive(Default)]
    struct NsStatus<'a> {
        phase: Option<Cow<'a, str>>,
    }
    netsec_shared::view_reader!(NsStatus {
        "phase" => phase: netsec_shared::view::optional_string,
    });
    let bytes = cluster.list_all(NAMESPACE, NAMESPACE_FIELDS).map_err(|e| {
        format!(
            "the Namespaces cannot be listed to tell whether the namespace of a conflicting \
                 claim is being deleted: {e}; the policy needs v1/Namespace in its \
                 contextAwareResources"
        )
    })?;
    let namespaces = list_items::<Namespace>(&bytes)
        .map_err(|e| format!("the listed Namespaces cannot be read: {e}"))?;
    Ok(namespaces
        .into_iter()
        .filter(|n| {
            n.metadata.deletion_timestamp.is_some()
                || n.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating")
        })
        .map(|n| n.metadata.name.into_owned())
        .collect())
}

/// One sentence per claim of the subject, naming the namespaces and objects it meets.
fn report(
    findings: &mut Findings,
    subject: &Subject<'_>,
    claims: &[Claim<'_>],
    conflicts: &[Conflict<'_>],
) {
    for (i, claim) in claims.iter().enumerate() {
        let mut mine: Vec<&Conflict> = conflicts.iter().filter(|c| c.mine == i).collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by(|a, b| (a.namespace, a.name).cmp(&(b.namespace, b.name)));
        let mut named: Vec<String> = mine
            .iter()
            .take(NAMED)
            .map(|c| {
                format!(
                    "{} {}/{} ({:?})",
                    c.kind.name(),
                    c.namespace,
                    c.name,
                    c.host
                )
            })
            .collect();
        if mine.len() > NAMED {
            named.push(format!("{} more", mine.len() - NAMED));
        }
        let mut namespaces: Vec<&str> = mine.iter().map(|c| c.namespace).collect();
        namespaces.dedup();
        let owners = namespaces.join(", ");
        let objects = named.join(", ");
        let field = claim.field.to_string();
        let host = claim.host;
        let message = if subject.kind.family() == Family::Listeners {
            format!(
                "{host:?} on port {} overlaps the listeners of namespace {owners} on the same \
                 port: {objects}; listeners of two namespaces cannot serve one host on one \
                 port, so use another hostname or port, or attach to the shared Gateway",
                claim.port.unwrap_or_default()
            )
        } else if mine.iter().all(|c| c.shared) {
            format!(
                "{host:?} is a shared host (allowSharedHosts), but namespace {owners} already \
                 routes the same paths on it: {objects}; route other paths"
            )
        } else {
            format!(
                "{host:?} is already claimed by namespace {owners}: {objects}; a host is routed \
                 by one namespace only, so use another host (to split one host by path, list it \
                 in allowSharedHosts)"
            )
        };
        findings.violation(field, message);
    }
}

#[cfg(test)]
mod tests;
