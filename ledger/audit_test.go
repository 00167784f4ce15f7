package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/redis/go-redis/v9"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestSeatEditsTurnAnyBatchesIntoAnyOthers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randomBatches := func(pool []SeatBatch) []SeatBatch {
		var out []SeatBatch
		for range rng.IntN(12) {
			out = append(out, pool[rng.IntN(len(pool))])
		}
		return out
	}
	var pool []SeatBatch
	for i := range 6 {
		pool = append(pool, SeatBatch{Quantity: 1 + i%3, AddedAt: t0.Add(time.Duration(i%4) * time.Hour)})
	}
	for i := range 5000 {
		before := randomBatches(pool)
		after := randomBatches(pool)
		if i%3 == 0 { // the usual changes: one batch added, one taken
			after = append(slices.Clone(before), pool[rng.IntN(len(pool))])
		}
		edits := seatEdits(before, after)
		got, ok := applySeatEdits(before, edits)
		if !ok || !batchesEqual(got, after) {
			t.Fatalf("%v with %+v gives %v (%v), want %v", before, edits, got, ok, after)
		}
	}
}

func TestAnAdditionIsOneStepHoweverLongTheList(t *testing.T) {
	var before []SeatBatch
	for i := range 500 {
		before = append(before, SeatBatch{Quantity: 1, AddedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	after := append(slices.Clone(before), SeatBatch{Quantity: 1, AddedAt: t0.Add(time.Hour * 24)})
	edits := seatEdits(before, after)
	if len(edits) != 2 || edits[0].Keep != 500 || edits[1].Put == nil {
		t.Errorf("edits of an addition: %+v", edits)
	}
	taken := slices.Clone(before[:499])
	taken = append(taken, SeatBatch{Quantity: 0 + 1, AddedAt: before[499].AddedAt.Add(time.Second)})
	if edits := seatEdits(before, taken); len(edits) != 3 {
		t.Errorf("edits of a change to the newest batch: %+v", edits)
	}
}

func TestClosedBatchesMergeAndOpenOnesKeepTheirWindows(t *testing.T) {
	day := 24 * time.Hour
	now := t0
	cases := []struct {
		name       string
		seats      []SeatBatch
		want       []SeatBatch
		wantChange bool
	}{
		{"one closed batch stays as it is",
			[]SeatBatch{{5, now.Add(-30 * day)}, {1, now.Add(-day)}},
			[]SeatBatch{{5, now.Add(-30 * day)}, {1, now.Add(-day)}}, false},
		{"closed batches become one, dated by the last of them",
			[]SeatBatch{{5, now.Add(-30 * day)}, {3, now.Add(-10 * day)}, {2, now.Add(-7 * day)}, {1, now.Add(-day)}},
			[]SeatBatch{{10, now.Add(-7 * day)}, {1, now.Add(-day)}}, true},
		{"open batches keep their dates",
			[]SeatBatch{{1, now.Add(-6 * day)}, {1, now.Add(-5 * day)}, {1, now.Add(-time.Hour)}},
			[]SeatBatch{{1, now.Add(-6 * day)}, {1, now.Add(-5 * day)}, {1, now.Add(-time.Hour)}}, false},
		{"batches of one instant, side by side, become one",
			[]SeatBatch{{5, now.Add(-30 * day)}, {1, now}, {2, now}, {1, now.Add(time.Second)}},
			[]SeatBatch{{5, now.Add(-30 * day)}, {3, now}, {1, now.Add(time.Second)}}, true},
		{"a batch just under 168 hours old is open",
			[]SeatBatch{{5, now.Add(-30 * day)}, {1, now.Add(-ReductionWindow + time.Second)}, {2, now.Add(-ReductionWindow)}},
			[]SeatBatch{{7, now.Add(-ReductionWindow)}, {1, now.Add(-ReductionWindow + time.Second)}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list := []Subscription{{ID: "s", Seats: slices.Clone(c.seats)}}
			total := list[0].Quantity()
			changed := normalizeSeats(list, now)
			if changed != c.wantChange || !batchesEqual(list[0].Seats, c.want) {
				t.Errorf("got %v (changed %v), want %v", list[0].Seats, changed, c.want)
			}
			if list[0].Quantity() != total {
				t.Errorf("the total moved: %d, want %d", list[0].Quantity(), total)
			}
		})
	}
}

// internalSetup is a ledger on a real redis-server seeded from
// testdata/seed.yaml, for the tests that look inside the package.
func internalSetup(t *testing.T) (*Ledger, *ManualClock) {
	t.Helper()
	clock := NewManualClock(t0)
	l := New(testredis.New(t), nil, clock, nil)
	if err := l.ImportFile(context.Background(), "testdata/seed.yaml"); err != nil {
		t.Fatal(err)
	}
	return l, clock
}

func operatorAdd(n int, sku string) Request {
	return Request{Tenant: "contoso", Requester: Requester{ID: "cli", Operator: true}, Origin: Origin{Channel: ChannelCLI},
		Text: fmt.Sprintf("add %d %s contoso", n, sku), Ops: []Op{{Kind: OpAdd, SKU: sku, Quantity: n}}}
}

func mustSubmit(t *testing.T, l *Ledger, req Request) Result {
	t.Helper()
	res, err := l.Submit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func checkOK(t *testing.T, l *Ledger, opt CheckOptions) {
	t.Helper()
	problems, err := l.CheckWith(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("check: %s: %s", p.Tenant, p.What)
	}
}

// SPEC §8 "Growth": what a request leaves does not grow with the history
// of its subscription.
func TestARequestsRecordDoesNotGrowWithTheHistory(t *testing.T) {
	l, clock := internalSetup(t)
	ctx := context.Background()
	k := keysFor("contoso")
	sizes := make([]int, 0, 400)
	for i := range 400 {
		clock.Advance(6 * time.Hour)
		res := mustSubmit(t, l, operatorAdd(1, "SPB"))
		if res.Status != StatusApplied {
			t.Fatalf("addition %d: %+v", i, res)
		}
		msgs, err := l.rdb.XRevRangeN(ctx, k.audit, "+", "-", 1).Result()
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(msgs[0].Values["data"].(string)))
	}
	first, last := slices.Max(sizes[:50]), slices.Max(sizes[350:])
	if last > first+16 || last > 1500 {
		t.Errorf("audit records grew from %d to %d bytes", first, last)
	}
	v, err := l.Show(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Products {
		for _, s := range p.Subscriptions {
			// 7 days of additions every 6 hours are open, the rest one batch.
			if len(s.Seats) > 30 {
				t.Errorf("%s holds %d batches after 400 additions", s.ID, len(s.Seats))
			}
		}
	}
	checkOK(t, l, CheckOptions{Full: true})
}

func TestCheckStartsAtTheLastCheckpoint(t *testing.T) {
	l, clock := internalSetup(t)
	ctx := context.Background()
	for range 6 {
		clock.Advance(time.Hour)
		mustSubmit(t, l, operatorAdd(1, "SPB"))
	}
	checkOK(t, l, CheckOptions{CheckpointEvery: 5})
	mark, err := l.checkpointMark(ctx, "contoso")
	if err != nil || mark == nil {
		t.Fatalf("no checkpoint after a check: %v", err)
	}
	if mark.Records < 8 || mark.Users != 15 {
		t.Errorf("checkpoint mark: %+v", mark)
	}
	for range 3 {
		clock.Advance(time.Hour)
		mustSubmit(t, l, operatorAdd(1, "SPB"))
	}
	rp, err := l.replay(ctx, "contoso", false)
	if err != nil {
		t.Fatal(err)
	}
	if rp.read != 4 { // the checkpoint's own record and the three requests
		t.Errorf("replay from the checkpoint read %d entries, want 4", rp.read)
	}
	full, _ := l.replay(ctx, "contoso", true)
	if full.read != 2+6+1+3 { // the import, the requests, the checkpoint, the requests
		t.Errorf("a full replay read %d entries, want 12", full.read)
	}
	checkOK(t, l, CheckOptions{})
	hist, _ := l.History(ctx, "contoso", 100)
	found := false
	for _, h := range hist {
		found = found || (h.Kind == "checkpoint" && h.Checkpoint != nil && h.Checkpoint.After == mark.After)
	}
	if !found {
		t.Error("history does not show the checkpoint")
	}

	t.Run("a checkpoint changed behind the log is not trusted", func(t *testing.T) {
		if err := l.rdb.HSet(ctx, keysFor("contoso").checkpoint, "u:dave@contoso.com",
			`{"upn":"dave@contoso.com","licenses":["SPB"]}`).Err(); err != nil {
			t.Fatal(err)
		}
		problems, err := l.CheckWith(ctx, CheckOptions{CheckpointEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != 1 || !strings.Contains(problems[0].What, "checkpoint is not trusted") {
			t.Errorf("problems: %+v", problems)
		}
		// The whole history still verifies the state.
		checkOK(t, l, CheckOptions{Full: true})
	})
	t.Run("a new checkpoint replaces it", func(t *testing.T) {
		checkOK(t, l, CheckOptions{Full: true, CheckpointEvery: 1})
		checkOK(t, l, CheckOptions{})
	})
	t.Run("a crash between the record and the state keeps the checkpoint before", func(t *testing.T) {
		before, _ := l.checkpointMark(ctx, "contoso")
		rec, _ := encodeAudit(&AuditRecord{Kind: "checkpoint", Checkpoint: &CheckpointMark{After: "0-1", Digest: "x"}, At: clock.Now()})
		l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: keysFor("contoso").audit, Values: []any{"req", "checkpoint", "data", rec}})
		checkOK(t, l, CheckOptions{CheckpointEvery: -1})
		if after, _ := l.checkpointMark(ctx, "contoso"); after.After != before.After {
			t.Errorf("checkpoint moved to %+v", after)
		}
	})
}

// Group commit: requests sent in one call keep their own compare-and-set
// and outcome. Two plans made on one snapshot go out together: the first
// commits, the second finds its versions moved and writes nothing; a
// request of another tenant in the same call is not affected.
func TestACommitGroupKeepsEachRequestsOwnOutcome(t *testing.T) {
	l, _ := internalSetup(t)
	ctx := context.Background()
	cat := l.Catalog()
	plan := func(tenant string, n int) commitSpec {
		req := operatorAdd(n, "SPB")
		if tenant == "fabrikam" {
			req = Request{Tenant: "fabrikam", Requester: Requester{ID: "cli", Operator: true}, Origin: Origin{Channel: ChannelCLI},
				Ops: []Op{{Kind: OpAdd, SKU: "STANDARDPACK", Quantity: n}}}
		}
		req.ID = NewRequestID(t0)
		snap, _, err := readSnapshot(ctx, l.rdb, &req, needsOf(&req, cat))
		if err != nil {
			t.Fatal(err)
		}
		res, eff := Plan(snap, &req, cat, t0)
		if res.Status != StatusApplied {
			t.Fatalf("plan: %+v", res)
		}
		return commitSpec{snap: snap, req: &req, eff: &eff, rec: &AuditRecord{Kind: "request", Request: &req, Result: &res, At: t0}}
	}
	specs := []commitSpec{plan("contoso", 1), plan("contoso", 2), plan("fabrikam", 3)}
	var jobs []*commitJob
	for _, c := range specs {
		prefix, args, err := commitArgs(c)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, &commitJob{ctx: ctx, prefix: prefix, args: args, done: make(chan commitReply, 1)})
	}
	l.cm.send(jobs)
	want := []commitOutcome{committed, versionClash, committed}
	for i, j := range jobs {
		r := <-j.done
		got, _, err := commitReplyOf(specs[i].req, r.reply, r.err)
		if err != nil || got != want[i] {
			t.Errorf("request %d: %v %v, want %v", i, got, err, want[i])
		}
	}
	v, _ := l.Show(ctx, "contoso")
	for _, p := range v.Products {
		if p.SKU == "SPB" && p.Total != 14 {
			t.Errorf("SPB has %d seats, want 13 + 1 (the clashing request wrote nothing)", p.Total)
		}
	}
	if _, err := l.Result(ctx, "contoso", specs[1].req.ID); err == nil {
		t.Error("the clashing request left an audit record")
	}
	checkOK(t, l, CheckOptions{Full: true})
}

// When a type has fields the hand-written code does not know (its
// signature changed, jsonenc.go), everything still works, through
// encoding/json and whole values in the deltas: slower, never wrong.
func TestAChangedTypeFallsBackToWholeValues(t *testing.T) {
	saved := fastJSON
	fastJSON.request, fastJSON.result, fastJSON.subs, fastJSON.user = false, false, false, false
	defer func() { fastJSON = saved }()
	l, clock := internalSetup(t)
	ctx := context.Background()
	op := Requester{ID: "cli", Operator: true}
	for _, ops := range [][]Op{
		{{Kind: OpAdd, SKU: "SPB", Quantity: 2}},
		{{Kind: OpAssign, SKU: "SPB", Users: []string{"dave@contoso.com", "new@contoso.com"}, Create: true}},
		{{Kind: OpUnassign, SKU: "SPB", Users: []string{"alice@contoso.com"}}},
		{{Kind: OpAutoRenew, Subscription: "contoso-m365e3-1", AutoRenew: true}},
	} {
		clock.Advance(time.Hour)
		res, err := l.Submit(ctx, Request{Tenant: "contoso", Requester: op, Ops: ops})
		if err != nil || res.Status != StatusApplied {
			t.Fatalf("%v: %+v %v", ops, res, err)
		}
	}
	hist, err := l.History(ctx, "contoso", 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hist {
		if h.Delta == nil {
			t.Fatalf("no delta: %+v", h)
		}
		for _, d := range h.Delta.Subs {
			if d.Now == nil {
				t.Errorf("a subscription's change should be whole: %+v", d)
			}
		}
		for _, d := range h.Delta.Users {
			if d.Now == nil && d.New == nil {
				t.Errorf("a user's change should be whole: %+v", d)
			}
		}
	}
	clock.Advance(30 * 24 * time.Hour)
	if _, err := l.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	checkOK(t, l, CheckOptions{Full: true, CheckpointEvery: 1})
	checkOK(t, l, CheckOptions{})
}
