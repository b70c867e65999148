//! The manifests a scan reads: files, directories (recursively, `*.yaml`, `*.yml`, `*.json`) and
//! standard input, split into YAML documents with the line each starts on, `List`s expanded into
//! their items. Reading never stops at a bad document: it is reported and the rest goes on.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// Where manifests come from; standard input is read once and kept, since a scan reads its
/// sources twice (once for the cluster context, once to evaluate).
#[derive(Clone, Debug)]
pub enum Source {
    File(PathBuf),
    Stdin(String),
}

impl Source {
    /// How the report names it: the path as given, or `-` for standard input.
    pub fn display(&self) -> String {
        match self {
            Source::File(path) => {
                let text = path.to_string_lossy().replace('\\', "/");
                text.strip_prefix("./").unwrap_or(&text).to_string()
            }
            Source::Stdin(_) => "-".into(),
        }
    }

    fn text(&self) -> std::io::Result<std::borrow::Cow<'_, str>> {
        match self {
            Source::File(path) => std::fs::read_to_string(path).map(Into::into),
            Source::Stdin(text) => Ok(text.as_str().into()),
        }
    }

    fn is_json(&self) -> bool {
        matches!(self, Source::File(p) if p.extension().is_some_and(|e| e == "json"))
    }
}

/// One thing found in the input.
#[derive(Clone, Debug)]
pub enum Event {
    Object(Document),
    /// A document that is not a Kubernetes object.
    Skipped {
        file: String,
        line: usize,
        reason: String,
    },
    /// A file that cannot be read or a document that cannot be parsed.
    Error {
        file: String,
        line: Option<usize>,
        message: String,
    },
}

/// A Kubernetes object and where it was written.
#[derive(Clone, Debug)]
pub struct Document {
    pub file: String,
    /// 1-based line of the document (or of the `List` item).
    pub line: usize,
    pub object: Value,
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// The sources named on the command line: directories expanded (sorted, so reports are stable),
/// `-` read from standard input. A path that does not exist is an input error, not the end of the
/// scan.
pub fn sources(
    paths: &[PathBuf],
    stdin: impl FnOnce() -> std::io::Result<String>,
) -> (Vec<Source>, Vec<Event>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut stdin = Some(stdin);
    for path in paths {
        if path.as_os_str() == "-" {
            match stdin.take() {
                Some(read) => match read() {
                    Ok(text) => out.push(Source::Stdin(text)),
                    Err(e) => errors.push(Event::Error {
                        file: "-".into(),
                        line: None,
                        message: format!("cannot read standard input: {e}"),
                    }),
                },
                None => errors.push(Event::Error {
                    file: "-".into(),
                    line: None,
                    message: "standard input (-) is named more than once".into(),
                }),
            }
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, &mut errors);
            files.sort();
            out.extend(files.into_iter().map(Source::File));
        } else if path.exists() {
            out.push(Source::File(path.clone()));
        } else {
            errors.push(Event::Error {
                file: Source::File(path.clone()).display(),
                line: None,
                message: "no such file or directory".into(),
            });
        }
    }
    (out, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Event>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(Event::Error {
                file: Source::File(dir.to_path_buf()).display(),
                line: None,
                message: format!("cannot list the directory: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files, errors);
        } else if is_manifest(&path) {
            files.push(path);
        }
    }
}

/// Reads one source and hands every object, skipped document and error to `emit`, in order.
pub fn read(source: &Source, emit: &mut dyn FnMut(Event)) {
    let file = source.display();
    let text = match source.text() {
        Ok(text) => text,
        Err(e) => {
            emit(Event::Error {
                file,
                line: None,
                message: format!("cannot read the file: {e}"),
            });
            return;
        }
    };
    if source.is_json() {
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => expand(&file, first_content_line(&text, 1), value, None, emit),
            Err(e) => emit(Event::Error {
                file,
                line: Some(e.line()),
                message: format!("not valid JSON: {e}"),
            }),
        }
        return;
    }
    for (start, chunk) in documents(&text) {
        let line = first_content_line(chunk, start);
        match serde_yaml::from_str::<Value>(chunk) {
            Ok(value) => expand(&file, line, value, Some((chunk, start)), emit),
            Err(e) => emit(Event::Error {
                file: file.clone(),
                line: Some(e.location().map_or(line, |l| start + l.line() - 1)),
                message: format!("not valid YAML: {}", yaml_error(&e)),
            }),
        }
    }
}

/// serde_yaml appends "at line L column C" relative to the document; the report gives the
/// file's line instead.
fn yaml_error(e: &serde_yaml::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The YAML documents of a stream and the 1-based line each starts on. A document begins after a
/// `---` marker line (YAML 1.2 §9.1.3: `---` at the start of a line, followed by a space or the
/// end of the line) and ends at the next marker or at a `...` end marker.
fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start_byte = 0;
    let mut start_line = 1;
    let mut ended = false;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let marker = |m: &str| {
            bare.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        if marker("---") {
            if !ended {
                out.push((start_line, &text[start_byte..offset]));
            }
            ended = false;
            // Content after the marker (`--- !tag` or `--- {a: 1}`) belongs to the document:
            // keep the line, blanking the marker so columns stay right.
            let rest = bare[3..].trim();
            if rest.is_empty() || rest.starts_with('#') {
                start_byte = offset + line.len();
                start_line = i + 2;
            } else {
                start_byte = offset + 3;
                start_line = i + 1;
            }
        } else if marker("...") {
            if !ended {
                out.push((start_line, &text[start_byte..offset]));
            }
            ended = true;
        }
        offset += line.len();
    }
    if !ended {
        out.push((start_line, &text[start_byte..]));
    }
    out
}

/// The first line of a document holding content (not blank, a comment or a directive).
fn first_content_line(chunk: &str, start: usize) -> usize {
    chunk
        .lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !l.starts_with('%')
        })
        .map_or(start, |i| start + i)
}

