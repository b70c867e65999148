//! One model of "an egress allowance", which the egress rules of every family are converted
//! into, so that egress-restrictions writes each of its checks once:
//!
//! - Kubernetes `networking.k8s.io/v1` NetworkPolicy (from its view in [`super::egress`]);
//! - Cilium `cilium.io/v2` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (`spec` and
//!   every item of `specs`);
//! - Calico `projectcalico.org/v3` and `crd.projectcalico.org/v1` NetworkPolicy and
//!   GlobalNetworkPolicy.
//!
//! An [`Allowance`] is one rule that lets traffic out: where to ([`Peer`]s, ORed) and on which
//! ports ([`PortEntry`]s, ORed; `None` for every port), with the field paths of the object for
//! messages. Rules that only take traffic away (Cilium `egressDeny`, Calico `Deny`/`Pass`/`Log`)
//! are not allowances; they only count for whether the policy restricts egress at all.
//!
//! Cilium (pkg/policy/api `EgressRule`, `EgressCommonRule`; validated by `Rule.Sanitize` and
//! `EgressRule.sanitize` in rule_validation.go):
//! - `toCIDR` (an address or a block) and `toCIDRSet` (`cidr` with `except`) are blocks;
//!   `cidrGroupRef`/`cidrGroupSelector` take their blocks from CiliumCIDRGroup objects that an
//!   admission webhook cannot see, and `toGroups` from a cloud provider's security groups: both
//!   are judged like a rule without peers (any address), so they need `allowUnrestrictedPeers`.
//! - `toEntities`: `world` is every address outside the cluster (`0.0.0.0/0` and `::/0`),
//!   `world-ipv4` and `world-ipv6` one family of it, and each is judged as those blocks; `all`
//!   is every destination, like a rule without peers. `cluster`, `host`, `remote-node`,
//!   `kube-apiserver`, `init`, `health`, `unmanaged`, `ingress` and `none` stay inside the
//!   cluster and are not judged; any other name is refused (Cilium's CRD enumerates them).
//! - `toFQDNs`: `matchName` and `matchPattern` are names ([`Peer::Name`]), judged by the policy
//!   against its `allowedFQDNs` with [`fqdn_covers`].
//! - `toEndpoints`, `toServices` and `toNodes` select endpoints, Services and nodes of the
//!   cluster: in-cluster, not judged. `toRequires` only narrows `toEndpoints` and allows nothing
//!   by itself.
//! - A rule with none of those fields allows every destination (`EgressRule.AllowsWildcarding`
//!   is true when it has no `toRequires`, `toServices` or `toFQDNs`).
//! - `toPorts[].ports[]`: `port` a number (as a string; `0` or absent is every port) or a name,
//!   `endPort`, `protocol` TCP, UDP, SCTP or ANY (the default: all three); `rules` (L7) do not
//!   change the ports. A `toPorts` item without `ports` allows every port.
//!
//! Calico (libcalico-go api/pkg/apis/projectcalico/v3 `Rule`, `EntityRule`; validated by
//! `validateRule` of lib/validator/v3): only `action: Allow` rules allow. `destination.nets` are
//! blocks, each with `notNets` as its except list; `destination.domains` are names;
//! `selector`, `namespaceSelector`, `serviceAccounts` and `services` are in-cluster. A rule
//! naming none of `nets`, `domains`, `selector`, `namespaceSelector`, `serviceAccounts`,
//! `services` allows every destination (`notNets` and `notSelector` only leave some out).
//! `destination.ports` (numbers, `"80:90"` ranges, names) need `protocol` TCP, UDP or SCTP
//! (names in any case, or 6, 17, 132); a rule with a protocol and no ports allows every port
//! of it, one without a protocol every port of every protocol.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::netpol::egress::{IntOrString, NetworkPolicy};
use crate::netpol::ports::{PortRange, Protocol, resolve};
use crate::request::Borrowed;
use crate::selector::LabelSelector;

/// Cilium's `ANY`: every protocol that has ports.
const ANY: &[Protocol] = &[Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// What a policy object allows out.
#[derive(Debug, Default)]
pub struct Egress<'a> {
    pub allowances: Vec<Allowance<'a>>,
    /// Whether the policy isolates its pods for egress (so they need DNS allowed somewhere).
    pub restricts: bool,
    /// Fields that cannot be read as the API means them: `(path, sentence)`.
    pub invalid: Vec<(String, String)>,
}

/// One rule that lets traffic out.
#[derive(Debug)]
pub struct Allowance<'a> {
    /// `spec.egress[0]`, `specs[1].egress[0]`.
    pub path: String,
    pub peers: Vec<Peer<'a>>,
    /// `None`: every port of every protocol.
    pub ports: Option<Vec<PortEntry>>,
    /// Where the rule would list its ports, for messages (`spec.egress[].ports`).
    pub ports_field: &'static str,
}

#[derive(Debug)]
pub enum Peer<'a> {
    Block(Block<'a>),
    /// A DNS name or pattern (Cilium `toFQDNs`, Calico `domains`).
    Name { path: String, pattern: Cow<'a, str> },
    /// A Kubernetes peer's `namespaceSelector`.
    Namespaces {
        path: String,
        selector: LabelSelector<'a>,
    },
    /// Every destination, or ones that cannot be known at admission; the sentence follows the
    /// path.
    Unrestricted { path: String, message: String },
}

/// A CIDR block (or an entity that stands for one) with the blocks left out of it.
#[derive(Debug)]
pub struct Block<'a> {
    /// The field holding the block (`spec.egress[0].to[0].ipBlock.cidr`).
    pub path: String,
    pub cidr: Cow<'a, str>,
    /// An address without a prefix is a /32 or /128 (Cilium, Calico); Kubernetes wants a block.
    pub address_allowed: bool,
    /// A Cilium entity the block stands for (`world`).
    pub entity: Option<&'static str>,
    pub except: Vec<Cow<'a, str>>,
    /// The field of the except list, if the block can have one.
    pub except_field: Option<String>,
}

