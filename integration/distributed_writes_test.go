package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// Config writes sent at once to both workers of a two-worker cluster are
// serialized by the leader: of N creates of one name exactly one is
// created and the others get 409, N patches of different keys are all
// kept, and a create forwarded by the follower carries its Location.
func TestDistributedConcurrentConfigWrites(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	k := harness.KafkaForTest(t)
	ws, _ := startCluster(t, k, 2, map[string]string{
		"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.storage.StringConverter",
	})
	_, follower := leaderAndFollower(t, ws)
	topic := k.Topic("counter")
	config := func(extra ...string) map[string]string {
		c := map[string]string{"connector.class": counterClass, "tasks.max": "1", "topic": topic, "interval.ms": "1000"}
		for i := 0; i+1 < len(extra); i += 2 {
			c[extra[i]] = extra[i+1]
		}
		return c
	}
	// Let the cluster settle first, so no request meets a rebalance.
	mustCall(t, "POST", follower.url()+"/connectors", map[string]any{"name": "warmup", "config": config()}, 201)

	// A create forwarded by the follower: 201 with a Location on the
	// follower's address.
	body, _ := json.Marshal(map[string]any{"name": "loc", "config": config()})
	resp, err := http.Post(follower.url()+"/connectors", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Location") != follower.url()+"/connectors/loc" {
		t.Errorf("create through the follower: %d Location %q, want 201 and %s/connectors/loc", resp.StatusCode, resp.Header.Get("Location"), follower.url())
	}

	const n = 10
	for round := 0; round < 3; round++ {
		name := fmt.Sprintf("dup%d", round)
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = call("POST", ws[i%2].url()+"/connectors", map[string]any{"name": name, "config": config("tasks.max", fmt.Sprint(i+1))})
			}()
		}
		wg.Wait()
		winner := -1
		for i, c := range codes {
			switch c {
			case 201:
				if winner >= 0 {
					t.Errorf("%s: creates %d and %d both answered 201 (%v)", name, winner, i, codes)
				}
				winner = i
			case 409:
			default:
				t.Errorf("%s: create %d answered %d (%v)", name, i, c, codes)
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no create answered 201: %v", name, codes)
		}
		for _, w := range ws {
			eventually(t, name+" config on "+w.id(), 20*time.Second, func() (bool, string) {
				code, data, _ := call("GET", w.url()+"/connectors/"+name+"/config", nil)
				var cfg map[string]string
				_ = json.Unmarshal(data, &cfg)
				return code == 200 && cfg["tasks.max"] == fmt.Sprint(winner+1), fmt.Sprintf("%d %s, want the winner's tasks.max=%d", code, data, winner+1)
			})
		}
	}

	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = call("PATCH", ws[i%2].url()+"/connectors/warmup/config", map[string]string{fmt.Sprintf("k%d", i): "v"})
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("patch %d answered %d", i, c)
		}
	}
	eventually(t, "every patched key on both workers", 20*time.Second, func() (bool, string) {
		for _, w := range ws {
			_, data, _ := call("GET", w.url()+"/connectors/warmup/config", nil)
			var cfg map[string]string
			_ = json.Unmarshal(data, &cfg)
			var missing []string
			for i := 0; i < n; i++ {
				if codes[i] == 200 && cfg[fmt.Sprintf("k%d", i)] != "v" {
					missing = append(missing, fmt.Sprintf("k%d", i))
				}
			}
			if len(missing) > 0 {
				return false, w.id() + " lacks " + strings.Join(missing, ",")
			}
		}
		return true, ""
	})
}
