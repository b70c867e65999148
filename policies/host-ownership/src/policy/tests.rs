use super::*;
use netsec_shared::cluster::MemoryCluster;
use serde_json::{Value, json};

const SOLVER_PATH: &str = "/.well-known/acme-challenge/x4Tf9_k-2";

fn ingress(ns: &str, name: &str, host: &str, paths: &[&str]) -> Value {
    let paths: Vec<Value> = paths
        .iter()
        .map(|p| {
            json!({"path": p, "pathType": "Prefix",
                        "backend": {"service": {"name": "web", "port": {"number": 80}}}})
        })
        .collect();
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}")},
           "spec": {"rules": [{"host": host, "http": {"paths": paths}}]}})
}

fn route(kind: &str, ns: &str, name: &str, hosts: &[&str]) -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind,
           "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}")},
           "spec": {"parentRefs": [{"name": "public", "namespace": "infra"}], "hostnames": hosts,
                    "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}})
}

fn gateway(ns: &str, name: &str, listeners: &[(&str, i64)]) -> Value {
    let listeners: Vec<Value> = listeners
        .iter()
        .enumerate()
        .map(|(i, (h, p))| json!({"name": format!("l{i}"), "hostname": h, "port": p, "protocol": "HTTPS"}))
        .collect();
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
           "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}")},
           "spec": {"gatewayClassName": "eg", "listeners": listeners}})
}

fn namespace(name: &str, terminating: bool) -> Value {
    let mut ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
                        "status": {"phase": "Active"}});
    if terminating {
        ns["metadata"]["deletionTimestamp"] = json!("2026-11-02T09:14:27Z");
        ns["status"]["phase"] = json!("Terminating");
    }
    ns
}

fn request(object: &Value, operation: &str) -> Value {
    let api = object["apiVersion"].as_str().unwrap();
    let (group, version) = api.split_once('/').unwrap_or(("", api));
    json!({"uid": "r1", "kind": {"group": group, "version": version, "kind": object["kind"]},
           "namespace": object["metadata"]["namespace"], "operation": operation,
           "object": object})
}

/// The module's `validate` on a whole payload, natively.
fn verdict_of(payload: Value, cluster: &dyn Cluster) -> Verdict {
    let bytes = serde_json::to_vec(&payload).unwrap();
    netsec_shared::guest::verdict::<Settings, crate::Views, _>(&bytes, |r, s| {
        evaluate(r, s, cluster)
    })
}

fn run_on(object: &Value, operation: &str, settings: Value, cluster: &dyn Cluster) -> Verdict {
    verdict_of(
        json!({"request": request(object, operation), "settings": settings}),
        cluster,
    )
}

fn run(object: &Value, settings: Value, cluster: Vec<Value>) -> Verdict {
    run_on(object, "CREATE", settings, &MemoryCluster::new(cluster))
}

fn message(v: &Verdict) -> String {
    v.message().unwrap_or_default()
}

#[track_caller]
fn accepted(v: Verdict) {
    assert!(v.is_accepted(), "{}", message(&v));
}

#[track_caller]
fn rejected(v: Verdict, parts: &[&str]) {
    let m = message(&v);
    assert!(!v.is_accepted(), "accepted, wanted {parts:?}");
    for part in parts {
        assert!(m.contains(part), "{m:?} lacks {part:?}");
    }
}

#[test]
fn one_namespace_per_host() {
    let mine = ingress("team-b", "shop", "shop.example.com", &["/"]);
    let theirs = ingress("team-a", "shop", "shop.example.com", &["/"]);
    rejected(
        run(&mine, json!({}), vec![theirs.clone()]),
        &[
            "spec.rules[0].host \"shop.example.com\" is already claimed by namespace team-a",
            "Ingress team-a/shop",
        ],
    );
    // The same namespace may claim it again; another host is free.
    let again = ingress("team-a", "shop-v2", "shop.example.com", &["/v2"]);
    accepted(run(&again, json!({}), vec![theirs.clone()]));
    let other = ingress("team-b", "blog", "blog.example.com", &["/"]);
    accepted(run(&other, json!({}), vec![theirs]));
}

