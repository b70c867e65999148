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

    /// The request the API server sends when `manifest` is created with `kubectl apply`: the
    /// object defaulted and stamped by the API server ([`admitted`]), the user of a kubeadm
    /// cluster's admin credentials, and kubectl's create options. This is what a policy reads in
    /// production, and what the budget is measured on.
    fn typical(policy: &'static str, manifest: Value, settings: Value) -> Input {
        let object = admitted(&manifest);
        let mut request = build_request(&RequestSpec {
            object: Some(object),
            operation: "CREATE".into(),
            uid: "4b8c2f0e-9d1a-4f5e-8a67-2c3d4e5f6a7b".into(),
            user_info: Some(json!({
                "username": "kubernetes-admin",
                "groups": ["kubeadm:cluster-admins", "system:authenticated"],
                "extra": {"authentication.kubernetes.io/credential-id":
                          ["X509SHA256=5f0c9a3b7e2d41c8a6b9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f"]}
            })),
            ..RequestSpec::default()
        })
        .expect("the benchmark objects are well-formed");
        request["options"] = json!({"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1",
                                    "fieldManager": "kubectl-client-side-apply",
                                    "fieldValidation": "Strict"});
        let payload = serde_json::to_vec(&json!({"request": request, "settings": settings}))
            .expect("JSON values serialise");
        Input {
            policy,
            name: "typical".into(),
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

/// The `typical` input of a policy (the manifest as the API server admits it) and the
/// `minimal` one (the bare manifest, as hand-written tests send it), with the same settings.
fn typical_and_minimal(policy: &'static str, manifest: Value, settings: Value) -> Vec<Input> {
    vec![
        Input::typical(policy, manifest.clone(), settings.clone()),
        Input::new(policy, "minimal".into(), manifest, settings),
    ]
}

/// `manifest` as the API server hands it to admission on CREATE from `kubectl apply`: defaults
/// filled in (the common ones of each kind), a uid, a creation timestamp, a generation for
/// objects with a spec, kubectl's last-applied-configuration annotation and the managed fields
/// of its field manager.
pub fn admitted(manifest: &Value) -> Value {
    let mut object = manifest.clone();
    let kind = manifest["kind"].as_str().unwrap_or_default().to_string();
    apply_defaults(&kind, &mut object);
    let last_applied = format!("{}\n", serde_json::to_string(manifest).unwrap_or_default());
    let mut fields = fields_v1(manifest);
    fields["f:metadata"]["f:annotations"]["."] = json!({});
    fields["f:metadata"]["f:annotations"]["f:kubectl.kubernetes.io/last-applied-configuration"] =
        json!({});
    let metadata = &mut object["metadata"];
    metadata["uid"] = json!("9c0d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f");
    metadata["creationTimestamp"] = json!("2026-11-02T09:14:27Z");
    if manifest.get("spec").is_some() {
        metadata["generation"] = json!(1);
    }
    metadata["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(last_applied);
    metadata["managedFields"] = json!([{
        "manager": "kubectl-client-side-apply",
        "operation": "Update",
        "apiVersion": manifest["apiVersion"],
        "time": "2026-11-02T09:14:27Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields
    }]);
    object
}

/// The defaults the API server writes into the kinds the benchmarks use.
fn apply_defaults(kind: &str, object: &mut Value) {
    let pod_spec = |spec: &mut Value| {
        for (field, value) in [
            ("restartPolicy", json!("Always")),
            ("terminationGracePeriodSeconds", json!(30)),
            ("dnsPolicy", json!("ClusterFirst")),
            ("securityContext", json!({})),
            ("schedulerName", json!("default-scheduler")),
        ] {
            spec[field] = value;
        }
        for container in spec["containers"].as_array_mut().into_iter().flatten() {
            container["terminationMessagePath"] = json!("/dev/termination-log");
            container["terminationMessagePolicy"] = json!("File");
            container["imagePullPolicy"] = json!("IfNotPresent");
            for port in container["ports"].as_array_mut().into_iter().flatten() {
                port["protocol"] = json!("TCP");
            }
        }
    };
    match kind {
        "Deployment" => {
            let spec = &mut object["spec"];
            spec["strategy"] = json!({"type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}});
            spec["revisionHistoryLimit"] = json!(10);
            spec["progressDeadlineSeconds"] = json!(600);
            spec["template"]["metadata"]["creationTimestamp"] = Value::Null;
            pod_spec(&mut spec["template"]["spec"]);
            object["status"] = json!({});
        }
        "NetworkPolicy" => {
            for rule in object["spec"]["egress"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                for port in rule["ports"].as_array_mut().into_iter().flatten() {
                    if port.get("protocol").is_none() {
                        port["protocol"] = json!("TCP");
                    }
                }
            }
        }
        "Ingress" => object["status"] = json!({"loadBalancer": {}}),
        "Service" => service_defaults(object),
        "Namespace" => {
            let name = object["metadata"]["name"].clone();
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            object["spec"] = json!({"finalizers": ["kubernetes"]});
            object["status"] = json!({"phase": "Active"});
        }
        _ => {}
    }
}

/// What the API server fills into a Service before admission: the defaults, and the cluster IP
/// and node ports it allocates (in the registry's BeginCreate, before validating admission).
fn service_defaults(object: &mut Value) {
    let spec = &mut object["spec"];
    let kind = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
    spec["type"] = json!(kind);
    spec["sessionAffinity"] = json!("None");
    spec["clusterIP"] = json!("10.96.148.21");
    spec["clusterIPs"] = json!(["10.96.148.21"]);
    spec["ipFamilies"] = json!(["IPv4"]);
    spec["ipFamilyPolicy"] = json!("SingleStack");
    spec["internalTrafficPolicy"] = json!("Cluster");
    let node_ports = kind == "NodePort" || kind == "LoadBalancer";
    if node_ports && spec.get("externalTrafficPolicy").is_none() {
        spec["externalTrafficPolicy"] = json!("Cluster");
    }
    if kind == "LoadBalancer" && spec.get("allocateLoadBalancerNodePorts").is_none() {
        spec["allocateLoadBalancerNodePorts"] = json!(true);
    }
    for (i, port) in spec["ports"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if port.get("protocol").is_none() {
            port["protocol"] = json!("TCP");
        }
        if port.get("targetPort").is_none() {
            port["targetPort"] = port["port"].clone();
        }
        if node_ports && port.get("nodePort").is_none() {
            port["nodePort"] = json!(30000 + i);
        }
    }
    object["status"] = json!({"loadBalancer": {}});
}

/// The `fieldsV1` set of a manifest: `f:<field>` for every field, `k:{"name":...}` for the
/// items of lists keyed by name, `.` for maps that are themselves set.
fn fields_v1(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut set = serde_json::Map::new();
            for (key, child) in map {
                if key == "apiVersion" || key == "kind" {
                    continue;
                }
                let mut entry = fields_v1(child);
                if child.is_object() && !child.as_object().is_some_and(|m| m.is_empty()) {
                    entry["."] = json!({});
                }
                set.insert(format!("f:{key}"), entry);
            }
            Value::Object(set)
        }
        Value::Array(items) => {
            let mut set = serde_json::Map::new();
            for item in items {
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    let mut entry = fields_v1(item);
                    entry["."] = json!({});
                    set.insert(format!("k:{{\"name\":{name:?}}}"), entry);
                }
            }
            Value::Object(set)
        }
        _ => json!({}),
    }
}

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
    inputs.extend(service_exposure());
    inputs.extend(mesh_authorization());
    inputs.extend(exposed_autoscaling());
    inputs.extend(host_ownership());
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
    let mut inputs = typical_and_minimal(
        "ingress-tls",
        ingress(2, annotations.clone()),
        settings.clone(),
    );
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
    let mut inputs = typical_and_minimal(
        "ingress-hardening",
        ingress(2, annotations(2)),
        settings.clone(),
    );
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
    let mut inputs = typical_and_minimal(
        "rate-limit-annotations",
        ingress(2, annotations.clone()),
        json!({}),
    );
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
    let mut inputs = typical_and_minimal("egress-restrictions", egress_policy(2), json!({}));
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
    // A CiliumNetworkPolicy of that many egress rules: CIDR sets, entities, FQDNs and ports.
    for n in [10, 100] {
        inputs.push(
            Input::new(
                "egress-restrictions",
                format!("cilium-{n}"),
                cilium_egress_policy(n),
                json!({}),
            )
            .in_series("cilium"),
        );
    }
    inputs
}

/// A CiliumNetworkPolicy of `rules` egress rules, each of one kind of peer, with ports.
fn cilium_egress_policy(rules: usize) -> Value {
    let egress: Vec<Value> = (0..rules)
        .map(|i| {
            let ports = json!([{"ports": [{"port": "443", "protocol": "TCP"},
                                          {"port": "8443", "endPort": 8450, "protocol": "TCP"}]}]);
            match i % 4 {
                0 => json!({"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                             "k8s-app": "kube-dns"}}],
                            "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}]}]}),
                1 => json!({"toCIDRSet": [{"cidr": format!("10.{}.{}.0/24", 20 + i / 256, i % 256),
                                           "except": [format!("10.{}.{}.128/25", 20 + i / 256, i % 256)]}],
                            "toPorts": ports}),
                2 => json!({"toFQDNs": [{"matchName": format!("api-{i}.example.com")},
                                        {"matchPattern": format!("*.svc-{i}.example.com")}],
                            "toPorts": ports}),
                _ => json!({"toCIDR": [format!("192.168.{}.0/24", i % 256)], "toPorts": ports}),
            }
        })
        .collect();
    json!({
        "apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "egress", "namespace": "team-a"},
        "spec": {"endpointSelector": {"matchLabels": {"app": "web"}}, "egress": egress}
    })
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
    // A live cluster answers with objects as the API server stored them.
    let stored: Vec<Value> = network_policies(2).iter().map(admitted).collect();
    let mut inputs: Vec<Input> = typical_and_minimal(policy, deployment(2), json!({}))
        .into_iter()
        .map(|input| input.with_cluster(stored.clone()))
        .collect();
    for n in SIZES {
        inputs.push(
            Input::new(policy, format!("netpols-{n}"), deployment(2), json!({}))
                .with_cluster(network_policies(n))
                .in_series("netpols"),
        );
    }
    // No NetworkPolicy: the Cilium policies of the namespace are read, the last one selects.
    for n in [10, 100] {
        inputs.push(
            Input::new(policy, format!("cilium-{n}"), deployment(2), json!({}))
                .with_cluster(cilium_policies(n))
                .in_series("cilium"),
        );
    }
    inputs
}

/// `n` CiliumNetworkPolicies of namespace "shop" as teams write them (toFQDNs egress, L4
/// ingress); only the last selects `app: web`.
fn cilium_policies(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let app = if i + 1 == n {
                "web".to_string()
            } else {
                format!("app-{i}")
            };
            json!({
                "apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"name": format!("cnp-{i}"), "namespace": "shop"},
                "spec": {
                    "endpointSelector": {"matchLabels": {"k8s:app": app}},
                    "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "gateway"}}],
                                 "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}],
                    "egress": [{"toFQDNs": [{"matchName": "api.example.com"}],
                                "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]
                }
            })
        })
        .collect()
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
    let mut inputs = typical_and_minimal("coredns-config", configmap(20), settings.clone());
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
    let mut inputs: Vec<Input> = typical_and_minimal("mesh-injection", deployment(2), json!({}))
        .into_iter()
        .map(|input| input.with_cluster(vec![admitted(&namespace)]))
        .collect();
    inputs.push(
        Input::new(
            "mesh-injection",
            "annotations-50".into(),
            deployment(50),
            json!({}),
        )
        .with_cluster(vec![namespace]),
    );
    inputs
}

/// A LoadBalancer of `ports` ports for an ingress controller, limited to the office networks.
fn load_balancer(ports: usize) -> Value {
    let ports: Vec<Value> = (0..ports)
        .map(|i| json!({"name": format!("port-{i}"), "port": 8000 + i, "targetPort": 8000 + i}))
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx",
                     "labels": {"app.kubernetes.io/name": "ingress-nginx",
                                "app.kubernetes.io/component": "controller"},
                     "annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}},
        "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local",
                 "loadBalancerSourceRanges": ["198.51.100.0/24", "203.0.113.0/25"],
                 "selector": {"app.kubernetes.io/name": "ingress-nginx",
                              "app.kubernetes.io/component": "controller"},
                 "ports": ports}
    })
}

