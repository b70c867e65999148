//! Representative objects for every policy: a typical one, and series that scale the part of the
//! object the policy walks (hosts, egress peers, NetworkPolicies in the namespace, Corefile
//! lines, annotations), so that the summary shows how time grows with size.

use netsec_runner::admission::{RequestSpec, build_request};
use serde_json::{Value, json};

/// One benchmark input.
pub struct Input {
    pub policy: &'static str,
    /// `typical`, or the series and its size (`hosts-100`).
    pub name: String,
    /// The series this input belongs to, for the growth factor.
    pub series: Option<&'static str>,
    /// The `validate` payload.
    pub payload: Vec<u8>,
    /// The objects Kubernetes lookups see.
    pub cluster: Vec<Value>,
}

impl Input {
    fn new(policy: &'static str, name: String, object: Value, settings: Value) -> Input {
        let request = build_request(&RequestSpec {
            object: Some(object),
            operation: "CREATE".into(),
            uid: "bench".into(),
            ..RequestSpec::default()
        })
        .expect("the benchmark objects are well-formed");
        let payload = serde_json::to_vec(&json!({"request": request, "settings": settings}))
            .expect("JSON values serialise");
        Input {
            policy,
            name,
            series: None,
            payload,
            cluster: Vec::new(),
        }
    }

    fn in_series(mut self, series: &'static str) -> Input {
        self.series = Some(series);
        self
    }

    fn with_cluster(mut self, cluster: Vec<Value>) -> Input {
        self.cluster = cluster;
        self
    }

    /// The request's size in KB of JSON.
    pub fn kb(&self) -> f64 {
        self.payload.len() as f64 / 1024.0
    }
}

const SIZES: [usize; 3] = [10, 100, 1000];

/// Every input, policy by policy.
pub fn all() -> Vec<Input> {
    let mut inputs = Vec::new();
    inputs.extend(ingress_tls());
    inputs.extend(rate_limit_annotations());
    inputs.extend(ingress_hardening());
    inputs.extend(egress_restrictions());
    inputs.extend(network_policy_presence());
    inputs.extend(coredns_config());
    inputs.extend(mesh_injection());
    inputs
}

/// An Ingress of `hosts` hosts, each with two paths, all covered by one TLS entry.
fn ingress(hosts: usize, annotations: Value) -> Value {
    let names: Vec<String> = (0..hosts)
        .map(|i| format!("app-{i}.shop.example.com"))
        .collect();
    let rules: Vec<Value> = names
        .iter()
        .map(|host| {
            json!({"host": host, "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                {"path": "/api", "pathType": "Prefix",
                 "backend": {"service": {"name": "api", "port": {"name": "http"}}}}]}})
        })
        .collect();
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "team-a", "uid": "6f1c0e4a-bench",
                     "labels": {"app.kubernetes.io/name": "shop", "app.kubernetes.io/part-of": "store"},
                     "annotations": annotations},
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": names, "secretName": "shop-tls"}],
                 "rules": rules},
        "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}
    })
}

fn ingress_tls() -> Vec<Input> {
    let settings =
        json!({"allowedHostSuffixes": ["example.com"], "allowedIngressClasses": ["nginx"]});
    let annotations = json!({"nginx.ingress.kubernetes.io/ssl-redirect": "true"});
    let mut inputs = vec![Input::new(
        "ingress-tls",
        "typical".into(),
        ingress(2, annotations.clone()),
        settings.clone(),
    )];
    for n in SIZES {
        inputs.push(
            Input::new(
                "ingress-tls",
                format!("hosts-{n}"),
                ingress(n, annotations.clone()),
                settings.clone(),
            )
            .in_series("hosts"),
        );
    }
    inputs
}

/// Every annotation value is scanned for injections, so the series scales the annotations.
fn ingress_hardening() -> Vec<Input> {
    let settings = json!({"requireAuth": true, "allowedSourceRanges": ["10.0.0.0/8"]});
    let annotations = |extra: usize| {
        let mut map = serde_json::Map::new();
        map.insert(
            "nginx.ingress.kubernetes.io/auth-url".into(),
            json!("https://auth.example.com/oauth2/auth"),
        );
        map.insert(
            "nginx.ingress.kubernetes.io/whitelist-source-range".into(),
            json!("10.1.0.0/16,10.2.0.0/16"),
        );
        for i in 0..extra {
            map.insert(
                format!("example.com/note-{i}"),
                json!(format!(
                    "owned by team {i}; see https://wiki.example.com/teams/{i}"
                )),
            );
        }
        Value::Object(map)
    };
    let mut inputs = vec![Input::new(
        "ingress-hardening",
        "typical".into(),
        ingress(2, annotations(2)),
        settings.clone(),
    )];
    inputs.push(Input::new(
        "ingress-hardening",
        "annotations-50".into(),
        ingress(2, annotations(50)),
        settings.clone(),
    ));
    for n in SIZES {
        inputs.push(
            Input::new(
                "ingress-hardening",
                format!("hosts-{n}"),
                ingress(n, annotations(2)),
                settings.clone(),
            )
            .in_series("hosts"),
        );
    }
    inputs
}

