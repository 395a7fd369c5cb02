//! The OpenAPI document of `/api/v1`: each capability's API describes its own operations and
//! shapes; they are merged here, beside the route table, the other place that knows them all.

use crate::error::Problem;
use axum::Json;
use utoipa::OpenApi;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "mashboard API", description = "Safeguarding training and referral quality. Create a token with `mashboard token create --user NAME` and send it as `Authorization: Bearer <token>`. Long lists (`/api/v1/people`) page by cursor: pass a page's `next_after` as `after` for the next page and its `previous_before` as `before` for the one before; `offset` still works but reads every row it skips."),
    components(schemas(Problem)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The whole document: each capability's part, merged, then completed from the route table
/// (see [`complete_refusals`]). Built once.
pub fn document() -> utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = merged();
        complete_refusals(&mut doc, &crate::routes::route_table());
        doc
    })
    .clone()
}

/// The refusals every API call can answer, added where a capability's part left them out, so
/// that what the document says is what the server does:
/// - 401 on every call (no token, or a bad one);
/// - 403 on every call whose capability some role lacks (the `Api<C>` extractor refuses it);
/// - 400 on every call that reads path or query parameters or a body (one that cannot be read:
///   `crate::error::{Path, Query}` and `json_body`), and 404 on every call with a path
///   parameter (no such record, or one outside the caller's reach);
/// - 409 and 422 on every call that writes (the store's `Conflict` and `Invalid`);
/// - 408 on every call (stopped at the time limit: `routes::time_limit`);
/// - 503 on every call (the server is busy: refused before anything ran, with `Retry-After`;
///   see `load.rs`);
/// - and every 4xx and 503 answer is the JSON `Problem`.
fn complete_refusals(doc: &mut utoipa::openapi::OpenApi, table: &[crate::routes::RouteInfo]) {
    use crate::routes::Access;
    use mashboard_domain::Role;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    for route in table {
        let Access::Api(cap) = route.access else {
            continue;
        };
        let Some(op) = doc
            .paths
            .paths
            .get_mut(route.path)
            .and_then(|item| operation_mut(item, &route.method))
        else {
            continue;
        };
        let has_path = route.path.contains('{');
        let reads_input = has_path
            || op.request_body.is_some()
            || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let some_role_lacks = Role::ALL.iter().any(|r| !cap.allows(&[*r]));
        let writes = route.method != axum::http::Method::GET;
        let wanted = [
            (
                "400",
                reads_input,
                "The request cannot be read (a parameter's or the body's format)",
            ),
            ("401", true, "No API token, or a bad one"),
            (
                "408",
                true,
                "It took too long and was stopped (error `timed_out`); what was not finished \
                 was not saved",
            ),
            (
                "403",
                some_role_lacks,
                "The token's roles do not allow this call",
            ),
            (
                "404",
                has_path,
                "No such record, or one outside the caller's reach",
            ),
            (
                "409",
                writes,
                "It clashes with the record's state; nothing was changed",
            ),
            (
                "422",
                writes,
                "Read, but the rules refuse it; nothing was changed",
            ),
        ];
        for (status, applies, words) in wanted {
            if applies && !op.responses.responses.contains_key(status) {
                op.responses.responses.insert(
                    status.into(),
                    RefOr::T(ResponseBuilder::new().description(words).build()),
                );
            }
        }
        if !op.responses.responses.contains_key("503") {
            let retry_after = utoipa::openapi::HeaderBuilder::new()
                .schema(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::Integer),
                )
                .description(Some("Seconds to wait before trying again"))
                .build();
            op.responses.responses.insert(
                "503".into(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(
                            "The service is busy (error `busy`): the request was not carried \
                             out and nothing was saved; try again after `Retry-After` seconds",
                        )
                        .header("Retry-After", retry_after)
                        .build(),
                ),
            );
        }
        for (status, response) in op.responses.responses.iter_mut() {
            let refusal = status.starts_with('4') || status == "503";
            if let (true, RefOr::T(r)) = (refusal, response) {
                if r.content.is_empty() {
                    r.content.insert("application/json".into(), problem());
                }
            }
        }
    }
}

fn operation_mut<'a>(
    item: &'a mut utoipa::openapi::PathItem,
    method: &axum::http::Method,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    use axum::http::Method;
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        _ => None,
    }
}

/// Each capability's part, merged.
fn merged() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in parts() {
        doc.merge(part);
    }
    doc
}