/// Emits an object, or the items of a `List` (`kind: List`, or any `*List` kind with `items`, as
/// `kubectl get -o yaml` writes), or the reason a document is skipped.
fn expand(
    file: &str,
    line: usize,
    value: Value,
    yaml: Option<(&str, usize)>,
    emit: &mut dyn FnMut(Event),
) {
    let skip = |reason: String| Event::Skipped {
        file: file.to_string(),
        line,
        reason,
    };
    match value {
        Value::Null => {}
        Value::Object(mut map) => {
            let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
            let is_list = kind.ends_with("List") && map.get("items").is_some_and(Value::is_array);
            if is_list {
                let Some(Value::Array(items)) = map.remove("items") else {
                    return;
                };
                let lines = yaml
                    .map(|(chunk, start)| item_lines(chunk, start))
                    .filter(|l| l.len() == items.len())
                    .unwrap_or_else(|| vec![line; items.len()]);
                for (item, line) in items.into_iter().zip(lines) {
                    expand(file, line, item, None, emit);
                }
                return;
            }
            let has = |field: &str| {
                map.get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
            };
            let missing: Vec<&str> = ["apiVersion", "kind"]
                .into_iter()
                .filter(|f| !has(f))
                .collect();
            if missing.is_empty() {
                emit(Event::Object(Document {
                    file: file.to_string(),
                    line,
                    object: Value::Object(map),
                }));
            } else {
                emit(skip(format!(
                    "not a Kubernetes object: it has no {}",
                    missing.join(" and no ")
                )));
            }
        }
        Value::Array(items) => {
            // A JSON file may hold an array of objects.
            for item in items {
                expand(file, line, item, None, emit);
            }
        }
        other => emit(skip(format!(
            "not a Kubernetes object: the document is a {}",
            match other {
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                _ => "string",
            }
        ))),
    }
}

/// The lines where the entries of a top-level `items:` sequence start, in block style.
fn item_lines(chunk: &str, start: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut lines = chunk.lines().enumerate();
    if !lines
        .by_ref()
        .any(|(_, l)| l.trim_end() == "items:" || l.starts_with("items: #"))
    {
        return out;
    }
    let mut indent = None;
    for (i, l) in lines {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let here = l.len() - t.len();
        let dash = t == "-" || t.starts_with("- ");
        match indent {
            None if dash => {
                indent = Some(here);
                out.push(start + i);
            }
            None => break,
            Some(n) if here == n && dash => out.push(start + i),
            Some(n) if here < n || (here == n && !dash) => break,
            Some(_) => {}
        }
    }
    out
}

