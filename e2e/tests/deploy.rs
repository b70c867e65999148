//! deploy/: every manifest is generated and up to date, valid against the Kubewarden CRDs (with
//! unknown fields refused), and says what the policy's metadata says; its settings behave as the
//! policy's defaults and its namespaceSelector hides nothing the policy guards.

use std::collections::BTreeMap;

use netsec_e2e::{dist_module, root};
use netsec_runner::PolicyHost;
use netsec_runner::bundle::{self, PolicyDir};
use netsec_runner::manifests::{self, GroupsFile, NAMESPACE_NAME_LABEL};
use netsec_runner::scenario;
use serde_json::{Value, json};

fn yaml_file(path: &std::path::Path) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// kind -> the CRD's openAPIV3Schema of its served v1 version, with every object that lists its
/// properties closed to others, as `kubectl apply --validate=strict` treats unknown fields.
fn schemas() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("e2e/crds")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let crd = yaml_file(&path);
        assert_eq!(crd["spec"]["group"], "policies.kubewarden.io");
        let version = crd["spec"]["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "v1" && v["served"] == true)
            .unwrap_or_else(|| panic!("{}: no served v1", path.display()));
        let mut schema = version["schema"]["openAPIV3Schema"].clone();
        close(&mut schema);
        out.insert(
            crd["spec"]["names"]["kind"].as_str().unwrap().to_string(),
            schema,
        );
    }
    out
}

fn close(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    let open = map.contains_key("additionalProperties")
        || map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if map.contains_key("properties") && !open {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for value in map.values_mut() {
        match value {
            Value::Array(items) => items.iter_mut().for_each(close),
            other => close(other),
        }
    }
}

fn validate(schemas: &BTreeMap<String, Value>, file: &str, manifest: &Value) {
    let kind = manifest["kind"].as_str().unwrap();
    let schema = schemas
        .get(kind)
        .unwrap_or_else(|| panic!("{file}: no CRD for kind {kind}"));
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(manifest)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{file} is not a valid {kind}:\n{}",
        errors.join("\n")
    );
    assert_eq!(
        manifest["apiVersion"], "policies.kubewarden.io/v1",
        "{file}"
    );
}

fn loaded() -> (Vec<PolicyDir>, GroupsFile) {
    (
        bundle::load_all(&root()).unwrap(),
        GroupsFile::load(&root().join("policy-groups.yml")).unwrap(),
    )
}

#[test]
fn deploy_is_generated_and_up_to_date() {
    let (policies, groups) = loaded();
    let files = manifests::generate(&policies, &groups, None).unwrap();
    let differences = bundle::differences(&root().join("deploy"), &files, true).unwrap();
    assert!(
        differences.is_empty(),
        "run `make manifests` and commit deploy/:\n{}",
        differences.join("\n")
    );
}

#[test]
fn the_schema_check_refuses_what_the_api_server_would() {
    let schemas = schemas();
    let schema = &schemas["ClusterAdmissionPolicy"];
    let validator = jsonschema::validator_for(schema).unwrap();
    let good = yaml_file(&root().join("deploy/ingress-tls.yaml"));
    assert!(validator.is_valid(&good));
    for (pointer, value) in [
        ("/spec/mode", json!("enforce")),
        ("/spec/mutating", json!("yes")),
        ("/spec/modul", json!("registry://x/y:v1")),
        ("/spec/rules/0/apiGroup", json!(["networking.k8s.io"])),
        ("/spec/timeoutSeconds", json!(60)),
    ] {
        let mut bad = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        bad.pointer_mut(parent).unwrap()[key] = value;
        assert!(!validator.is_valid(&bad), "{pointer} should be refused");
    }
    let mut bad = good.clone();
    bad["spec"].as_object_mut().unwrap().remove("module");
    assert!(!validator.is_valid(&bad), "module is required");
}

