package mysql

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// The source dropping the binlog connection for another reader with the
// same server id is told apart from a dropped connection: it recurs until
// an id changes, so the error names the clash and the setting.
func TestClassifyServerIDClash(t *testing.T) {
	s := &stream{opts: &Options{ServerID: 5901}}
	for _, err := range []error{
		&gomysql.MyError{Code: 4052, State: "HY000", Message: "A slave with the same server_uuid/server_id is already connected"},
		fmt.Errorf("read: %w", &gomysql.MyError{Code: 1236, State: "HY000", Message: "A slave with the same server_uuid/server_id as this slave has connected to the master; the first event 'binlog.000001' at 4"}),
	} {
		got := s.classifyStreamError(err)
		var clash *serverIDClashError
		if !errors.As(got, &clash) {
			t.Fatalf("%v classified as %T %v, not a server id clash", err, got, got)
		}
		if !isConnectionError(got) {
			t.Errorf("%v: a clash is not retried as a dropped connection", err)
		}
		for _, want := range []string{"server id 5901", KeyServerID, "give each connector its own"} {
			if !strings.Contains(got.Error(), want) {
				t.Errorf("%q does not say %q", got.Error(), want)
			}
		}
	}
	if got := s.classifyStreamError(&gomysql.MyError{Code: 1927, Message: "Connection was killed"}); errors.As(got, new(*serverIDClashError)) {
		t.Errorf("a killed connection classified as a clash: %v", got)
	}
}
