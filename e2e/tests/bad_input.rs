//! The bad-input suite: every policy's module, fed requests no API server should send and some
//! an attacker might. Each must end in a well-formed accept or reject (a reject says why), within
//! the deadline, never a trap; what a policy cannot read is rejected (fail closed); an object of
//! a kind the policy does not judge is accepted.

use netsec_e2e::{Sample, dist_module, policies, samples};
use netsec_runner::PolicyHost;
use netsec_runner::host::GuestResponse;
use serde_json::{Value, json};

/// The module's answer to a raw payload, which must be a well-formed response.
fn answer(host: &mut PolicyHost, policy: &str, what: &str, payload: &[u8]) -> GuestResponse {
    let response = host
        .validate_payload(payload)
        .unwrap_or_else(|e| panic!("{policy}: {what}: no well-formed answer: {e}"));
    if !response.accepted {
        let message = response.message.as_deref().unwrap_or_default();
        assert!(
            !message.trim().is_empty(),
            "{policy}: {what}: rejected without a message"
        );
    }
    response
}

fn payload(request: &Value, settings: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"request": request, "settings": settings})).unwrap()
}

/// A case the policy rejects as it stands: its object is one the policy judges, so whatever
/// breaks its reading must be rejected too.
fn judged_sample(host: &mut PolicyHost, policy: &str) -> Sample {
    samples(policy)
        .into_iter()
        .find(|s| {
            host.set_cluster(s.cluster.clone());
            s.request["operation"] == "CREATE"
                && s.request["object"].is_object()
                && host.validate_settings(&s.settings).unwrap().is_ok()
                && host
                    .validate_payload(&s.payload())
                    .is_ok_and(|r| !r.accepted)
        })
        .unwrap_or_else(|| panic!("{policy} has no rejected CREATE scenario without a cluster"))
}

fn with_object(sample: &Sample, object: Value) -> Value {
    let mut request = sample.request.clone();
    request["object"] = object;
    request
}

#[test]
fn payloads_that_are_not_admission_requests_are_rejected_with_a_message() {
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let cases: [(&str, &[u8]); 9] = [
            ("empty payload", b""),
            ("payload is an array", b"[]"),
            ("payload is a string", b"\"x\""),
            ("payload is null", b"null"),
            ("truncated JSON", b"{\"request\": {\"uid\": \"1\""),
            (
                "request is an array",
                b"{\"request\": [], \"settings\": {}}",
            ),
            (
                "request is a string",
                b"{\"request\": \"x\", \"settings\": {}}",
            ),
            (
                "settings are a string",
                b"{\"request\": {}, \"settings\": \"x\"}",
            ),
            (
                "payload is not UTF-8",
                b"{\"request\": {\"uid\": \"\xff\xfe\"}}",
            ),
        ];
        for (what, bytes) in cases {
            let response = answer(&mut host, &policy, what, bytes);
            assert!(!response.accepted, "{policy}: {what}: accepted");
        }
    }
}

#[test]
fn objects_that_cannot_be_read_are_rejected() {
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let sample = judged_sample(&mut host, &policy);
        let object = &sample.request["object"];
        let mut missing = sample.request.clone();
        missing.as_object_mut().unwrap().remove("object");
        let mut cases = vec![
            ("no object", missing),
            ("object is null", with_object(&sample, Value::Null)),
            ("object is a string", with_object(&sample, json!("x"))),
            ("object is an array", with_object(&sample, json!([object]))),
            ("object is a number", with_object(&sample, json!(1e308))),
        ];
        let mut spec = object.clone();
        spec["spec"] = json!("x");
        cases.push(("spec is a string", with_object(&sample, spec)));
        let mut metadata = object.clone();
        metadata["metadata"] = json!([]);
        cases.push(("metadata is an array", with_object(&sample, metadata)));
        for (what, request) in cases {
            let response = answer(
                &mut host,
                &policy,
                what,
                &payload(&request, &sample.settings),
            );
            assert!(!response.accepted, "{policy}: {what}: accepted");
        }
    }
}

