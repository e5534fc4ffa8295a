package mysql

// ExactlyOnceSupport tells a worker with exactly.once.source.support=enabled
// that the connector can run with exactly.once.support=required: every
// streamed row's offset names the binlog point right after it (file/pos or
// GTIDs, plus the events and rows to skip), and every snapshot record's
// offset the rows queued before it, so a task restarted from a committed
// offset emits precisely the records after it. One exception is inherent
// to the snapshot's resume method (snapshot.go): a task that dies during a
// snapshot re-emits, after the rest of the snapshot, the binlog changes made
// between its first and second consistent points.
func (c *Connector) ExactlyOnceSupport(map[string]string) bool { return true }