/// An EndpointSlice of `endpoints` addresses written by hand for a selector-less Service.
fn endpoint_slice(endpoints: usize) -> Value {
    let endpoints: Vec<Value> = (0..endpoints)
        .map(|i| {
            json!({"addresses": [format!("10.{}.{}.{}", 20 + i / 65536, (i / 256) % 256, i % 256)],
                   "conditions": {"ready": true, "serving": true, "terminating": false},
                   "nodeName": format!("worker-{}", i % 16)})
        })
        .collect();
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "legacy-db-1", "namespace": "payments",
                     "labels": {"kubernetes.io/service-name": "legacy-db",
                                "endpointslice.kubernetes.io/managed-by": "ops.example.com"}},
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]
    })
}

fn service_exposure() -> Vec<Input> {
    let policy = "service-exposure";
    let settings = json!({"allowedSourceRanges": ["198.51.100.0/24", "203.0.113.0/24"],
                          "nodePortNamespaces": ["ingress-nginx"],
                          "apiServerAndNodeCIDRs": ["192.168.10.0/24"]});
    let mut inputs = typical_and_minimal(policy, load_balancer(2), settings.clone());
    for n in [10, 100] {
        inputs.push(
            Input::new(
                policy,
                format!("ports-{n}"),
                load_balancer(n),
                settings.clone(),
            )
            .in_series("ports"),
        );
    }
    for n in SIZES {
        inputs.push(
            Input::new(
                policy,
                format!("endpoints-{n}"),
                endpoint_slice(n),
                settings.clone(),
            )
            .in_series("endpoints"),
        );
    }
    inputs
}