#[test]
fn update_of_self_and_delete() {
    let me = ingress("team-a", "shop", "shop.example.com", &["/"]);
    let cluster = MemoryCluster::new(vec![me.clone()]);
    accepted(run_on(&me, "UPDATE", json!({}), &cluster));
    // The same uid without a namespace (a hand-built request) is still itself.
    let mut bare = me.clone();
    bare["metadata"]["namespace"] = json!("");
    let mut listed = me.clone();
    listed["metadata"]["namespace"] = json!("elsewhere");
    accepted(run_on(
        &bare,
        "UPDATE",
        json!({}),
        &MemoryCluster::new(vec![listed]),
    ));
    let theirs = ingress("team-b", "x", "shop.example.com", &["/"]);
    let cluster = MemoryCluster::new(vec![theirs]);
    rejected(run_on(&me, "UPDATE", json!({}), &cluster), &["team-b"]);
    accepted(run_on(&me, "DELETE", json!({}), &cluster));
}

#[test]
fn wildcards_as_each_api_reads_them() {
    // Ingress: one label; Gateway API: any depth; neither the apex.
    let deep = route("HTTPRoute", "team-a", "deep", &["a.b.example.com"]);
    let ing_wild = ingress("team-b", "wild", "*.example.com", &["/"]);
    accepted(run(&ing_wild, json!({}), vec![deep.clone()]));
    let gw_wild = route("HTTPRoute", "team-b", "wild", &["*.example.com"]);
    rejected(
        run(&gw_wild, json!({}), vec![deep.clone()]),
        &[
            "spec.hostnames[0] \"*.example.com\"",
            "HTTPRoute team-a/deep (\"a.b.example.com\")",
        ],
    );
    // And the other way round: the listed wildcard covers the new name.
    let listed_wild = route("HTTPRoute", "team-a", "wild", &["*.example.com"]);
    let named = ingress("team-b", "a", "a.b.example.com", &["/"]);
    rejected(
        run(&named, json!({}), vec![listed_wild.clone()]),
        &["team-a/wild"],
    );
    let apex = ingress("team-b", "apex", "example.com", &["/"]);
    accepted(run(&apex, json!({}), vec![listed_wild]));
    let listed_ing = ingress("team-a", "wild", "*.example.com", &["/"]);
    accepted(run(&named, json!({}), vec![listed_ing.clone()]));
    let one = ingress("team-b", "one", "a.example.com", &["/"]);
    rejected(
        run(&one, json!({}), vec![listed_ing]),
        &["\"*.example.com\""],
    );
}

#[test]
fn tls_hosts_and_every_claimant_kind_claim() {
    let mut tls_only = ingress("team-b", "tls", "other.example.com", &["/"]);
    tls_only["spec"]["tls"] = json!([{"hosts": ["shop.example.com"], "secretName": "s"}]);
    let theirs = ingress("team-a", "shop", "shop.example.com", &["/"]);
    rejected(
        run(&tls_only, json!({}), vec![theirs.clone()]),
        &["spec.tls[0].hosts[0] \"shop.example.com\""],
    );
    for kind in ["HTTPRoute", "GRPCRoute", "TLSRoute"] {
        let mine = route(kind, "team-b", "r", &["shop.example.com"]);
        rejected(
            run(&mine, json!({}), vec![theirs.clone()]),
            &["team-a/shop"],
        );
        let listed = route(kind, "team-a", "r", &["shop.example.com"]);
        let new = ingress("team-b", "x", "shop.example.com", &["/"]);
        rejected(
            run(&new, json!({}), vec![listed]),
            &[&format!("{kind} team-a/r")],
        );
    }
}

fn virtual_service(ns: &str, name: &str, hosts: &[&str], gateways: Option<&[&str]>) -> Value {
    let mut vs = json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"hosts": hosts, "http": [{"route": [{"destination": {"host": "web"}}]}]}});
    if let Some(g) = gateways {
        vs["spec"]["gateways"] = json!(g);
    }
    vs
}

#[test]
fn virtual_services_claim_only_when_bound_to_a_gateway() {
    let theirs = ingress("team-a", "shop", "shop.example.com", &["/"]);
    let mesh = virtual_service("team-b", "vs", &["shop.example.com"], Some(&["mesh"]));
    accepted(run(&mesh, json!({}), vec![theirs.clone()]));
    let unbound = virtual_service("team-b", "vs", &["shop.example.com"], None);
    accepted(run(&unbound, json!({}), vec![theirs.clone()]));
    let bound = virtual_service(
        "team-b",
        "vs",
        &["shop.example.com"],
        Some(&["istio-system/public"]),
    );
    rejected(
        run(&bound, json!({}), vec![theirs.clone()]),
        &["spec.hosts[0]"],
    );
    let listed = bound.clone();
    let new = ingress("team-c", "x", "shop.example.com", &["/"]);
    rejected(
        run(&new, json!({}), vec![listed]),
        &["VirtualService team-b/vs"],
    );
    // Short names and `*` claim nothing external.
    let short = virtual_service("team-b", "vs", &["reviews", "*"], Some(&["public"]));
    accepted(run(&short, json!({}), vec![theirs]));
}

