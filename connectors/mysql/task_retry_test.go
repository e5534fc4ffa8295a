package mysql

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// A task started while its server is unreachable keeps trying from Poll
// and fails, not retriably, once the retry window is spent.
func TestTaskStartRetriesWithinWindow(t *testing.T) {
	props := map[string]string{"database.hostname": "127.0.0.1", "database.port": "1", "database.user": "u", "database.password": "secret-pw",
		"topic.prefix": "p", "connection.retry.ms": "1500", "retriable.restart.connector.wait.ms": "200", "connect.timeout.ms": "500"}
	task := NewTask()
	ctx := context.Background()
	if err := task.Start(ctx, nil, props); err != nil {
		t.Fatalf("Start failed instead of retrying: %v", err)
	}
	defer task.Stop()
	deadline := time.Now().Add(20 * time.Second)
	for {
		recs, err := task.Poll(ctx)
		if len(recs) > 0 {
			t.Fatalf("records from an unreachable server: %v", recs)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "gave up starting after retrying") || connect.IsRetriable(err) || strings.Contains(err.Error(), "secret-pw") {
				t.Fatalf("error %v (retriable %v)", err, connect.IsRetriable(err))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("still retrying after 20 s with a 1.5 s window")
		}
	}
}
