package mysql

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
)

// Debezium's event.deserialization.failure.handling.mode: what becomes of a
// binlog row event go-mysql cannot decode (a stored position inside a
// transaction, after its TABLE_MAP event; a value it does not understand).
// fail (the default) stops the task naming the event's position and the
// way on; warn logs the position and the cause and skips the event; skip
// does the same at debug level. Skipped events are counted in
// undecodable_events_skipped_total, so nothing goes unnoticed.
const KeyDeserializationFailureMode = "event.deserialization.failure.handling.mode"

func defineDeserializationKey(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeyDeserializationFailureMode, Type: connect.ConfigString, Default: "fail", Importance: connect.Low, Group: groupDebezium,
		Validator: connect.OneOfIgnoreCase("fail", "warn", "skip", "ignore"), Recommended: []string{"fail", "warn", "skip"},
		Doc: "What to do with a binlog row event that cannot be decoded (Debezium's, deprecated there for event.processing.failure.handling.mode, which decides instead when this key is not set): fail (default) stops the task with the event's binlog position and the cause; " +
			"warn logs the position and the cause and skips the event; skip (or ignore) does the same with a debug line. " +
			"Skipped events are counted in undecodable_events_skipped_total: their rows are lost to the topics, so prefer fixing the cause (often a stored offset that points inside a transaction)."})
}

// undecodable records the row events a rowsDecoder could not decode when
// the mode lets the stream skip them: the syncer's goroutine stores, the
// stream's goroutine takes.
type undecodable struct {
	mode   string // warn or skip; "" for fail
	events sync.Map
}

// failed notes re's decoding error; false when the mode is fail and the
// error must stop the syncer.
func (u *undecodable) failed(re *replication.RowsEvent, err error) bool {
	if u == nil || u.mode == "" {
		return false
	}
	re.Rows = nil
	u.events.Store(re, err)
	return true
}

// take returns the decoding error of re, if it had one.
func (u *undecodable) take(re *replication.RowsEvent) error {
	if u == nil || u.mode == "" {
		return nil
	}
	if v, ok := u.events.LoadAndDelete(re); ok {
		return v.(error)
	}
	return nil
}

// skipUndecodable logs and counts a row event the decoder gave up on.
func (s *stream) skipUndecodable(h *replication.EventHeader, err error) {
	s.dts.metrics.undecodable.Add(1)
	pos := h.LogPos - h.EventSize
	if s.undecodable.mode == "warn" {
		s.log.Warn("skipping a binlog row event that could not be decoded ("+KeyDeserializationFailureMode+"=warn); its rows are not captured",
			"file", s.cur.file, "pos", pos, "error", err)
		return
	}
	s.log.Debug("skipped a binlog row event that could not be decoded", "file", s.cur.file, "pos", pos, "error", err)
}

// undecodableError is the task's error for an event go-mysql could not
// decode in fail mode. go-mysql's own error quotes the event's bytes (row
// values), which must not reach logs or the task's status.
func (s *stream) undecodableError(err error) error {
	var ee *replication.EventError
	if !errors.As(err, &ee) {
		return nil
	}
	var pos uint32
	var kind replication.EventType
	if h := ee.Header; h != nil {
		kind = h.EventType
		if h.LogPos >= h.EventSize {
			pos = h.LogPos - h.EventSize
		}
	}
	if !isRowsEventType(kind) {
		return fmt.Errorf("the binlog %s event at %s:%d could not be decoded: %s; if the stored position does not start an event, move it to the start of a transaction",
			kind, s.cur.file, pos, ee.Err)
	}
	if msg := ee.Err; strings.Contains(msg, "type 140 ") || strings.Contains(msg, "type 141 ") {
		return s.compressedError(ee.Header, errors.New(ee.Err))
	}
	return fmt.Errorf("the binlog row event at %s:%d could not be decoded: %s; if the stored position points inside a transaction, move it to the transaction's start, "+
		"or set %s=warn to skip such events (their rows are then not captured)", s.cur.file, pos, ee.Err, KeyDeserializationFailureMode)
}

// compressedError is the task's error for a row event of a table with a
// MariaDB COMPRESSED column; cause is the decoder's own words, if any.
func (s *stream) compressedError(h *replication.EventHeader, cause error) error {
	var pos uint32
	if h != nil && h.LogPos >= h.EventSize {
		pos = h.LogPos - h.EventSize
	}
	why := ""
	if cause != nil {
		why = ": " + cause.Error()
	}
	return fmt.Errorf("the binlog row event at %s:%d could not be decoded%s: the table has a MariaDB COMPRESSED column, which the binlog carries in a form Sluice cannot decode; "+
		"drop the attribute (ALTER TABLE … MODIFY the column with its type and no COMPRESSED) or exclude the table, set %s=warn to go past the events already written "+
		"(their rows are not captured), then re-read the table with an execute-snapshot signal", s.cur.file, pos, why, KeyDeserializationFailureMode)
}

// hasCompressedColumn reports whether a table map has a column of
// MariaDB's compressed string types (MYSQL_TYPE_VARCHAR_COMPRESSED 140,
// MYSQL_TYPE_BLOB_COMPRESSED 141), which go-mysql does not name.
func hasCompressedColumn(tm *replication.TableMapEvent) bool {
	for _, t := range tm.ColumnType {
		if t == 140 || t == 141 {
			return true
		}
	}
	return false
}

func isRowsEventType(t replication.EventType) bool {
	switch t {
	case replication.WRITE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv0,
		replication.WRITE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv1,
		replication.WRITE_ROWS_EVENTv2, replication.UPDATE_ROWS_EVENTv2, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1, replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1, replication.PARTIAL_UPDATE_ROWS_EVENT:
		return true
	}
	return false
}