#[test]
fn policies_deploy_as_their_metadata_says() {
    let schemas = schemas();
    let (policies, _) = loaded();
    let kustomization = yaml_file(&root().join("deploy/kustomization.yaml"));
    let mut listed: Vec<&str> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    listed.sort();
    let mut expected: Vec<String> = policies
        .iter()
        .map(|p| format!("{}.yaml", p.name))
        .collect();
    expected.sort();
    assert_eq!(listed, expected, "kustomization.yaml lists every policy");

    for policy in &policies {
        let file = format!("deploy/{}.yaml", policy.name);
        let manifest = yaml_file(&root().join(&file));
        validate(&schemas, &file, &manifest);
        assert_eq!(manifest["kind"], "ClusterAdmissionPolicy");
        assert_eq!(manifest["metadata"]["name"], policy.name.as_str());
        let spec = &manifest["spec"];
        let metadata = serde_json::to_value(&policy.metadata).unwrap();
        assert_eq!(spec["rules"], metadata["rules"], "{file}: rules");
        assert_eq!(
            spec["contextAwareResources"], metadata["contextAwareResources"],
            "{file}: contextAwareResources"
        );
        assert_eq!(spec["mutating"], metadata["mutating"], "{file}");
        assert_eq!(
            spec["backgroundAudit"], metadata["backgroundAudit"],
            "{file}"
        );
        assert_eq!(spec["mode"], "protect", "{file}");
        assert_eq!(
            spec["module"],
            format!(
                "registry://{}:v{}",
                policy.annotation("io.kubewarden.policy.ociUrl").unwrap(),
                policy.version
            ),
            "{file}"
        );

        // The settings are the policy's defaults: valid, and every case that runs with `{}`
        // passes with them too.
        let settings = &spec["settings"];
        assert!(
            settings.as_object().is_some_and(|s| !s.is_empty()),
            "{file}"
        );
        let mut host = PolicyHost::from_file(&dist_module(&policy.name)).unwrap();
        if let Err(message) = host.validate_settings(settings).unwrap() {
            panic!("{file}: the policy refuses the settings: {message}");
        }
        let results = scenario::run_file_with_defaults(
            &mut host,
            &policy.dir.join("scenarios.yaml"),
            settings,
        )
        .unwrap();
        let failures: Vec<String> = results
            .iter()
            .filter_map(|r| Some(format!("{}: {}", r.name, r.failure.as_ref()?)))
            .collect();
        assert!(
            failures.is_empty(),
            "{file}: the settings do not behave as the defaults:\n{}",
            failures.join("\n")
        );

        // The selector leaves out Kubernetes' namespaces, never one the policy guards.
        let expressions = spec["namespaceSelector"]["matchExpressions"]
            .as_array()
            .unwrap();
        assert_eq!(expressions.len(), 1, "{file}");
        assert_eq!(expressions[0]["key"], NAMESPACE_NAME_LABEL);
        assert_eq!(expressions[0]["operator"], "NotIn");
        let left_out: Vec<&str> = expressions[0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let guarded = policy.guarded_namespaces().unwrap();
        for ns in &guarded {
            assert!(
                !left_out.contains(&ns.as_str()),
                "{file}: hides {ns}, which it guards"
            );
        }
        for system in manifests::SYSTEM_NAMESPACES {
            assert!(
                left_out.contains(&system) || guarded.contains(system),
                "{file}: {system} is neither left out nor guarded"
            );
        }
    }
    let coredns = yaml_file(&root().join("deploy/coredns-config.yaml"));
    assert!(
        !coredns["spec"]["namespaceSelector"]["matchExpressions"][0]["values"]
            .as_array()
            .unwrap()
            .contains(&json!("kube-system")),
        "CoreDNS's ConfigMaps live in kube-system"
    );
}

#[test]
fn ingress_baseline_group_requires_both_policies() {
    let schemas = schemas();
    let file = "deploy/ingress-baseline.yaml";
    let group = yaml_file(&root().join(file));
    validate(&schemas, file, &group);
    assert_eq!(group["kind"], "ClusterAdmissionPolicyGroup");
    let spec = &group["spec"];
    assert_eq!(
        spec["expression"],
        "ingress_tls() && rate_limit_annotations()"
    );
    assert_eq!(
        spec["rules"],
        json!([{
            "apiGroups": ["networking.k8s.io"],
            "apiVersions": ["v1"],
            "resources": ["ingresses"],
            "operations": ["CREATE", "UPDATE"],
        }])
    );
    let members = spec["policies"].as_object().unwrap();
    assert_eq!(members.len(), 2);
    for (id, policy) in [
        ("ingress_tls", "ingress-tls"),
        ("rate_limit_annotations", "rate-limit-annotations"),
    ] {
        let own = yaml_file(&root().join(format!("deploy/{policy}.yaml")));
        assert_eq!(members[id]["module"], own["spec"]["module"], "{id}");
        assert_eq!(members[id]["settings"], own["spec"]["settings"], "{id}");
    }
    // Groups never mutate: rate-limit-annotations must not be asked to.
    assert_eq!(
        members["rate_limit_annotations"]["settings"]["mutate"],
        false
    );
    assert!(!spec["message"].as_str().unwrap().is_empty());
}
