//! [`Op`]: what the OpenAPI document says of one operation, written next to its route.
//!
//! A route module names, for each route, its method and path, a summary, the wire type
//! of its body and of its answer, and its query parameters. The types are the ones the
//! handler reads and writes, so their schemas come from the code (utoipa's `ToSchema`).

use utoipa::ToSchema;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{Object, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};

use super::{ERROR_RESPONSES, NOT_SUPPORTED, SECURITY_SCHEME};

/// The answers an operation gives besides its success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Errors {
    /// A management call: any of the errors the registry maps to 4xx (and 504).
    Management,
    /// Like `Management`, and 501: a Descope endpoint Roster does not serve.
    Unsupported,
    /// None: health checks, metrics, the document itself.
    Public,
}

/// One operation of the document.
pub struct Op {
    pub(crate) method: HttpMethod,
    pub(crate) path: &'static str,
    operation: OperationBuilder,
    /// The components the operation's schemas refer to.
    pub(crate) schemas: Vec<(String, RefOr<Schema>)>,
    errors: Errors,
    answered: bool,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("method", &method_name(&self.method))
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Op {
    fn new(method: HttpMethod, path: &'static str, summary: &str) -> Self {
        let id = format!(
            "{}{}",
            method_name(&method),
            path.replace(['/', '-', '{', '}', '*'], "_")
        );
        Self {
            method,
            path,
            operation: OperationBuilder::new()
                .summary(Some(summary))
                .operation_id(Some(id)),
            schemas: Vec::new(),
            errors: Errors::Management,
            answered: false,
        }
    }

    pub fn get(path: &'static str, summary: &str) -> Self {
        Self::new(HttpMethod::Get, path, summary)
    }

    pub fn post(path: &'static str, summary: &str) -> Self {
        Self::new(HttpMethod::Post, path, summary)
    }

    pub fn put(path: &'static str, summary: &str) -> Self {
        Self::new(HttpMethod::Put, path, summary)
    }

    pub fn patch(path: &'static str, summary: &str) -> Self {
        Self::new(HttpMethod::Patch, path, summary)
    }

    pub fn delete(path: &'static str, summary: &str) -> Self {
        Self::new(HttpMethod::Delete, path, summary)
    }

    /// A longer description, in CommonMark.
    pub fn describe(mut self, description: &str) -> Self {
        self.operation = self.operation.description(Some(description));
        self
    }

    /// The request body: a JSON object of type `T` (an empty body reads as `{}`).
    pub fn body<T: ToSchema>(mut self) -> Self {
        let schema = self.component::<T>();
        self.operation = self.operation.request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(schema)).build(),
                )
                .required(Some(Required::False))
                .build(),
        ));
        self
    }

    /// A query parameter (a string).
    pub fn query(mut self, name: &str, description: &str, required: bool) -> Self {
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .description(Some(description))
                .required(if required {
                    Required::True
                } else {
                    Required::False
                })
                .schema(Some(Object::with_type(Type::String))),
        );
        self
    }

    /// A path parameter (a string).
    pub fn path_param(mut self, name: &str, description: &str) -> Self {
        self.operation = self.operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .description(Some(description))
                .required(Required::True)
                .schema(Some(Object::with_type(Type::String))),
        );
        self
    }

    /// The 200 answer: a JSON value of type `T`.
    pub fn answers<T: ToSchema>(self) -> Self {
        self.answers_with::<T>("200", "Done")
    }

    /// An answer with `status`: a JSON value of type `T`.
    pub fn answers_with<T: ToSchema>(mut self, status: &str, description: &str) -> Self {
        let schema = self.component::<T>();
        self.operation = self.operation.response(
            status,
            ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new().schema(Some(schema)).build(),
            ),
        );
        self.answered = true;
        self
    }

    /// The 200 answer: text of the given media type.
    pub fn answers_text(self, media_type: &str, description: &str) -> Self {
        self.answers_free(media_type, Type::String, description)
    }

    /// The 200 answer: a JSON object whose schema the document does not spell out
    /// (the document itself).
    pub fn answers_object(self, description: &str) -> Self {
        self.answers_free("application/json", Type::Object, description)
    }

    fn answers_free(mut self, media_type: &str, kind: Type, description: &str) -> Self {
        self.operation = self.operation.response(
            "200",
            ResponseBuilder::new().description(description).content(
                media_type,
                ContentBuilder::new()
                    .schema(Some(Object::with_type(kind)))
                    .build(),
            ),
        );
        self.answered = true;
        self
    }

    /// No key needed, no error answers (health checks, metrics, this document).
    pub fn public(mut self) -> Self {
        self.errors = Errors::Public;
        self
    }

    /// It may answer 501 to a valid key: a Descope endpoint Roster does not serve, or
    /// one it serves only when configured so.
    pub fn unsupported(mut self) -> Self {
        self.errors = Errors::Unsupported;
        self
    }

    /// The operation, filed under `tag`.
    pub(crate) fn build(self, tag: &str) -> Operation {
        let mut op = self.operation.tag(tag);
        if self.errors != Errors::Public {
            op = op.security(SecurityRequirement::new::<_, _, &str>(SECURITY_SCHEME, []));
            for (status, name, _) in ERROR_RESPONSES {
                op = op.response(*status, Ref::from_response_name(*name));
            }
        }
        if self.errors == Errors::Unsupported {
            let (status, name, _) = NOT_SUPPORTED;
            op = op.response(status, Ref::from_response_name(name));
        }
        debug_assert!(
            self.answered || self.errors == Errors::Unsupported,
            "{} has no answer",
            self.path
        );
        op.build()
    }

    /// A reference to `T`'s schema, with `T` and what it refers to kept as components.
    fn component<T: ToSchema>(&mut self) -> RefOr<Schema> {
        let name = T::name();
        self.schemas.push((name.to_string(), T::schema()));
        T::schemas(&mut self.schemas);
        Ref::from_schema_name(name).into()
    }
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Delete => "delete",
        HttpMethod::Options => "options",
        HttpMethod::Head => "head",
        HttpMethod::Patch => "patch",
        HttpMethod::Trace => "trace",
    }
}