#[test]
fn shared_gateway_serves_many_namespaces() {
    let platform = gateway(
        "infra",
        "public",
        &[("*.example.com", 443), ("shop.example.com", 80)],
    );
    let shop = route("HTTPRoute", "shop", "web", &["shop.example.com"]);
    let blog = route("HTTPRoute", "blog", "web", &["blog.example.com"]);
    accepted(run(&shop, json!({}), vec![platform.clone(), blog.clone()]));
    accepted(run(&platform, json!({}), vec![shop.clone(), blog]));
    // Listeners meet listeners of other namespaces on the same port only.
    let rogue = gateway("team-x", "mine", &[("shop.example.com", 443)]);
    rejected(
        run(&rogue, json!({}), vec![platform.clone()]),
        &[
            "spec.listeners[0].hostname \"shop.example.com\" on port 443",
            "Gateway infra/public (\"*.example.com\")",
        ],
    );
    let other_port = gateway("team-x", "mine", &[("shop.example.com", 8443)]);
    accepted(run(&other_port, json!({}), vec![platform.clone()]));
    let same_ns = gateway("infra", "second", &[("shop.example.com", 443)]);
    accepted(run(&same_ns, json!({}), vec![platform]));
}

#[test]
fn istio_gateway_hosts_with_namespaces() {
    let istio = |ns: &str, hosts: &[&str], port: i64| {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
               "metadata": {"name": "gw", "namespace": ns},
               "spec": {"selector": {"istio": "ingressgateway"},
                        "servers": [{"port": {"number": port, "name": "https", "protocol": "HTTPS"},
                                     "hosts": hosts}]}})
    };
    let platform = istio(
        "istio-system",
        &["shop/shop.example.com", "./*.example.org"],
        443,
    );
    let team = istio("team-x", &["*/shop.example.com"], 443);
    rejected(
        run(&team, json!({}), vec![platform.clone()]),
        &[
            "spec.servers[0].hosts[0] \"shop.example.com\"",
            "Istio Gateway istio-system/gw",
        ],
    );
    let deep = istio("team-x", &["team-x/a.b.example.org"], 443);
    rejected(
        run(&deep, json!({}), vec![platform.clone()]),
        &["\"*.example.org\""],
    );
    let apex = istio("team-x", &["example.org", "*"], 443);
    accepted(run(&apex, json!({}), vec![platform.clone()]));
    let bad = istio("team-x", &["a/b/c.example.com"], 443);
    rejected(run(&bad, json!({}), vec![]), &["more than one \"/\""]);
    // VirtualServices bind to it from their namespaces: not a conflict.
    let vs = virtual_service(
        "shop",
        "vs",
        &["shop.example.com"],
        Some(&["istio-system/gw"]),
    );
    accepted(run(&vs, json!({}), vec![platform]));
}

#[test]
fn objects_and_namespaces_on_their_way_out() {
    let mine = ingress("team-b", "shop", "shop.example.com", &["/"]);
    let mut deleting = ingress("team-a", "shop", "shop.example.com", &["/"]);
    deleting["metadata"]["deletionTimestamp"] = json!("2026-11-02T09:14:27Z");
    accepted(run(&mine, json!({}), vec![deleting]));
    let in_old = ingress("team-old", "shop", "shop.example.com", &["/"]);
    let cluster = vec![
        in_old.clone(),
        namespace("team-old", true),
        namespace("team-b", false),
    ];
    accepted(run(&mine, json!({}), cluster));
    let cluster = vec![in_old, namespace("team-old", false)];
    rejected(run(&mine, json!({}), cluster), &["team-old"]);
    // A terminating object under admission only loses finalizers.
    let mut leaving = mine.clone();
    leaving["metadata"]["deletionTimestamp"] = json!("2026-11-02T09:14:27Z");
    let theirs = ingress("team-a", "shop", "shop.example.com", &["/"]);
    accepted(run(&leaving, json!({}), vec![theirs]));
}

/// Answers from memory, except the listings of `kinds`: those get `answer` instead, a failure
/// with its message or fixed JSON text (as a host may write it, with escapes and spacing
/// serde_json would not produce).
struct Overriding {
    memory: MemoryCluster,
    kinds: &'static [&'static str],
    answer: Result<&'static str, &'static str>,
}