/// What the first pass needs of a document: enough to choose the objects the cluster context
/// keeps, without building the whole value.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub items: Option<Vec<Head>>,
}

/// Reads a source's documents only as heads, and decodes in full those `keep` wants (parse errors
/// are left to the second pass, which reports them). Returns the number of objects.
pub fn prescan(source: &Source, keep: &dyn Fn(&str, &str) -> bool, kept: &mut Vec<Value>) -> usize {
    let mut count = 0;
    let Ok(text) = source.text() else {
        return 0;
    };
    let chunks = if source.is_json() {
        vec![(1, text.as_ref())]
    } else {
        documents(&text)
    };
    for (_, chunk) in chunks {
        // Most documents are block mappings whose head the top-level lines give away: those the
        // context does not want need no parse here.
        if let Some((api_version, kind)) = block_head(chunk) {
            count += 1;
            if !keep(api_version, kind) {
                continue;
            }
        }
        let Ok(head) = serde_yaml::from_str::<Option<Head>>(chunk) else {
            // Not a mapping, or not parseable: the second pass says which.
            continue;
        };
        let Some(head) = head else { continue };
        let heads: Vec<&Head> = match &head.items {
            Some(items) if head.kind.as_deref().is_some_and(|k| k.ends_with("List")) => {
                items.iter().collect()
            }
            _ => vec![&head],
        };
        if block_head(chunk).is_none() {
            count += heads
                .iter()
                .filter(|h| h.api_version.is_some() && h.kind.is_some())
                .count();
        }
        let wanted = heads.iter().any(|h| {
            keep(
                h.api_version.as_deref().unwrap_or_default(),
                h.kind.as_deref().unwrap_or_default(),
            )
        });
        if wanted {
            let mut emit = |event: Event| {
                if let Event::Object(doc) = event {
                    let api = doc.object["apiVersion"].as_str().unwrap_or_default();
                    let kind = doc.object["kind"].as_str().unwrap_or_default();
                    if keep(api, kind) {
                        kept.push(doc.object);
                    }
                }
            };
            if let Ok(value) = serde_yaml::from_str::<Value>(chunk) {
                expand("", 0, value, None, &mut emit);
            }
        }
    }
    count
}

