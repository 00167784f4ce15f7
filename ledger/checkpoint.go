package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Checkpoints keep `ledger check` from replaying years of history every
// time: when a tenant's replay reproduced its stored state exactly, check
// may record that state as a checkpoint, and the next check replays only
// what came after it. Its cost then grows with the history since the last
// checkpoint, not with all of it.
//
// A checkpoint is two things in the tenant's slot:
//   - a record in the audit stream (kind "checkpoint"), so that history
//     shows when the state was verified, with the id of the last entry it
//     includes and the SHA-256 of the stored state;
//   - the state itself in the hash ld:{t:…}:checkpoint: the tenant record,
//     the subscription lists, the users and the conflicts that lifecycle
//     events or imports explain, and "mark", the id of its audit record.
//
// The state is trusted only when its digest equals the one its audit
// record holds, so a checkpoint changed behind the log is not used (check
// says so and replays everything). The record is written first, then the
// state in one transaction: a crash between the two leaves the previous,
// consistent checkpoint in force. `ledger check --full` ignores them.

// CheckpointMark is the audit record of a checkpoint.
type CheckpointMark struct {
	// After is the id of the last audit entry the state includes.
	After string `json:"after"`
	// Digest is the SHA-256 of the stored checkpoint state.
	Digest string `json:"digest"`
	// Records is how many entries the verifying replay read.
	Records       int       `json:"records"`
	Subscriptions int       `json:"subscriptions"`
	Users         int       `json:"users"`
	At            time.Time `json:"at"`
}

// DefaultCheckpointEvery is how many audit entries a check replays before
// it records a checkpoint. Loading a checkpoint of a tenant of 100 users
// costs less than replaying 200 entries, and a checkpoint holds one copy of
// the tenant's state, replaced by the next.
const DefaultCheckpointEvery = 200

// checkpointFields is the stored form of a replayed state: field -> value.
func checkpointFields(rp *replayed) (map[string]string, error) {
	f := map[string]string{}
	if rp.tenant != nil {
		b, err := json.Marshal(rp.tenant)
		if err != nil {
			return nil, err
		}
		f["tenant"] = string(b)
	}
	for sku, list := range rp.subs {
		b, err := encodeSubs(list)
		if err != nil {
			return nil, err
		}
		f["s:"+sku] = string(b)
	}
	for upn, u := range rp.users {
		b, err := encodeUser(u)
		if err != nil {
			return nil, err
		}
		f["u:"+upn] = string(b)
	}
	rec := sortedKeys(rp.recorded)
	b, _ := json.Marshal(rec)
	f["recorded"] = string(b)
	return f, nil
}

// digestOf hashes the fields of a checkpoint, in field order.
func digestOf(f map[string]string) string {
	h := sha256.New()
	for _, k := range sortedKeys(f) {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(f[k]), f[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeCheckpoint records rp, the verified state after the audit entry
// after, as the tenant's checkpoint.
func (l *Ledger) writeCheckpoint(ctx context.Context, id string, rp *replayed, after string, records int) error {
	k := keysFor(id)
	f, err := checkpointFields(rp)
	if err != nil {
		return wrapf("ledger: checkpoint %s: %w", id, err)
	}
	now := l.clock.Now()
	nsubs := 0
	for _, list := range rp.subs {
		nsubs += len(list)
	}
	mark := &CheckpointMark{After: after, Digest: digestOf(f), Records: records, Subscriptions: nsubs, Users: len(rp.users), At: now}
	rec, err := encodeAudit(&AuditRecord{Kind: "checkpoint", Checkpoint: mark, At: now})
	if err != nil {
		return wrapf("ledger: checkpoint %s: %w", id, err)
	}
	markID, err := l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: k.audit, Values: []any{"req", "checkpoint", "data", rec}}).Result()
	if err != nil {
		return wrapf("ledger: checkpoint %s: %w", id, err)
	}
	f["mark"] = markID
	_, err = l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k.checkpoint)
		args := make([]any, 0, 2*seedChunk)
		for _, field := range sortedKeys(f) {
			args = append(args, field, f[field])
			if len(args) == cap(args) {
				p.HSet(ctx, k.checkpoint, args...)
				args = args[:0]
			}
		}
		if len(args) > 0 {
			p.HSet(ctx, k.checkpoint, args...)
		}
		return nil
	})
	if err != nil {
		return wrapf("ledger: checkpoint %s: %w", id, err)
	}
	return nil
}

// errNoCheckpoint: the tenant has no checkpoint.
var errNoCheckpoint = errors.New("ledger: no checkpoint")

// loadCheckpoint reads the tenant's checkpoint into a replay state; it
// returns the id of the last audit entry the state includes.
// errNoCheckpoint means there is none; any other error but a fault of the
// store means the checkpoint is not to be trusted.
func (l *Ledger) loadCheckpoint(ctx context.Context, id string) (*replayed, string, error) {
	k := keysFor(id)
	f := map[string]string{}
	var cursor uint64
	for {
		kv, next, err := l.rdb.HScan(ctx, k.checkpoint, cursor, "", 1000).Result()
		if err != nil {
			return nil, "", wrapf("ledger: checkpoint %s: %w", id, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = kv[i+1]
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	markID, ok := f["mark"]
	if !ok {
		return nil, "", errNoCheckpoint
	}
	delete(f, "mark")
	msgs, err := l.rdb.XRange(ctx, k.audit, markID, markID).Result()
	if err != nil {
		return nil, "", wrapf("ledger: checkpoint %s: %w", id, err)
	}
	if len(msgs) != 1 {
		return nil, "", fmt.Errorf("its audit record %s is missing", markID)
	}
	rec, err := decodeAudit(msgs[0])
	if err != nil || rec.Checkpoint == nil {
		return nil, "", fmt.Errorf("its audit record %s is not a checkpoint", markID)
	}
	if got := digestOf(f); got != rec.Checkpoint.Digest {
		return nil, "", fmt.Errorf("the state stored for checkpoint %s does not match the digest its audit record holds", markID)
	}
	rp := newReplayed()
	for field, v := range f {
		switch {
		case field == "tenant":
			var t Tenant
			if err := json.Unmarshal([]byte(v), &t); err != nil {
				return nil, "", err
			}
			rp.tenant = &t
		case field == "recorded":
			var skus []string
			if err := json.Unmarshal([]byte(v), &skus); err != nil {
				return nil, "", err
			}
			for _, sku := range skus {
				rp.recorded[sku] = true
			}
		case strings.HasPrefix(field, "s:"):
			var list []Subscription
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return nil, "", err
			}
			rp.subs[field[2:]] = list
		case strings.HasPrefix(field, "u:"):
			var u User
			if err := json.Unmarshal([]byte(v), &u); err != nil {
				return nil, "", err
			}
			rp.users[field[2:]] = &u
			for _, sku := range u.Licenses {
				rp.assigned[sku]++
			}
		}
	}
	return rp, rec.Checkpoint.After, nil
}

// checkpointMark returns the audit mark of the tenant's checkpoint in
// force, or nil when it has none.
func (l *Ledger) checkpointMark(ctx context.Context, id string) (*CheckpointMark, error) {
	markID, err := l.rdb.HGet(ctx, keysFor(id).checkpoint, "mark").Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf("ledger: checkpoint %s: %w", id, err)
	}
	msgs, err := l.rdb.XRange(ctx, keysFor(id).audit, markID, markID).Result()
	if err != nil || len(msgs) != 1 {
		return nil, err
	}
	rec, err := decodeAudit(msgs[0])
	if err != nil {
		return nil, err
	}
	return rec.Checkpoint, nil
}
