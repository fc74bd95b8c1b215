//! [`Builder`]: builds named middlewares from their definitions, each once, and finds cycles.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use rampart_config::Value;

use super::{BuildContext, BuildError, Chain, Endpoint, Middleware, Registry};

/// A middleware definition: its Traefik type name and its options.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The type name (`forwardAuth`, `chain`, …).
    pub type_name: String,
    /// The options under the type name.
    pub config: Value,
}

impl Definition {
    /// Reads Traefik's shape, a map with exactly one key, the type name:
    /// `{forwardAuth: {address: …}}`.
    ///
    /// ```
    /// use rampart::middleware::Definition;
    /// let v: rampart_config::Value = serde_json::from_str(r#"{"chain": {"middlewares": ["a"]}}"#).unwrap();
    /// assert_eq!(Definition::from_value(&v).unwrap().type_name, "chain");
    /// ```
    pub fn from_value(value: &Value) -> Result<Self, BuildError> {
        let map = value
            .as_map()
            .ok_or_else(|| BuildError::invalid("", "a middleware is a map with its type as key"))?;
        let mut entries = map.iter();
        match (entries.next(), entries.next()) {
            (Some((type_name, config)), None) => Ok(Definition {
                type_name: type_name.to_owned(),
                config: config.clone(),
            }),
            (None, _) => Err(BuildError::invalid("", "the middleware has no type")),
            // Traefik: "multi-types middleware not supported, consider declaring two
            // different pieces of middleware instead".
            (Some(_), Some(_)) => Err(BuildError::invalid(
                "",
                format_args!(
                    "one type per middleware, found {}",
                    map.iter().map(|(k, _)| k).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
}

/// Builds middlewares by name from their definitions: the [`BuildContext`] of a compile.
///
/// Each middleware is built once and shared by every chain that names it. Names without
/// `@provider` resolve in the provider of the middleware (or router) that refers to them, as in
/// Traefik. A middleware that reaches itself through `chain` members is a
/// [`BuildError::Cycle`] naming the loop.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::{Builder, BuildError, Registry};
///
/// let registry = Registry::with_builtins();
/// let mut builder = Builder::new(&registry);
/// let def = |s: &str| serde_json::from_str::<rampart_config::Value>(s).unwrap();
/// builder.define_value("a@file", &def(r#"{"chain": {"middlewares": ["b"]}}"#)).unwrap();
/// builder.define_value("b@file", &def(r#"{"chain": {"middlewares": ["a@file"]}}"#)).unwrap();
/// let Err(err) = builder.middleware("a@file") else { panic!("a cycle must not build") };
/// assert!(matches!(err, BuildError::Cycle(_)));
/// assert_eq!(err.to_string(), "middleware cycle: a@file -> b@file -> a@file");
/// ```
pub struct Builder<'r> {
    registry: &'r Registry,
    definitions: Arc<HashMap<String, Definition>>,
    services: Arc<HashMap<String, Arc<dyn Endpoint>>>,
    built: RefCell<HashMap<String, Arc<dyn Middleware>>>,
    building: RefCell<Vec<String>>,
}

impl<'r> Builder<'r> {
    /// A builder using `registry`'s constructors.
    pub fn new(registry: &'r Registry) -> Self {
        Builder {
            registry,
            definitions: Arc::default(),
            services: Arc::default(),
            built: RefCell::new(HashMap::new()),
            building: RefCell::new(Vec::new()),
        }
    }

    /// Defines the middleware `name` (qualified, `auth@file`).
    pub fn define(&mut self, name: &str, definition: Definition) {
        Arc::make_mut(&mut self.definitions).insert(name.to_owned(), definition);
    }

    /// Defines the middleware `name` from Traefik's shape (see [`Definition::from_value`]).
    pub fn define_value(&mut self, name: &str, value: &Value) -> Result<(), BuildError> {
        self.define(name, Definition::from_value(value)?);
        Ok(())
    }

    /// Makes the service `name` (qualified) available to middlewares (forwardAuth's
    /// `authService`, …).
    pub fn service(&mut self, name: &str, endpoint: Arc<dyn Endpoint>) {
        Arc::make_mut(&mut self.services).insert(name.to_owned(), endpoint);
    }

    /// A builder with the same definitions and services but nothing built yet.
    ///
    /// Traefik builds a router's middlewares for that router alone: two routers naming the
    /// same `rateLimit` get two buckets, two `circuitBreaker`s two states. The compiler takes a
    /// fresh builder per router (definitions are shared, not copied).
    #[must_use]
    pub fn fresh(&self) -> Builder<'r> {
        Builder {
            registry: self.registry,
            definitions: self.definitions.clone(),
            services: self.services.clone(),
            built: RefCell::new(HashMap::new()),
            building: RefCell::new(Vec::new()),
        }
    }

    /// Builds (or returns the already built) middleware `name`, which must be qualified.
    pub fn middleware(&self, name: &str) -> Result<Arc<dyn Middleware>, BuildError> {
        if let Some(m) = self.built.borrow().get(name) {
            return Ok(m.clone());
        }
        let def = self
            .definitions
            .get(name)
            .ok_or_else(|| BuildError::Reference {
                name: name.to_owned(),
                reason: "middleware does not exist".to_owned(),
            })?;
        {
            let mut building = self.building.borrow_mut();
            if let Some(at) = building.iter().position(|n| n == name) {
                let mut path = building[at..].to_vec();
                path.push(name.to_owned());
                return Err(BuildError::Cycle(path));
            }
            building.push(name.to_owned());
        }
        let scope = Scope {
            builder: self,
            name,
        };
        let result = self.registry.build(&def.type_name, &def.config, &scope);
        self.building.borrow_mut().pop();
        let middleware = result?;
        self.built
            .borrow_mut()
            .insert(name.to_owned(), middleware.clone());
        Ok(middleware)
    }

    /// Compiles the chain of a router: `names` (unqualified ones resolve in `context`'s
    /// provider, `context` being the router's qualified name), then `endpoint`.
    pub fn chain<S: AsRef<str>>(
        &self,
        context: &str,
        names: impl IntoIterator<Item = S>,
        endpoint: Arc<dyn Endpoint>,
    ) -> Result<Chain, BuildError> {
        let middlewares = names
            .into_iter()
            .map(|n| self.middleware(&qualify(n.as_ref(), context)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Chain::new(middlewares, endpoint))
    }
}

impl fmt::Debug for Builder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("definitions", &self.definitions.len())
            .field("services", &self.services.len())
            .finish_non_exhaustive()
    }
}

/// `name` qualified with the provider of `context` when it has none (Traefik's
/// `provider.GetQualifiedName`).
///
/// ```
/// use rampart::middleware::qualify;
/// assert_eq!(qualify("auth", "app@file"), "auth@file");
/// assert_eq!(qualify("auth@docker", "app@file"), "auth@docker");
/// assert_eq!(qualify("auth", "app"), "auth");
/// ```
pub fn qualify(name: &str, context: &str) -> String {
    match (name.contains('@'), context.rsplit_once('@')) {
        (false, Some((_, provider))) => format!("{name}@{provider}"),
        _ => name.to_owned(),
    }
}

/// The context one constructor runs in.
struct Scope<'b, 'r> {
    builder: &'b Builder<'r>,
    name: &'b str,
}

impl BuildContext for Scope<'_, '_> {
    fn name(&self) -> &str {
        self.name
    }

    fn middleware(&self, name: &str) -> Result<Arc<dyn Middleware>, BuildError> {
        let name = qualify(name, self.name);
        self.builder.middleware(&name).map_err(|e| match e {
            // Already names the reference (a missing member), or the loop.
            BuildError::Reference { name: ref r, .. } if *r == name => e,
            BuildError::Cycle(_) => e,
            // A member that fails to build: say which one (a chain's error otherwise reads as
            // the chain's own, e.g. "`brust`: unknown field" on `chain-no-auth`).
            other => BuildError::Reference {
                name,
                reason: other.to_string(),
            },
        })
    }

    fn service(&self, name: &str) -> Result<Arc<dyn Endpoint>, BuildError> {
        let name = qualify(name, self.name);
        self.builder
            .services
            .get(&name)
            .cloned()
            .ok_or(BuildError::Reference {
                name,
                reason: "service does not exist".to_owned(),
            })
    }
}
