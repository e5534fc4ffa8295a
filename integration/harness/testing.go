package harness

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// MariaDBForTest starts a MariaDB for t and stops and removes it when t
// ends. Without a MariaDB installation the test is skipped, or fails when
// $CI is "true" so CI cannot pass by skipping everything. If t fails, the
// tail of the server's error log is logged.
func MariaDBForTest(t testing.TB, opts MariaDBOptions) *MariaDB {
	t.Helper()
	if _, err := FindMariaDBD(); err != nil {
		missing(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := StartMariaDB(ctx, opts)
	if err != nil {
		if errors.Is(err, ErrMariaDBNotFound) {
			missing(t, err)
		}
		t.Fatalf("start MariaDB: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("MariaDB on port %d, error log %s (tail):\n%s", m.Port(), m.ErrorLogPath(), m.ErrorLogTail(30))
		}
		if err := m.Close(); err != nil {
			t.Errorf("close MariaDB: %v", err)
		}
	})
	return m
}

func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v (CI=true, so this is a failure, not a skip)", err)
	}
	t.Skipf("%v", err)
}

// KafkaForTest starts a Kafka (see StartKafka) for t and closes it when t
// ends.
func KafkaForTest(t testing.TB) *Kafka {
	t.Helper()
	return KafkaForTestWith(t, KafkaOptions{})
}

// KafkaForTestWith is KafkaForTest with options.
func KafkaForTestWith(t testing.TB, opts KafkaOptions) *Kafka {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, err := StartKafkaWith(ctx, opts)
	if err != nil {
		t.Fatalf("start Kafka: %v", err)
	}
	t.Cleanup(func() {
		if err := k.Close(); err != nil {
			t.Logf("close Kafka: %v", err)
		}
	})
	return k
}
