//! The plugins a CoreDNS release knows. Caddy's `parser.directive` (coredns/caddy
//! `caddyfile/parse.go`) refuses any directive that is not in the server type's list
//! ("Unknown directive"), which CoreDNS builds from `plugin.cfg` into
//! `core/dnsserver/zdirectives.go`: a Corefile naming anything else never loads, and a CoreDNS
//! that cannot load its Corefile crash-loops and takes cluster DNS down.

use crate::corefile::mentions_placeholder;

/// The release whose `core/dnsserver/zdirectives.go` [`IN_TREE`] is copied from.
pub const COREDNS_VERSION: &str = "1.14.7";

/// The directives of CoreDNS 1.14.7, in `zdirectives.go` order (the order plugins run in).
pub const IN_TREE: [&str; 60] = [
    "root",
    "metadata",
    "geoip",
    "cancel",
    "proxyproto",
    "quic",
    "grpc_server",
    "https",
    "https3",
    "timeouts",
    "multisocket",
    "reload",
    "nsid",
    "bufsize",
    "bind",
    "debug",
    "trace",
    "ready",
    "health",
    "pprof",
    "shed",
    "prometheus",
    "errors",
    "log",
    "dnstap",
    "local",
    "dns64",
    "any",
    "chaos",
    "loadbalance",
    "tsig",
    "rewrite",
    "autopath",
    "acl",
    "cache",
    "header",
    "dnssec",
    "tls",
    "minimal",
    "template",
    "transfer",
    "hosts",
    "route53",
    "azure",
    "clouddns",
    "k8s_external",
    "kubernetes",
    "file",
    "auto",
    "secondary",
    "etcd",
    "loop",
    "forward",
    "grpc",
    "erratic",
    "whoami",
    "on",
    "sign",
    "view",
    "nomad",
];

/// Plugins of older releases, taken out of `plugin.cfg`: the release that dropped each and
/// what replaces it.
pub const REMOVED: [(&str, &str, &str); 5] = [
    ("proxy", "1.5.0", "use forward (forward . /etc/resolv.conf)"),
    (
        "federation",
        "1.7.0",
        "Kubernetes Federation v1 is gone; remove it, or forward the federated zones with forward",
    ),
    ("reverse", "1.2.0", "answer PTR queries with template"),
    ("startup", "1.2.0", "use on startup"),
    ("shutdown", "1.2.0", "use on shutdown"),
];

/// What is wrong with a directive name, if anything.
pub enum Unknown {
    /// A plugin of an older release.
    Removed {
        since: &'static str,
        replacement: &'static str,
    },
    /// `{$VAR}` or `{%VAR%}`: CoreDNS substitutes the environment before it looks the name up.
    Placeholder,
    /// Neither in-tree nor listed in `externalPlugins`.
    NotAPlugin,
}

/// The length of the longest in-tree name, `k8s_external` (a longer one fails the build).
const LONGEST: usize = 12;

/// [`IN_TREE`] sorted by length, and where the names of each length start in it: a name is
/// compared with the few of its length only (every directive of every request is looked up).
const BY_LENGTH: ([&str; IN_TREE.len()], [usize; LONGEST + 2]) = {
    let mut names = IN_TREE;
    // An insertion sort: the table is built by the compiler.
    let mut i = 1;
    while i < names.len() {
        let mut j = i;
        while j > 0 && names[j - 1].len() > names[j].len() {
            let swap = names[j - 1];
            names[j - 1] = names[j];
            names[j] = swap;
            j -= 1;
        }
        i += 1;
    }
    let mut starts = [names.len(); LONGEST + 2];
    let mut k = names.len();
    while k > 0 {
        k -= 1;
        starts[names[k].len()] = k;
    }
    // A length no name has starts where the next length does.
    let mut length = LONGEST + 1;
    while length > 0 {
        length -= 1;
        if starts[length] > starts[length + 1] {
            starts[length] = starts[length + 1];
        }
    }
    (names, starts)
};

fn in_tree(name: &str) -> bool {
    let (names, starts) = &BY_LENGTH;
    let length = name.len();
    if length > LONGEST {
        return false;
    }
    // The first byte before the rest: names of one length seldom share it.
    let first = name.as_bytes().first();
    names[starts[length]..starts[length + 1]]
        .iter()
        .any(|n| n.as_bytes().first() == first && *n == name)
}

/// Checks a directive name against the in-tree list and the `externalPlugins` setting.
pub fn classify(name: &str, external: &[String]) -> Option<Unknown> {
    if in_tree(name) || external.iter().any(|e| e == name) {
        return None;
    }
    if mentions_placeholder(name) {
        return Some(Unknown::Placeholder);
    }
    if let Some((_, since, replacement)) = REMOVED.iter().find(|(n, _, _)| *n == name) {
        return Some(Unknown::Removed { since, replacement });
    }
    Some(Unknown::NotAPlugin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_no_duplicates_and_no_removed_plugin() {
        let mut names = IN_TREE.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), IN_TREE.len());
        for (removed, _, _) in REMOVED {
            assert!(!IN_TREE.contains(&removed), "{removed}");
        }
    }

    #[test]
    fn every_in_tree_name_is_found_by_its_length() {
        let (names, starts) = &BY_LENGTH;
        assert!(IN_TREE.iter().all(|n| n.len() <= LONGEST));
        assert!(names.windows(2).all(|w| w[0].len() <= w[1].len()));
        for name in IN_TREE {
            assert!(in_tree(name), "{name}");
            let bucket = &names[starts[name.len()]..starts[name.len() + 1]];
            assert!(bucket.iter().all(|n| n.len() == name.len()), "{name}");
        }
        for other in [
            "",
            "o",
            "forwar",
            "forwardx",
            "Forward",
            "k8s_externals",
            "grpc_serve",
        ] {
            assert!(!in_tree(other), "{other}");
        }
    }

    #[test]
    fn classification() {
        assert!(classify("forward", &[]).is_none());
        assert!(classify("view", &[]).is_none());
        assert!(classify("unbound", &["unbound".into()]).is_none());
        assert!(matches!(
            classify("unbound", &[]),
            Some(Unknown::NotAPlugin)
        ));
        assert!(matches!(
            classify("fowrard", &[]),
            Some(Unknown::NotAPlugin)
        ));
        assert!(matches!(
            classify("proxy", &[]),
            Some(Unknown::Removed { since: "1.5.0", .. })
        ));
        assert!(matches!(
            classify("{$PLUGIN}", &[]),
            Some(Unknown::Placeholder)
        ));
    }
}
