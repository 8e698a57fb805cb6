//! `/api/docs`: the API's documentation for people, rendered from the same OpenAPI document the
//! API serves, so it lists exactly the operations that exist.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use crate::AppState;
use crate::platform::api::PROBLEMS;
use crate::platform::error::AppResult;
use crate::platform::web::{Chrome, PageContext, render};

struct Parameter {
    name: String,
    location: String,
    required: bool,
    kind: String,
    description: String,
}

struct Answer {
    status: String,
    description: String,
    body: String,
}

struct Operation {
    method: String,
    path: String,
    anchor: String,
    summary: String,
    parameters: Vec<Parameter>,
    request_body: String,
    answers: Vec<Answer>,
}

struct Group {
    tag: String,
    description: String,
    operations: Vec<Operation>,
}

struct Field {
    name: String,
    kind: String,
    required: bool,
    description: String,
}

struct SchemaView {
    name: String,
    description: String,
    fields: Vec<Field>,
}

struct ProblemRow {
    code: &'static str,
    status: u16,
    title: &'static str,
}

#[derive(Template)]
#[template(path = "integrations/docs.html")]
struct DocsPage {
    chrome: Chrome,
    base_url: String,
    rate_limit: u32,
    groups: Vec<Group>,
    schemas: Vec<SchemaView>,
    problems: Vec<ProblemRow>,
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A schema in words: `ApiOrder`, `array of ThreadMessage`, `string (date-time) or null`.
fn kind_of(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        return options.iter().map(kind_of).collect::<Vec<_>>().join(" or ");
    }
    let types: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let words: Vec<String> = types
        .iter()
        .map(|t| match t.as_str() {
            "array" => format!(
                "array of {}",
                schema.get("items").map_or_else(String::new, kind_of)
            ),
            "string" if schema.get("format").is_some() => {
                format!("string ({})", text(schema, "format"))
            }
            other => other.to_owned(),
        })
        .collect();
    if words.is_empty() {
        "any".to_owned()
    } else {
        words.join(" or ")
    }
}

fn body_kind(content: Option<&Value>) -> String {
    let Some(content) = content.and_then(Value::as_object) else {
        return String::new();
    };
    content
        .iter()
        .map(|(media, entry)| match entry.get("schema") {
            Some(schema) => format!("{} ({media})", kind_of(schema)),
            None => media.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn operation(method: &str, path: &str, op: &Value) -> Operation {
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| Parameter {
                    name: text(p, "name"),
                    location: text(p, "in"),
                    required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    kind: p.get("schema").map_or_else(String::new, kind_of),
                    description: text(p, "description"),
                })
                .collect()
        })
        .unwrap_or_default();
    let answers = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| Answer {
                    status: status.clone(),
                    description: text(r, "description"),
                    body: body_kind(r.get("content")),
                })
                .collect()
        })
        .unwrap_or_default();
    let summary = [text(op, "summary"), text(op, "description")]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Operation {
        method: method.to_uppercase(),
        anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
        path: path.to_owned(),
        summary,
        parameters,
        request_body: body_kind(op.get("requestBody").and_then(|b| b.get("content"))),
        answers,
    }
}

/// The document's operations by tag, in the order the tags are declared.
fn groups(document: &Value) -> Vec<Group> {
    let mut groups: Vec<Group> = document
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| Group {
                    tag: text(t, "name"),
                    description: text(t, "description"),
                    operations: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let paths = document.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let tag = op
                .get("tags")
                .and_then(|t| t.get(0))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let index = match groups.iter().position(|g| g.tag == tag) {
                Some(index) => index,
                None => {
                    groups.push(Group {
                        tag,
                        description: String::new(),
                        operations: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[index].operations.push(operation(method, path, op));
        }
    }
    groups
}

fn schemas(document: &Value) -> Vec<SchemaView> {
    let found = document
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    found
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut fields = Vec::new();
            // A flattened schema is an allOf of its parts.
            let parts: Vec<&Value> = match schema.get("allOf").and_then(Value::as_array) {
                Some(parts) => parts.iter().collect(),
                None => vec![schema],
            };
            for part in parts {
                if let Some(reference) = part.get("$ref") {
                    fields.push(Field {
                        name: "…".to_owned(),
                        kind: kind_of(&serde_json::json!({ "$ref": reference })),
                        required: true,
                        description: "every field of this schema".to_owned(),
                    });
                }
                let required_here: Vec<&str> = part
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (field, property) in part
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    fields.push(Field {
                        name: field.clone(),
                        kind: kind_of(property),
                        required: required.contains(&field.as_str())
                            || required_here.contains(&field.as_str()),
                        description: text(property, "description"),
                    });
                }
            }
            SchemaView {
                name: name.clone(),
                description: text(schema, "description"),
                fields,
            }
        })
        .collect()
}

/// `GET /api/docs`.
pub async fn page(State(state): State<AppState>, context: PageContext) -> AppResult<Response> {
    let document = serde_json::to_value(super::document()).map_err(anyhow::Error::from)?;
    render(&DocsPage {
        chrome: Chrome::new(&state.instance, &context),
        base_url: state.config.base_url.clone(),
        rate_limit: state.config.api_rate_limit,
        groups: groups(&document),
        schemas: schemas(&document),
        problems: PROBLEMS
            .iter()
            .map(|(code, status, title)| ProblemRow {
                code,
                status: *status,
                title,
            })
            .collect(),
    })
}
