// Command fixturegen writes ledger/testdata/audit-v1.json: a desk made by
// the ledger as it was before audit deltas (commit 17ec10d), every key of
// the store dumped, so that tests can check that stores written in the old
// record form keep working. Run against an empty redis:
//
//	LICENSEDESK_REDIS_URL=redis://127.0.0.1:PORT/0 go run ./cmd/fixturegen ledger/testdata/seed.yaml > audit-v1.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

type entry struct {
	ID     string            `json:"id"`
	Fields map[string]string `json:"fields"`
}

type key struct {
	Key    string             `json:"key"`
	Type   string             `json:"type"`
	String string             `json:"string,omitempty"`
	Hash   map[string]string  `json:"hash,omitempty"`
	Set    []string           `json:"set,omitempty"`
	ZSet   map[string]float64 `json:"zset,omitempty"`
	Stream []entry            `json:"stream,omitempty"`
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func main() {
	ctx := context.Background()
	opt, err := redis.ParseURL(os.Getenv("LICENSEDESK_REDIS_URL"))
	must(err)
	rdb := redis.NewClient(opt)
	must(rdb.FlushDB(ctx).Err())
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := ledger.NewManualClock(now)
	l := ledger.New(rdb, nil, clock, nil)
	must(l.ImportFile(ctx, os.Args[1]))
	op := ledger.Requester{ID: "cli", Operator: true}
	var ids []string
	sub := func(key string, ops ...ledger.Op) ledger.Result {
		clock.Advance(time.Minute)
		res, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: op, Origin: ledger.Origin{Channel: ledger.ChannelCLI},
			IdempotencyKey: key, Text: fmt.Sprintf("%v", ops), Ops: ops})
		must(err)
		ids = append(ids, res.RequestID+" "+string(res.Status))
		return res
	}
	sub("old-k1", ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 2})
	assigned := sub("", ledger.Op{Kind: ledger.OpAssign, SKU: "SPB", Users: []string{"dave@contoso.com", "zoe@contoso.com"}, Create: true})
	sub("", ledger.Op{Kind: ledger.OpUnassign, SKU: "SPB", Users: []string{"alice@contoso.com"}})
	sub("", ledger.Op{Kind: ledger.OpRemove, SKU: "SPB", Quantity: 1})
	sub("", ledger.Op{Kind: ledger.OpRemove, SKU: "ENTERPRISEPACK", Quantity: 4, AtRenewal: true})
	sub("", ledger.Op{Kind: ledger.OpAutoRenew, Subscription: "contoso-m365e3-1", AutoRenew: true})
	sub("", ledger.Op{Kind: ledger.OpRemove, SKU: "SPB", Quantity: 30})
	sub("", ledger.Op{Kind: ledger.OpAdd, SKU: "SPE_E5", Quantity: 3, New: true})
	clock.Advance(time.Minute)
	pend, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"},
		Origin:         ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", MessageID: "<old-1@contoso.com>", Subject: "more seats"},
		IdempotencyKey: "<old-1@contoso.com>", Text: "add 20 Business Premium", Ops: []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 20}}})
	must(err)
	ids = append(ids, pend.RequestID+" "+string(pend.Status))
	clock.Advance(time.Minute)
	dec, err := l.Decide(ctx, pend.RequestID, op, true, "")
	must(err)
	ids = append(ids, dec.RequestID+" decision "+string(dec.Status))
	clock.Advance(time.Minute)
	undo, err := l.Undo(ctx, assigned.RequestID, op, ledger.Origin{Channel: ledger.ChannelCLI}, false)
	must(err)
	ids = append(ids, undo.RequestID+" undo "+string(undo.Status))
	clock.Set(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	_, err = l.Sweep(ctx)
	must(err)
	clock.Advance(time.Hour)
	sub("", ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 1})
	_, err = l.Submit(ctx, ledger.Request{Tenant: "fabrikam", Requester: op, Origin: ledger.Origin{Channel: ledger.ChannelCLI},
		Ops: []ledger.Op{{Kind: ledger.OpAdd, SKU: "STANDARDPACK", Quantity: 1}}})
	must(err)
	problems, err := l.Check(ctx)
	must(err)
	if len(problems) > 0 {
		panic(fmt.Sprint(problems))
	}

	var out struct {
		Note     string   `json:"note"`
		Clock    string   `json:"clock"`
		Requests []string `json:"requests"`
		Keys     []key    `json:"keys"`
	}
	out.Note = "Written by testdata/audit-v1-gen.go with the ledger of commit 17ec10d (audit records holding whole effects), from seed.yaml; every key of the store."
	out.Clock = clock.Now().Format(time.RFC3339)
	out.Requests = ids
	names, err := rdb.Keys(ctx, "*").Result()
	must(err)
	sort.Strings(names)
	for _, n := range names {
		t, err := rdb.Type(ctx, n).Result()
		must(err)
		k := key{Key: n, Type: t}
		switch t {
		case "string":
			k.String, err = rdb.Get(ctx, n).Result()
		case "hash":
			k.Hash, err = rdb.HGetAll(ctx, n).Result()
		case "set":
			k.Set, err = rdb.SMembers(ctx, n).Result()
			sort.Strings(k.Set)
		case "zset":
			var zs []redis.Z
			zs, err = rdb.ZRangeWithScores(ctx, n, 0, -1).Result()
			k.ZSet = map[string]float64{}
			for _, z := range zs {
				k.ZSet[z.Member.(string)] = z.Score
			}
		case "stream":
			var msgs []redis.XMessage
			msgs, err = rdb.XRange(ctx, n, "-", "+").Result()
			for _, m := range msgs {
				f := map[string]string{}
				for fk, fv := range m.Values {
					f[fk] = fv.(string)
				}
				k.Stream = append(k.Stream, entry{ID: m.ID, Fields: f})
			}
		default:
			panic("type " + t)
		}
		must(err)
		out.Keys = append(out.Keys, k)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	must(enc.Encode(out))
}
