//! Hosts files (`/etc/hosts` format) that a `hosts` plugin reads, such as the `NodeHosts` key
//! k3s mounts at `/etc/coredns/NodeHosts`. Read as `Hostsfile.parse` (`plugin/hosts/hostsfile.go`)
//! reads them: a `#` starts a comment anywhere on a line, fields are split on blanks, a line
//! needs an address and at least one name, and a line whose first field is not an IP (after
//! `parseIP` drops an IPv6 zone `%eth0`) is skipped. The same reading serves the plugin's inline
//! lines (`initInline` parses them the same way).

use std::net::IpAddr;

/// One line that maps names to an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostsEntry {
    /// 1-based line in the file.
    pub line: u32,
    /// As written (an IP, possibly with an IPv6 zone).
    pub address: String,
    /// As written; `plugin.Name.Normalize` (lower-case, fully qualified) is the caller's.
    pub names: Vec<String>,
}

/// `parseIP`: an IP, with an IPv6 zone dropped.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let address = text.split('%').next().unwrap_or(text);
    address.parse().ok()
}

/// The entries of a hosts file. Never fails: CoreDNS skips what it cannot read.
pub fn parse(text: &str) -> Vec<HostsEntry> {
    let mut entries = Vec::new();
    // `bufio.Scanner` splits on '\n' and drops a '\r' before it; `bytes.Fields` splits on any
    // blank, so the '\r' needs no care of its own.
    for (index, line) in text.split('\n').enumerate() {
        let line = line.split('#').next().unwrap_or(line);
        let mut fields = line.split_whitespace();
        let (Some(address), Some(first)) = (fields.next(), fields.next()) else {
            continue;
        };
        if parse_ip(address).is_none() {
            continue;
        }
        let mut names = vec![first.to_string()];
        names.extend(fields.map(str::to_string));
        entries.push(HostsEntry {
            line: u32::try_from(index + 1).unwrap_or(u32::MAX),
            address: address.to_string(),
            names,
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k3s_node_hosts_and_the_format() {
        let text = "172.18.0.2 k3d-server-0\n# a comment\n\n10.0.0.5\tnode-1 node-1.lan # trailing\r\n\
                    fe80::1%eth0 link-local\nnot-an-ip name\n6.6.6.6 kubernetes.default.svc.cluster.local\n\
                    1.2.3.4#x hidden\n   \n5.5.5.5\n01.2.3.4 octal\n";
        let entries = parse(text);
        let got: Vec<(u32, String, Vec<&str>)> = entries
            .iter()
            .map(|e| {
                (
                    e.line,
                    e.address.clone(),
                    e.names.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, "172.18.0.2".to_string(), vec!["k3d-server-0"]),
                (4, "10.0.0.5".to_string(), vec!["node-1", "node-1.lan"]),
                (5, "fe80::1%eth0".to_string(), vec!["link-local"]),
                (
                    7,
                    "6.6.6.6".to_string(),
                    vec!["kubernetes.default.svc.cluster.local"]
                ),
            ]
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_ip("::ffff:1.2.3.4").map(|a| a.is_ipv6()), Some(true));
        assert!(parse_ip("1.2.3").is_none());
        assert!(parse_ip("").is_none());
    }
}