/// A port entry: the ranges it allows (one per protocol), or why they cannot be known.
#[derive(Debug)]
pub struct PortEntry {
    pub path: String,
    pub ranges: Result<Vec<PortRange>, String>,
}

const UNRESTRICTED_HINT: &str = "(or allowUnrestrictedPeers: true)";

// ---------------------------------------------------------------------------------------------
// Kubernetes NetworkPolicy

/// A Kubernetes NetworkPolicy's egress rules.
pub fn from_network_policy(policy: NetworkPolicy<'_>) -> Egress<'_> {
    let restricts = policy.spec.affects_egress();
    let allowances = policy
        .spec
        .egress
        .into_iter()
        .enumerate()
        .map(|(i, rule)| {
            let path = format!("spec.egress[{i}]");
            let mut peers = Vec::new();
            if rule.to.is_empty() {
                peers.push(Peer::Unrestricted {
                    path: path.clone(),
                    message: format!(
                        "has no `to`, so it allows traffic to every destination, inside the \
                         cluster and out; list the destinations in spec.egress[].to \
                         {UNRESTRICTED_HINT}"
                    ),
                });
            }
            for (j, peer) in rule.to.into_iter().enumerate() {
                if let Some(block) = peer.ip_block {
                    peers.push(Peer::Block(Block {
                        path: format!("{path}.to[{j}].ipBlock.cidr"),
                        cidr: block.cidr,
                        address_allowed: false,
                        entity: None,
                        except: block.except,
                        except_field: Some(format!("{path}.to[{j}].ipBlock.except")),
                    }));
                }
                if let Some(selector) = peer.namespace_selector {
                    peers.push(Peer::Namespaces {
                        path: format!("{path}.to[{j}].namespaceSelector"),
                        selector,
                    });
                }
            }
            let ports = (!rule.ports.is_empty()).then(|| {
                rule.ports
                    .iter()
                    .enumerate()
                    .map(|(j, port)| PortEntry {
                        path: format!("{path}.ports[{j}]"),
                        ranges: resolve(port).map(|r| vec![r]),
                    })
                    .collect()
            });
            Allowance {
                path,
                peers,
                ports,
                ports_field: "spec.egress[].ports",
            }
        })
        .collect();
    Egress {
        allowances,
        restricts,
        invalid: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The view of Cilium and Calico objects

/// A Cilium or Calico policy object, or one of its levels: every level is read into this one
/// type (each fills its own fields), as [`super::families`] does, so that the module carries a
/// single reader for both APIs. No two levels give one name different types; `ports` holds
/// Cilium port objects and Calico numbers or strings alike ([`PortItem`]).
#[derive(Debug, Default)]
pub struct Node<'a> {
    spec: Option<Box<Node<'a>>>,
    specs: Option<Vec<Node<'a>>>,
    egress: Option<Vec<Node<'a>>>,
    egress_deny: usize,
    /// Cilium's `enableDefaultDeny.egress`.
    default_deny_egress: Option<bool>,
    /// Calico's `types`.
    types: Option<Vec<Borrowed<'a>>>,
    to_cidr: Option<Vec<Borrowed<'a>>>,
    to_cidr_set: Option<Vec<Node<'a>>>,
    to_entities: Option<Vec<Borrowed<'a>>>,
    to_fqdns: Option<Vec<Node<'a>>>,
    /// Peers inside the cluster: Cilium `toEndpoints`, `toServices`, `toNodes` items; Calico
    /// `selector`, `namespaceSelector`, `serviceAccounts`, `services`.
    in_cluster: usize,
    to_requires: usize,
    to_groups: usize,
    to_ports: Option<Vec<Node<'a>>>,
    cidr: Option<Cow<'a, str>>,
    except: Option<Vec<Borrowed<'a>>>,
    cidr_group_ref: Option<Cow<'a, str>>,
    cidr_group_selector: bool,
    match_name: Option<Cow<'a, str>>,
    match_pattern: Option<Cow<'a, str>>,
    ports: Option<Vec<PortItem<'a>>>,
    port: Option<IntOrString<'a>>,
    end_port: Option<i64>,
    protocol: Option<IntOrString<'a>>,
    action: Option<Cow<'a, str>>,
    destination: Option<Box<Node<'a>>>,
    nets: Option<Vec<Borrowed<'a>>>,
    not_nets: Option<Vec<Borrowed<'a>>>,
    domains: Option<Vec<Borrowed<'a>>>,
}

/// An item of `ports`: a Cilium port object, or a Calico port number, range or name.
#[derive(Debug)]
pub enum PortItem<'a> {
    Number(i64),
    Text(Cow<'a, str>),
    Object(Box<Node<'a>>),
}

fn text<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_value::<Option<Borrowed<'de>>>()?.map(|b| b.0))
}

fn count<'de, A: MapAccess<'de>>(map: &mut A) -> Result<usize, A::Error> {
    Ok(map
        .next_value::<Option<Vec<IgnoredAny>>>()?
        .map_or(0, |l| l.len()))
}

impl<'de: 'a, 'a> Deserialize<'de> for Node<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(NodeVisitor(PhantomData))
    }
}

struct NodeVisitor<'a>(PhantomData<Node<'a>>);