#[test]
fn fields_of_the_wrong_type_huge_numbers_and_duplicate_keys_get_an_answer() {
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let sample = judged_sample(&mut host, &policy);
        let object = &sample.request["object"];
        let mut cases = Vec::new();
        for (field, bad) in [
            ("labels", json!([])),
            ("annotations", json!("x")),
            ("labels", json!({"a": 1})),
            ("annotations", json!({"a": ["b"]})),
            ("name", json!(42)),
            ("namespace", json!({})),
        ] {
            let mut o = object.clone();
            o["metadata"][field] = bad.clone();
            cases.push((
                format!("metadata.{field} = {bad}"),
                payload(&with_object(&sample, o), &sample.settings),
            ));
        }
        // Every leaf of the object in turn replaced by values of other types.
        for (i, path) in leaf_paths(object).into_iter().enumerate().take(40) {
            let bad = [json!([]), json!({}), json!(-1), json!("x"), json!(true)][i % 5].clone();
            let mut o = object.clone();
            *o.pointer_mut(&path).unwrap() = bad.clone();
            cases.push((
                format!("{path} = {bad}"),
                payload(&with_object(&sample, o), &sample.settings),
            ));
        }
        // Numbers no field can hold, written into the raw JSON where the sample has a value.
        let text = String::from_utf8(payload(&sample.request, &sample.settings)).unwrap();
        for huge in [
            "1e400",
            "-1e400",
            "123456789012345678901234567890",
            "-0.0",
            "1.5",
        ] {
            let at = text.find("\"metadata\":").unwrap() + "\"metadata\":".len();
            let edited = format!("{}{{\"generation\":{huge},{}", &text[..at], &text[at + 1..]);
            cases.push((format!("metadata.generation = {huge}"), edited.into_bytes()));
        }
        let object_text = serde_json::to_string(object).unwrap();
        // Duplicate keys: the object's own fields twice, and a duplicated metadata.
        let doubled = format!(
            "{},{}",
            &object_text[..object_text.len() - 1],
            &object_text[1..]
        );
        cases.push((
            "every key of the object twice".into(),
            raw_request(&sample, &doubled),
        ));
        let dup_meta = object_text.replacen(
            "\"metadata\":",
            "\"metadata\":{\"name\":\"decoy\"},\"metadata\":",
            1,
        );
        cases.push(("metadata twice".into(), raw_request(&sample, &dup_meta)));
        // Strings that are not UTF-8, raw and as lone surrogate escapes.
        let mut invalid = raw_request(&sample, &object_text);
        let name_at = find(&invalid, b"\"metadata\":{").unwrap() + 12;
        invalid.splice(name_at..name_at, b"\"x\":\"\xc3\x28\xff\",".iter().copied());
        cases.push(("invalid UTF-8 in a string".into(), invalid));
        let surrogate =
            object_text.replacen("\"metadata\":{", "\"metadata\":{\"x\":\"\\ud800\",", 1);
        cases.push((
            "a lone surrogate escape".into(),
            raw_request(&sample, &surrogate),
        ));

        for (what, bytes) in &cases {
            answer(&mut host, &policy, what, bytes);
        }
        // The instance is still sound after all of that.
        let again = answer(&mut host, &policy, "the sample again", &sample.payload());
        assert!(!again.accepted, "{policy}: the sample is now accepted");
    }
}

#[test]
fn objects_of_kinds_the_policy_does_not_select_are_accepted() {
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "creds", "namespace": "team-a"}, "data": {"spec": "eA=="}});
    let request = json!({"uid": "bad-kind", "kind": {"group": "", "version": "v1", "kind": "Secret"},
        "resource": {"group": "", "version": "v1", "resource": "secrets"},
        "name": "creds", "namespace": "team-a", "operation": "CREATE",
        "userInfo": {"username": "alice"}, "object": secret});
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let sample = judged_sample(&mut host, &policy);
        let response = answer(
            &mut host,
            &policy,
            "a Secret",
            &payload(&request, &sample.settings),
        );
        assert!(
            response.accepted,
            "{policy}: a Secret is rejected: {:?}",
            response.message
        );
    }
}

#[test]
fn ten_megabyte_objects_and_deep_nesting_end_within_the_deadline() {
    for policy in policies() {
        let mut host = PolicyHost::from_file(&dist_module(&policy)).unwrap();
        let sample = judged_sample(&mut host, &policy);
        let object = &sample.request["object"];

        let mut big = object.clone();
        let filler: Vec<Value> = (0..100_000)
            .map(|i| json!({"name": format!("filler-{i:06}"), "value": "x".repeat(70)}))
            .collect();
        big["metadata"]["annotations"]["bulk"] = json!("y".repeat(2 << 20));
        big["status"] = json!({"filler": filler});
        let big_payload = payload(&with_object(&sample, big), &sample.settings);
        assert!(big_payload.len() > 10 << 20, "{}", big_payload.len());
        answer(&mut host, &policy, "a 10 MB object", &big_payload);

        let depth = 10_000;
        let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let object_text = serde_json::to_string(object).unwrap();
        let in_status = format!(
            "{},\"status\":{nested}}}",
            &object_text[..object_text.len() - 1]
        );
        answer(
            &mut host,
            &policy,
            "nesting in status",
            &raw_request(&sample, &in_status),
        );
        let in_spec = format!("{}{{}}{}", "{\"spec\":".repeat(depth), "}".repeat(depth));
        answer(
            &mut host,
            &policy,
            "nested specs",
            &raw_request(&sample, &in_spec),
        );
        let as_object = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        answer(
            &mut host,
            &policy,
            "nested object",
            &raw_request(&sample, &as_object),
        );
        let whole = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let r = answer(&mut host, &policy, "nested payload", whole.as_bytes());
        assert!(!r.accepted, "{policy}: a nested array payload is accepted");
    }
}

/// The sample's request with `object_text` spliced in verbatim as its object.
fn raw_request(sample: &Sample, object_text: &str) -> Vec<u8> {
    let mut request = sample.request.clone();
    request["object"] = json!("@@OBJECT@@");
    let text = String::from_utf8(payload(&request, &sample.settings)).unwrap();
    text.replacen("\"@@OBJECT@@\"", object_text, 1).into_bytes()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// JSON pointers to every scalar in `value`.
fn leaf_paths(value: &Value) -> Vec<String> {
    fn walk(value: &Value, path: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(
                        v,
                        format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{path}/{i}"), out);
                }
            }
            _ => out.push(path),
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}