impl Cluster for Overriding {
    fn list_by_namespace(&self, r: Resource<'_>, ns: &str, f: &[&str]) -> Result<Vec<u8>, String> {
        self.memory.list_by_namespace(r, ns, f)
    }
    fn list_all(&self, r: Resource<'_>, f: &[&str]) -> Result<Vec<u8>, String> {
        if !self.kinds.contains(&r.kind) {
            return self.memory.list_all(r, f);
        }
        match self.answer {
            Ok(text) => Ok(text.as_bytes().to_vec()),
            Err(message) => Err(message.to_string()),
        }
    }
    fn get(
        &self,
        r: Resource<'_>,
        n: &str,
        ns: Option<&str>,
        f: &[&str],
    ) -> Result<Vec<u8>, String> {
        self.memory.get(r, n, ns, f)
    }
}

#[test]
fn failed_reads() {
    let mine = ingress("team-b", "shop", "shop.example.com", &["/"]);
    let theirs = ingress("team-a", "shop", "shop.example.com", &["/"]);
    let partial = |kinds, message| Overriding {
        memory: MemoryCluster::new(vec![theirs.clone()]),
        kinds,
        answer: Err(message),
    };
    // An API the cluster does not serve has no objects; the conflict is still found.
    let no_istio = partial(
        &["VirtualService", "TLSRoute"],
        "ApiError: 404 page not found",
    );
    rejected(
        run_on(&mine, "CREATE", json!({}), &no_istio),
        &["team-a/shop"],
    );
    let lone = ingress("team-b", "blog", "blog.example.com", &["/"]);
    accepted(run_on(&lone, "CREATE", json!({}), &no_istio));
    // Any other failure, and any failure to list Ingresses, rejects.
    let refused = partial(
        &["HTTPRoute"],
        "Policy has not been granted access to Kubernetes gateway.networking.k8s.io/v1/HTTPRoute",
    );
    rejected(
        run_on(&lone, "CREATE", json!({}), &refused),
        &[
            "HTTPRoutes of the cluster cannot be listed",
            "contextAwareResources",
        ],
    );
    let no_ingress = partial(&["Ingress"], "404 not found");
    rejected(
        run_on(&lone, "CREATE", json!({}), &no_ingress),
        &["Ingresses"],
    );
    // Namespaces are read only when a conflict is found.
    let no_ns = partial(&["Namespace"], "refused");
    accepted(run_on(&lone, "CREATE", json!({}), &no_ns));
    rejected(
        run_on(&mine, "CREATE", json!({}), &no_ns),
        &["Namespaces cannot be listed"],
    );
}

#[test]
fn unreadable_objects_and_hosts() {
    let mut broken = ingress("team-b", "x", "a.example.com", &["/"]);
    broken["spec"]["rules"] = json!("x");
    rejected(
        run(&broken, json!({}), vec![]),
        &["cannot be read as an Ingress"],
    );
    let bad_host = ingress("team-b", "x", "a.*.example.com", &["/"]);
    rejected(
        run(&bad_host, json!({}), vec![]),
        &["spec.rules[0].host \"a.*.example.com\" cannot be read"],
    );
    let wrong_kind = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "x", "namespace": "a"}});
    let mut payload = request(&wrong_kind, "CREATE");
    payload["object"]["kind"] = json!("Service");
    let v = verdict_of(json!({"request": payload}), &MemoryCluster::default());
    rejected(v, &["is a Service, not an Ingress"]);
    // A hand-built request without the group: the object's apiVersion names it.
    let mine = ingress("team-b", "x", "shop.example.com", &["/"]);
    let theirs = ingress("team-a", "y", "shop.example.com", &["/"]);
    let cluster = MemoryCluster::new(vec![theirs]);
    for kind in [json!({"kind": "Ingress"}), json!({})] {
        let mut bare = request(&mine, "CREATE");
        bare["kind"] = kind;
        rejected(
            verdict_of(json!({"request": bare}), &cluster),
            &["team-a/y"],
        );
    }
    let mut core = request(&mine, "CREATE");
    core["kind"] = json!({"kind": "ConfigMap"});
    core["object"] = json!({"kind": "ConfigMap", "data": {"spec": "x"}, "spec": 1});
    accepted(verdict_of(json!({"request": core}), &cluster));
    // Other kinds are not this policy's.
    let svc =
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x", "namespace": "a"}});
    accepted(run(&svc, json!({}), vec![]));
}