impl<'de: 'a, 'a> Visitor<'de> for NodeVisitor<'a> {
    type Value = Node<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut n = Node::default();
        while let Some(key) = map.next_key::<Borrowed<'de>>()? {
            match &*key {
                "spec" => n.spec = map.next_value()?,
                "specs" => n.specs = map.next_value()?,
                "egress" => n.egress = map.next_value()?,
                "egressDeny" => n.egress_deny = count(&mut map)?,
                "enableDefaultDeny" => {
                    n.default_deny_egress = map.next_value::<Option<DefaultDeny>>()?.and_then(|d| d.0)
                }
                "types" => n.types = map.next_value()?,
                "toCIDR" => n.to_cidr = map.next_value()?,
                "toCIDRSet" => n.to_cidr_set = map.next_value()?,
                "toEntities" => n.to_entities = map.next_value()?,
                "toFQDNs" => n.to_fqdns = map.next_value()?,
                "toEndpoints" | "toServices" | "toNodes" => n.in_cluster += count(&mut map)?,
                "toRequires" => n.to_requires = count(&mut map)?,
                "toGroups" => n.to_groups = count(&mut map)?,
                "toPorts" => n.to_ports = map.next_value()?,
                "cidr" => n.cidr = text(&mut map)?,
                "except" => n.except = map.next_value()?,
                "cidrGroupRef" => n.cidr_group_ref = text(&mut map)?,
                "cidrGroupSelector" => {
                    n.cidr_group_selector = map.next_value::<Option<IgnoredAny>>()?.is_some()
                }
                "matchName" => n.match_name = text(&mut map)?,
                "matchPattern" => n.match_pattern = text(&mut map)?,
                "ports" => n.ports = map.next_value()?,
                "port" => n.port = map.next_value()?,
                "endPort" => n.end_port = map.next_value()?,
                "protocol" => n.protocol = map.next_value()?,
                "action" => n.action = text(&mut map)?,
                "destination" => n.destination = map.next_value()?,
                "nets" => n.nets = map.next_value()?,
                "notNets" => n.not_nets = map.next_value()?,
                "domains" => n.domains = map.next_value()?,
                "selector" | "namespaceSelector" => {
                    let selector = text(&mut map)?;
                    n.in_cluster += usize::from(selector.is_some_and(|s| !s.trim().is_empty()));
                }
                "serviceAccounts" | "services" => {
                    n.in_cluster +=
                        usize::from(map.next_value::<Option<IgnoredAny>>()?.is_some());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(n)
    }
}

/// Cilium's `enableDefaultDeny`: its `egress`.
struct DefaultDeny(Option<bool>);

