// Package runtime runs source connectors the way a Kafka Connect worker
// does: worker and connector configuration, the source-task pipeline (poll,
// transforms, converters, producer), at-least-once offset commits, and the
// standalone herder that the REST API drives.
package runtime
