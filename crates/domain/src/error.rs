//! The one registry of error codes.
//!
//! Every error Roster returns carries a code from this table, and the table alone decides
//! the code's HTTP status and short description. Codes that Descope documents or that its
//! SDKs know (`E011001`..`E011004`, `E112102`, `E130429`) keep Descope's meaning; the
//! codes Roster had to invent live in the `E99xxxx` block so that they can never collide
//! with one of Descope's. `docs/errors.md` lists the table for users.
//!
//! The HTTP layer is the only place an [`Error`] becomes a response; this crate only
//! knows the status as a number.

use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => ($code:literal, $status:literal, $description:literal); )*) => {
        /// An error code of the registry. See the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in table order (used by the documentation test).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The wire code, for example `E011001`.
            pub fn code(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )* }
            }

            /// The short, fixed description sent as `errorDescription`.
            pub fn description(self) -> &'static str {
                match self { $( ErrorCode::$variant => $description, )* }
            }
        }
    };
}

error_codes! {
    /// The request could not be read: malformed JSON, a body that is not an object, a
    /// wrong JSON type where the whole request depends on it.
    BadRequest => ("E011001", 400, "Bad request");
    /// A required argument is missing (`loginId`, `name`, `users`...).
    MissingArguments => ("E011002", 400, "Missing arguments");
    /// A field failed validation (bad email, unknown role, wrong attribute type...).
    ValidationFailure => ("E011003", 400, "Validation failure");
    /// An argument has a value the endpoint cannot use (`users` not a list, a negative
    /// page...).
    InvalidArguments => ("E011004", 400, "Invalid arguments");
    /// No user matches the given login ID or user ID (Descope's management code).
    UserNotFound => ("E112102", 404, "User not found");
    /// Too many requests (Descope's code; sent with `Retry-After`).
    RateLimited => ("E130429", 429, "Rate limit exceeded");
    /// Missing, malformed, unknown, revoked or expired management key.
    Unauthorized => ("E990401", 401, "Unauthorized");
    /// The key is valid but may not do this: a read-only key asked for a change.
    Forbidden => ("E990403", 403, "Forbidden");
    /// No route matches the request's path.
    RouteNotFound => ("E990404", 404, "Not found");
    /// The path exists but not with this HTTP method.
    MethodNotAllowed => ("E990405", 405, "Method not allowed");
    /// A unique value is already taken (login ID, tenant ID or name, role, permission,
    /// custom attribute).
    AlreadyExists => ("E990409", 409, "Already exists");
    /// The request body is larger than the configured limit.
    BodyTooLarge => ("E990413", 413, "Request body too large");
    /// A batch holds more items than the configured maximum.
    TooManyItems => ("E990414", 413, "Too many items in batch");
    /// No tenant has the given ID.
    TenantNotFound => ("E991404", 404, "Tenant not found");
    /// No role has the given name or ID.
    RoleNotFound => ("E992404", 404, "Role not found");
    /// No permission has the given name or ID.
    PermissionNotFound => ("E993404", 404, "Permission not found");
    /// No management key of the project has the given ID.
    KeyNotFound => ("E996404", 404, "Management key not found");
    /// A patch's `expectedVersion` is not the user's version: the user changed since the
    /// client read it. Nothing was changed; read the user again.
    VersionChanged => ("E998409", 409, "User changed since it was read");
    /// No custom attribute of the project has the given name.
    AttributeNotFound => ("E997404", 404, "Custom attribute not found");
    /// A change would leave users holding values it no longer allows (an attribute's
    /// option they hold, taken out). Nothing was changed.
    ValueInUse => ("E997409", 409, "Value in use");
    /// No project has the given ID (command line only: the API answers 401).
    ProjectNotFound => ("E994404", 404, "Project not found");
    /// The request took longer than the server allows (`--request-timeout`, or the
    /// search deadline); nothing of it was kept.
    RequestTimeout => ("E990504", 504, "Request took too long");
    /// Concurrent writers (on this node or another sharing the database) kept
    /// conflicting on the same rows, and the bounded retries ran out. Nothing was
    /// changed; the request can be sent again.
    WriteConflict => ("E995409", 409, "Concurrent write conflict");
    /// The endpoint is Descope's, but Roster deliberately does not do what it asks (sign-in
    /// links and codes, embedded links, provider tokens, Descope's user import format,
    /// families, outbound applications, SSO configuration links): see
    /// `docs/behaviour.md`. Nothing was changed.
    NotSupported => ("E990501", 501, "Not supported by Roster");
    /// Something failed inside Roster; the details are in the server log, not the body.
    Internal => ("E990500", 500, "Internal error");
}

/// An error with its registry code and a message for the caller.
///
/// The message is what `errorMessage` and `message` carry on the wire. It names the field
/// at fault whenever there is one (`email: "x" is not a valid email address`), and never
/// holds a secret or an internal detail: internal failures say only that they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn missing(field: &str) -> Self {
        Self::new(ErrorCode::MissingArguments, format!("{field} is required"))
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailure, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArguments, message)
    }

    pub fn user_not_found(selector: &str) -> Self {
        Self::new(
            ErrorCode::UserNotFound,
            format!("loginId: no user has the login ID or user ID {selector:?}"),
        )
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AlreadyExists, message)
    }

    /// A transaction lost a race with a concurrent writer (a serialization failure, a
    /// deadlock, a unique value taken meanwhile). The flows that own the transaction
    /// retry it; the caller sees it only when the retries run out.
    pub fn write_conflict() -> Self {
        Self::new(
            ErrorCode::WriteConflict,
            "concurrent requests kept changing the same data; nothing was changed, send the request again",
        )
    }

    /// Whether a flow should run its transaction again.
    pub fn is_write_conflict(&self) -> bool {
        self.code == ErrorCode::WriteConflict
    }

    /// An internal failure. The caller sees only this fixed text; the cause must be
    /// logged by whoever creates the error.
    /// An endpoint Roster deliberately does not serve; `what` says what it would do.
    pub fn not_supported(what: &str) -> Self {
        Self::new(
            ErrorCode::NotSupported,
            format!(
                "{what} is not supported by Roster: it manages users but does not sign them \
                 in or hold Descope-only features (see docs/behaviour.md, \"Not supported\")"
            ),
        )
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error, see the server log")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code.code(), self.message)
    }
}

impl std::error::Error for Error {}

/// A failure that concerns one field of a request, named by its wire path
/// (`email`, `userTenants[1].roleNames`, `customAttributes.age`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::validation(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let c = code.code();
            assert!(seen.insert(c), "duplicate code {c}");
            assert_eq!(c.len(), 7, "{c}");
            assert!(c.starts_with('E') && c[1..].chars().all(|d| d.is_ascii_digit()));
            assert!((400..600).contains(&code.status()));
            assert_ne!(
                code.status(),
                503,
                "503 makes the SDKs retry for ten seconds"
            );
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn descope_codes_keep_their_meaning() {
        assert_eq!(ErrorCode::BadRequest.code(), "E011001");
        assert_eq!(ErrorCode::UserNotFound.code(), "E112102");
        assert_eq!(ErrorCode::UserNotFound.status(), 404);
        assert_eq!(ErrorCode::RateLimited.code(), "E130429");
        assert_eq!(ErrorCode::RateLimited.status(), 429);
    }
}
