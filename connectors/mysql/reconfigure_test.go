package mysql

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// TestOwnReplica: a replica with the connector's server id is its own only
// when the validation is a reconfiguration of a connector that reads the
// same server with the same id.
func TestOwnReplica(t *testing.T) {
	opts := &Options{Host: "db.example", Port: 3306, ServerID: 5400}
	stored := map[string]string{KeyHostname: "DB.example ", KeyServerID: "5400"}
	if ownReplica(context.Background(), opts) {
		t.Error("a new connector's validation counted the replica as its own")
	}
	if !ownReplica(connect.WithStoredConfig(context.Background(), stored), opts) {
		t.Error("a reconfiguration with the same server and id did not count its replica as its own")
	}
	for k, v := range map[string]string{KeyServerID: "5401", KeyHostname: "other.example", KeyPort: "3307"} {
		changed := map[string]string{KeyHostname: stored[KeyHostname], KeyServerID: stored[KeyServerID], k: v}
		if ownReplica(connect.WithStoredConfig(context.Background(), changed), opts) {
			t.Errorf("stored %s=%s still counted as the same replica", k, v)
		}
	}
}
