//! `wire_enum!`: declares a Compass-owned enum that crosses the wire as one of a fixed set of strings.
//!
//! The generated type has `ALL`, `as_str()`, `Display`, `FromStr` (error: [`crate::UnknownValue`]) and
//! serde impls that read and write the exact wire strings. Unknown strings are errors, never panics.

/// Declares a string-valued wire enum; see the module documentation.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact wire string.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// The accepted wire strings, comma-separated (used in error messages).
            pub const fn expected() -> &'static str {
                concat!($("`", $wire, "`", ", "),+)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::UnknownValue {
                        what: $what,
                        expected: $name::expected().trim_end_matches(", "),
                    }),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                raw.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

/// A string that is not one of the values a Compass-owned enum allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be one of {expected}")]
pub struct UnknownValue {
    /// What was being parsed, e.g. `origin`.
    pub what: &'static str,
    /// The allowed wire strings, e.g. "`compass`, `google`".
    pub expected: &'static str,
}