/// `apiVersion` and `kind` of a block-style document read from its top-level lines (plain or
/// quoted scalars, at column 0); None when the document is written otherwise, names either key
/// twice, or is a List, so that the caller parses it.
fn block_head(chunk: &str) -> Option<(&str, &str)> {
    let (mut api_version, mut kind) = (None, None);
    for line in chunk.lines() {
        for (key, slot) in [("apiVersion:", &mut api_version), ("kind:", &mut kind)] {
            if let Some(rest) = line.strip_prefix(key) {
                if slot.is_some() {
                    return None;
                }
                let value = rest.split(" #").next().unwrap_or_default().trim();
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                    .unwrap_or(value);
                let plain = !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "./-_".contains(c));
                if !plain {
                    return None;
                }
                *slot = Some(value);
            }
        }
    }
    let (api_version, kind) = (api_version?, kind?);
    (!kind.ends_with("List")).then_some((api_version, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(name: &str, text: &str) -> Vec<Event> {
        let source = if name == "-" {
            Source::Stdin(text.to_string())
        } else {
            let dir = std::env::temp_dir()
                .join(format!("netsec-scan-input-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            Source::File(path)
        };
        let mut out = Vec::new();
        read(&source, &mut |e| out.push(e));
        out
    }

    fn objects(events: &[Event]) -> Vec<(usize, String)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Object(d) => Some((
                    d.line,
                    d.object["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )),
                _ => None,
            })
            .collect()
    }

    const HELM: &str = "---\n# Source: shop/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n# Source: shop/templates/empty.yaml\n---\n--- # comment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n...\n";

    #[test]
    fn helm_output_documents_and_lines() {
        let ev = events("-", HELM);
        assert_eq!(
            objects(&ev),
            vec![(3, "web".to_string()), (11, "web".to_string())]
        );
        assert_eq!(ev.len(), 2, "empty documents and comments are not reported");
    }

    #[test]
    fn lists_are_expanded_with_item_lines() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: a\n  # note\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\nmetadata: {}\n";
        let ev = events("-", text);
        assert_eq!(
            objects(&ev),
            vec![(4, "a".to_string()), (9, "b".to_string())]
        );
        let indented = "kind: ServiceList\napiVersion: v1\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: a}\n";
        assert_eq!(objects(&events("-", indented)), vec![(4, "a".to_string())]);
    }

    #[test]
    fn non_objects_are_skipped_and_bad_documents_reported() {
        let text = "just a string\n---\nfoo: bar\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n---\napiVersion: v1\nkind: Service\nmetadata: {name: ok}\n";
        let ev = events("-", text);
        let skipped: Vec<(usize, &str)> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Skipped { line, reason, .. } => Some((*line, reason.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(skipped.len(), 2, "{ev:?}");
        assert_eq!(skipped[0].0, 1);
        assert!(skipped[0].1.contains("is a string"), "{skipped:?}");
        assert_eq!(skipped[1].0, 3);
        assert!(
            skipped[1].1.contains("no apiVersion and no kind"),
            "{skipped:?}"
        );
        let errors: Vec<(Option<usize>, &str)> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Error { line, message, .. } => Some((*line, message.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(errors.len(), 1, "{ev:?}");
        assert!(
            errors[0].0.is_some_and(|l| (8..=9).contains(&l)),
            "{errors:?}"
        );
        assert!(errors[0].1.contains("not valid YAML"), "{errors:?}");
        assert_eq!(
            objects(&ev),
            vec![(10, "ok".to_string())],
            "the scan goes on"
        );
    }

    #[test]
    fn json_files_and_arrays() {
        let ev = events(
            "x.json",
            "\n{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"j\"}}",
        );
        assert_eq!(objects(&ev), vec![(2, "j".to_string())]);
        let bad = events("y.json", "{\n  \"apiVersion\": \"v1\",\n  oops\n}");
        assert!(
            matches!(&bad[0], Event::Error { line: Some(3), message, .. } if message.contains("JSON")),
            "{bad:?}"
        );
    }

    #[test]
    fn directories_are_walked_and_missing_paths_reported() {
        let dir = std::env::temp_dir().join(format!("netsec-scan-walk-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for f in ["b.yaml", "a.yml", "sub/c.json", "notes.txt"] {
            std::fs::write(dir.join(f), "{}").unwrap();
        }
        let (found, errors) = sources(&[dir.clone(), dir.join("missing.yaml")], || {
            Ok(String::new())
        });
        let names: Vec<String> = found
            .iter()
            .map(|s| s.display().rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml", "c.json"]);
        assert!(
            matches!(&errors[..], [Event::Error { message, .. }] if message.contains("no such"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn block_heads() {
        let doc = "# c\napiVersion: apps/v1\nkind: \"Deployment\" # note\nmetadata:\n  kind: x\n";
        assert_eq!(block_head(doc), Some(("apps/v1", "Deployment")));
        assert_eq!(block_head("{apiVersion: v1, kind: Service}"), None);
        assert_eq!(block_head("apiVersion: v1\nkind: List\nitems: []\n"), None);
        assert_eq!(block_head("apiVersion: v1\nkind: A\nkind: B\n"), None);
        assert_eq!(block_head("apiVersion: v1\nkind: &anchor A\n"), None);
        assert_eq!(block_head("apiVersion: v1\n"), None);
    }

    #[test]
    fn prescan_keeps_only_wanted_kinds() {
        let source = Source::Stdin(format!(
            "{HELM}---\napiVersion: v1\nkind: List\nitems:\n- {{apiVersion: v1, kind: Namespace, metadata: {{name: n}}}}\n"
        ));
        let mut kept = Vec::new();
        let count = prescan(&source, &|_, kind| kind == "Namespace", &mut kept);
        assert_eq!(count, 3);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0]["metadata"]["name"], "n");
    }
}