impl<'de> Deserialize<'de> for DefaultDeny {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DefaultDeny;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DefaultDeny, A::Error> {
                let mut egress = None;
                while let Some(key) = map.next_key::<Borrowed<'de>>()? {
                    if &*key == "egress" {
                        egress = map.next_value()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(DefaultDeny(egress))
            }
        }
        de.deserialize_map(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for PortItem<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<PortItem<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = PortItem<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port: an object, a number or a string")
            }
            fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
                Ok(PortItem::Number(n))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
                Ok(PortItem::Number(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(PortItem::Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(PortItem::Text(Cow::Owned(s.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                NodeVisitor(PhantomData)
                    .visit_map(map)
                    .map(|n| PortItem::Object(Box::new(n)))
            }
        }
        de.deserialize_any(V(PhantomData))
    }
}

fn items<T>(list: &Option<Vec<T>>) -> &[T] {
    list.as_deref().unwrap_or_default()
}

fn strings<'a>(list: &Option<Vec<Borrowed<'a>>>) -> Vec<Cow<'a, str>> {
    items(list).iter().map(|b| b.0.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// Cilium

/// A CiliumNetworkPolicy's or CiliumClusterwideNetworkPolicy's egress: the rules of `spec` and
/// of every item of `specs`.
pub fn from_cilium<'a>(object: &Node<'a>) -> Egress<'a> {
    let mut out = Egress::default();
    let rules = object
        .spec
        .as_deref()
        .map(|r| ("spec".to_string(), r))
        .into_iter()
        .chain(
            items(&object.specs)
                .iter()
                .enumerate()
                .map(|(k, r)| (format!("specs[{k}]"), r)),
        );
    for (prefix, rule) in rules {
        // Rule.Sanitize: default deny follows the presence of a section unless set.
        let sections = items(&rule.egress).len() + rule.egress_deny;
        out.restricts |= sections > 0 && rule.default_deny_egress != Some(false);
        for (i, egress) in items(&rule.egress).iter().enumerate() {
            let path = format!("{prefix}.egress[{i}]");
            let allowance = cilium_rule(&mut out.invalid, path, egress);
            out.allowances.push(allowance);
        }
    }
    out
}

fn cilium_rule<'a>(
    invalid: &mut Vec<(String, String)>,
    path: String,
    rule: &Node<'a>,
) -> Allowance<'a> {
    let mut peers = Vec::new();
    for (j, cidr) in items(&rule.to_cidr).iter().enumerate() {
        peers.push(Peer::Block(Block {
            path: format!("{path}.toCIDR[{j}]"),
            cidr: cidr.0.clone(),
            address_allowed: true,
            entity: None,
            except: Vec::new(),
            except_field: None,
        }));
    }
    for (j, set) in items(&rule.to_cidr_set).iter().enumerate() {
        let at = format!("{path}.toCIDRSet[{j}]");
        if let Some(group) = &set.cidr_group_ref {
            peers.push(Peer::Unrestricted {
                path: format!("{at}.cidrGroupRef"),
                message: format!(
                    "{group:?} takes its blocks from a CiliumCIDRGroup, which cannot be checked \
                     at admission; list the blocks in toCIDRSet[].cidr {UNRESTRICTED_HINT}"
                ),
            });
        }
        if set.cidr_group_selector {
            peers.push(Peer::Unrestricted {
                path: format!("{at}.cidrGroupSelector"),
                message: format!(
                    "takes its blocks from CiliumCIDRGroups, which cannot be checked at \
                     admission; list the blocks in toCIDRSet[].cidr {UNRESTRICTED_HINT}"
                ),
            });
        }
        match &set.cidr {
            Some(cidr) => peers.push(Peer::Block(Block {
                path: format!("{at}.cidr"),
                cidr: cidr.clone(),
                address_allowed: true,
                entity: None,
                except: strings(&set.except),
                except_field: Some(format!("{at}.except")),
            })),
            None if set.cidr_group_ref.is_none() && !set.cidr_group_selector => invalid.push((
                at,
                "has no cidr, cidrGroupRef or cidrGroupSelector; Cilium refuses it".to_string(),
            )),
            None => {}
        }
    }
    for (j, entity) in items(&rule.to_entities).iter().enumerate() {
        let at = format!("{path}.toEntities[{j}]");
        let world = |entity: &'static str, cidr: &'static str| {
            Peer::Block(Block {
                path: at.clone(),
                cidr: Cow::Borrowed(cidr),
                address_allowed: false,
                entity: Some(entity),
                except: Vec::new(),
                except_field: None,
            })
        };
        match &*entity.0 {
            "world" => {
                peers.push(world("world", "0.0.0.0/0"));
                peers.push(world("world", "::/0"));
            }
            "world-ipv4" => peers.push(world("world-ipv4", "0.0.0.0/0")),
            "world-ipv6" => peers.push(world("world-ipv6", "::/0")),
            "all" => peers.push(Peer::Unrestricted {
                path: at.clone(),
                message: format!(
                    "\"all\" allows traffic to every destination, inside the cluster and out; \
                     list the destinations {UNRESTRICTED_HINT}"
                ),
            }),
            "cluster" | "host" | "remote-node" | "kube-apiserver" | "init" | "health"
            | "unmanaged" | "ingress" | "none" => {}
            other => invalid.push((
                at.clone(),
                format!(
                    "{other:?} is not an entity Cilium knows (world, world-ipv4, world-ipv6, \
                     all, cluster, host, remote-node, kube-apiserver, init, health, unmanaged, \
                     ingress, none)"
                ),
            )),
        }
    }
    for (j, fqdn) in items(&rule.to_fqdns).iter().enumerate() {
        let at = format!("{path}.toFQDNs[{j}]");
        if let Some(name) = &fqdn.match_name {
            peers.push(Peer::Name {
                path: format!("{at}.matchName"),
                pattern: name.clone(),
            });
        }
        if let Some(pattern) = &fqdn.match_pattern {
            peers.push(Peer::Name {
                path: format!("{at}.matchPattern"),
                pattern: pattern.clone(),
            });
        }
        if fqdn.match_name.is_none() && fqdn.match_pattern.is_none() {
            invalid.push((at, "has neither matchName nor matchPattern".to_string()));
        }
    }
    if rule.to_groups > 0 {
        peers.push(Peer::Unrestricted {
            path: format!("{path}.toGroups"),
            message: format!(
                "takes its addresses from a cloud provider's security groups, which cannot be \
                 checked at admission; list the blocks in toCIDRSet {UNRESTRICTED_HINT}"
            ),
        });
    }
    // EgressRule.AllowsWildcarding: no peer field at all (toRequires, toServices and toFQDNs
    // count even when they allow nothing themselves) means every destination.
    let named = items(&rule.to_cidr).len()
        + items(&rule.to_cidr_set).len()
        + items(&rule.to_entities).len()
        + items(&rule.to_fqdns).len()
        + rule.in_cluster
        + rule.to_requires
        + rule.to_groups;
    if named == 0 {
        peers.push(Peer::Unrestricted {
            path: path.clone(),
            message: format!(
                "has no toEndpoints, toCIDR, toCIDRSet, toEntities, toFQDNs, toServices, \
                 toNodes or toGroups, so it allows traffic to every destination, inside the \
                 cluster and out; list the destinations {UNRESTRICTED_HINT}"
            ),
        });
    }
    let ports = rule
        .to_ports
        .as_ref()
        .filter(|p| !p.is_empty())
        .map(|to_ports| {
            let mut entries = Vec::new();
            for (k, item) in to_ports.iter().enumerate() {
                let at = format!("{path}.toPorts[{k}]");
                if items(&item.ports).is_empty() {
                    entries.push(PortEntry {
                        path: at.clone(),
                        ranges: Ok(ANY.iter().map(|p| PortRange::all(*p)).collect()),
                    });
                }
                for (m, port) in items(&item.ports).iter().enumerate() {
                    let at = format!("{at}.ports[{m}]");
                    let ranges = match port {
                        PortItem::Object(port) => cilium_port(port),
                        _ => Err("is not a port object (port, endPort, protocol)".to_string()),
                    };
                    entries.push(PortEntry { path: at, ranges });
                }
            }
            entries
        });
    Allowance {
        path,
        peers,
        ports,
        ports_field: "egress[].toPorts",
    }
}

