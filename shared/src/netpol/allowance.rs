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
//! `EgressRule.Validate`, `sanitize` in older releases, in rule_validation.go, which refuses
//! most combinations of peer fields in one rule: this model ORs whatever it is given, which can
//! only count more as allowed, never less):
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
//! `destination.ports` (numbers, `"80:90"` ranges, names) need a `protocol` that supports
//! ports (`Protocol.SupportsPorts`; recent releases take named ports without one); TCP, UDP
//! and SCTP are read (names in any case, or 6, 17, 132), any other protocol has no port
//! `allowedPorts` could admit. A rule with a protocol and no ports allows every port of it, one
//! without a protocol every port of every protocol.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::netpol::egress::NetworkPolicy;
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
    Name {
        path: String,
        pattern: Cow<'a, str>,
    },
    /// A Kubernetes peer's `namespaceSelector`.
    Namespaces {
        path: String,
        selector: LabelSelector<'a>,
    },
    /// Every destination, or ones that cannot be known at admission; the sentence follows the
    /// path.
    Unrestricted {
        path: String,
        message: Cow<'static, str>,
    },
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

/// `sentence` followed by the setting that accepts it.
macro_rules! unrestricted {
    ($($text:expr),+) => {
        Cow::Borrowed(concat!($($text),+, " (or allowUnrestrictedPeers: true)"))
    };
}

macro_rules! every_destination {
    () => {
        "allows traffic to every destination, inside the cluster and out"
    };
}

/// `base.key` (or `key` at the top): one function for every path, rather than a `format!` at
/// each place that names a field.
#[inline(never)]
fn field(base: &str, key: &str) -> String {
    let mut path = String::with_capacity(base.len() + key.len() + 1);
    path.push_str(base);
    if !base.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    path
}

/// `base[i]`. Every element of every rule gets its path whether or not a message will name it,
/// so it is written without `format!`'s machinery (5 % of an egress request's time natively).
#[inline(never)]
fn index(base: &str, i: usize) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(i);
    let mut path = String::with_capacity(base.len() + digits.len() + 2);
    path.push_str(base);
    path.push('[');
    path.push_str(digits);
    path.push(']');
    path
}

// ---------------------------------------------------------------------------------------------
// Kubernetes NetworkPolicy

