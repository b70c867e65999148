//! `netsec scan` over the example application in examples/shop, as a CI job runs it: exit codes,
//! each output format (snapshots in tests/snapshots/, rewritten with `UPDATE_SNAPSHOTS=1`), SARIF
//! against the published 2.1.0 schema, stdin, input errors, cluster context, deployed manifests,
//! mutation and webhook selectors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use netsec_e2e::{dist_module, netsec, policies, root};
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn scan(args: &[&str]) -> Run {
    scan_stdin(args, None)
}

fn scan_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    for policy in policies() {
        dist_module(&policy);
    }
    let mut child = Command::new(netsec())
        .arg("scan")
        .args(args)
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Compares with tests/snapshots/<name>, or writes it under `UPDATE_SNAPSHOTS=1`.
fn snapshot(name: &str, actual: &str) {
    let path = root().join("e2e/tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from its snapshot (UPDATE_SNAPSHOTS=1 rewrites it; review the diff):\n{actual}"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netsec-scan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json_report(args: &[&str]) -> (i32, Value) {
    let run = scan(&[args, &["-o", "json"]].concat());
    let value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    (run.code, value)
}

/// policy id -> (outcome, message) for one object of a JSON report.
fn verdicts(report: &Value, kind: &str, name: &str) -> Vec<(String, String, String)> {
    let object = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == kind && o["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {report:#}"));
    object["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["policy"].as_str().unwrap().to_string(),
                v["outcome"].as_str().unwrap().to_string(),
                v["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn outcome(report: &Value, kind: &str, name: &str, policy: &str) -> Option<String> {
    verdicts(report, kind, name)
        .into_iter()
        .find(|(p, _, _)| p == policy)
        .map(|(_, o, _)| o)
}

#[test]
fn the_passing_application_is_accepted_by_every_policy() {
    let run = scan(&["examples/shop/passing"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    snapshot("scan-passing.txt", &run.stdout);

    // The same with the manifests deploy/ holds: their settings, rules and the policy group.
    let (code, report) = json_report(&[
        "--policies",
        "deploy",
        "--bundle",
        "dist",
        "examples/shop/passing",
    ]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        outcome(
            &report,
            "Ingress",
            "web",
            "clusterwide-group-ingress-baseline"
        )
        .as_deref(),
        Some("accepted")
    );
    let objects = report["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 10, "every document of the application");
    for kind in [
        "Deployment",
        "Service",
        "Ingress",
        "NetworkPolicy",
        "HorizontalPodAutoscaler",
        "Gateway",
        "HTTPRoute",
    ] {
        assert!(objects.iter().any(|o| o["kind"] == kind), "{kind}");
    }
    // The Deployment's NetworkPolicy and the route's Gateway come from the scanned objects; the
    // kinds the application does not hold (StatefulSets, ListenerSets...) may be flagged.
    let text = report.to_string();
    for found in [
        "networking.k8s.io/v1/NetworkPolicy in",
        "gateway.networking.k8s.io/v1/Gateway in",
    ] {
        assert!(!text.contains(found), "{found}: {report:#}");
    }
}

#[test]
fn the_failing_application_is_rejected_in_every_format() {
    let run = scan(&["-n", "shop", "examples/shop/failing"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    snapshot("scan-failing.txt", &run.stdout);
    assert!(
        run.stdout
            .contains("examples/shop/failing/app.yaml:70 Ingress shop/web"),
        "{}",
        run.stdout
    );

    let warn_only = scan(&["-n", "shop", "--warn-only", "examples/shop/failing"]);
    assert_eq!(warn_only.code, 0, "--warn-only");

    let (code, report) = json_report(&["-n", "shop", "examples/shop/failing"]);
    assert_eq!(code, 1);
    for (kind, name, policy) in [
        ("Deployment", "web", "network-policy-presence"),
        ("NetworkPolicy", "web-egress", "egress-restrictions"),
        ("Ingress", "web", "ingress-tls"),
        ("Ingress", "web", "rate-limit-annotations"),
        ("Gateway", "shop", "ingress-tls"),
        ("HTTPRoute", "api", "ingress-tls"),
    ] {
        assert_eq!(
            outcome(&report, kind, name, policy).as_deref(),
            Some("rejected"),
            "{kind} {name} by {policy}: {report:#}"
        );
    }
    assert_eq!(
        outcome(&report, "Ingress", "web", "ingress-hardening").as_deref(),
        Some("accepted")
    );
    // A ClusterIP Service that selects the autoscaled Deployment exposes nothing outside.
    for policy in ["service-exposure", "exposed-autoscaling"] {
        assert_eq!(
            outcome(&report, "Service", "web", policy).as_deref(),
            Some("accepted"),
            "Service web by {policy}"
        );
    }
    assert_eq!(
        outcome(
            &report,
            "HorizontalPodAutoscaler",
            "web",
            "exposed-autoscaling"
        )
        .as_deref(),
        Some("rejected"),
        "minReplicas 1 under the minReplicas setting while the target is exposed"
    );
    // mesh-injection reads the Namespace, which neither the application nor --cluster holds.
    let deployment = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap();
    let mesh = deployment["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["policy"] == "mesh-injection")
        .unwrap();
    assert!(
        mesh["missingContext"][0]
            .as_str()
            .unwrap()
            .contains("v1/Namespace shop was not found"),
        "{mesh:#}"
    );
    assert_eq!(deployment["namespace"], "shop", "-n fills in the namespace");
    assert_eq!(deployment["line"], 5);
    snapshot(
        "scan-failing.json",
        &serde_json::to_string_pretty(&report).unwrap(),
    );

    for (format, file) in [
        ("sarif", "scan-failing.sarif"),
        ("junit", "scan-failing.xml"),
        ("policyreport", "scan-failing.policyreport.yaml"),
    ] {
        let run = scan(&["-n", "shop", "-o", format, "examples/shop/failing"]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        snapshot(file, &run.stdout);
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("e2e/testdata/sarif/sarif-schema-2.1.0.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid_sarif(validator: &jsonschema::Validator, log: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}\n{log:#}",
        errors.join("\n")
    );
}

#[test]
fn sarif_is_valid_against_the_published_schema() {
    let validator = sarif_validator();
    let dir = temp_dir("sarif");
    std::fs::write(
        dir.join("broken.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: [\n",
    )
    .unwrap();
    std::fs::write(dir.join("note.yaml"), "just: a note\n").unwrap();
    let broken = dir.to_str().unwrap();
    for args in [
        vec!["-n", "shop", "examples/shop/failing"],
        vec!["examples/shop/passing"],
        vec![
            "--policies",
            "deploy",
            "--bundle",
            "dist",
            "examples/shop/failing",
        ],
        vec![broken],
    ] {
        let run = scan(&[&args[..], &["-o", "sarif"]].concat());
        let log: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_valid_sarif(&validator, &log);
    }
    let run = scan(&["-n", "shop", "-o", "sarif", "examples/shop/failing"]);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), policies().len(), "one rule per policy");
    let ingress = results
        .iter()
        .find(|r| {
            r["ruleId"] == "ingress-tls"
                && r["level"] == "error"
                && r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("Ingress shop/web")
        })
        .expect("the Ingress rejection");
    let location = &ingress["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "examples/shop/failing/app.yaml"
    );
    assert_eq!(location["region"]["startLine"], 70);
    assert_eq!(
        rules[ingress["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "ingress-tls"
    );

    // The schema does catch a malformed log, so the checks above can fail.
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&bad));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn input_errors_exit_2_and_the_scan_goes_on() {
    let dir = temp_dir("errors");
    std::fs::write(
        dir.join("a.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: [broken\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.yaml"),
        "# a values file that is not an object\nreplicas: 3\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]\n",
    )
    .unwrap();
    let a = dir.join("a.yaml");
    let run = scan(&[dir.to_str().unwrap(), "missing.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let a = a.to_string_lossy();
    // libyaml notices the unclosed flow sequence at the end of the document.
    assert!(
        (4..=5).any(|l| run.stdout.contains(&format!("{a}:{l} not valid YAML"))),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("missing.yaml no such file or directory"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("b.yaml:2 not a Kubernetes object: it has no apiVersion and no kind"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("NetworkPolicy shop/open"),
        "the other file is scanned: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("egress-restrictions: REJECTED"),
        "{}",
        run.stdout
    );
    let warn_only = scan(&["--warn-only", dir.to_str().unwrap()]);
    assert_eq!(warn_only.code, 2, "an input error is not a warning");

    let usage = scan(&[]);
    assert_eq!(usage.code, 2, "no path: {}", usage.stderr);
    let unknown = scan(&["--policy", "nowhere.wasm", "examples/shop/passing"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("nowhere.wasm"),
        "{}",
        unknown.stderr
    );
    let bad_settings_dir = temp_dir("settings");
    let module = dist_module("ingress-tls");
    std::fs::write(
        bad_settings_dir.join("p.yaml"),
        format!("apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {{name: tls}}\nspec:\n  module: {}\n  settings: {{allowedHostSufixes: [example.com]}}\n", module.display()),
    )
    .unwrap();
    let settings = scan(&[
        "--policies",
        bad_settings_dir.to_str().unwrap(),
        "examples/shop/passing",
    ]);
    assert_eq!(settings.code, 2);
    assert!(
        settings.stderr.contains("clusterwide-tls")
            && settings.stderr.contains("allowedHostSufixes"),
        "{}",
        settings.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&bad_settings_dir).unwrap();
}

#[test]
fn helm_output_on_stdin() {
    let text = std::fs::read_to_string(root().join("examples/shop/failing/app.yaml")).unwrap();
    let helm = format!("---\n# Source: shop/templates/NOTES.txt\n---\n{text}---\n");
    let run = scan_stdin(&["-n", "shop", "-o", "json", "-"], Some(&helm));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let ingress = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Ingress")
        .unwrap();
    assert_eq!(ingress["file"], "-");
    assert_eq!(
        ingress["line"],
        70 + 3,
        "lines count from the start of the stream"
    );
}

#[test]
fn cluster_context_answers_lookups() {
    let dir = temp_dir("cluster");
    let cluster = dir.join("cluster.yaml");
    std::fs::write(
        &cluster,
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n    labels: {istio-injection: enabled}\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: default-deny, namespace: shop}\n  spec:\n    podSelector: {}\n    policyTypes: [Ingress, Egress]\n",
    )
    .unwrap();
    let (_, without) = json_report(&["-n", "shop", "examples/shop/failing"]);
    assert_eq!(
        outcome(&without, "Deployment", "web", "network-policy-presence").as_deref(),
        Some("rejected")
    );
    assert_eq!(
        outcome(&without, "Deployment", "web", "mesh-injection").as_deref(),
        Some("rejected")
    );
    let (_, with) = json_report(&[
        "-n",
        "shop",
        "--cluster",
        cluster.to_str().unwrap(),
        "examples/shop/failing",
    ]);
    assert_eq!(
        outcome(&with, "Deployment", "web", "network-policy-presence").as_deref(),
        Some("accepted"),
        "{with:#}"
    );
    assert_eq!(
        outcome(&with, "Deployment", "web", "mesh-injection").as_deref(),
        Some("accepted"),
        "{with:#}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deployed_manifests_decide_settings_mutation_and_selectors() {
    let dir = temp_dir("deployed");
    let module = |p: &str| dist_module(p).display().to_string();
    std::fs::write(
        dir.join("policies.yaml"),
        format!(
            "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {{name: rate-limits}}\nspec:\n  module: {rl}\n  mutating: true\n  rules:\n  - {{apiGroups: [networking.k8s.io], apiVersions: [v1], resources: [ingresses], operations: [CREATE, UPDATE]}}\n  settings: {{mutate: true}}\n---\napiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {{name: tls-elsewhere}}\nspec:\n  module: {tls}\n  rules:\n  - {{apiGroups: [networking.k8s.io], apiVersions: [v1], resources: [ingresses], operations: [CREATE]}}\n  namespaceSelector:\n    matchExpressions: [{{key: kubernetes.io/metadata.name, operator: NotIn, values: [shop]}}]\n---\napiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {{name: tls-on-update-only}}\nspec:\n  module: {tls}\n  rules:\n  - {{apiGroups: [networking.k8s.io], apiVersions: [v1], resources: [ingresses], operations: [UPDATE]}}\n---\napiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {{name: tls-monitor}}\nspec:\n  module: {tls}\n  mode: monitor\n  rules:\n  - {{apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], operations: ['*']}}\n",
            rl = module("rate-limit-annotations"),
            tls = module("ingress-tls"),
        ),
    )
    .unwrap();
    let (code, report) = json_report(&[
        "-n",
        "shop",
        "--policies",
        dir.to_str().unwrap(),
        "examples/shop/failing",
    ]);
    assert_eq!(code, 0, "only monitor-mode rejections remain: {report:#}");
    let ingress = verdicts(&report, "Ingress", "web");
    let ids: Vec<&str> = ingress.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        ids,
        ["clusterwide-rate-limits", "clusterwide-tls-monitor"],
        "the namespaceSelector excludes shop, the UPDATE-only rule does not match a CREATE, and the mutating policy runs first"
    );
    let object = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Ingress")
        .unwrap();
    let patch = &object["verdicts"][0]["patch"];
    assert_eq!(patch[0]["op"], "add", "{patch:#}");
    assert!(
        patch
            .to_string()
            .contains("nginx.ingress.kubernetes.io/limit-rps"),
        "{patch:#}"
    );
    let monitor = &object["verdicts"][1];
    assert_eq!(monitor["outcome"], "rejected");
    assert_eq!(monitor["enforced"], false);

    let text = scan(&[
        "-n",
        "shop",
        "--policies",
        dir.to_str().unwrap(),
        "examples/shop/failing",
    ])
    .stdout;
    assert!(
        text.contains("clusterwide-rate-limits: would mutate"),
        "{text}"
    );
    assert!(text.contains("patch: [{\"op\":\"add\""), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn policy_reports_and_junit_have_their_shape() {
    let run = scan(&["-n", "shop", "-o", "policyreport", "examples/shop/failing"]);
    let reports: Vec<Value> = run
        .stdout
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_yaml::from_str(d).unwrap())
        .collect();
    assert_eq!(reports.len(), 7, "one report per object");
    let deployment = reports
        .iter()
        .find(|r| r["scope"]["kind"] == "Deployment")
        .unwrap();
    assert_eq!(deployment["kind"], "PolicyReport");
    assert_eq!(deployment["apiVersion"], "wgpolicyk8s.io/v1alpha2");
    assert_eq!(deployment["metadata"]["namespace"], "shop");
    assert_eq!(
        deployment["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kubewarden"
    );
    // mesh-injection, exposed-autoscaling, mesh-authorization and network-policy-presence.
    assert_eq!(deployment["summary"]["fail"], 4);
    assert_eq!(deployment["summary"]["pass"], 1);
    let result = deployment["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["policy"] == "network-policy-presence")
        .unwrap();
    assert_eq!(result["result"], "fail");
    assert_eq!(result["source"], "kubewarden");
    assert_eq!(result["scored"], true);
    assert_eq!(result["properties"]["validating"], "true");
    assert_eq!(result["properties"]["context-aware"], "true");
    assert_eq!(result["timestamp"]["seconds"], 1767225600);

    let junit = scan(&["-n", "shop", "-o", "junit", "examples/shop/failing"]).stdout;
    assert_eq!(
        junit.matches("<testcase ").count(),
        19,
        "one per object × policy applied"
    );
    assert_eq!(junit.matches("<failure ").count(), 10);
    assert!(
        junit.contains(r#"<testsuites name="netsec scan" tests="19" failures="10" errors="0">"#),
        "{junit}"
    );
}