/// A Cilium `PortProtocol`: `port` a number as a string (or a JSON number), `0` or absent for
/// every port, else a port name; `endPort`; `protocol` TCP, UDP, SCTP or ANY (the default).
fn cilium_port(port: &Node<'_>) -> Result<Vec<PortRange>, String> {
    let protocols: Vec<Protocol> = match &port.protocol {
        None => ANY.to_vec(),
        Some(IntOrString::Str(p)) if p.eq_ignore_ascii_case("ANY") => ANY.to_vec(),
        Some(IntOrString::Str(p)) => match Protocol::parse(&p.to_ascii_uppercase()) {
            Some(p) => vec![p],
            None => {
                return Err(format!(
                    "protocol {p:?} has no ports that allowedPorts could admit; use TCP, UDP, \
                     SCTP or ANY"
                ));
            }
        },
        Some(IntOrString::Int(n)) => return Err(format!("protocol {n} is not a protocol name")),
    };
    let number = match &port.port {
        None => 0,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::Str(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<i64>().unwrap_or(i64::MAX)
        }
        Some(IntOrString::Str(s)) if s.is_empty() => 0,
        Some(IntOrString::Str(name)) => {
            return Err(format!(
                "is the named port {name:?}, which cannot be checked: its number depends on \
                 the destination pod; use the port number"
            ));
        }
    };
    let (first, last) = match (number, port.end_port) {
        (0, _) => (1, u16::MAX),
        (n, end) => {
            let first = u16::try_from(n)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("port {n} is not from 1 to 65535"))?;
            let last = match end {
                None | Some(0) => first,
                Some(e) => u16::try_from(e)
                    .ok()
                    .filter(|e| *e >= first)
                    .ok_or_else(|| format!("endPort {e} is not from port {first} to 65535"))?,
            };
            (first, last)
        }
    };
    Ok(protocols
        .into_iter()
        .map(|protocol| PortRange {
            protocol,
            first,
            last,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Calico

/// A Calico NetworkPolicy's or GlobalNetworkPolicy's egress: its `Allow` rules.
pub fn from_calico<'a>(object: &Node<'a>) -> Egress<'a> {
    let mut out = Egress::default();
    let Some(spec) = object.spec.as_deref() else {
        return out;
    };
    let rules = items(&spec.egress);
    // defaultPolicyTypesField: without `types`, egress rules make it an Egress policy.
    out.restricts = match &spec.types {
        Some(types) if !types.is_empty() => types.iter().any(|t| &**t == "Egress"),
        _ => !rules.is_empty(),
    };
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("spec.egress[{i}]");
        match rule.action.as_deref() {
            Some(a) if a.eq_ignore_ascii_case("Allow") => {}
            Some("Deny" | "Pass" | "Log") => continue,
            Some(other) => {
                out.invalid.push((
                    format!("{path}.action"),
                    format!("{other:?} is not Allow, Deny, Pass or Log"),
                ));
                continue;
            }
            None => {
                out.invalid.push((
                    path,
                    "has no action; Calico requires Allow, Deny, Pass or Log".to_string(),
                ));
                continue;
            }
        }
        let allowance = calico_rule(path, rule);
        out.allowances.push(allowance);
    }
    out
}

fn calico_rule<'a>(path: String, rule: &Node<'a>) -> Allowance<'a> {
    static EMPTY: Node<'static> = Node {
        spec: None,
        specs: None,
        egress: None,
        egress_deny: 0,
        default_deny_egress: None,
        types: None,
        to_cidr: None,
        to_cidr_set: None,
        to_entities: None,
        to_fqdns: None,
        in_cluster: 0,
        to_requires: 0,
        to_groups: 0,
        to_ports: None,
        cidr: None,
        except: None,
        cidr_group_ref: None,
        cidr_group_selector: false,
        match_name: None,
        match_pattern: None,
        ports: None,
        port: None,
        end_port: None,
        protocol: None,
        action: None,
        destination: None,
        nets: None,
        not_nets: None,
        domains: None,
    };
    let destination = rule.destination.as_deref().unwrap_or(&EMPTY);
    let mut peers = Vec::new();
    let except = strings(&destination.not_nets);
    for (j, net) in items(&destination.nets).iter().enumerate() {
        peers.push(Peer::Block(Block {
            path: format!("{path}.destination.nets[{j}]"),
            cidr: net.0.clone(),
            address_allowed: true,
            entity: None,
            except: except.clone(),
            except_field: Some(format!("{path}.destination.notNets")),
        }));
    }
    for (j, domain) in items(&destination.domains).iter().enumerate() {
        peers.push(Peer::Name {
            path: format!("{path}.destination.domains[{j}]"),
            pattern: domain.0.clone(),
        });
    }
    if peers.is_empty() && destination.in_cluster == 0 {
        peers.push(Peer::Unrestricted {
            path: path.clone(),
            message: format!(
                "allows traffic to every destination, inside the cluster and out: its \
                 destination names no nets, domains, selector, namespaceSelector, \
                 serviceAccounts or services; list the destinations {UNRESTRICTED_HINT}"
            ),
        });
    }
    let protocol = match &rule.protocol {
        None => None,
        Some(IntOrString::Int(6)) => Some(Ok(Protocol::Tcp)),
        Some(IntOrString::Int(17)) => Some(Ok(Protocol::Udp)),
        Some(IntOrString::Int(132)) => Some(Ok(Protocol::Sctp)),
        Some(IntOrString::Int(n)) => Some(Err(n.to_string())),
        Some(IntOrString::Str(p)) => {
            Some(Protocol::parse(&p.to_ascii_uppercase()).ok_or_else(|| format!("{p:?}")))
        }
    };
    let listed = items(&destination.ports);
    let ports = match (protocol, listed.is_empty()) {
        (None, true) => None,
        (None, false) => Some(vec![PortEntry {
            path: format!("{path}.destination.ports"),
            ranges: Err(
                "needs the rule's protocol to be TCP, UDP or SCTP; Calico refuses ports without \
                 one"
                .to_string(),
            ),
        }]),
        (Some(Err(p)), _) => Some(vec![PortEntry {
            path: format!("{path}.protocol"),
            ranges: Err(format!(
                "{p} has no ports that allowedPorts could admit; use TCP, UDP or SCTP"
            )),
        }]),
        (Some(Ok(protocol)), true) => Some(vec![PortEntry {
            path: format!("{path}.protocol"),
            ranges: Ok(vec![PortRange::all(protocol)]),
        }]),
        (Some(Ok(protocol)), false) => Some(
            listed
                .iter()
                .enumerate()
                .map(|(k, item)| PortEntry {
                    path: format!("{path}.destination.ports[{k}]"),
                    ranges: calico_port(protocol, item).map(|r| vec![r]),
                })
                .collect(),
        ),
    };
    Allowance {
        path,
        peers,
        ports,
        ports_field: "egress[].destination.ports (with a protocol)",
    }
}

