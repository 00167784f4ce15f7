package ledger_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

// v1Store is testdata/audit-v1.json: every key of a store written by the
// ledger before audit deltas, whose records hold whole subscription lists
// and users (see testdata/audit-v1-gen.go).
type v1Store struct {
	Clock    string   `json:"clock"`
	Requests []string `json:"requests"`
	Keys     []struct {
		Key    string             `json:"key"`
		Type   string             `json:"type"`
		String string             `json:"string"`
		Hash   map[string]string  `json:"hash"`
		Set    []string           `json:"set"`
		ZSet   map[string]float64 `json:"zset"`
		Stream []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"stream"`
	} `json:"keys"`
}

// loadV1 restores the old store on a fresh redis-server and returns a
// ledger on it, its clock at the time the store was left.
func loadV1(t *testing.T) (*ledger.Ledger, *ledger.ManualClock, redis.UniversalClient, v1Store) {
	t.Helper()
	raw, err := os.ReadFile("testdata/audit-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var st v1Store
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rdb := testredis.New(t)
	for _, k := range st.Keys {
		var err error
		switch k.Type {
		case "string":
			err = rdb.Set(ctx, k.Key, k.String, 0).Err()
		case "hash":
			err = rdb.HSet(ctx, k.Key, k.Hash).Err()
		case "set":
			err = rdb.SAdd(ctx, k.Key, k.Set).Err()
		case "zset":
			for m, s := range k.ZSet {
				if err = rdb.ZAdd(ctx, k.Key, redis.Z{Member: m, Score: s}).Err(); err != nil {
					break
				}
			}
		case "stream":
			for _, e := range k.Stream {
				if err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: k.Key, ID: e.ID, Values: e.Fields}).Err(); err != nil {
					break
				}
			}
		}
		if err != nil {
			t.Fatalf("restore %s: %v", k.Key, err)
		}
	}
	now, err := time.Parse(time.RFC3339, st.Clock)
	if err != nil {
		t.Fatal(err)
	}
	clock := ledger.NewManualClock(now)
	l := ledger.New(rdb, nil, clock, nil)
	if err := l.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return l, clock, rdb, st
}

func TestAStoreWrittenInTheOldRecordFormKeepsWorking(t *testing.T) {
	l, clock, _, st := loadV1(t)
	ctx := context.Background()
	firstID := strings.Fields(st.Requests[0])[0]

	t.Run("check replays the old records", func(t *testing.T) {
		mustCheck(t, l)
	})
	t.Run("history shows the old records with who, what and the result", func(t *testing.T) {
		hist, err := l.History(ctx, "contoso", 100)
		if err != nil {
			t.Fatal(err)
		}
		var old *ledger.AuditRecord
		for i := range hist {
			if hist[i].Request != nil && hist[i].Request.ID == firstID {
				old = &hist[i]
			}
		}
		if old == nil || old.Effects == nil || old.Delta != nil {
			t.Fatalf("the first request's old record: %+v", old)
		}
		if r := old.Result.Ops[0]; r.Before.Total != 13 || r.After.Total != 15 {
			t.Errorf("figures of the old record: %+v → %+v", r.Before, r.After)
		}
	})
	t.Run("an idempotency key the old ledger recorded is still a duplicate", func(t *testing.T) {
		res, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: operator, IdempotencyKey: "old-k1",
			Ops: []ledger.Op{add(2, "SPB")}})
		if err != nil || res.Status != ledger.StatusDuplicate || res.RequestID != firstID {
			t.Errorf("retry of an old request: %s %s %v", res.Status, res.RequestID, err)
		}
	})
	t.Run("an old request can be undone", func(t *testing.T) {
		unassigned := strings.Fields(st.Requests[2])[0] // unassign SPB alice
		res, err := l.Undo(ctx, unassigned, operator, ledger.Origin{Channel: ledger.ChannelCLI}, false)
		if err != nil || res.Status != ledger.StatusApplied {
			t.Fatalf("undo: %+v %v", res, err)
		}
	})
	t.Run("new records follow the old ones and the whole log replays", func(t *testing.T) {
		submit(t, l, operator, "contoso", add(1, "SPB"), assign("ENTERPRISEPACK", "zoe2@contoso.com"))
		submit(t, l, operator, "contoso", remove(1, "SPB"))
		submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAssign, SKU: "SPE_E5", Users: []string{"new@contoso.com"}, Create: true})
		submit(t, l, operator, "contoso", unassign("SPB", "u02@contoso.com"))
		submit(t, l, operator, "fabrikam", add(1, "STANDARDPACK"))
		clock.Advance(40 * 24 * time.Hour)
		if _, err := l.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		submit(t, l, operator, "contoso", add(3, "SPB"))
		mustCheck(t, l)
		hist, _ := l.History(ctx, "contoso", 1)
		if hist[0].Delta == nil || hist[0].Effects != nil {
			t.Errorf("a new record should hold a delta: %+v", hist[0])
		}
	})
	t.Run("a checkpoint over a log of both forms", func(t *testing.T) {
		problems, err := l.CheckWith(ctx, ledger.CheckOptions{CheckpointEvery: 1})
		if err != nil || len(problems) > 0 {
			t.Fatalf("check: %v %v", problems, err)
		}
		submit(t, l, operator, "contoso", add(1, "SPB"))
		mustCheck(t, l)
		problems, err = l.CheckWith(ctx, ledger.CheckOptions{Full: true})
		if err != nil || len(problems) > 0 {
			t.Fatalf("full check: %v %v", problems, err)
		}
	})
}
