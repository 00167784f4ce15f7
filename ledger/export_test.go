package ledger

import "github.com/redis/go-redis/v9"

// RedisOf gives the ledger's tests the client behind a ledger, to build a
// second ledger on the same store or read a key as it is stored.
func RedisOf(l *Ledger) redis.UniversalClient { return l.rdb }