#[test]
fn owners() {
    let settings = json!({"hostOwners": {"*.shop.example.com": ["shop", "shop-staging"],
                                         "shop.example.com": ["shop"],
                                         "*.example.com": ["platform"]}});
    let claim = |ns: &str, host: &str| ingress(ns, "x", host, &["/"]);
    accepted(run(
        &claim("shop", "a.shop.example.com"),
        settings.clone(),
        vec![],
    ));
    accepted(run(
        &claim("shop-staging", "a.b.shop.example.com"),
        settings.clone(),
        vec![],
    ));
    rejected(
        run(
            &claim("blog", "a.shop.example.com"),
            settings.clone(),
            vec![],
        ),
        &[
            "belongs to namespace shop, shop-staging (hostOwners \"*.shop.example.com\"), not to blog",
        ],
    );
    // The most specific entry decides.
    rejected(
        run(
            &claim("shop-staging", "shop.example.com"),
            settings.clone(),
            vec![],
        ),
        &["hostOwners \"shop.example.com\""],
    );
    accepted(run(
        &claim("platform", "www.example.com"),
        settings.clone(),
        vec![],
    ));
    // A wildcard over owned hosts reaches into them.
    let wild = route("HTTPRoute", "platform", "all", &["*.example.com"]);
    rejected(
        run(&wild, settings.clone(), vec![]),
        &[
            "also covers hosts of \"*.shop.example.com\", which belong to namespace shop, shop-staging",
        ],
    );
    // Whatever exists elsewhere: ownership is decided by the map, not by who came first.
    let squatter = claim("blog", "a.shop.example.com");
    let owner = run(
        &claim("shop", "a.shop.example.com"),
        settings.clone(),
        vec![squatter.clone()],
    );
    assert_eq!(owner.warnings().len(), 1, "{owner:?}");
    assert!(
        owner.warnings()[0].contains("Ingress blog/x also claims"),
        "{owner:?}"
    );
    accepted(owner);
    // Two owner namespaces still do not share one host.
    let staging = claim("shop-staging", "a.shop.example.com");
    rejected(
        run(
            &claim("shop", "a.shop.example.com"),
            settings.clone(),
            vec![staging],
        ),
        &["shop-staging/x"],
    );
    rejected(run(&squatter, settings.clone(), vec![]), &["not to blog"]);
    // Unowned hosts: free, unless requireOwner.
    accepted(run(
        &claim("blog", "blog.example.org"),
        settings.clone(),
        vec![],
    ));
    let mut strict = settings.clone();
    strict["requireOwner"] = json!(true);
    rejected(
        run(&claim("blog", "blog.example.org"), strict.clone(), vec![]),
        &["not covered by any hostOwners entry, and requireOwner is true"],
    );
    accepted(run(&claim("shop", "a.shop.example.com"), strict, vec![]));
    // Listeners are infrastructure: the map does not apply to them.
    let gw = gateway("infra", "public", &[("*.shop.example.com", 443)]);
    accepted(run(&gw, settings, vec![]));
}

#[test]
fn shared_hosts_split_by_path() {
    let settings = json!({"allowSharedHosts": ["www.example.com"]});
    let api = ingress("team-api", "api", "www.example.com", &["/api"]);
    let web = ingress("team-web", "web", "www.example.com", &["/"]);
    accepted(run(&web, settings.clone(), vec![api.clone()]));
    rejected(
        run(&web, json!({}), vec![api.clone()]),
        &["already claimed by namespace team-api"],
    );
    let same = ingress("team-web", "web", "www.example.com", &["/api"]);
    rejected(
        run(&same, settings.clone(), vec![api.clone()]),
        &[
            "is a shared host (allowSharedHosts), but namespace team-api already routes the same paths",
        ],
    );
    // An HTTPRoute without matches routes `/`; a TLSRoute the whole host.
    let route_root = route("HTTPRoute", "team-home", "home", &["www.example.com"]);
    accepted(run(&route_root, settings.clone(), vec![api.clone()]));
    rejected(
        run(&route_root, settings.clone(), vec![web]),
        &["same paths"],
    );
    let tls = route("TLSRoute", "team-web", "tls", &["www.example.com"]);
    rejected(run(&tls, settings, vec![api]), &["same paths"]);
}