/// A Kubernetes NetworkPolicy's egress rules.
#[inline]
pub fn from_network_policy(policy: NetworkPolicy<'_>) -> Egress<'_> {
    let restricts = policy.spec.affects_egress();
    let mut allowances = Vec::new();
    for (i, rule) in policy.spec.egress.into_iter().enumerate() {
        let path = index("spec.egress", i);
        let mut peers = Vec::new();
        if rule.to.is_empty() {
            peers.push(Peer::Unrestricted {
                path: path.clone(),
                message: unrestricted!(
                    "has no `to`, so it ",
                    every_destination!(),
                    "; list the destinations in spec.egress[].to"
                ),
            });
        }
        let to = field(&path, "to");
        for (j, peer) in rule.to.into_iter().enumerate() {
            let at = index(&to, j);
            if let Some(b) = peer.ip_block {
                peers.push(block(
                    field(&at, "ipBlock.cidr"),
                    b.cidr,
                    false,
                    b.except,
                    Some(field(&at, "ipBlock.except")),
                ));
            }
            if let Some(selector) = peer.namespace_selector {
                peers.push(Peer::Namespaces {
                    path: field(&at, "namespaceSelector"),
                    selector,
                });
            }
        }
        let ports = (!rule.ports.is_empty()).then(|| {
            let at = field(&path, "ports");
            let mut entries = Vec::new();
            for (j, port) in rule.ports.iter().enumerate() {
                entries.push(PortEntry {
                    path: index(&at, j),
                    ranges: resolve(port).map(|r| vec![r]),
                });
            }
            entries
        });
        allowances.push(Allowance {
            path,
            peers,
            ports,
            ports_field: "spec.egress[].ports",
        });
    }
    Egress {
        allowances,
        restricts,
        invalid: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The view of Cilium and Calico objects

/// A Cilium or Calico policy object as a lean JSON tree: the keys this module reads are kept
/// (with strings borrowed from the request), every other key is skipped unread. One reader for
/// both APIs and every level keeps the module small (each type serde reads costs kilobytes of
/// wasm); the conversions below check the types themselves and report a field of the wrong type
/// by its path ([`Egress::invalid`]), so an object that does not read as its API means it is
/// rejected, never judged on a guess.
#[derive(Debug, Default)]
pub enum Item<'a> {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Text(Cow<'a, str>),
    List(Vec<Item<'a>>),
    Object(Vec<(&'static str, Item<'a>)>),
    /// A number that is not an integer.
    Other,
}

/// The keys kept: Cilium's rule, egress rule, CIDR set, FQDN selector and port fields, Calico's
/// rule and entity fields.
const KEYS: &[&str] = &[
    "spec",
    "specs",
    "egress",
    "egressDeny",
    "enableDefaultDeny",
    "types",
    "toCIDR",
    "toCIDRSet",
    "toEntities",
    "toFQDNs",
    "toEndpoints",
    "toServices",
    "toNodes",
    "toRequires",
    "toGroups",
    "toPorts",
    "cidr",
    "except",
    "cidrGroupRef",
    "cidrGroupSelector",
    "matchName",
    "matchPattern",
    "ports",
    "port",
    "endPort",
    "protocol",
    "action",
    "destination",
    "nets",
    "notNets",
    "domains",
    "selector",
    "namespaceSelector",
    "serviceAccounts",
    "services",
];

static NULL: Item<'static> = Item::Null;

impl<'a> Item<'a> {
    /// The value of `key` in an object; null when absent or when this is not an object.
    #[inline]
    pub fn get(&self, key: &str) -> &Item<'a> {
        match self {
            Item::Object(fields) => fields
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }

    #[inline]
    fn describe(&self) -> &'static str {
        match self {
            Item::Null => "null",
            Item::Bool(_) => "a boolean",
            Item::Int(_) | Item::Other => "a number",
            Item::Text(_) => "a string",
            Item::List(_) => "a list",
            Item::Object(_) => "an object",
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Item<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(ItemVisitor(PhantomData))
    }
}

struct ItemVisitor<'a>(PhantomData<Item<'a>>);

impl<'de: 'a, 'a> Visitor<'de> for ItemVisitor<'a> {
    type Value = Item<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Item::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Item::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Item::Int(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Item::Int(i64::try_from(n).unwrap_or(i64::MAX)))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Item::Other)
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Item::Text(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Item::Text(Cow::Owned(s.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Item::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: Vec<(&'static str, Item<'a>)> = Vec::new();
        while let Some(key) = map.next_key::<Borrowed<'de>>()? {
            let Some(key) = KEYS.iter().find(|k| **k == &*key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value = map.next_value()?;
            // A key given twice keeps its last value, as Go's encoding/json does.
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => fields.push((key, value)),
            }
        }
        Ok(Item::Object(fields))
    }
}

/// Typed reads of an [`Item`], recording each field of the wrong type in `invalid`.
struct Read<'i> {
    invalid: &'i mut Vec<(String, String)>,
}