/// An Istio AuthorizationPolicy for the `web` pods with `rules` ALLOW rules, each naming its
/// callers and the requests they may make.
fn authorization_policy(rules: usize) -> Value {
    let rules: Vec<Value> = (0..rules)
        .map(|i| {
            json!({"from": [{"source": {"principals": [format!("cluster.local/ns/front/sa/client-{i}")]}}],
                   "to": [{"operation": {"methods": ["GET", "POST"], "paths": [format!("/api/v1/items-{i}/*")],
                                         "ports": ["8080"]}}],
                   "when": [{"key": "request.auth.claims[iss]", "values": ["https://issuer.example.com"]}]})
        })
        .collect();
    json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
           "metadata": {"name": "web", "namespace": "shop", "labels": {"app.kubernetes.io/part-of": "shop"}},
           "spec": {"selector": {"matchLabels": {"app": "web"}}, "action": "ALLOW", "rules": rules}})
}

fn mesh_authorization() -> Vec<Input> {
    let policy = "mesh-authorization";
    let mut inputs = typical_and_minimal(policy, authorization_policy(3), json!({}));
    // A Deployment in an injected namespace, covered by the root namespace's allow-nothing.
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}});
    let allow_nothing = json!({"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "allow-nothing", "namespace": "istio-system"}, "spec": {}});
    let mut workload = Input::typical(policy, deployment(2), json!({}))
        .with_cluster(vec![admitted(&namespace), admitted(&allow_nothing)]);
    workload.name = "deployment".into();
    inputs.push(workload);
    for n in SIZES {
        inputs.push(
            Input::new(
                policy,
                format!("rules-{n}"),
                authorization_policy(n),
                json!({}),
            )
            .in_series("rules"),
        );
    }
    inputs
}

/// `count` Services and as many HPAs in namespace `shop`, each pair for its own app; only the
/// last Service (a LoadBalancer) selects the Deployment's pods, and the last HPA scales it.
fn services_and_hpas(count: usize) -> Vec<Value> {
    let mut objects = Vec::new();
    for i in 0..count {
        let last = i + 1 == count;
        let app = if last {
            "web".to_string()
        } else {
            format!("svc-{i}")
        };
        let name = if last { "web".to_string() } else { app.clone() };
        objects.push(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": format!("{app}-svc"), "namespace": "shop"},
            "spec": {"type": if last { "LoadBalancer" } else { "ClusterIP" },
                     "selector": {"app": app},
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}
        }));
        objects.push(json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                     "minReplicas": 2, "maxReplicas": 20,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                  "target": {"type": "Utilization", "averageUtilization": 70}}}]}
        }));
    }
    objects
}