#[test]
fn acme_solvers() {
    let solver = |ns: &str| {
        let mut s = ingress(
            ns,
            "cm-acme-http-solver-abcde",
            "shop.example.com",
            &[SOLVER_PATH],
        );
        s["metadata"]["labels"] = json!({"acme.cert-manager.io/http01-solver": "true"});
        s["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = json!("ImplementationSpecific");
        s
    };
    let shop = ingress("shop", "web", "shop.example.com", &["/"]);
    // In the claimant's namespace: no conflict at all.
    accepted(run(&solver("shop"), json!({}), vec![shop.clone()]));
    // A platform Gateway's certificate: the solver sits in the Gateway's namespace.
    let platform = gateway("infra", "public", &[("*.example.com", 443)]);
    accepted(run(
        &solver("infra"),
        json!({}),
        vec![shop.clone(), platform.clone()],
    ));
    let new_shop = ingress("shop", "web2", "shop.example.com", &["/"]);
    accepted(run(
        &new_shop,
        json!({}),
        vec![solver("infra"), platform.clone()],
    ));
    // Elsewhere it would answer the name's challenges: a claim like any other.
    rejected(
        run(
            &solver("team-x"),
            json!({}),
            vec![shop.clone(), platform.clone()],
        ),
        &["shop/web"],
    );
    rejected(
        run(&new_shop, json!({}), vec![solver("team-x"), platform]),
        &["Ingress team-x/cm-acme-http-solver-abcde"],
    );
    // The shape decides, not the label: a second path makes it an ordinary claim.
    let mut fake = solver("infra");
    let paths = fake["spec"]["rules"][0]["http"]["paths"]
        .as_array_mut()
        .unwrap();
    paths.push(json!({"path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "x", "port": {"number": 80}}}}));
    let gw = gateway("infra", "public", &[("*.example.com", 443)]);
    rejected(run(&fake, json!({}), vec![shop.clone(), gw]), &["shop/web"]);
    // hostOwners gives the host to the solver's namespace.
    let owners = json!({"hostOwners": {"shop.example.com": ["shop", "certs"]}});
    accepted(run(&solver("certs"), owners.clone(), vec![shop.clone()]));
    rejected(
        run(&solver("team-x"), owners, vec![shop]),
        &["belongs to namespace shop, certs"],
    );
}

/// The listed claims are scanned, and only those near the request's hosts decoded: what the
/// scan cannot read exactly (escapes, a value of another type) is decoded, never skipped.
#[test]
fn listed_claims_are_scanned_then_decoded_when_near() {
    let mine = ingress("team-b", "shop", "shop.example.com", &["/"]);
    let run = |answer: &'static str| {
        let cluster = Overriding {
            memory: MemoryCluster::default(),
            kinds: &["Ingress"],
            answer: Ok(answer),
        };
        run_on(&mine, "CREATE", json!({}), &cluster)
    };
    // A host written with a unicode escape is the same host.
    rejected(
        run(
            r#"{"items": [ {"metadata": {"name": "x", "namespace": "team-a"},
                "spec": {"rules": [{"host": "sh\u006fp.example.com"}]}} ]}"#,
        ),
        &["is already claimed by namespace team-a", "Ingress team-a/x"],
    );
    // So is a key written with one.
    rejected(
        run(r#"{"items":[{"metadata":{"name":"x","namespace":"team-a"},
                "spec":{"rules":[{"h\u006fst":"shop.example.com"}]}}]}"#),
        &["Ingress team-a/x"],
    );
    // Far hosts are skipped, near ones read.
    accepted(run(
        r#"{"items":[{"metadata":{"name":"x","namespace":"team-a"},
            "spec":{"rules":[{"host":"blog.example.org"}],"tls":[{"hosts":["a.example.net"]}]}}]}"#,
    ));
    rejected(
        run(r#"{"items":[{"metadata":{"name":"x","namespace":"team-a"},
                "spec":{"tls":[{"hosts":["*.example.com"]}]}}]}"#),
        &["Ingress team-a/x"],
    );
    // A host that is not a string is read, and the answer refused (fail closed).
    rejected(
        run(r#"{"items":[{"metadata":{"name":"x","namespace":"team-a"},
                "spec":{"rules":[{"host":42}]}}]}"#),
        &["the listed Ingresses cannot be read"],
    );
    // Text that is not JSON is refused, wherever it breaks.
    for broken in [
        r#"{"items":[{"spec":{"rules":[{"host":"far.example.org"}]}}"#,
        r#"{"items":[{"spec":{"rules":[{"host":"far.example.org",}]}}]}"#,
        r#"{"items":[{"spec":{"x":01}}]}"#,
    ] {
        rejected(run(broken), &["the listed Ingresses cannot be read"]);
    }
}