impl Read<'_> {
    #[inline]
    fn wrong(&mut self, path: String, item: &Item<'_>, want: &str) {
        self.invalid.push((
            path,
            format!(
                "is {}, not {want}; the object cannot be read",
                item.describe()
            ),
        ));
    }

    /// `key` of `node` as a list: absent or null is empty.
    #[inline]
    fn list<'n, 'a>(&mut self, node: &'n Item<'a>, key: &str, base: &str) -> &'n [Item<'a>] {
        match node.get(key) {
            Item::Null => &[],
            Item::List(items) => items,
            other => {
                self.wrong(field(base, key), other, "a list");
                &[]
            }
        }
    }

    #[inline]
    fn text<'n, 'a>(
        &mut self,
        node: &'n Item<'a>,
        key: &str,
        base: &str,
    ) -> Option<&'n Cow<'a, str>> {
        match node.get(key) {
            Item::Null => None,
            Item::Text(text) => Some(text),
            other => {
                self.wrong(field(base, key), other, "a string");
                None
            }
        }
    }

    /// `key` as a list of strings.
    #[inline]
    fn texts<'a>(&mut self, node: &Item<'a>, key: &str, base: &str) -> Vec<(String, Cow<'a, str>)> {
        let mut out = Vec::new();
        let items = self.list(node, key, base);
        if items.is_empty() {
            return out;
        }
        let at = field(base, key);
        for (i, item) in items.iter().enumerate() {
            let path = index(&at, i);
            match item {
                Item::Text(text) => out.push((path, text.clone())),
                other => self.wrong(path, other, "a string"),
            }
        }
        out
    }

    /// `key` as a list of objects, each with its path.
    #[inline]
    fn objects<'n, 'a>(
        &mut self,
        node: &'n Item<'a>,
        key: &str,
        base: &str,
    ) -> Vec<(String, &'n Item<'a>)> {
        let mut out = Vec::new();
        let items = self.list(node, key, base);
        if items.is_empty() {
            return out;
        }
        let at = field(base, key);
        for (i, item) in items.iter().enumerate() {
            let path = index(&at, i);
            match item {
                Item::Object(_) => out.push((path, item)),
                other => self.wrong(path, other, "an object"),
            }
        }
        out
    }

    /// `key` as an object; `None` when absent or null.
    #[inline]
    fn object<'n, 'a>(
        &mut self,
        node: &'n Item<'a>,
        key: &str,
        base: &str,
    ) -> Option<&'n Item<'a>> {
        match node.get(key) {
            Item::Null => None,
            object @ Item::Object(_) => Some(object),
            other => {
                self.wrong(field(base, key), other, "an object");
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cilium

/// A CiliumNetworkPolicy's or CiliumClusterwideNetworkPolicy's egress: the rules of `spec` and
/// of every item of `specs`.
#[inline]
pub fn from_cilium<'a>(object: &Item<'a>) -> Egress<'a> {
    let mut out = Egress::default();
    let mut read = Read {
        invalid: &mut out.invalid,
    };
    let mut rules: Vec<(String, &Item<'a>)> = Vec::new();
    if let Some(spec) = read.object(object, "spec", "") {
        rules.push(("spec".to_string(), spec));
    }
    for (k, spec) in read.list(object, "specs", "").iter().enumerate() {
        match spec {
            Item::Object(_) => rules.push((index("specs", k), spec)),
            other => read.wrong(index("specs", k), other, "an object"),
        }
    }
    for (prefix, rule) in rules {
        // Rule.Sanitize: default deny follows the presence of a section unless set.
        let egress = read.objects(rule, "egress", &prefix);
        let sections = egress.len() + read.list(rule, "egressDeny", &prefix).len();
        let deny = rule.get("enableDefaultDeny").get("egress");
        out.restricts |= sections > 0 && !matches!(deny, Item::Bool(false));
        for (path, egress) in egress {
            let allowance = cilium_rule(&mut read, path, egress);
            out.allowances.push(allowance);
        }
    }
    out
}

#[inline]
fn cilium_rule<'a>(read: &mut Read<'_>, path: String, rule: &Item<'a>) -> Allowance<'a> {
    let mut peers = Vec::new();
    let mut named = 0;
    for (at, cidr) in read.texts(rule, "toCIDR", &path) {
        named += 1;
        peers.push(block(at, cidr, true, Vec::new(), None));
    }
    for (at, set) in read.objects(rule, "toCIDRSet", &path) {
        named += 1;
        let group = read.text(set, "cidrGroupRef", &at);
        if let Some(group) = group {
            peers.push(Peer::Unrestricted {
                path: field(&at, "cidrGroupRef"),
                message: Cow::Owned(format!(
                    "{group:?} takes its blocks from a CiliumCIDRGroup, which cannot be checked \
                     at admission; list the blocks in toCIDRSet[].cidr (or \
                     allowUnrestrictedPeers: true)"
                )),
            });
        }
        let selector = !matches!(set.get("cidrGroupSelector"), Item::Null);
        if selector {
            peers.push(Peer::Unrestricted {
                path: field(&at, "cidrGroupSelector"),
                message: unrestricted!(
                    "takes its blocks from CiliumCIDRGroups, which cannot be checked at ",
                    "admission; list the blocks in toCIDRSet[].cidr"
                ),
            });
        }
        let cidr = read.text(set, "cidr", &at).cloned();
        let mut except = Vec::new();
        for (_, e) in read.texts(set, "except", &at) {
            except.push(e);
        }
        match cidr {
            Some(cidr) => peers.push(block(
                field(&at, "cidr"),
                cidr,
                true,
                except,
                Some(field(&at, "except")),
            )),
            None if group.is_none() && !selector => read.invalid.push((
                at,
                "has no cidr, cidrGroupRef or cidrGroupSelector; Cilium refuses it".to_string(),
            )),
            None => {}
        }
    }
    for (at, entity) in read.texts(rule, "toEntities", &path) {
        named += 1;
        let world: &[&'static str] = match &*entity {
            "world" => &["0.0.0.0/0", "::/0"],
            "world-ipv4" => &["0.0.0.0/0"],
            "world-ipv6" => &["::/0"],
            "all" => {
                peers.push(Peer::Unrestricted {
                    path: at,
                    message: unrestricted!(
                        "\"all\" ",
                        every_destination!(),
                        "; list the destinations"
                    ),
                });
                continue;
            }
            "cluster" | "host" | "remote-node" | "kube-apiserver" | "init" | "health"
            | "unmanaged" | "ingress" | "none" => continue,
            other => {
                read.invalid
                    .push((at, format!("{other:?} is not an entity Cilium knows")));
                continue;
            }
        };
        for cidr in world {
            let mut peer = block(at.clone(), Cow::Borrowed(*cidr), false, Vec::new(), None);
            if let Peer::Block(b) = &mut peer {
                b.entity = Some(match &*entity {
                    "world-ipv4" => "world-ipv4",
                    "world-ipv6" => "world-ipv6",
                    _ => "world",
                });
            }
            peers.push(peer);
        }
    }
    for (at, fqdn) in read.objects(rule, "toFQDNs", &path) {
        named += 1;
        let mut found = false;
        for key in ["matchName", "matchPattern"] {
            if let Some(pattern) = read.text(fqdn, key, &at) {
                found = true;
                peers.push(Peer::Name {
                    path: field(&at, key),
                    pattern: pattern.clone(),
                });
            }
        }
        if !found {
            read.invalid
                .push((at, "has neither matchName nor matchPattern".to_string()));
        }
    }
    for key in ["toEndpoints", "toServices", "toNodes", "toRequires"] {
        named += read.list(rule, key, &path).len();
    }
    if !read.list(rule, "toGroups", &path).is_empty() {
        named += 1;
        peers.push(Peer::Unrestricted {
            path: field(&path, "toGroups"),
            message: unrestricted!(
                "takes its addresses from a cloud provider's security groups, which cannot be ",
                "checked at admission; list the blocks in toCIDRSet"
            ),
        });
    }
    // EgressRule.AllowsWildcarding: no peer field at all (toRequires, toServices and toFQDNs
    // count even when they allow nothing themselves) means every destination.
    if named == 0 {
        peers.push(Peer::Unrestricted {
            path: path.clone(),
            message: unrestricted!(
                "has no toEndpoints, toCIDR, toCIDRSet, toEntities, toFQDNs, toServices, ",
                "toNodes or toGroups, so it ",
                every_destination!(),
                "; list the destinations"
            ),
        });
    }
    let to_ports = read.objects(rule, "toPorts", &path);
    let ports = (!to_ports.is_empty()).then(|| {
        let mut entries = Vec::new();
        for (at, item) in to_ports {
            let ports = read.objects(item, "ports", &at);
            if ports.is_empty() {
                entries.push(PortEntry {
                    path: at,
                    ranges: Ok(ranges(ANY, 1, u16::MAX)),
                });
            }
            for (at, port) in ports {
                let ranges = cilium_port(port);
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

#[inline]
fn block<'a>(
    path: String,
    cidr: Cow<'a, str>,
    address_allowed: bool,
    except: Vec<Cow<'a, str>>,
    except_field: Option<String>,
) -> Peer<'a> {
    Peer::Block(Block {
        path,
        cidr,
        address_allowed,
        entity: None,
        except,
        except_field,
    })
}

const NAMED_PORT: &str = "which cannot be checked: its number depends on the destination; use the \
                          port number";

/// A Cilium `PortProtocol`: `port` a number as a string (or a JSON number), `0` or absent for
/// every port, else a port name; `endPort`; `protocol` TCP, UDP, SCTP or ANY (the default).
#[inline]
fn cilium_port(port: &Item<'_>) -> Result<Vec<PortRange>, String> {
    let protocols: &[Protocol] = match port.get("protocol") {
        Item::Null => ANY,
        Item::Text(p) if p.eq_ignore_ascii_case("ANY") => ANY,
        Item::Text(p) => match Protocol::parse(&p.to_ascii_uppercase()) {
            Some(Protocol::Tcp) => &[Protocol::Tcp],
            Some(Protocol::Udp) => &[Protocol::Udp],
            Some(Protocol::Sctp) => &[Protocol::Sctp],
            None => {
                return Err(format!(
                    "protocol {p:?} has no ports that allowedPorts could admit; use TCP, UDP, \
                     SCTP or ANY"
                ));
            }
        },
        other => return Err(format!("protocol is {}, not a string", other.describe())),
    };
    let number = match port.get("port") {
        Item::Null => 0,
        Item::Int(n) => *n,
        Item::Text(s) if s.is_empty() => 0,
        Item::Text(s) if s.bytes().all(|b| b.is_ascii_digit()) => digits(s),
        Item::Text(name) => return Err(format!("is the named port {name:?}, {NAMED_PORT}")),
        other => return Err(format!("port is {}, not a string", other.describe())),
    };
    let end = match port.get("endPort") {
        Item::Null => 0,
        Item::Int(n) => *n,
        other => return Err(format!("endPort is {}, not a number", other.describe())),
    };
    let (first, last) = if number == 0 {
        (1, u16::MAX)
    } else {
        let first = u16::try_from(number)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("port {number} is not from 1 to 65535"))?;
        let last = match end {
            0 => first,
            e => u16::try_from(e)
                .ok()
                .filter(|e| *e >= first)
                .ok_or_else(|| format!("endPort {e} is not from port {first} to 65535"))?,
        };
        (first, last)
    };
    Ok(ranges(protocols, first, last))
}

/// The number ASCII digits write, saturating (the standard parser would add to the module).
#[inline]
fn digits(text: &str) -> i64 {
    text.bytes().fold(0i64, |n, b| {
        n.saturating_mul(10)
            .saturating_add(i64::from(b.wrapping_sub(b'0')))
    })
}

/// `first..=last` of each of `protocols`.
#[inline]
fn ranges(protocols: &[Protocol], first: u16, last: u16) -> Vec<PortRange> {
    let mut out = Vec::with_capacity(protocols.len());
    for protocol in protocols {
        out.push(PortRange {
            protocol: *protocol,
            first,
            last,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Calico

/// A Calico NetworkPolicy's or GlobalNetworkPolicy's egress: its `Allow` rules.
#[inline]
pub fn from_calico<'a>(object: &Item<'a>) -> Egress<'a> {
    let mut out = Egress::default();
    let mut read = Read {
        invalid: &mut out.invalid,
    };
    let Some(spec) = read.object(object, "spec", "") else {
        return out;
    };
    let rules = read.objects(spec, "egress", "spec");
    // defaultPolicyTypesField: without `types`, egress rules make it an Egress policy.
    let types = read.texts(spec, "types", "spec");
    out.restricts = if types.is_empty() {
        !rules.is_empty()
    } else {
        types.iter().any(|(_, t)| t == "Egress")
    };
    for (path, rule) in rules {
        match read.text(rule, "action", &path).map(|a| &**a) {
            Some(a) if a.eq_ignore_ascii_case("Allow") => {}
            Some("Deny" | "Pass" | "Log") => continue,
            Some(other) => {
                read.invalid.push((
                    field(&path, "action"),
                    format!("{other:?} is not Allow, Deny, Pass or Log"),
                ));
                continue;
            }
            None => {
                read.invalid.push((
                    path,
                    "has no action; Calico requires Allow, Deny, Pass or Log".to_string(),
                ));
                continue;
            }
        }
        let allowance = calico_rule(&mut read, path, rule);
        out.allowances.push(allowance);
    }
    out
}

#[inline]
fn calico_rule<'a>(read: &mut Read<'_>, path: String, rule: &Item<'a>) -> Allowance<'a> {
    let at = field(&path, "destination");
    let destination = read.object(rule, "destination", &path).unwrap_or(&NULL);
    let mut peers = Vec::new();
    let mut except: Vec<Cow<'a, str>> = Vec::new();
    for (_, e) in read.texts(destination, "notNets", &at) {
        except.push(e);
    }
    for (net_path, net) in read.texts(destination, "nets", &at) {
        peers.push(block(
            net_path,
            net,
            true,
            except.clone(),
            Some(field(&at, "notNets")),
        ));
    }
    for (domain_path, domain) in read.texts(destination, "domains", &at) {
        peers.push(Peer::Name {
            path: domain_path,
            pattern: domain,
        });
    }
    let mut in_cluster = false;
    for key in ["selector", "namespaceSelector"] {
        in_cluster |= read
            .text(destination, key, &at)
            .is_some_and(|s| !s.trim().is_empty());
    }
    for key in ["serviceAccounts", "services"] {
        in_cluster |= !matches!(destination.get(key), Item::Null);
    }
    if peers.is_empty() && !in_cluster {
        peers.push(Peer::Unrestricted {
            path: path.clone(),
            message: unrestricted!(
                every_destination!(),
                ": its destination names no nets, domains, selector, namespaceSelector, ",
                "serviceAccounts or services; list the destinations"
            ),
        });
    }
    let protocol = match rule.get("protocol") {
        Item::Null => None,
        Item::Int(6) => Some(Ok(Protocol::Tcp)),
        Item::Int(17) => Some(Ok(Protocol::Udp)),
        Item::Int(132) => Some(Ok(Protocol::Sctp)),
        Item::Int(n) => Some(Err(n.to_string())),
        Item::Text(p) => {
            Some(Protocol::parse(&p.to_ascii_uppercase()).ok_or_else(|| format!("{p:?}")))
        }
        other => Some(Err(other.describe().to_string())),
    };
    let listed = read.list(destination, "ports", &at);
    let entry = |path: String, ranges| vec![PortEntry { path, ranges }];
    let ports = match (protocol, listed.is_empty()) {
        (None, true) => None,
        (None, false) => Some(entry(
            field(&at, "ports"),
            Err(
                "needs the rule's protocol to be TCP, UDP or SCTP; Calico refuses ports \
                 without one"
                    .to_string(),
            ),
        )),
        (Some(Err(p)), _) => Some(entry(
            field(&path, "protocol"),
            Err(format!(
                "{p} has no ports that allowedPorts could admit; use TCP, UDP or SCTP"
            )),
        )),
        (Some(Ok(protocol)), true) => Some(entry(
            field(&path, "protocol"),
            Ok(vec![PortRange::all(protocol)]),
        )),
        (Some(Ok(protocol)), false) => {
            let ports = field(&at, "ports");
            let mut entries = Vec::new();
            for (k, item) in listed.iter().enumerate() {
                entries.push(PortEntry {
                    path: index(&ports, k),
                    ranges: calico_port(protocol, item).map(|r| vec![r]),
                });
            }
            Some(entries)
        }
    };
    Allowance {
        path,
        peers,
        ports,
        ports_field: "egress[].destination.ports (with a protocol)",
    }
}

/// A Calico port: a number, `"first:last"`, a number as a string, or a name.
#[inline]
fn calico_port(protocol: Protocol, item: &Item<'_>) -> Result<PortRange, String> {
    let number = |n: i64| -> Result<u16, String> {
        u16::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("port {n} is not from 1 to 65535"))
    };
    let text_number = |text: &str| -> Result<u16, String> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{text:?} is not a port number from 1 to 65535"));
        }
        number(digits(text))
    };
    let (first, last) = match item {
        Item::Int(n) => {
            let n = number(*n)?;
            (n, n)
        }
        Item::Text(text) => match text.split_once(':') {
            Some((a, b)) => {
                let (a, b) = (text_number(a)?, text_number(b)?);
                if a > b {
                    return Err(format!("{text:?}: the range ends before it starts"));
                }
                (a, b)
            }
            None if text.bytes().any(|b| b.is_ascii_alphabetic()) => {
                return Err(format!("is the named port {text:?}, {NAMED_PORT}"));
            }
            None => {
                let n = text_number(text)?;
                (n, n)
            }
        },
        other => return Err(format!("is {}, not a port", other.describe())),
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
#[inline]
pub fn normalize_fqdn(text: &str) -> String {
    let text = text.trim().to_ascii_lowercase();
    match text.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_string(),
        _ => text,
    }
}

/// Only stars (`*`, `**`...): Cilium's `isDNSWildcard` (pkg/fqdn/matchpattern), after the one
/// final dot [`normalize_fqdn`] drops.
#[inline]
fn stars(label: &str) -> bool {
    !label.is_empty() && label.bytes().all(|b| b == b'*')
}

/// Whether `pattern` allows every name: only stars (`*`, `**`, `*.`), which Cilium's
/// matchpattern `ToAnchoredRegexp` turns into "one or more labels of any characters".
#[inline]
pub fn fqdn_allows_all(pattern: &str) -> bool {
    stars(&normalize_fqdn(pattern))
}

/// Whether every name `rule` matches is matched by the allowed pattern `allowed`, per Cilium's
/// pkg/fqdn/matchpattern (`ToAnchoredRegexp`, `escapeRegexpCharacters`): only stars match
/// every name; a first label of two or more stars followed by more labels (`**.example.com`)
/// matches one or more whole labels; any other run of stars matches zero or more characters of
/// one label (`[-a-zA-Z0-9_]`, never a dot). A name (matchName) is a pattern without `*`. A
/// `*` in `rule` is covered only by a `*` label of `allowed` (or the same label), so coverage
/// is decided conservatively: never "covered" when some name of `rule` is not.
#[inline]
pub fn fqdn_covers(allowed: &str, rule: &str) -> bool {
    let (allowed, rule) = (normalize_fqdn(allowed), normalize_fqdn(rule));
    if stars(&allowed) {
        return true;
    }
    if stars(&rule) {
        return false;
    }
    let a: Vec<&str> = allowed.split('.').collect();
    let r: Vec<&str> = rule.split('.').collect();
    let multi = |labels: &[&str]| labels.len() > 1 && labels[0].len() > 1 && stars(labels[0]);
    if multi(&a) {
        // One or more labels (the rule's first label, or its own multi-label wildcard), then
        // the rest.
        let (a_rest, r_rest) = (&a[1..], &r[1..]);
        r_rest.len() >= a_rest.len() && labels_cover(a_rest, &r_rest[r_rest.len() - a_rest.len()..])
    } else {
        !multi(&r) && a.len() == r.len() && labels_cover(&a, &r)
    }
}

#[inline]
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
#[inline]
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

    #[test]
    fn paths_name_fields_and_indices() {
        assert_eq!(index("spec.egress", 0), "spec.egress[0]");
        assert_eq!(index("specs[1].egress", 12), "specs[1].egress[12]");
        assert_eq!(index("", usize::MAX), format!("[{}]", usize::MAX));
        assert_eq!(field(&index("spec.egress", 3), "to"), "spec.egress[3].to");
        assert_eq!(field("", "spec"), "spec");
    }

    fn cilium(json: &str) -> Vec<String> {
        let node: Item = serde_json::from_str(json).unwrap();
        describe(&from_cilium(&node))
    }

    fn calico(json: &str) -> Vec<String> {
        let node: Item = serde_json::from_str(json).unwrap();
        describe(&from_calico(&node))
    }

    /// One line per peer, port entry and invalid field.
    #[inline]
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
                                r.iter()
                                    .map(|r| r.to_string())
                                    .collect::<Vec<_>>()
                                    .join(",")
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
             be checked: its number depends on the destination; use the port number",
            "spec.egress[3].toPorts[0].ports[2] 1-65535/UDP",
            "spec.egress[3].toPorts[1] 1-65535/TCP,1-65535/UDP,1-65535/SCTP",
            "spec.egress[4] every port",
            "spec.egress[5] unrestricted",
            "spec.egress[5].toPorts[0].ports[0] 53/TCP,53/UDP,53/SCTP",
            "spec.egress[6] every port",
            "specs[0].egress[0].toGroups unrestricted",
            "specs[0].egress[0] every port",
            "spec.egress[2].toEntities[3] invalid \"bogus\" is not an entity Cilium knows",
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
            cilium(
                r#"{"spec":{"egress":[{"toEndpoints":[{}]}],"enableDefaultDeny":{"egress":false}}}"#
            ),
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
    fn unreadable_fields_are_named() {
        let cases = [
            (
                r#"{"spec":{"egress":{}}}"#,
                "spec.egress",
                "is an object, not a list",
            ),
            (
                r#"{"spec":{"egress":[{"toCIDR":"10.0.0.0/8"}]}}"#,
                "spec.egress[0].toCIDR",
                "is a string, not a list",
            ),
            (
                r#"{"spec":{"egress":[{"toCIDR":[1]}]}}"#,
                "spec.egress[0].toCIDR[0]",
                "is a number, not a string",
            ),
            (
                r#"{"spec":{"egress":[{"toPorts":[{"ports":[true]}]}]}}"#,
                "spec.egress[0].toPorts[0].ports[0]",
                "is a boolean, not an object",
            ),
            (r#"{"spec":[]}"#, "spec", "is a list, not an object"),
            (r#"{"specs":[null]}"#, "specs[0]", "is null, not an object"),
        ];
        for (json, path, want) in cases {
            let item: Item = serde_json::from_str(json).unwrap();
            let egress = from_cilium(&item);
            assert!(
                egress
                    .invalid
                    .iter()
                    .any(|(p, m)| p == path && m.starts_with(want)),
                "{json}: {:?}",
                egress.invalid
            );
        }
        let item: Item = serde_json::from_str(
            r#"{"spec":{"egress":[{"action":"Allow","destination":{"nets":"10.0.0.0/8"}}]}}"#,
        )
        .unwrap();
        assert_eq!(
            from_calico(&item).invalid[0].0,
            "spec.egress[0].destination.nets"
        );
        // Keys read twice keep the last value; unknown keys are skipped unread.
        let item: Item = serde_json::from_str(r#"{"spec":{"egress":[{"toCIDR":["0.0.0.0/0"],"toCIDR":["10.0.0.0/8"],"x":{"y":[1,2.5]}}]}}"#).unwrap();
        assert_eq!(
            cilium_text(&item),
            [
                "restricts=true",
                "spec.egress[0].toCIDR[0] block 10.0.0.0/8 except []",
                "spec.egress[0] every port"
            ]
        );
    }

    fn cilium_text(item: &Item<'_>) -> Vec<String> {
        describe(&from_cilium(item))
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
            ("**", "a.b.example.com", true),
            ("*.", "**", true),
            ("***.example.com", "a.b.example.com", true),
            ("*.example.com", "***.example.com", false),
            ("*.example.com", "**", false),
        ];
        for (allowed, rule, want) in cases {
            assert_eq!(fqdn_covers(allowed, rule), want, "{allowed} covers {rule}");
        }
        assert!(fqdn_allows_all(" * "));
        assert!(fqdn_allows_all("**"));
        assert!(fqdn_allows_all("*."));
        assert!(!fqdn_allows_all("**.com"));
        assert!(!fqdn_allows_all("*.com"));
    }

    #[test]
    fn glob_never_panics() {
        for (p, t) in [
            ("", ""),
            ("*", ""),
            ("**", "a"),
            ("a*b*c", "abc"),
            ("a*", "b"),
        ] {
            let _ = glob(p.as_bytes(), t.as_bytes());
        }
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(!glob(b"a*b", b"ac"));
    }

    /// Cilium's matching of one concrete name, written directly from the semantics.
    fn matches(pattern: &str, name: &str) -> bool {
        let (p, n) = (normalize_fqdn(pattern), normalize_fqdn(name));
        if stars(&p) {
            return !n.is_empty();
        }
        let p: Vec<&str> = p.split('.').collect();
        let n: Vec<&str> = n.split('.').collect();
        let label = |p: &&str, n: &&str| glob(p.as_bytes(), n.as_bytes());
        match p.split_first() {
            Some((first, rest)) if first.len() > 1 && stars(first) && !rest.is_empty() => {
                n.len() > rest.len()
                    && rest
                        .iter()
                        .zip(&n[n.len() - rest.len()..])
                        .all(|(p, n)| label(p, n))
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
            if let Ok(node) = serde_json::from_str::<Item>(&json) {
                let _ = describe(&from_cilium(&node));
                let _ = describe(&from_calico(&node));
            }
        }
    }
}