fn exposed_autoscaling() -> Vec<Input> {
    let policy = "exposed-autoscaling";
    // A live cluster answers with objects as the API server stored them.
    let stored: Vec<Value> = services_and_hpas(2).iter().map(admitted).collect();
    let mut inputs: Vec<Input> = typical_and_minimal(policy, deployment(2), json!({}))
        .into_iter()
        .map(|input| input.with_cluster(stored.clone()))
        .collect();
    for n in SIZES {
        inputs.push(
            Input::new(
                policy,
                format!("services-hpas-{n}"),
                deployment(2),
                json!({}),
            )
            .with_cluster(services_and_hpas(n))
            .in_series("services-hpas"),
        );
    }
    inputs
}

/// `count` Ingresses of other teams, one namespace each, two hosts apiece (a rule and its TLS
/// entry), none meeting the hosts of [`ingress`]: every listed claim is compared, none conflicts.
fn claimed_ingresses(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let host = format!("app-{i}.team-{i}.example.org");
            json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": format!("web-{i}"), "namespace": format!("team-{i}"),
                             "uid": format!("5d1c0e4a-{i:04}")},
                "spec": {"ingressClassName": "nginx",
                         "tls": [{"hosts": [host], "secretName": "web-tls"}],
                         "rules": [{"host": host, "http": {"paths": [
                             {"path": "/", "pathType": "Prefix",
                              "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
            })
        })
        .collect()
}

/// The cost grows with the claims listed from the cluster: the series scales the Ingresses of
/// other namespaces (the budget is per KB of the listed JSON, see the policy's README).
fn host_ownership() -> Vec<Input> {
    let policy = "host-ownership";
    let settings = json!({"hostOwners": {"*.shop.example.com": ["team-a"]},
                          "allowSharedHosts": ["www.example.com"]});
    // As the API server stored them, each keeping its own uid (`admitted` stamps one for all).
    let stored = |n: usize| -> Vec<Value> {
        claimed_ingresses(n)
            .iter()
            .map(|o| {
                let mut stored = admitted(o);
                stored["metadata"]["uid"] = o["metadata"]["uid"].clone();
                stored
            })
            .collect()
    };
    let mut inputs: Vec<Input> =
        typical_and_minimal(policy, ingress(2, json!({})), settings.clone())
            .into_iter()
            .map(|input| input.with_cluster(stored(10)))
            .collect();
    for n in SIZES {
        inputs.push(
            Input::new(
                policy,
                format!("listed-{n}"),
                ingress(2, json!({})),
                settings.clone(),
            )
            .with_cluster(stored(n))
            .in_series("listed"),
        );
    }
    inputs
}
