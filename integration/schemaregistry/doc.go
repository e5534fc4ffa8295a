// Package schemaregistry is an in-process Confluent Schema Registry for
// tests: a real HTTP server (plain or TLS, optional basic auth) that keeps
// schemas in memory and answers the REST subset riferrei/srclient v0.7.2
// sends — register (POST /subjects/{s}/versions, idempotent, one global id per
// distinct schema), lookup (POST /subjects/{s}), GET /schemas/ids/{id} and
// /schemas/ids/{id}/versions, GET /subjects and /subjects/{s}/versions[/{v}],
// soft and permanent deletes, and the /config compatibility endpoints.
//
// Code under test reaches it only over HTTP through URL(). Compatibility
// levels are stored and reported but not enforced: every well-formed Avro
// schema is accepted as a new version, which is what a registry with level
// NONE does. Only Avro schemas are accepted (schemaType absent or "AVRO").
package schemaregistry