/// Each capability's part of the document.
fn parts() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        crate::accounts::api_doc(),
        crate::people::api_doc(),
        crate::plans::api_doc(),
        crate::matrix::api_doc(),
        crate::outcomes::api_doc(),
        crate::register::api_doc(),
        crate::reviews::api_doc(),
        crate::audits::api_doc(),
        crate::sessions::api_doc(),
        crate::attendance::api_doc(),
        crate::coverage::api_doc(),
        crate::exercises::api_doc(),
        crate::attachment_days::api_doc(),
        crate::partners::api_doc(),
        crate::impact::api_doc(),
    ]
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::{route_table, Access};
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::RefOr;

    fn api_routes() -> Vec<crate::routes::RouteInfo> {
        route_table()
            .into_iter()
            .filter(|r| matches!(r.access, Access::Api(_)))
            .collect()
    }

    #[test]
    fn every_api_route_is_documented_and_nothing_else() {
        let mut doc = document();
        let mut missing = Vec::new();
        for r in api_routes() {
            let found = doc
                .paths
                .paths
                .get_mut(r.path)
                .and_then(|item| operation_mut(item, &r.method))
                .is_some();
            if !found {
                missing.push(format!("{} {}", r.method, r.path));
            }
        }
        assert!(
            missing.is_empty(),
            "routes missing from the OpenAPI document: {missing:?}"
        );
        let served: std::collections::BTreeSet<String> = api_routes()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        let doc = document();
        let json = serde_json::to_value(&doc).unwrap();
        let mut extra = Vec::new();
        for (path, item) in json["paths"].as_object().unwrap() {
            let methods = [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ];
            for method in item
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| methods.contains(&k.as_str()))
            {
                let key = format!("{} {path}", method.to_uppercase());
                if !served.contains(&key) {
                    extra.push(key);
                }
            }
        }
        assert!(extra.is_empty(), "documented but not served: {extra:?}");
    }

    /// Merging keeps the first of two shapes with one name, so a second `PartnerJson` would
    /// silently describe another call's answer.
    #[test]
    fn no_two_capabilities_give_one_name_to_different_shapes() {
        let mut seen: std::collections::BTreeMap<String, serde_json::Value> = Default::default();
        let mut clashes = Vec::new();
        for part in parts() {
            let Some(components) = part.components else {
                continue;
            };
            for (name, schema) in components.schemas {
                let schema = serde_json::to_value(&schema).unwrap();
                match seen.get(&name) {
                    Some(other) if *other != schema => clashes.push(name),
                    Some(_) => {}
                    None => {
                        seen.insert(name, schema);
                    }
                }
            }
        }
        assert!(clashes.is_empty(), "one name, two shapes: {clashes:?}");
    }

    #[test]
    fn every_path_parameter_is_declared() {
        let mut doc = document();
        let mut problems = Vec::new();
        for r in api_routes() {
            let item = doc.paths.paths.get_mut(r.path).unwrap();
            let op = operation_mut(item, &r.method).unwrap();
            let declared: Vec<String> = op
                .parameters
                .iter()
                .flatten()
                .filter(|p| matches!(p.parameter_in, ParameterIn::Path))
                .map(|p| p.name.clone())
                .collect();
            let in_path: Vec<String> = r
                .path
                .split('{')
                .skip(1)
                .map(|s| {
                    s.split('}')
                        .next()
                        .unwrap()
                        .trim_start_matches('*')
                        .to_string()
                })
                .collect();
            for name in &in_path {
                if !declared.contains(name) {
                    problems.push(format!("{} {}: {{{name}}} not declared", r.method, r.path));
                }
            }
            for name in &declared {
                if !in_path.contains(name) {
                    problems.push(format!(
                        "{} {}: declares {name}, not in the path",
                        r.method, r.path
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn every_call_documents_its_refusals_as_json_problems() {
        use mashboard_domain::Role;
        let mut doc = document();
        let mut problems = Vec::new();
        for r in api_routes() {
            let Access::Api(cap) = r.access else {
                unreachable!()
            };
            let item = doc.paths.paths.get_mut(r.path).unwrap();
            let op = operation_mut(item, &r.method).unwrap();
            let responses = &op.responses.responses;
            let mut wanted = vec!["401", "408", "503"];
            if Role::ALL.iter().any(|role| !cap.allows(&[*role])) {
                wanted.push("403");
            }
            if r.path.contains('{') {
                wanted.extend(["400", "404"]);
            }
            for status in wanted {
                if !responses.contains_key(status) {
                    problems.push(format!("{} {}: no {status}", r.method, r.path));
                }
            }
            for (status, response) in responses {
                let RefOr::T(response) = response else {
                    continue;
                };
                let refusal = status.starts_with('4') || status == "503";
                if refusal && !response.content.contains_key("application/json") {
                    problems.push(format!("{} {}: {status} is not JSON", r.method, r.path));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