fn rate_limit_annotations() -> Vec<Input> {
    let annotations = json!({"nginx.ingress.kubernetes.io/limit-rps": "20",
                             "nginx.ingress.kubernetes.io/limit-burst-multiplier": "3"});
    let mut inputs = vec![Input::new(
        "rate-limit-annotations",
        "typical".into(),
        ingress(2, annotations.clone()),
        json!({}),
    )];
    for n in SIZES {
        inputs.push(
            Input::new(
                "rate-limit-annotations",
                format!("hosts-{n}"),
                ingress(n, annotations.clone()),
                json!({}),
            )
            .in_series("hosts"),
        );
    }
    inputs
}

/// A NetworkPolicy whose second egress rule reaches `peers` /24 networks on 443.
fn egress_policy(peers: usize) -> Value {
    let blocks: Vec<Value> = (0..peers)
        .map(|i| json!({"ipBlock": {"cidr": format!("10.{}.{}.0/24", 20 + i / 256, i % 256)}}))
        .collect();
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "egress", "namespace": "team-a", "labels": {"app": "web"}},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                         "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                 "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
                {"to": blocks, "ports": [{"port": 443}, {"port": 8443, "endPort": 8450}]}
            ]
        }
    })
}

fn egress_restrictions() -> Vec<Input> {
    let mut inputs = vec![Input::new(
        "egress-restrictions",
        "typical".into(),
        egress_policy(2),
        json!({}),
    )];
    for n in SIZES {
        inputs.push(
            Input::new(
                "egress-restrictions",
                format!("peers-{n}"),
                egress_policy(n),
                json!({}),
            )
            .in_series("peers"),
        );
    }
    inputs
}

/// A Deployment of `annotations` pod-template annotations, in namespace `shop`.
fn deployment(annotations: usize) -> Value {
    let notes: serde_json::Map<String, Value> = (0..annotations)
        .map(|i| (format!("example.com/note-{i}"), json!(format!("value {i}"))))
        .collect();
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "frontend"}, "annotations": notes},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                          "ports": [{"containerPort": 8080}],
                                          "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}
            }
        }
    })
}

/// `count` NetworkPolicies in namespace `shop`; only the last selects the Deployment's pods.
fn network_policies(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let app = if i + 1 == count { "web".to_string() } else { format!("svc-{i}") };
            json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("np-{i}"), "namespace": "shop"},
                "spec": {
                    "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [app]}]},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "gateway"}}}],
                                 "ports": [{"port": 8080}]}],
                    "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                                "ports": [{"port": 5432}]}]
                }
            })
        })
        .collect()
}

fn network_policy_presence() -> Vec<Input> {
    let policy = "network-policy-presence";
    let mut inputs = vec![
        Input::new(policy, "typical".into(), deployment(2), json!({}))
            .with_cluster(network_policies(2)),
    ];
    for n in SIZES {
        inputs.push(
            Input::new(policy, format!("netpols-{n}"), deployment(2), json!({}))
                .with_cluster(network_policies(n))
                .in_series("netpols"),
        );
    }
    inputs
}

/// kubeadm's Corefile followed by stub zones up to about `lines` lines.
fn corefile(lines: usize) -> String {
    let mut text = String::from(
        ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    \
         kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods verified\n       \
         fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    \
         forward . 10.0.0.53 10.0.1.53 {\n       max_concurrent 1000\n    }\n    cache 30\n    \
         loop\n    reload\n    loadbalance\n}\n",
    );
    let mut zone = 0;
    while text.lines().count() + 7 <= lines {
        text.push_str(&format!(
            "# stub zone {zone}\nteam-{zone}.corp.example:53 {{\n    errors\n    cache 30\n    \
             forward . 10.1.{}.{} {{\n       max_concurrent 100\n    }}\n}}\n",
            zone / 250,
            zone % 250 + 1
        ));
        zone += 1;
    }
    text
}

fn coredns_config() -> Vec<Input> {
    let configmap = |lines: usize| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "coredns", "namespace": "kube-system"},
               "data": {"Corefile": corefile(lines)}})
    };
    // The cluster's own resolvers, listed as a hardened set-up lists them.
    let settings = json!({"allowedUpstreams": ["10.0.0.0/8"]});
    let mut inputs = vec![Input::new(
        "coredns-config",
        "typical".into(),
        configmap(20),
        settings.clone(),
    )];
    for n in [20, 200, 2000] {
        inputs.push(
            Input::new(
                "coredns-config",
                format!("lines-{n}"),
                configmap(n),
                settings.clone(),
            )
            .in_series("lines"),
        );
    }
    inputs
}

fn mesh_injection() -> Vec<Input> {
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}});
    vec![
        Input::new("mesh-injection", "typical".into(), deployment(2), json!({}))
            .with_cluster(vec![namespace.clone()]),
        Input::new(
            "mesh-injection",
            "annotations-50".into(),
            deployment(50),
            json!({}),
        )
        .with_cluster(vec![namespace]),
    ]
}
