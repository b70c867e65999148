//! Settings of `host-ownership`.

use std::collections::BTreeMap;

use netsec_shared::settings::check_dns_label;
use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::{Deserialize, Serialize};

use crate::pattern::{Pattern, Wildcards};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Host patterns (`shop.example.com`, `*.shop.example.com`: any depth) mapped to the
    /// namespaces that alone may claim the hosts they cover.
    pub host_owners: BTreeMap<String, Vec<String>>,
    /// Reject a claim that no `hostOwners` entry covers.
    pub require_owner: bool,
    /// Hosts that claimants of several namespaces may share, each routing different paths.
    pub allow_shared_hosts: Vec<String>,
    /// Namespaces whose objects are not judged (their claims still count against others).
    pub exempt_namespaces: ExemptNamespaces,
}

/// A `hostOwners` entry, read.
pub struct Owner<'s> {
    pub key: &'s str,
    pub pattern: Pattern<'s>,
    pub namespaces: &'s [String],
}

impl Settings {
    /// The `hostOwners` entries (validated: every key reads).
    pub fn owners(&self) -> Vec<Owner<'_>> {
        self.host_owners
            .iter()
            .filter_map(|(key, namespaces)| {
                Some(Owner {
                    key,
                    pattern: Pattern::parse(key, Wildcards::AnyDepth).ok()?,
                    namespaces,
                })
            })
            .collect()
    }

    /// The `allowSharedHosts` patterns.
    pub fn shared_hosts(&self) -> Vec<Pattern<'_>> {
        self.allow_shared_hosts
            .iter()
            .filter_map(|h| Pattern::parse(h, Wildcards::AnyDepth).ok())
            .collect()
    }
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        for (key, namespaces) in &self.host_owners {
            let setting = format!("hostOwners[{key:?}]");
            if let Err(why) = Pattern::parse(key, Wildcards::AnyDepth) {
                errors.add(
                    &setting,
                    format!(
                        "is not a host pattern: {why}; write a DNS name, optionally with one \
                         leading wildcard label (*.shop.example.com)"
                    ),
                );
            }
            if namespaces.is_empty() {
                errors.add(
                    &setting,
                    "names no namespace; list the namespaces that may claim these hosts",
                );
            }
            for (i, namespace) in namespaces.iter().enumerate() {
                if let Err(why) = check_dns_label(namespace) {
                    errors.add(
                        format!("{setting}[{i}]"),
                        format!("{namespace:?} is not a namespace name: {why}"),
                    );
                }
            }
        }
        for (i, host) in self.allow_shared_hosts.iter().enumerate() {
            if let Err(why) = Pattern::parse(host, Wildcards::AnyDepth) {
                errors.add(
                    format!("allowSharedHosts[{i}]"),
                    format!(
                        "{host:?} is not a host pattern: {why}; write a DNS name, optionally \
                         with one leading wildcard label"
                    ),
                );
            }
        }
        self.exempt_namespaces.validate("exemptNamespaces", errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::testing::assert_settings_table;

    #[test]
    fn settings_table() {
        assert_settings_table::<Settings>(&[
            ("{}", None),
            ("null", None),
            (
                r#"{"hostOwners":{"*.shop.example.com":["shop","shop-staging"],"api.example.com":["api"]},
                    "requireOwner":true,"allowSharedHosts":["www.example.com","*.example.org"],
                    "exemptNamespaces":["kube-system"]}"#,
                None,
            ),
            (r#"{"hostOwner":{}}"#, Some("unknown field `hostOwner`")),
            (
                r#"{"hostOwners":{"a.*.com":["x"]}}"#,
                Some("hostOwners[\"a.*.com\"]"),
            ),
            (
                r#"{"hostOwners":{"*":["x"]}}"#,
                Some("is not a host pattern"),
            ),
            (r#"{"hostOwners":{"a.com":[]}}"#, Some("names no namespace")),
            (
                r#"{"hostOwners":{"a.com":["Team_A"]}}"#,
                Some("hostOwners[\"a.com\"][0]"),
            ),
            (r#"{"hostOwners":{"a.com":"x"}}"#, Some("hostOwners")),
            (
                r#"{"allowSharedHosts":["http://a.com"]}"#,
                Some("allowSharedHosts[0]"),
            ),
            (r#"{"requireOwner":"yes"}"#, Some("requireOwner")),
            (
                r#"{"exemptNamespaces":["Bad"]}"#,
                Some("exemptNamespaces[0]"),
            ),
            ("[]", Some("JSON object")),
        ]);
    }

    #[test]
    fn entries_read_as_suffixes() {
        let s: Settings = serde_json::from_str(
            r#"{"hostOwners":{"*.shop.example.com":["shop"]},"allowSharedHosts":["*.example.org"]}"#,
        )
        .unwrap();
        let owners = s.owners();
        assert_eq!(owners[0].pattern.to_string(), "*.shop.example.com");
        let deep = Pattern::parse("a.b.shop.example.com", Wildcards::AnyDepth).unwrap();
        assert!(owners[0].pattern.contains(&deep));
        assert_eq!(s.shared_hosts().len(), 1);
    }
}
