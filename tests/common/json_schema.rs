//! The JSON schema of docs/json.md, read from its tables, and a check of a
//! command's output against it: every documented field present with its
//! type, and no undocumented field.

use std::collections::BTreeMap;

use serde_json::Value;

pub struct Schema {
    pub sections: BTreeMap<String, Vec<(String, String)>>,
}

impl Schema {
    pub fn load() -> Schema {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
        let mut sections = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(title) = line.strip_prefix("## ") {
                current = Some(title.trim_matches('`').to_string());
                sections.insert(current.clone().unwrap(), Vec::new());
                continue;
            }
            let Some(section) = &current else { continue };
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() >= 4 && cells[1].starts_with('`') {
                let field = cells[1].trim_matches('`').to_string();
                sections.get_mut(section).unwrap().push((field, cells[2].to_string()));
            }
        }
        Schema { sections }
    }

    /// Checks `value` against the section titled `section`.
    pub fn check(&self, section: &str, value: &Value) {
        let fields = self.sections.get(section).unwrap_or_else(|| panic!("docs/json.md has no section {section}"));
        assert!(!fields.is_empty(), "{section} documents no fields");
        for (path, kind) in fields {
            for found in lookup(value, path) {
                assert!(
                    type_matches(found, kind),
                    "{section}: {path} should be {kind}, is {found}\nin {}",
                    serde_json::to_string_pretty(value).unwrap()
                );
            }
            assert!(
                !lookup_parent_present(value, path) || !lookup(value, path).is_empty(),
                "{section}: {path} is missing\nin {}",
                serde_json::to_string_pretty(value).unwrap()
            );
        }
        undocumented(section, value, "", fields);
    }
}

fn type_matches(value: &Value, kind: &str) -> bool {
    let (kind, nullable) = match kind.strip_suffix('?') {
        Some(k) => (k, true),
        None => (kind, false),
    };
    match value {
        Value::Null => nullable,
        Value::String(_) => kind == "string",
        Value::Number(_) => kind == "number",
        Value::Bool(_) => kind == "boolean",
        Value::Array(_) => kind == "array",
        Value::Object(_) => kind == "object",
    }
}

/// The values at `path` (`a.b`, `a[].b`); none when a parent is null or an
/// array is empty.
fn lookup<'v>(value: &'v Value, path: &str) -> Vec<&'v Value> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut current = vec![value];
    for (i, part) in parts.iter().enumerate() {
        let (name, each) = match part.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (*part, false),
        };
        let mut next = Vec::new();
        for v in current {
            let Some(child) = v.get(name) else { continue };
            if each {
                next.extend(child.as_array().into_iter().flatten());
            } else {
                next.push(child);
            }
        }
        let last = i + 1 == parts.len();
        current = next.into_iter().filter(|v| last || !v.is_null()).collect();
    }
    current
}

/// Whether the object that should hold `path`'s last field is there.
fn lookup_parent_present(value: &Value, path: &str) -> bool {
    match path.rsplit_once('.') {
        None => true,
        Some((parent, _)) => lookup(value, parent).iter().any(|v| v.is_object()),
    }
}

fn undocumented(section: &str, value: &Value, prefix: &str, fields: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                assert!(fields.iter().any(|(f, _)| *f == path), "{section}: {path} is not documented in docs/json.md");
                undocumented(section, child, &path, fields);
            }
        }
        Value::Array(items) => {
            let path = format!("{prefix}[]");
            if fields.iter().any(|(f, _)| f.starts_with(&format!("{path}."))) {
                for item in items {
                    undocumented(section, item, &path, fields);
                }
            }
        }
        _ => {}
    }
}