/// A Calico port: a number, `"first:last"`, a number as a string, or a name.
fn calico_port(protocol: Protocol, item: &PortItem<'_>) -> Result<PortRange, String> {
    let number = |text: &str| -> Result<u16, String> {
        text.parse::<u16>()
            .ok()
            .filter(|n| *n >= 1 && text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("{text:?} is not a port number from 1 to 65535"))
    };
    let (first, last) = match item {
        PortItem::Number(n) => {
            let n = u16::try_from(*n)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("port {n} is not from 1 to 65535"))?;
            (n, n)
        }
        PortItem::Text(text) => match text.split_once(':') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(format!("{text:?}: the range ends before it starts"));
                }
                (a, b)
            }
            None if text.bytes().any(|b| b.is_ascii_alphabetic()) => {
                return Err(format!(
                    "is the named port {text:?}, which cannot be checked: its number depends on \
                     the destination; use the port number"
                ));
            }
            None => {
                let n = number(text)?;
                (n, n)
            }
        },
        PortItem::Object(_) => return Err("is an object, not a port".to_string()),
    };
    Ok(PortRange {
        protocol,
        first,
        last,
    })
}

// ---------------------------------------------------------------------------------------------
// DNS names

/// A DNS name or pattern as Cilium compares them: trimmed, lower case, without the final dot.
pub fn normalize_fqdn(text: &str) -> String {
    let text = text.trim().to_ascii_lowercase();
    match text.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_string(),
        _ => text,
    }
}

/// Whether `pattern` allows every name: `*` alone (Cilium's matchpattern `ToAnchoredRegexp`
/// turns it into "one or more labels of any characters").
pub fn fqdn_allows_all(pattern: &str) -> bool {
    normalize_fqdn(pattern) == "*"
}

/// Whether every name `rule` matches is matched by the allowed pattern `allowed`, per Cilium's
/// pkg/fqdn/matchpattern (`ToAnchoredRegexp`): `*` alone matches every name; a leading `**.`
/// matches one or more whole labels; any other `*` matches zero or more characters of one
/// label (`[-a-zA-Z0-9_]`, never a dot). A name (matchName) is a pattern without `*`. A `*`
/// in `rule` is covered only by a `*` label of `allowed` (or the same label), so coverage is
/// decided conservatively: never "covered" when some name of `rule` is not.
pub fn fqdn_covers(allowed: &str, rule: &str) -> bool {
    let (allowed, rule) = (normalize_fqdn(allowed), normalize_fqdn(rule));
    if allowed == "*" {
        return true;
    }
    if rule == "*" {
        return false;
    }
    let a: Vec<&str> = allowed.split('.').collect();
    let r: Vec<&str> = rule.split('.').collect();
    match (a.split_first(), r.split_first()) {
        (Some((&"**", a_rest)), Some((_, r_rest))) if !a_rest.is_empty() => {
            // One or more labels (the rule's first label, or its own `**`), then the rest.
            r_rest.len() >= a_rest.len()
                && labels_cover(a_rest, &r_rest[r_rest.len() - a_rest.len()..])
        }
        (_, Some((&"**", r_rest))) if !r_rest.is_empty() => false,
        _ => a.len() == r.len() && labels_cover(&a, &r),
    }
}

fn labels_cover(allowed: &[&str], rule: &[&str]) -> bool {
    allowed.iter().zip(rule).all(|(a, r)| {
        if r.contains('*') {
            *a == "*" || a == r
        } else {
            glob(a.as_bytes(), r.as_bytes())
        }
    })
}

