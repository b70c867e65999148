//! `netsec annotate`: embeds policy metadata the way `kwctl annotate` does, so that kwctl,
//! policy-server and Artifact Hub read our modules like any other policy.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wasm_encoder::{CustomSection, RawSection};

use crate::host::PolicyHost;
use crate::metadata::{METADATA_SECTION, Metadata, USAGE_ANNOTATION};

/// Returns `module` with `metadata` in the `io.kubewarden.metadata` section (replacing any
/// previous one). For waPC policies the protocol version is asked from the module itself, and
/// the module must export the waPC entry points.
pub fn annotate(module: &[u8], mut metadata: Metadata, usage: Option<String>) -> Result<Vec<u8>> {
    metadata.validate()?;
    if let Some(usage) = usage {
        metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(USAGE_ANNOTATION.to_string(), usage);
    }
    let exports = exports(module)?;
    metadata.protocol_version = Some(if metadata.execution_mode == "kubewarden-wapc" {
        for needed in ["__guest_call", "wapc_init"] {
            if !exports.iter().any(|e| e == needed) {
                bail!("the module does not export {needed}: it is not a waPC policy");
            }
        }
        let mut host = PolicyHost::load(&strip_metadata(module)?)?;
        host.protocol_version()
            .context("cannot read the module's protocol version")?
    } else {
        "Unknown".to_string()
    });
    let json = serde_json::to_vec(&metadata)?;
    let mut out = strip_metadata(module)?;
    let section = CustomSection {
        name: METADATA_SECTION.into(),
        data: json.into(),
    };
    let mut encoded = wasm_encoder::Module::new();
    encoded.section(&section);
    // An encoded module is the 8-byte header followed by its sections: append ours.
    out.extend_from_slice(&encoded.finish()[8..]);
    Ok(out)
}

/// Annotates a file into another, as `kwctl annotate -m -u -o` does.
pub fn annotate_file(
    input: &Path,
    metadata: &Path,
    usage: Option<&Path>,
    output: &Path,
) -> Result<()> {
    let module =
        std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let metadata = Metadata::from_yaml_file(metadata)?;
    let usage = usage
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()?;
    let annotated = annotate(&module, metadata, usage)
        .with_context(|| format!("cannot annotate {}", input.display()))?;
    std::fs::write(output, annotated).with_context(|| format!("cannot write {}", output.display()))
}

/// The module without its metadata section, every other section byte for byte.
fn strip_metadata(module: &[u8]) -> Result<Vec<u8>> {
    let mut out = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.context("the file is not a valid WebAssembly module")?;
        if let wasmparser::Payload::CustomSection(ref c) = payload
            && c.name() == METADATA_SECTION
        {
            continue;
        }
        if let Some((id, range)) = payload.as_section() {
            out.section(&RawSection {
                id,
                data: &module[range],
            });
        }
    }
    Ok(out.finish())
}

fn exports(module: &[u8]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        if let wasmparser::Payload::ExportSection(reader) =
            payload.context("the file is not a valid WebAssembly module")?
        {
            for export in reader {
                names.push(export?.name.to_string());
            }
        }
    }
    Ok(names)
}
