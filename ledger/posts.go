package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Post is what the desk knows of a message it posts once (an approval
// request in Slack, the weekly report): who claimed it, and where it is.
type Post struct {
	State   string `json:"state"` // claimed, posted or final
	Owner   string `json:"owner,omitempty"`
	Tenant  string `json:"tenant,omitempty"`
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	At      int64  `json:"at"` // Unix seconds of the last change
}

// Post states.
const (
	PostClaimed = "claimed"
	PostPosted  = "posted"
	PostFinal   = "final"
)

// postsKey is the registry of one kind of post. Approval posts keep the key
// they always had.
func postsKey(kind string) string {
	if kind == "approval" {
		return "ld:{g}:approval-posts"
	}
	return "ld:{g}:posts:" + kind
}

// claimPostScript claims a post: when no one has, or when a claim went
// stale (its claimant died between claim and post). KEYS[1] the registry;
// ARGV: id, the claim, the Unix second before which a claim is stale.
var claimPostScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, rec = pcall(cjson.decode, cur)
  if not ok or type(rec) ~= 'table' or rec.state ~= 'claimed' or (tonumber(rec.at) or 0) >= tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// releasePostScript gives a claim back after a failed post, unless another
// poster took it over meanwhile. ARGV: id, the claim as written.
var releasePostScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`)

// ClaimPost claims the right to post id of kind, so that replicas and
// restarts post it once: it succeeds when nobody holds it, or when the
// holder's claim is older than staleBefore and was never posted. The
// claimant then posts, and records it with SetPost, or gives the claim
// back with ReleasePost when the post failed.
func (l *Ledger) ClaimPost(ctx context.Context, kind, id string, claim Post, staleBefore time.Time) (bool, error) {
	claim.State = PostClaimed
	b, _ := json.Marshal(claim)
	n, err := claimPostScript.Run(ctx, l.rdb, []string{postsKey(kind)}, id, b, staleBefore.Unix()).Int()
	if err != nil {
		return false, wrapf("ledger: claim post %s: %w", id, err)
	}
	return n == 1, nil
}

// ReleasePost gives back a claim exactly as ClaimPost wrote it.
func (l *Ledger) ReleasePost(ctx context.Context, kind, id string, claim Post) error {
	claim.State = PostClaimed
	b, _ := json.Marshal(claim)
	if err := releasePostScript.Run(ctx, l.rdb, []string{postsKey(kind)}, id, b).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return wrapf("ledger: release post %s: %w", id, err)
	}
	return nil
}

// SetPost records the state of a post.
func (l *Ledger) SetPost(ctx context.Context, kind, id string, p Post) error {
	b, _ := json.Marshal(p)
	if err := l.rdb.HSet(ctx, postsKey(kind), id, b).Err(); err != nil {
		return wrapf("ledger: record post %s: %w", id, err)
	}
	return nil
}

// DeletePost forgets a post.
func (l *Ledger) DeletePost(ctx context.Context, kind, id string) error {
	if err := l.rdb.HDel(ctx, postsKey(kind), id).Err(); err != nil {
		return wrapf("ledger: forget post %s: %w", id, err)
	}
	return nil
}

// GetPost returns one post; ok is false when none is recorded or the
// record is unreadable.
func (l *Ledger) GetPost(ctx context.Context, kind, id string) (p Post, ok bool, err error) {
	raw, err := l.rdb.HGet(ctx, postsKey(kind), id).Result()
	if errors.Is(err, redis.Nil) {
		return p, false, nil
	}
	if err != nil {
		return p, false, wrapf("ledger: post %s: %w", id, err)
	}
	return p, json.Unmarshal([]byte(raw), &p) == nil, nil
}

// Posts returns every post of a kind; unreadable records are returned in
// bad, by id, so that the caller can log them.
func (l *Ledger) Posts(ctx context.Context, kind string) (posts map[string]Post, bad []string, err error) {
	all, err := l.rdb.HGetAll(ctx, postsKey(kind)).Result()
	if err != nil {
		return nil, nil, wrapf("ledger: posts: %w", err)
	}
	posts = make(map[string]Post, len(all))
	for id, raw := range all {
		var p Post
		if json.Unmarshal([]byte(raw), &p) != nil {
			bad = append(bad, id)
			continue
		}
		posts[id] = p
	}
	return posts, bad, nil
}
