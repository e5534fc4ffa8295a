package mysql

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
)

// go-mysql's decoding error quotes the event's bytes; the task's error
// names the position and, for row events only, the mode that skips them.
func TestUndecodableError(t *testing.T) {
	s := &stream{}
	s.cur.file = "binlog.000007"
	for _, c := range []struct {
		kind      replication.EventType
		wantWords []string
	}{
		{replication.WRITE_ROWS_EVENTv1, []string{"row event at binlog.000007:1000", KeyDeserializationFailureMode + "=warn"}},
		{replication.QUERY_EVENT, []string{"QueryEvent event at binlog.000007:1000", "start of a transaction"}},
	} {
		ee := &replication.EventError{Header: &replication.EventHeader{EventType: c.kind, LogPos: 1100, EventSize: 100}, Err: "bad", Data: []byte("secret-row-bytes")}
		err := s.undecodableError(errors.Join(errors.New("stream"), ee))
		if err == nil {
			t.Fatalf("%v: no error", c.kind)
		}
		for _, w := range c.wantWords {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", c.kind, err, w)
			}
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: %q quotes the event's bytes", c.kind, err)
		}
		if c.kind == replication.QUERY_EVENT && strings.Contains(err.Error(), KeyDeserializationFailureMode) {
			t.Errorf("a non-row event's error offers a mode that cannot skip it: %q", err)
		}
	}
	if s.undecodableError(errors.New("connection reset")) != nil {
		t.Error("a connection error taken for an undecodable event")
	}
}
