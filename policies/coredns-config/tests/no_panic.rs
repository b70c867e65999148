//! The parser and the whole policy never panic, whatever a ConfigMap holds: random bytes,
//! token soups built from the grammar's punctuation, and random edits of real Corefiles.

use coredns_config::corefile::{parse, parse_directives};
use coredns_config::{Settings, evaluate};
use netsec_shared::guest::verdict;
use proptest::prelude::*;
use proptest::sample::Index;

const SEEDS: &[&str] = &[
    // kubeadm
    ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n",
    // k3s
    ".:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    hosts /etc/coredns/NodeHosts {\n      ttl 60\n      reload 15s\n      fallthrough\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n    import /etc/coredns/custom/*.override\n}\nimport /etc/coredns/custom/*.server\n",
    // snippets, quotes, placeholders, every checked plugin
    "(common) {\n  errors\n  cache 30 {\n    success 9984 30\n    serve_stale 1m\n  }\n}\nexample.org tls://example.com:853, 10.0.0.0/23 {\n  import common\n  template IN A {\n    match \"^ip-(?P<a>[0-9]+)\\.example\\.org\\.$\"\n    answer \"{{ .Name }} 60 IN A 10.0.0.{{ .Group.a }}\"\n  }\n  transfer {\n    to * 10.0.0.1\n  }\n}\n.:53 {\n  import common\n  rewrite continue name regex (.*)\\.a\\.org {1}.svc.cluster.local\n  hosts {\n    10.0.0.1 x.svc.cluster.local\n  }\n  file db.x cluster.local\n  forward . tls://1.1.1.1%one {$UP} [::1]:53 {\n    tls_servername x\n    max_concurrent 10\n  }\n  grpc . 1.2.3.4:443\n  kubernetes {%ZONE%} {\n    pods verified\n  }\n}\n",
];

fn run_policy(key: &str, corefile: &str) {
    let payload = serde_json::json!({
        "request": {
            "uid": "1",
            "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
            "operation": "CREATE",
            "namespace": "kube-system",
            "object": {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "coredns-custom", "namespace": "kube-system"},
                "data": {key: corefile},
            },
        },
        "settings": {
            "configMaps": [{"namespace": "kube-system", "name": "coredns-custom", "keys": ["*"]}],
        },
    })
    .to_string();
    let _ = verdict::<Settings, coredns_config::Views, _>(payload.as_bytes(), evaluate);
}

fn check(text: &str) {
    let _ = parse(text);
    let _ = parse_directives(text);
    run_policy("Corefile", text);
    run_policy("x.override", text);
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("#".to_string()),
        Just(",".to_string()),
        Just("import".to_string()),
        Just("(s)".to_string()),
        Just("s".to_string()),
        Just("{$V}".to_string()),
        Just("forward".to_string()),
        Just("kubernetes".to_string()),
        Just("cache".to_string()),
        "[a-z0-9.:/%*-]{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup(pieces in proptest::collection::vec(piece(), 0..150)) {
        check(&pieces.concat());
    }

    #[test]
    fn mutated_corefiles(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<Index>(), any::<Index>(), 0u8..4, any::<char>()), 1..10),
    ) {
        let mut chars: Vec<char> = SEEDS[seed].chars().collect();
        for (at, other, op, c) in edits {
            if chars.is_empty() {
                chars.push(c);
                continue;
            }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                2 => {
                    // Duplicates a span, as a careless copy and paste would.
                    let j = other.index(chars.len());
                    let (a, b) = (i.min(j), i.max(j));
                    let span: Vec<char> = chars[a..b].to_vec();
                    chars.splice(b..b, span);
                }
                _ => {
                    let j = other.index(chars.len());
                    chars.swap(i, j);
                }
            }
        }
        check(&chars.into_iter().collect::<String>());
    }
}

#[test]
fn seeds_parse() {
    for seed in SEEDS {
        parse(seed).unwrap();
    }
}
