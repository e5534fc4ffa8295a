package connect

// ExactlyOnceSupporter is implemented by source connectors that can
// guarantee exactly-once delivery under a worker with
// exactly.once.source.support=enabled (Kafka's
// SourceConnector.exactlyOnceSupport): every record's source offset names
// the point right after it, and a task started from a committed offset
// re-reads precisely the records after that point. A connector config with
// exactly.once.support=required is rejected unless ExactlyOnceSupport
// returns true for it.
type ExactlyOnceSupporter interface {
	ExactlyOnceSupport(props map[string]string) bool
}