/// `*` matches any run of characters within a label; greedy with one backtracking point, so
/// linear in the lengths whatever the number of stars.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cilium(json: &str) -> Vec<String> {
        let node: Node = serde_json::from_str(json).unwrap();
        describe(&from_cilium(&node))
    }

    fn calico(json: &str) -> Vec<String> {
        let node: Node = serde_json::from_str(json).unwrap();
        describe(&from_calico(&node))
    }

    /// One line per peer, port entry and invalid field.
    fn describe(egress: &Egress<'_>) -> Vec<String> {
        let mut out = vec![format!("restricts={}", egress.restricts)];
        for a in &egress.allowances {
            for p in &a.peers {
                out.push(match p {
                    Peer::Block(b) => format!(
                        "{} block {} except {:?}{}",
                        b.path,
                        b.cidr,
                        b.except,
                        b.entity.map(|e| format!(" entity {e}")).unwrap_or_default()
                    ),
                    Peer::Name { path, pattern } => format!("{path} name {pattern}"),
                    Peer::Namespaces { path, .. } => format!("{path} namespaces"),
                    Peer::Unrestricted { path, .. } => format!("{path} unrestricted"),
                });
            }
            match &a.ports {
                None => out.push(format!("{} every port", a.path)),
                Some(entries) => {
                    for e in entries {
                        out.push(match &e.ranges {
                            Ok(r) => format!(
                                "{} {}",
                                e.path,
                                r.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(",")
                            ),
                            Err(m) => format!("{} error {m}", e.path),
                        });
                    }
                }
            }
        }
        for (path, message) in &egress.invalid {
            out.push(format!("{path} invalid {message}"));
        }
        out
    }

    #[test]
    fn cilium_rules() {
        let got = cilium(
            r#"{"spec":{"egress":[
                {"toCIDR":["10.0.0.1","192.168.0.0/16"],"toPorts":[{"ports":[{"port":"443","protocol":"TCP"}]}]},
                {"toCIDRSet":[{"cidr":"0.0.0.0/0","except":["169.254.0.0/16"]},{"cidrGroupRef":"g"}]},
                {"toEntities":["world","cluster","all","bogus"]},
                {"toFQDNs":[{"matchName":"api.example.com"},{"matchPattern":"*.example.com"},{}],
                 "toPorts":[{"ports":[{"port":"8000","endPort":8100},{"port":"https"},{"port":"0","protocol":"udp"}]},{}]},
                {"toEndpoints":[{}]},
                {"toPorts":[{"ports":[{"port":"53","protocol":"ANY"}]}]},
                {"toRequires":[{}]}
            ],"egressDeny":[{"toCIDR":["1.1.1.1/32"]}]},
            "specs":[{"egress":[{"toGroups":[{"aws":{}}]}],"enableDefaultDeny":{"egress":false}}]}"#,
        );
        let want = [
            "restricts=true",
            "spec.egress[0].toCIDR[0] block 10.0.0.1 except []",
            "spec.egress[0].toCIDR[1] block 192.168.0.0/16 except []",
            "spec.egress[0].toPorts[0].ports[0] 443/TCP",
            "spec.egress[1].toCIDRSet[0].cidr block 0.0.0.0/0 except [\"169.254.0.0/16\"]",
            "spec.egress[1].toCIDRSet[1].cidrGroupRef unrestricted",
            "spec.egress[1] every port",
            "spec.egress[2].toEntities[0] block 0.0.0.0/0 except [] entity world",
            "spec.egress[2].toEntities[0] block ::/0 except [] entity world",
            "spec.egress[2].toEntities[2] unrestricted",
            "spec.egress[2] every port",
            "spec.egress[3].toFQDNs[0].matchName name api.example.com",
            "spec.egress[3].toFQDNs[1].matchPattern name *.example.com",
            "spec.egress[3].toPorts[0].ports[0] 8000-8100/TCP,8000-8100/UDP,8000-8100/SCTP",
            "spec.egress[3].toPorts[0].ports[1] error is the named port \"https\", which cannot \
             be checked: its number depends on the destination pod; use the port number",
            "spec.egress[3].toPorts[0].ports[2] 1-65535/UDP",
            "spec.egress[3].toPorts[1] 1-65535/TCP,1-65535/UDP,1-65535/SCTP",
            "spec.egress[4] every port",
            "spec.egress[5] unrestricted",
            "spec.egress[5].toPorts[0].ports[0] 53/TCP,53/UDP,53/SCTP",
            "spec.egress[6] every port",
            "specs[0].egress[0].toGroups unrestricted",
            "specs[0].egress[0] every port",
            "spec.egress[2].toEntities[3] invalid \"bogus\" is not an entity Cilium knows \
             (world, world-ipv4, world-ipv6, all, cluster, host, remote-node, kube-apiserver, \
             init, health, unmanaged, ingress, none)",
            "spec.egress[3].toFQDNs[2] invalid has neither matchName nor matchPattern",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn cilium_egress_isolation() {
        assert_eq!(cilium(r#"{"spec":{"egress":[]}}"#), ["restricts=false"]);
        assert_eq!(
            cilium(r#"{"spec":{"egressDeny":[{}]}}"#),
            ["restricts=true"]
        );
        assert_eq!(
            cilium(r#"{"spec":{"egress":[{"toEndpoints":[{}]}],"enableDefaultDeny":{"egress":false}}}"#),
            ["restricts=false", "spec.egress[0] every port"]
        );
        assert_eq!(cilium(r#"{"spec":null,"specs":null}"#), ["restricts=false"]);
    }

    #[test]
    fn calico_rules() {
        let got = calico(
            r#"{"spec":{"egress":[
                {"action":"Allow","protocol":"TCP","destination":{"nets":["10.0.0.0/8","1.2.3.4"],"notNets":["10.1.0.0/16"],"ports":[443,"8000:8100","http"]}},
                {"action":"Deny","destination":{"nets":["0.0.0.0/0"]}},
                {"action":"Pass"},
                {"action":"Allow"},
                {"action":"Allow","protocol":17,"destination":{"selector":"k8s-app == 'kube-dns'"}},
                {"action":"Allow","destination":{"domains":["*.example.com"],"ports":[443]}},
                {"action":"Allow","protocol":"ICMP","destination":{"notNets":["10.0.0.0/8"]}},
                {"action":"Bogus"},
                {}
            ]}}"#,
        );
        let want = [
            "restricts=true",
            "spec.egress[0].destination.nets[0] block 10.0.0.0/8 except [\"10.1.0.0/16\"]",
            "spec.egress[0].destination.nets[1] block 1.2.3.4 except [\"10.1.0.0/16\"]",
            "spec.egress[0].destination.ports[0] 443/TCP",
            "spec.egress[0].destination.ports[1] 8000-8100/TCP",
            "spec.egress[0].destination.ports[2] error is the named port \"http\", which cannot \
             be checked: its number depends on the destination; use the port number",
            "spec.egress[3] unrestricted",
            "spec.egress[3] every port",
            "spec.egress[4].protocol 1-65535/UDP",
            "spec.egress[5].destination.domains[0] name *.example.com",
            "spec.egress[5].destination.ports error needs the rule's protocol to be TCP, UDP or \
             SCTP; Calico refuses ports without one",
            "spec.egress[6] unrestricted",
            "spec.egress[6].protocol error \"ICMP\" has no ports that allowedPorts could admit; \
             use TCP, UDP or SCTP",
            "spec.egress[7].action invalid \"Bogus\" is not Allow, Deny, Pass or Log",
            "spec.egress[8] invalid has no action; Calico requires Allow, Deny, Pass or Log",
        ];
        assert_eq!(got, want);
        assert_eq!(
            calico(r#"{"spec":{"types":["Ingress"],"egress":[{"action":"Deny"}]}}"#),
            ["restricts=false"]
        );
        assert_eq!(
            calico(r#"{"spec":{"types":["Egress"]}}"#),
            ["restricts=true"]
        );
        assert_eq!(calico(r#"{"spec":null}"#), ["restricts=false"]);
    }

    #[test]
    fn unreadable_fields_are_errors() {
        for json in [
            r#"{"spec":{"egress":{}}}"#,
            r#"{"spec":{"egress":[{"toCIDR":"10.0.0.0/8"}]}}"#,
            r#"{"spec":{"egress":[{"toPorts":[{"ports":[true]}]}]}}"#,
            r#"{"spec":{"egress":[{"toPorts":[{"ports":[{"endPort":"x"}]}]}]}}"#,
            r#"{"spec":{"enableDefaultDeny":{"egress":"no"}}}"#,
            r#"{"spec":[]}"#,
        ] {
            assert!(serde_json::from_str::<Node>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn fqdn_coverage() {
        let cases = [
            ("*", "*", true),
            ("*", "anything.example.com", true),
            ("*.example.com", "*", false),
            ("*.example.com", "api.example.com", true),
            ("*.example.com", "API.Example.com.", true),
            ("*.example.com", "a.b.example.com", false),
            ("*.example.com", "example.com", false),
            ("*.example.com", "*.example.com", true),
            ("api-*.example.com", "api-1.example.com", true),
            ("api-*.example.com", "*.example.com", false),
            ("**.example.com", "a.b.example.com", true),
            ("**.example.com", "*.example.com", true),
            ("**.example.com", "**.example.com", true),
            ("**.example.com", "example.com", false),
            ("*.example.com", "**.example.com", false),
            ("api.example.com", "api.example.com", true),
            ("api.example.com", "api.example.org", false),
            ("api.example.com", "*.example.com", false),
        ];
        for (allowed, rule, want) in cases {
            assert_eq!(fqdn_covers(allowed, rule), want, "{allowed} covers {rule}");
        }
        assert!(fqdn_allows_all(" * "));
        assert!(!fqdn_allows_all("*.com"));
    }

    #[test]
    fn glob_never_panics() {
        for (p, t) in [("", ""), ("*", ""), ("**", "a"), ("a*b*c", "abc"), ("a*", "b")] {
            let _ = glob(p.as_bytes(), t.as_bytes());
        }
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(!glob(b"a*b", b"ac"));
    }

    /// Cilium's matching of one concrete name, written directly from the semantics.
    fn matches(pattern: &str, name: &str) -> bool {
        let (p, n) = (normalize_fqdn(pattern), normalize_fqdn(name));
        if p == "*" {
            return !n.is_empty();
        }
        let p: Vec<&str> = p.split('.').collect();
        let n: Vec<&str> = n.split('.').collect();
        let label = |p: &&str, n: &&str| glob(p.as_bytes(), n.as_bytes());
        match p.split_first() {
            Some((&"**", rest)) if !rest.is_empty() => {
                n.len() > rest.len() && rest.iter().zip(&n[n.len() - rest.len()..]).all(|(p, n)| label(p, n))
            }
            _ => p.len() == n.len() && p.iter().zip(&n).all(|(p, n)| label(p, n)),
        }
    }

    proptest::proptest! {
        /// Coverage is sound: a name the rule's pattern matches is matched by the allowed one.
        #[test]
        fn coverage_is_sound(
            allowed in "(\\*\\*\\.)?([ab*]{1,2}\\.){0,2}[ab*]{1,2}",
            rule in "(\\*\\*\\.)?([ab*]{1,2}\\.){0,2}[ab*]{1,2}",
            name in "([ab]{1,2}\\.){0,4}[ab]{1,2}",
        ) {
            if fqdn_covers(&allowed, &rule) && matches(&rule, &name) {
                proptest::prop_assert!(matches(&allowed, &name), "{allowed} {rule} {name}");
            }
        }

        /// Any object converts without panicking, whatever its fields hold.
        #[test]
        fn conversion_never_panics(json in "\\{\"spec\":\\{\"egress\":\\[\\{(\"(toCIDR|nets|toEntities)\":\\[\"[0-9a-z:./*-]{0,12}\"\\]|\"toPorts\":\\[\\{\"ports\":\\[\\{\"port\":\"[0-9a-z]{0,6}\",\"endPort\":-?[0-9]{1,6}\\}\\]\\}\\]|\"action\":\"Allow\",\"protocol\":-?[0-9]{1,4},\"destination\":\\{\"ports\":\\[\"[0-9:a]{0,8}\"\\]\\})\\}\\]\\}\\}") {
            if let Ok(node) = serde_json::from_str::<Node>(&json) {
                let _ = describe(&from_cilium(&node));
                let _ = describe(&from_calico(&node));
            }
        }
    }
}
